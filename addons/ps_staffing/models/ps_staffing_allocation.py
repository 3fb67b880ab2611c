from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .ps_staffing_request import LOAD_UNITS, MAX_LOAD_PERCENT, hours_of, percent_of

ALLOCATION_STATES = [("draft", "Draft"), ("confirmed", "Confirmed"), ("done", "Done"),
                     ("cancelled", "Cancelled")]
BOOKED_STATES = ("confirmed", "done")
LEAVE_STATES_APPROVED = ("validate",)
LOAD_WEEKS_SHOWN = 12
LEAVE_CURSOR = "ps_staffing.leave_conflict_cursor"


def week_starts(date_start, date_end):
    """Mondays of the weeks a period touches."""
    monday = date_start - timedelta(days=date_start.weekday())
    while monday <= date_end:
        yield monday
        monday += timedelta(days=7)


class PsStaffingAllocation(models.Model):
    """Someone booked on a project for a period at some hours per week. Confirming it
    goes through ps_base's approval engine where a policy applies (over-utilization,
    overlapping leave, subcontractor)."""

    _name = "ps.staffing.allocation"
    _description = "Staffing Allocation"
    _inherit = ["mail.thread", "mail.activity.mixin", "ps.approval.mixin", "ps.audit.mixin"]
    _order = "date_start desc, id desc"
    _ps_state_field = "state"
    _ps_gated_actions = {"action_confirm": "confirmed"}
    _ps_requester_field = "create_uid"
    _ps_fact_fields = ("utilization_after", "leave_overlap", "is_subcontractor")
    _ps_watched_fields = ("employee_id", "date_start", "date_end", "hours_per_week",
                          "load_percent")
    _ps_audit_fields = ("state", "employee_id", "project_id", "date_start", "date_end",
                        "hours_per_week", "hourly_rate")

    employee_id = fields.Many2one(
        "hr.employee", required=True, index=True, tracking=True,
        domain="[('company_id', 'in', [company_id, False])]")
    user_id = fields.Many2one(related="employee_id.user_id", store=True, index=True,
                              string="User")
    project_id = fields.Many2one("project.project", required=True, index=True, tracking=True)
    request_id = fields.Many2one("ps.staffing.request", "Staffing Request", index=True,
                                 tracking=True, ondelete="set null")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, compute="_compute_company_id", store=True,
        readonly=False, precompute=True)
    date_start = fields.Date("Start", required=True, tracking=True)
    date_end = fields.Date("End", required=True, tracking=True)
    load_unit = fields.Selection(
        LOAD_UNITS, "Load Expressed In", default="hours", required=True, tracking=True,
        help="Hours per week, or a share of the employee's own working calendar")
    load_percent = fields.Float(
        "% of Working Time", compute="_compute_load_percent", store=True, readonly=False,
        precompute=True, tracking=True, digits=(5, 2),
        help="Share of the employee's working week (their working calendar)")
    hours_per_week = fields.Float(
        required=True, tracking=True, compute="_compute_hours_per_week", store=True,
        readonly=False, precompute=True,
        help="Derived from the percentage and the employee's working calendar when the load "
             "is expressed as a percentage (when it is set: a later change of calendar does "
             "not rewrite booked hours)")
    state = fields.Selection(ALLOCATION_STATES, default="draft", required=True, index=True,
                             tracking=True, copy=False)
    currency_id = fields.Many2one(related="company_id.currency_id")
    hourly_rate = fields.Monetary(
        groups="ps_base.group_ps_project_manager,ps_base.group_ps_resource_manager,"
                              "ps_base.group_ps_finance",
        help="What an hour of this person costs the project (a subcontractor's price)")
    is_subcontractor = fields.Boolean(related="employee_id.ps_is_subcontractor", store=True,
                                      string="Subcontractor")
    weekly_capacity = fields.Float(
        compute="_compute_facts", store=True,
        help="Hours per week of the employee's working calendar")
    utilization_after = fields.Float(
        "Utilization After (%)", compute="_compute_facts", store=True, readonly=True,
        help="The employee's highest weekly load over the period, this allocation and their "
             "other confirmed allocations included, as a share of their working calendar. "
             "The approval engine recomputes it from the allocations when it decides.")
    leave_overlap = fields.Boolean(
        "Overlaps Approved Leave", compute="_compute_facts", store=True, readonly=True)
    weekly_load = fields.Text("Load per Week", compute="_compute_weekly_load")
    reported_leave_ids = fields.Many2many(
        "hr.leave", "ps_staffing_allocation_reported_leave_rel", "allocation_id", "leave_id",
        string="Leave Conflicts Reported", readonly=True, copy=False,
        groups="ps_base.group_ps_resource_manager")

    @api.depends("project_id", "employee_id")
    def _compute_company_id(self):
        for allocation in self:
            allocation.company_id = allocation.project_id.company_id \
                or allocation.employee_id.company_id or allocation.company_id \
                or self.env.company

    @api.depends("load_unit", "hours_per_week", "employee_id")
    def _compute_load_percent(self):
        capacity = self.employee_id._ps_weekly_capacity()
        for allocation in self:
            if allocation.load_unit == "hours":
                allocation.load_percent = percent_of(
                    allocation.hours_per_week, capacity.get(allocation.employee_id.id, 0.0))

    @api.depends("load_unit", "load_percent", "employee_id")
    def _compute_hours_per_week(self):
        capacity = self.employee_id._ps_weekly_capacity()
        for allocation in self:
            if allocation.load_unit == "percent":
                allocation.hours_per_week = hours_of(
                    allocation.load_percent, capacity.get(allocation.employee_id.id, 0.0))

    @api.depends("employee_id", "date_start", "date_end", "hours_per_week")
    def _compute_facts(self):
        valid = self.filtered(lambda a: a.employee_id and a.date_start and a.date_end
                              and a.date_start <= a.date_end)
        capacity = valid.employee_id._ps_weekly_capacity()
        loads = valid._other_loads()
        overlaps = valid._overlapping_leaves()
        for allocation in self:
            if allocation not in valid:
                allocation.weekly_capacity = allocation.utilization_after = 0.0
                allocation.leave_overlap = False
                continue
            hours = capacity.get(allocation.employee_id.id) or 0.0
            allocation.weekly_capacity = hours
            peak = max((loads[allocation.id].get(week, 0.0) for week in
                        week_starts(allocation.date_start, allocation.date_end)), default=0.0)
            load = peak + allocation.hours_per_week
            allocation.utilization_after = round(100.0 * load / hours, 2) if hours else 999.0
            allocation.leave_overlap = bool(overlaps.get(allocation.id))

    def _compute_weekly_load(self):
        loads = self.filtered(lambda a: a.date_start and a.date_end and a.employee_id) \
            ._other_loads()
        for allocation in self:
            if allocation.id not in loads:
                allocation.weekly_load = False
                continue
            capacity = allocation.weekly_capacity or 0.0
            lines = []
            for week in list(week_starts(allocation.date_start, allocation.date_end))[
                    :LOAD_WEEKS_SHOWN]:
                load = loads[allocation.id].get(week, 0.0) + allocation.hours_per_week
                share = f"{100.0 * load / capacity:.0f}%" if capacity else "-"
                lines.append(f"{week.isoformat()}: {load:g} h / {capacity:g} h ({share})")
            allocation.weekly_load = "\n".join(lines)

    def _other_loads(self):
        """{allocation id: {monday: hours per week of the employee's other booked
        allocations that week}}, from one read of the allocations."""
        result = {allocation.id: defaultdict(float) for allocation in self}
        if not self:
            return result
        # sudo: the load of a person counts every allocation, whoever may read them
        others = self.sudo().search_fetch([
            ("employee_id", "in", self.employee_id.ids), ("state", "in", BOOKED_STATES),
            ("date_start", "<=", max(self.mapped("date_end"))),
            ("date_end", ">=", min(self.mapped("date_start")))],
            ["employee_id", "date_start", "date_end", "hours_per_week"])
        by_employee = defaultdict(list)
        for other in others:
            by_employee[other.employee_id.id].append(other)
        for allocation in self:
            own_id = allocation._origin.id or allocation.id
            weeks = result[allocation.id]
            for other in by_employee[allocation.employee_id.id]:
                if other.id == own_id:
                    continue
                for monday in week_starts(max(other.date_start, allocation.date_start),
                                          min(other.date_end, allocation.date_end)):
                    weeks[monday] += other.hours_per_week
        return result

    def _overlapping_leaves(self, states=LEAVE_STATES_APPROVED):
        """{allocation id: hr.leave} of approved leave overlapping each allocation."""
        result = defaultdict(lambda: self.env["hr.leave"])
        if not self:
            return result
        # sudo: leave of any employee counts, whoever may read it
        leaves = self.env["hr.leave"].sudo().search_fetch([
            ("employee_id", "in", self.employee_id.ids), ("state", "in", states),
            ("date_from", "<=", fields.Datetime.to_datetime(max(self.mapped("date_end")))
             + timedelta(days=1)),
            ("date_to", ">=", fields.Datetime.to_datetime(min(self.mapped("date_start"))))],
            ["employee_id", "date_from", "date_to"])
        for allocation in self:
            for leave in leaves:
                if leave.employee_id == allocation.employee_id \
                        and leave.date_from.date() <= allocation.date_end \
                        and leave.date_to.date() >= allocation.date_start:
                    result[allocation.id] |= leave
        return result

    @api.constrains("date_start", "date_end", "hours_per_week", "employee_id", "company_id",
                    "load_unit", "load_percent")
    def _check_allocation(self):
        capacity = self.employee_id._ps_weekly_capacity()
        for allocation in self:
            name = allocation.employee_id.name
            if allocation.load_unit == "percent" \
                    and not 0 < allocation.load_percent <= MAX_LOAD_PERCENT:
                raise ValidationError(self.env._(
                    "The allocation of %(name)s is %(percent)s%% of their working time: give a "
                    "share above 0%% and at most %(max)s%%. Beyond their working calendar is "
                    "overtime: book it in hours per week, so that the over-allocation "
                    "approval sees it.", name=name, percent=allocation.load_percent,
                    max=MAX_LOAD_PERCENT))
            if allocation.date_end < allocation.date_start:
                raise ValidationError(self.env._(
                    "The allocation of %(name)s ends (%(end)s) before it starts (%(start)s): "
                    "set an end date on or after the start.", name=name,
                    end=allocation.date_end, start=allocation.date_start))
            if allocation.hours_per_week <= 0:
                raise ValidationError(self.env._(
                    "The allocation of %s needs a number of hours per week above 0.", name))
            hours = capacity.get(allocation.employee_id.id, 0.0)
            if allocation.hours_per_week > hours:
                raise ValidationError(self.env._(
                    "%(name)s works %(capacity)s hours a week by their working calendar: an "
                    "allocation of %(hours)s hours per week is above it. Lower the hours.",
                    name=name, capacity=hours, hours=allocation.hours_per_week))
            if not allocation.employee_id.active:
                raise ValidationError(self.env._(
                    "%s is archived: allocate someone who still works here.", name))
            employee_company = allocation.employee_id.sudo().company_id
            if employee_company and employee_company != allocation.company_id:
                raise ValidationError(self.env._(
                    "%(name)s works for %(theirs)s, the project belongs to %(project)s: "
                    "allocate someone of the project's company.", name=name,
                    theirs=employee_company.name, project=allocation.company_id.name))

    @api.depends("employee_id", "project_id")
    def _compute_display_name(self):
        for allocation in self:
            allocation.display_name = " - ".join(filter(None, [
                allocation.employee_id.name, allocation.project_id.name]))

    @api.onchange("request_id")
    def _onchange_request_id(self):
        request = self.request_id
        if request:
            self.project_id = request.project_id
            self.date_start = self.date_start or request.date_start
            self.date_end = self.date_end or request.date_end
            if request.load_unit == "percent":
                self.load_unit = "percent"
                self.load_percent = request.load_percent
            else:
                self.hours_per_week = self.hours_per_week or request.hours_per_week

    def write(self, vals):
        if "state" in vals and not self.env.su:
            raise UserError(self.env._(
                "The state of an allocation changes through its buttons (Confirm, Cancel, "
                "Reset to Draft)."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_booked(self):
        booked = self.filtered(lambda a: a.state in BOOKED_STATES)
        if booked:
            raise UserError(self.env._(
                "Booked allocations are the staffing history: cancel them instead of "
                "deleting them (%s).", ", ".join(booked.mapped("display_name"))))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_confirm(self):
        wrong = self.filtered(lambda a: a.state != "draft")
        if wrong:
            raise UserError(self.env._("Only draft allocations can be confirmed: %s",
                                       ", ".join(wrong.mapped("display_name"))))
        self.check_access("write")
        # sudo: the state has one writer, the buttons; the approval guard of ps_base
        # still refuses "confirmed" without the approval a policy asks for
        self.sudo().write({"state": "confirmed"})
        self._refresh_other_drafts()
        requests = self.request_id.filtered(lambda r: r.state in ("submitted", "proposed",
                                                                  "approved"))
        # sudo: an allocation confirmed fills its request, whoever confirms it
        requests.sudo().write({"state": "filled"})
        self.env["ps.event"]._emit("staffing.allocation.confirmed", self)
        return True

    def action_cancel(self):
        self.check_access("write")
        # sudo: the state has one writer, these buttons, which check the rights first
        self.sudo().write({"state": "cancelled"})
        self.ps_approval_request_ids.filtered(lambda r: r.state == "pending") \
            ._cancel(self.env._("the allocation was cancelled"))
        self._refresh_other_drafts()
        return True

    def action_reset_draft(self):
        self.check_access("write")
        wrong = self.filtered(lambda a: a.state != "cancelled")
        if wrong:
            raise UserError(self.env._("Only cancelled allocations go back to draft: %s",
                                       ", ".join(wrong.mapped("display_name"))))
        # sudo: see action_cancel
        self.sudo().write({"state": "draft"})
        return True

    def _refresh_other_drafts(self):
        """The load shown on the same people's draft allocations changes when one of
        theirs is booked or cancelled (the engine recomputes it anyway when it decides)."""
        # sudo: the load of a person counts every allocation, whoever may read them
        drafts = self.sudo().search([("employee_id", "in", self.employee_id.ids),
                                     ("state", "=", "draft"), ("id", "not in", self.ids)])
        if drafts:
            self.env.add_to_compute(self._fields["utilization_after"], drafts)
            drafts._recompute_recordset(["utilization_after"])

    def _ps_action_label(self, action):
        return self.env._("Confirmation") if action == "action_confirm" \
            else super()._ps_action_label(action)

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------
    @api.model
    def _cron_close_and_warn_expiring(self, batch_size=1000):
        """Allocations past their end become done; those ending within the days of
        Settings get one activity for the delivery lead (never a second one)."""
        today = fields.Date.context_today(self)
        ended = self.sudo().search([("state", "=", "confirmed"), ("date_end", "<", today)],
                                   limit=batch_size)
        ended.write({"state": "done"})
        days = int(self.env["ir.config_parameter"].sudo().get_param(
            "ps_staffing.expiry_days", 14) or 14)
        activity_type = self.env.ref("ps_staffing.mail_activity_type_allocation_expiring")
        expiring = self.sudo().search([
            ("state", "=", "confirmed"), ("date_end", ">=", today),
            ("date_end", "<=", today + timedelta(days=days))], limit=batch_size)
        warned = set(self.env["mail.activity"].sudo().search_fetch([
            ("res_model", "=", self._name), ("res_id", "in", expiring.ids),
            ("activity_type_id", "=", activity_type.id)], ["res_id"]).mapped("res_id"))
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for allocation in expiring.filtered(lambda a: a.id not in warned):
            user = allocation.project_id.user_id or allocation.create_uid
            vals_list.append({
                "res_model_id": model_id, "res_id": allocation.id,
                "activity_type_id": activity_type.id, "user_id": user.id,
                "date_deadline": allocation.date_end,
                "summary": self.env._("%(name)s's allocation ends on %(date)s: extend it or "
                                      "plan the handover", name=allocation.employee_id.name,
                                      date=allocation.date_end),
            })
        self.env["mail.activity"].sudo().create(vals_list)
        remaining = self.sudo().search_count([("state", "=", "confirmed"),
                                              ("date_end", "<", today)])
        self.env["ir.cron"]._notify_progress(done=len(ended) + len(vals_list),
                                             remaining=remaining)
        return len(ended), len(vals_list)

    @api.model
    def _cron_leave_conflicts(self, batch_size=1000):
        """Approved leave overlapping a confirmed allocation that was not reported before:
        one exception and one activity per (allocation, leave), never one per run. One
        batch per call, in id order from where the previous call stopped; the scheduled
        action commits and calls again while some remain."""
        today = fields.Date.context_today(self)
        params = self.env["ir.config_parameter"].sudo()
        after = int(params.get_param(LEAVE_CURSOR, 0) or 0)
        domain = [("state", "=", "confirmed"), ("date_end", ">=", today)]
        batch = self.sudo().search(domain + [("id", ">", after)], order="id",
                                   limit=batch_size)
        raised = batch._report_leave_conflicts()
        remaining = self.sudo().search_count(domain + [("id", ">", batch[-1:].id or 0)]) \
            if batch else 0
        params.set_param(LEAVE_CURSOR, batch[-1].id if remaining else 0)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return raised

    def _report_leave_conflicts(self):
        overlaps = self._overlapping_leaves()
        activity_type = self.env.ref("ps_staffing.mail_activity_type_leave_conflict")
        model_id = self.env["ir.model"]._get_id(self._name)
        exceptions, activities = [], []
        for allocation in self:
            new = overlaps[allocation.id] - allocation.reported_leave_ids
            if not new:
                continue
            owner = allocation.project_id.user_id or allocation.create_uid
            for leave in new:
                exceptions.append({
                    "name": self.env._("%(name)s is on leave during their allocation to "
                                       "%(project)s", name=allocation.employee_id.name,
                                       project=allocation.project_id.name),
                    "key": f"staffing-leave-conflict:{allocation.id}:{leave.id}",
                    "kind": "staffing_leave_conflict",
                    "source": "ps_staffing.ir_cron_leave_conflicts",
                    "res_model": self._name, "res_id": allocation.id,
                    "res_name": allocation.display_name,
                    "company_id": allocation.company_id.id, "severity": "warning",
                    "details": self.env._("Leave from %(start)s to %(end)s overlaps the "
                                          "allocation (%(a_start)s - %(a_end)s).",
                                          start=leave.date_from.date(),
                                          end=leave.date_to.date(),
                                          a_start=allocation.date_start,
                                          a_end=allocation.date_end),
                })
            activities.append({
                "res_model_id": model_id, "res_id": allocation.id,
                "activity_type_id": activity_type.id, "user_id": owner.id,
                "summary": self.env._("Leave during the allocation of %s: replan or find "
                                      "cover", allocation.employee_id.name),
            })
            allocation.reported_leave_ids = [(4, leave.id) for leave in new]
        if exceptions:
            self.env["ps.exception"]._raise_exceptions(exceptions)
            self.env["mail.activity"].sudo().create(activities)
        return len(exceptions)

    @api.model
    def _cron_bench_sweep(self):
        """People planned below the bench floor of Settings over the next weeks: one digest
        per company and week (an exception listing them, with an activity for each
        resource manager when it is first raised); a rerun the same week only refreshes it."""
        params = self.env["ir.config_parameter"].sudo()
        floor = float(params.get_param("ps_staffing.bench_floor", 50.0) or 0.0)
        weeks = int(params.get_param("ps_staffing.bench_weeks", 4) or 4)
        today = fields.Date.context_today(self)
        start = today + timedelta(days=7 - today.weekday())  # next Monday
        end = start + timedelta(days=7 * weeks - 1)
        # subcontractors cost nothing when idle: they are never on the bench
        employees = self.env["hr.employee"].sudo().search_fetch(
            [("company_id", "!=", False), ("ps_is_subcontractor", "=", False)],
            ["name", "company_id"])
        capacity = employees._ps_weekly_capacity()
        planned = defaultdict(float)
        for allocation in self.sudo().search_fetch([
                ("employee_id", "in", employees.ids), ("state", "in", BOOKED_STATES),
                ("date_start", "<=", end), ("date_end", ">=", start)],
                ["employee_id", "date_start", "date_end", "hours_per_week"]):
            days = (min(allocation.date_end, end) - max(allocation.date_start, start)).days + 1
            planned[allocation.employee_id.id] += allocation.hours_per_week * days / 7.0
        bench = defaultdict(list)
        for employee in employees:
            hours = capacity[employee.id] * weeks
            share = 100.0 * planned[employee.id] / hours if hours else 100.0
            if share < floor:
                bench[employee.company_id].append((employee.name, share))
        year, week, _day = start.isocalendar()
        keys = {company: f"staffing-bench:{company.id}:{year}-W{week:02d}" for company in bench}
        known = set(self.env["ps.exception"].sudo().search_fetch(
            [("key", "in", list(keys.values())), ("state", "in", ("new", "in_progress"))],
            ["key"]).mapped("key"))
        vals_list = [{
            "name": self.env._("Bench: %(count)s people below %(floor).0f%% from %(start)s",
                               count=len(people), floor=floor, start=start),
            "key": keys[company], "kind": "staffing_bench",
            "source": "ps_staffing.ir_cron_bench_sweep", "company_id": company.id,
            "severity": "info",
            "details": "\n".join(f"{name}: {share:.0f}% planned over {weeks} weeks"
                                 for name, share in sorted(people, key=lambda p: p[1])),
        } for company, people in bench.items()]
        exceptions = self.env["ps.exception"]._raise_exceptions(vals_list)
        managers = self.env.ref("ps_base.group_ps_resource_manager").sudo().users \
            .filtered(lambda u: u.active and not u.share)
        activity_type = self.env.ref("ps_staffing.mail_activity_type_bench_digest")
        model_id = self.env["ir.model"]._get_id("ps.exception")
        activities = [{
            "res_model_id": model_id, "res_id": exception.id,
            "activity_type_id": activity_type.id, "user_id": user.id,
            "summary": exception.name,
        } for exception in exceptions.sudo() if exception.key not in known
            for user in managers if exception.company_id in user.company_ids]
        self.env["mail.activity"].sudo().create(activities)
        self.env["ir.cron"]._notify_progress(done=len(employees), remaining=0)
        return exceptions
