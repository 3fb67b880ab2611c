from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .ps_handoff_template import PRICING_MODELS, ROLES

HANDOFF_STATES = [("open", "Collecting"), ("complete", "Ready to Start"),
                  ("started", "Started")]
# written by the handoff itself, never by a user
COMPUTED_STATE_FIELDS = {"state", "escalation_level", "escalation_date", "last_progress_date"}


class PsHandoff(models.Model):
    """The hand-over of one confirmed sale order to delivery: what the project needs
    before it starts, who provides it, and how far along it is."""

    _name = "ps.handoff"
    _description = "Sales to Delivery Handoff"
    _inherit = ["mail.thread", "mail.activity.mixin", "ps.audit.mixin"]
    _order = "id desc"
    _ps_audit_fields = ("state", "scope_summary", "pricing_model", "date_start", "date_end",
                        "budget", "po_number", "project_id")

    name = fields.Char("Reference", required=True, readonly=True, copy=False, default="/")
    order_id = fields.Many2one("sale.order", required=True, readonly=True, index=True,
                               ondelete="cascade")
    opportunity_id = fields.Many2one(related="order_id.opportunity_id", store=True,
                                     string="Opportunity")
    partner_id = fields.Many2one(related="order_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="order_id.currency_id")
    user_id = fields.Many2one(related="order_id.user_id", store=True, string="Account Owner")
    template_id = fields.Many2one("ps.handoff.template", readonly=True, ondelete="restrict")
    project_id = fields.Many2one("project.project", readonly=True, index="btree_not_null",
                                 ondelete="set null")
    project_manager_id = fields.Many2one(related="project_id.user_id", string="Delivery Lead")
    state = fields.Selection(HANDOFF_STATES, default="open", required=True, readonly=True,
                             tracking=True, index=True, copy=False)
    confirmed_at = fields.Datetime("Order Confirmed", readonly=True)
    started_at = fields.Datetime("Project Started", readonly=True)
    lead_time_days = fields.Float(
        "Lead Time (days)", readonly=True, aggregator="avg",
        help="Days from the order's confirmation to the project's start")

    # the checklist's information
    scope_summary = fields.Text(tracking=True)
    pricing_model = fields.Selection(PRICING_MODELS, tracking=True)
    date_start = fields.Date("Start Date", tracking=True)
    date_end = fields.Date("End Date", tracking=True)
    budget = fields.Monetary(tracking=True)
    po_number = fields.Char("Customer PO Number", tracking=True)
    contact_ids = fields.Many2many("res.partner", string="Client Contacts")
    staffing_line_ids = fields.One2many("ps.handoff.staffing", "handoff_id",
                                        "Staffing Assumptions")
    document_ids = fields.One2many("ps.handoff.document", "handoff_id", "Documents")

    # completeness, from the sources every time
    missing_summary = fields.Text("Missing", compute="_compute_completeness")
    missing_count = fields.Integer(compute="_compute_completeness")
    completeness = fields.Float("Complete (%)", compute="_compute_completeness",
                                aggregator="avg")

    # stalled-handoff sweep
    last_progress_date = fields.Datetime("Last Progress", readonly=True,
                                         default=fields.Datetime.now)
    escalation_level = fields.Integer(readonly=True, default=0)
    escalation_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("order_unique", "UNIQUE(order_id)", "A sale order has one handoff."),
    ]

    @api.depends("template_id.item_ids", "scope_summary", "pricing_model", "date_start",
                 "date_end", "budget", "po_number", "contact_ids", "staffing_line_ids",
                 "document_ids.document_type_id", "document_ids.attachment_id",
                 "project_id.milestone_ids")
    def _compute_completeness(self):
        for handoff in self:
            items = handoff.template_id.item_ids
            missing = handoff._missing_items()
            handoff.missing_count = len(missing)
            handoff.completeness = 100.0 * (len(items) - len(missing)) / len(items) \
                if items else 100.0
            handoff.missing_summary = "\n".join(
                self.env._("%(item)s (%(who)s)", item=item._label(),
                           who=dict(ROLES)[item.responsible]) for item in missing) or False

    def _missing_items(self):
        """Checklist items of the template the handoff does not meet yet."""
        self.ensure_one()
        handoff = self.sudo()
        provided = set(handoff.document_ids.filtered("attachment_id").document_type_id.ids)
        missing = self.env["ps.handoff.template.item"]
        for item in handoff.template_id.item_ids:
            if item.kind == "document":
                ok = item.document_type_id.id in provided
            elif item.field_name == "milestones":
                ok = bool(handoff.project_id.milestone_ids)
            elif item.field_name == "date_end":
                ok = bool(handoff.date_end) and (not handoff.date_start
                                                 or handoff.date_end >= handoff.date_start)
            else:
                ok = bool(handoff[item.field_name])
            if not ok:
                missing |= item
        return missing

    @api.constrains("date_start", "date_end", "budget")
    def _check_dates(self):
        for handoff in self:
            if handoff.budget < 0:
                raise ValidationError(self.env._(
                    "%s: a budget cannot be negative.", handoff.name))
            if handoff.date_start and handoff.date_end and handoff.date_end < handoff.date_start:
                raise ValidationError(self.env._(
                    "%s: the project cannot end before it starts.", handoff.name))

    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("ps.handoff") or "/"
        return super().create(vals_list)

    def write(self, vals):
        forged = COMPUTED_STATE_FIELDS & vals.keys()
        if forged and not self.env.su:
            raise UserError(self.env._(
                "The status of a handoff follows its checklist and its project: fill in "
                "what is missing instead of setting it."))
        if not self.env.su and vals.keys() - COMPUTED_STATE_FIELDS:
            vals = {**vals, "last_progress_date": fields.Datetime.now(),
                    "escalation_level": 0, "escalation_date": False}
        result = super().write(vals)
        self._update_state()
        return result

    def _update_state(self):
        """Open ↔ complete from the checklist. Becoming complete starts the kickoff
        through the automation rule "Handoff ready" (data/base_automation_data.xml), which
        an administrator can see and switch off."""
        for handoff in self.filtered(lambda h: h.state in ("open", "complete")):
            state = "complete" if not handoff._missing_items() else "open"
            if state != handoff.state:
                handoff.sudo().write({"state": state})

    def _on_complete(self):
        """The kickoff, run by the automation rule "Handoff ready": a meeting activity
        for the delivery lead, staffing needs handed to staffing (``_ps_staffing_needs``,
        a hook a staffing bridge fills), a business event for outside tools."""
        self = self.sudo().filtered(lambda h: h.state == "complete")
        meeting = self.env.ref("ps_handoff.mail_activity_type_kickoff", raise_if_not_found=False)
        for handoff in self:
            lead = handoff.project_manager_id or handoff.user_id
            if meeting and lead and handoff.project_id:
                handoff.project_id.sudo().activity_schedule(
                    activity_type_id=meeting.id, user_id=lead.id,
                    summary=self.env._("Kickoff meeting: %s", handoff.order_id.name))
        self._ps_staffing_needs()
        self.env["ps.event"]._emit_rows("handoff.completed", [{
            "res_model": self._name, "res_id": handoff.id, "res_name": handoff.name,
            "company_id": handoff.company_id.id,
            "payload": {"order": handoff.order_id.name, "project_id": handoff.project_id.id,
                        "budget": handoff.budget, "pricing_model": handoff.pricing_model},
        } for handoff in self])

    def _ps_staffing_needs(self):
        """Hook: staffing assumptions to turn into staffing requests (a bridge with
        ps_staffing overrides it). Nothing here: ps_handoff depends on no workflow."""
        return True

    def _kickoff_project(self):
        """Prepare the project of each new handoff: the template's tasks where the project
        has none, the kickoff tasks with their deadlines and owners, the stakeholders as
        followers, and an activity asking the delivery lead to take the handoff over."""
        review = self.env.ref("ps_handoff.mail_activity_type_handoff_review",
                              raise_if_not_found=False)
        Task = self.env["project.task"].sudo()
        today = fields.Date.context_today(self)
        task_vals = []
        for handoff in self.filtered("project_id"):
            project = handoff.project_id.sudo()
            template = handoff.template_id
            if template.project_template_id and not project.task_ids:
                for task in template.project_template_id.sudo().task_ids.filtered(
                        lambda t: not t.parent_id):
                    # project.task names its copies "(copy)" whatever the default says
                    task.copy({"project_id": project.id}).name = task.name
            owners = {"project_manager": project.user_id or handoff.user_id,
                      "account_owner": handoff.user_id}
            task_vals += [{
                "name": task.name, "project_id": project.id,
                "date_deadline": today + timedelta(days=task.days_after_confirmation),
                "user_ids": [fields.Command.set(owners[task.role].ids)],
            } for task in template.task_ids]
            project.message_subscribe(
                partner_ids=(handoff.partner_id | handoff.contact_ids
                             | handoff.user_id.partner_id).ids)
            lead = project.user_id or handoff.user_id
            if review and lead:
                handoff.activity_schedule(
                    activity_type_id=review.id, user_id=lead.id,
                    summary=self.env._("Take over %s", handoff.order_id.name))
        if task_vals:
            Task.create(task_vals)
        self._update_state()

    def _ps_remind_missing_items(self):
        """Server action "Remind owners of missing items": one to-do per owner of what
        each handoff still misses, not twice while the previous one is open."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        open_reminders = {
            (activity.res_id, activity.user_id.id) for activity in self.env["mail.activity"]
            .sudo().search([("res_model", "=", self._name), ("res_id", "in", self.ids),
                            ("activity_type_id", "=", todo.id),
                            ("summary", "=like", "Missing for %")])}
        vals_list = []
        for handoff in self.filtered(lambda h: h.state == "open"):
            owners = {"project_manager": handoff.project_manager_id or handoff.user_id,
                      "account_owner": handoff.user_id}
            per_owner = {}
            for item in handoff._missing_items():
                owner = owners[item.responsible]
                if owner:
                    per_owner.setdefault(owner, []).append(item._label())
            for owner, labels in per_owner.items():
                if (handoff.id, owner.id) in open_reminders:
                    continue
                vals_list.append({
                    "res_model_id": model_id, "res_id": handoff.id,
                    "activity_type_id": todo.id, "user_id": owner.id,
                    "summary": f"Missing for {handoff.name}",
                    "note": ", ".join(labels)})
        # sudo: the project manager reminds the account owner too
        self.env["mail.activity"].sudo().create(vals_list)
        return len(vals_list)

    # ------------------------------------------------------------------
    def action_open_project(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "project.project",
                "res_id": self.project_id.id, "view_mode": "form"}

    def action_new_kickoff_exception(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "ps.kickoff.exception",
                "view_mode": "form", "target": "current",
                "context": {"default_handoff_id": self.id}}

    # ------------------------------------------------------------------
    @api.model
    def _stalled_domain(self):
        days = self._setting_int("ps_handoff.stalled_days", 5)
        limit = fields.Datetime.now() - timedelta(days=days)
        return [("state", "=", "open"), ("escalation_level", "<", 2),
                ("last_progress_date", "<", limit),
                "|", ("escalation_date", "=", False), ("escalation_date", "<", limit)]

    @api.model
    def _setting_int(self, key, default):
        try:
            return max(int(self.env["ir.config_parameter"].sudo().get_param(key, default)), 1)
        except ValueError:
            return default

    @api.model
    def _cron_escalate_stalled(self, batch_size=500):
        """Handoffs without progress for the days of Settings: first the account owner
        gets an activity, a period later the delivery lead, with an exception for the
        administrators. Idempotent: escalated handoffs leave the domain for a period."""
        domain = self._stalled_domain()
        handoffs = self.sudo().search(domain, limit=batch_size, order="last_progress_date")
        handoffs._escalate_stalled()
        self.env["ir.cron"]._notify_progress(done=len(handoffs),
                                             remaining=self.sudo().search_count(domain))
        return len(handoffs)

    def _escalate_stalled(self):
        now = fields.Datetime.now()
        activity_type = self.env.ref("ps_handoff.mail_activity_type_handoff_stalled")
        model_id = self.env["ir.model"]._get_id(self._name)
        activities, exceptions = [], []
        first = self.filtered(lambda h: h.escalation_level == 0)
        for handoff in self:
            who = handoff.user_id if handoff in first else (handoff.project_manager_id
                                                             or handoff.user_id)
            if who:
                activities.append({
                    "res_model_id": model_id, "res_id": handoff.id,
                    "activity_type_id": activity_type.id, "user_id": who.id,
                    "summary": self.env._("Stalled handoff: %s missing", handoff.missing_count),
                    "note": handoff.missing_summary})
            if handoff not in first:
                exceptions.append({
                    "name": self.env._("Handoff %s is stalled", handoff.name),
                    "key": f"handoff-stalled:{handoff.id}", "kind": "handoff_stalled",
                    "source": "ps_handoff.ir_cron_escalate_stalled_handoffs",
                    "res_model": self._name, "res_id": handoff.id, "res_name": handoff.name,
                    "severity": "warning", "company_id": handoff.company_id.id,
                    "owner_id": handoff.project_manager_id.id or False,
                    "details": handoff.missing_summary})
        self.env["mail.activity"].create(activities)
        if exceptions:
            self.env["ps.exception"]._raise_exceptions(exceptions)
        first.write({"escalation_level": 1, "escalation_date": now})
        (self - first).write({"escalation_level": 2, "escalation_date": now})


class PsHandoffStaffing(models.Model):
    _name = "ps.handoff.staffing"
    _description = "Handoff Staffing Assumption"
    _order = "handoff_id, id"

    handoff_id = fields.Many2one("ps.handoff", required=True, ondelete="cascade", index=True)
    role = fields.Char(required=True)
    hours = fields.Float(required=True)
    skills = fields.Char(help="Skills the role needs, e.g. 'Odoo accounting, French'")
    date_from = fields.Date()
    date_to = fields.Date()

    @api.constrains("hours", "date_from", "date_to")
    def _check_hours(self):
        for line in self:
            if line.hours <= 0:
                raise ValidationError(self.env._(
                    "Staffing assumption '%s': give the hours the role needs (more than 0).",
                    line.role))
            if line.date_from and line.date_to and line.date_to < line.date_from:
                raise ValidationError(self.env._(
                    "Staffing assumption '%s' ends before it starts.", line.role))

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.handoff_id._update_state()
        return lines

    def unlink(self):
        handoffs = self.handoff_id
        result = super().unlink()
        handoffs._update_state()
        return result


class PsHandoffDocument(models.Model):
    _name = "ps.handoff.document"
    _description = "Handoff Document"
    _order = "handoff_id, id"

    handoff_id = fields.Many2one("ps.handoff", required=True, ondelete="cascade", index=True)
    document_type_id = fields.Many2one("ps.handoff.document.type", required=True,
                                       ondelete="restrict")
    attachment_id = fields.Many2one("ir.attachment", "File", ondelete="set null")
    file = fields.Binary(related="attachment_id.datas", readonly=False)
    file_name = fields.Char(related="attachment_id.name", readonly=False)

    @api.model_create_multi
    def create(self, vals_list):
        files = [(vals.pop("file", None), vals.pop("file_name", None)) for vals in vals_list]
        documents = super().create(vals_list)
        for document, (data, name) in zip(documents, files, strict=True):
            if data:
                document.attachment_id = self.env["ir.attachment"].create({
                    "name": name or document.document_type_id.name, "datas": data,
                    "res_model": "ps.handoff", "res_id": document.handoff_id.id})
        documents.handoff_id._update_state()
        return documents

    def write(self, vals):
        result = super().write(vals)
        self.handoff_id._update_state()
        return result

    def unlink(self):
        handoffs = self.handoff_id
        result = super().unlink()
        handoffs._update_state()
        return result
