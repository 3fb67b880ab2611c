from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .hr_employee import DEFAULT_WEEKLY_HOURS

REQUEST_STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("proposed", "Proposed"),
    ("approved", "Approved"),
    ("filled", "Filled"),
    ("closed", "Closed"),
]
LOCATION_TYPES = [("remote", "Remote"), ("hybrid", "Hybrid"), ("onsite", "On site")]
LOAD_UNITS = [("hours", "Hours per Week"), ("percent", "% of Working Time")]
MAX_WEEKLY_HOURS = 168.0
MAX_LOAD_PERCENT = 100.0


def percent_of(hours, capacity):
    """``hours`` per week as a share of a working week of ``capacity`` hours."""
    return round(100.0 * hours / capacity, 2) if capacity else 0.0


def hours_of(percent, capacity):
    """A share of a working week of ``capacity`` hours, in hours per week."""
    return round(capacity * percent / 100.0, 2)


class PsStaffingRequest(models.Model):
    """A project's need for someone: role, skills with minimum levels, hours per week over
    a period, where. Resource managers rank candidates for it and propose allocations."""

    _name = "ps.staffing.request"
    _description = "Staffing Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "priority desc, date_start, id desc"

    name = fields.Char("Reference", required=True, readonly=True, copy=False, default="/")
    project_id = fields.Many2one(
        "project.project", index=True, tracking=True,
        help="Required, except on a provisional request (demand of an opportunity not won "
             "yet, which has no project): it can be ranked, not staffed")
    is_provisional = fields.Boolean(
        "Provisional", readonly=True, copy=False, index=True,
        help="Demand of an opportunity not won yet: candidates can be ranked to see who "
             "would be free; nobody is allocated before the request has a project")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, compute="_compute_company_id", store=True,
        readonly=False, precompute=True)
    role = fields.Char(required=True, tracking=True, help="e.g. Senior functional consultant")
    skill_line_ids = fields.One2many("ps.staffing.request.skill", "request_id",
                                     "Required Skills", copy=True)
    load_unit = fields.Selection(
        LOAD_UNITS, "Load Expressed In", default="hours", required=True, tracking=True,
        help="Hours per week, or a share of a working week: the company's default working "
             "calendar gives the hours (ranking reads the share of each candidate's own "
             "calendar)")
    load_percent = fields.Float(
        "% of Working Time", compute="_compute_load_percent", store=True, readonly=False,
        precompute=True, tracking=True, digits=(5, 2),
        help="Share of a full working week (the company's default working calendar)")
    hours_per_week = fields.Float(
        required=True, tracking=True, compute="_compute_hours_per_week",
        store=True, readonly=False, precompute=True,
        help="Derived from the percentage when the load is expressed as a percentage; a "
             "full week of the company's default working calendar when left empty")
    date_start = fields.Date("Start", required=True, tracking=True)
    date_end = fields.Date("End", required=True, tracking=True)
    location_type = fields.Selection(LOCATION_TYPES, "Where", default="remote", required=True)
    work_location_id = fields.Many2one(
        "hr.work.location", "Location",
        help="Where the work happens when it is not remote; candidates working there rank "
             "higher")
    priority = fields.Selection([("0", "Normal"), ("1", "High"), ("2", "Urgent")],
                                default="0")
    state = fields.Selection(REQUEST_STATES, default="draft", required=True, index=True,
                             tracking=True, copy=False)
    user_id = fields.Many2one("res.users", "Requested By", default=lambda self: self.env.user,
                              index=True, tracking=True)
    project_manager_id = fields.Many2one(related="project_id.user_id", string="Delivery Lead")
    note = fields.Html()
    source_model = fields.Char(
        readonly=True, copy=False, index=True,
        help="Technical: the document this request was created from (handoff, opportunity)")
    source_id = fields.Many2oneReference(model_field="source_model", readonly=True, copy=False)
    source_ref = fields.Reference(
        selection="_selection_source_ref", string="Origin", compute="_compute_source_ref",
        help="The document this request was created from")
    candidate_ids = fields.One2many("ps.staffing.candidate", "request_id", "Candidates",
                                    readonly=True)
    allocation_ids = fields.One2many("ps.staffing.allocation", "request_id", "Allocations")
    allocation_count = fields.Integer(compute="_compute_allocation_count")
    ranked_at = fields.Datetime("Ranked On", readonly=True, copy=False)

    _sql_constraints = [
        ("source_role_uniq", "unique(source_model, source_id, role)",
         "This document already has a staffing request for this role."),
    ]

    @api.depends("project_id")
    def _compute_company_id(self):
        for request in self:
            request.company_id = request.project_id.company_id or request.company_id \
                or self.env.company

    @api.depends("load_unit", "hours_per_week", "company_id")
    def _compute_load_percent(self):
        capacity = self._company_weekly_capacity()
        for request in self:
            if request.load_unit == "hours":
                request.load_percent = percent_of(request.hours_per_week,
                                                  capacity[request.company_id.id])

    @api.depends("load_unit", "load_percent", "company_id")
    def _compute_hours_per_week(self):
        capacity = self._company_weekly_capacity()
        for request in self:
            if request.load_unit == "percent":
                request.hours_per_week = hours_of(request.load_percent,
                                                  capacity[request.company_id.id])
            elif not request.hours_per_week:
                request.hours_per_week = capacity[request.company_id.id]

    def _company_weekly_capacity(self):
        """{company id: hours per week of its default working calendar}"""
        result = defaultdict(lambda: DEFAULT_WEEKLY_HOURS)
        # sudo: the company's calendar is configuration every staffing user relies on
        for company in self.company_id.sudo():
            calendar = company.resource_calendar_id
            result[company.id] = calendar._calculate_hours_per_week() if calendar \
                else DEFAULT_WEEKLY_HOURS
        return result

    @api.model
    def _selection_source_ref(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search(
            [("model", "in", self._source_models())])]

    @api.model
    def _source_models(self):
        """Models a staffing request can be created from (bridges add theirs)."""
        return []

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        known = set(self._source_models())
        for request in self:
            model = request.source_model
            if model in known and request.source_id and model in self.env:
                record = self.env[model].browse(request.source_id)
                request.source_ref = record if record.exists() else False
            else:
                request.source_ref = False

    def _compute_allocation_count(self):
        counts = dict(self.env["ps.staffing.allocation"]._read_group(
            [("request_id", "in", self.ids)], ["request_id"], ["__count"]))
        for request in self:
            request.allocation_count = counts.get(request, 0)

    @api.constrains("date_start", "date_end", "hours_per_week", "load_unit", "load_percent",
                    "project_id", "is_provisional")
    def _check_period_and_hours(self):
        for request in self:
            if not request.project_id and not request.is_provisional:
                raise ValidationError(self.env._(
                    "Staffing request %s has no project: pick the project the person is "
                    "needed on.", request.name))
            if request.load_unit == "percent" \
                    and not 0 < request.load_percent <= MAX_LOAD_PERCENT:
                raise ValidationError(self.env._(
                    "Staffing request %(name)s asks for %(percent)s%% of a working week: give "
                    "a share above 0%% and at most %(max)s%%. A share is of one person's "
                    "working time; more than one person's time is a second request.",
                    name=request.name, percent=request.load_percent, max=MAX_LOAD_PERCENT))
            if request.date_end < request.date_start:
                raise ValidationError(self.env._(
                    "Staffing request %(name)s ends (%(end)s) before it starts (%(start)s): "
                    "set an end date on or after the start.", name=request.name,
                    end=request.date_end, start=request.date_start))
            if not 0 < request.hours_per_week <= MAX_WEEKLY_HOURS:
                raise ValidationError(self.env._(
                    "Staffing request %(name)s asks for %(hours)s hours per week: give a "
                    "number above 0 and at most %(max)s.", name=request.name,
                    hours=request.hours_per_week, max=MAX_WEEKLY_HOURS))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("ps.staffing.request") \
                    or "/"
        return super().create(vals_list)

    def write(self, vals):
        if "state" in vals and not self.env.su:
            raise UserError(self.env._(
                "The state of a staffing request changes through its buttons (Submit, "
                "Rank Candidates, Approve, Close)."))
        if vals.get("project_id"):
            # a project makes the demand real: it can be staffed
            vals = dict(vals, is_provisional=False)
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _set_state(self, state):
        # sudo: the state has one writer, these actions, which check the rights first
        self.check_access("write")
        self.sudo().write({"state": state})

    def action_submit(self):
        wrong = self.filtered(lambda r: r.state != "draft")
        if wrong:
            raise UserError(self.env._("Only draft requests can be submitted: %s",
                                       ", ".join(wrong.mapped("name"))))
        self._set_state("submitted")

    def action_rank_candidates(self):
        self._check_resource_manager()
        blocked = self.filtered(lambda r: r.state in ("draft", "closed"))
        if blocked:
            raise UserError(self.env._("Submit the request before ranking candidates: %s",
                                       ", ".join(blocked.mapped("name"))))
        self.env["ps.staffing.candidate"]._rank(self)
        return True

    def action_approve(self):
        self._check_resource_manager()
        self._check_has_project()
        wrong = self.filtered(lambda r: r.state not in ("submitted", "proposed"))
        if wrong:
            raise UserError(self.env._("Only submitted or proposed requests can be approved: "
                                       "%s", ", ".join(wrong.mapped("name"))))
        self._set_state("approved")

    def action_close(self):
        self._set_state("closed")

    def action_reset_draft(self):
        self._set_state("draft")

    def action_view_allocations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_staffing.ps_staffing_allocation_action")
        action["domain"] = [("request_id", "=", self.id)]
        action["context"] = {"default_request_id": self.id}
        return action

    def _check_has_project(self):
        missing = self.filtered(lambda r: not r.project_id)
        if missing:
            raise UserError(self.env._(
                "Provisional requests have no project yet (%s): set the project once the "
                "deal is won, then approve or staff them.", ", ".join(missing.mapped("name"))))

    def _check_resource_manager(self):
        if not self.env.user.has_group("ps_base.group_ps_resource_manager"):
            raise UserError(self.env._("Only resource managers rank candidates and approve "
                                       "staffing requests."))

    # ------------------------------------------------------------------
    # Public API for other workflows (handoff staffing assumptions, opportunities)
    # ------------------------------------------------------------------
    @api.model
    def _ps_create_from_needs(self, vals_list):
        """Create staffing requests from needs described elsewhere, idempotently.

        ``vals_list``: dicts with ``project_id``, ``role``, ``hours_per_week``,
        ``date_start``, ``date_end``, optional ``skill_ids`` (hr.skill ids) and/or
        ``skill_names`` (names of hr.skill), ``source_model``, ``source_id``, and any
        other field of the request. A need whose (source_model, source_id, role) already
        has a request is not created again. Returns the requests, one per dict, in order.
        """
        keys = [(v.get("source_model"), v.get("source_id"), v.get("role")) for v in vals_list]
        sourced = [key for key in keys if key[0] and key[1]]
        existing = {}
        if sourced:
            found = self.sudo().with_context(active_test=False).search_fetch(
                [("source_model", "in", list({k[0] for k in sourced})),
                 ("source_id", "in", list({k[1] for k in sourced})),
                 ("role", "in", list({k[2] for k in sourced}))],
                ["source_model", "source_id", "role"])
            existing = {(r.source_model, r.source_id, r.role): r.id for r in found}
        names = {name for v in vals_list for name in v.get("skill_names") or ()}
        skills_by_name = {}
        if names:
            for skill in self.env["hr.skill"].sudo().search_fetch(
                    [("name", "in", list(names))], ["name", "skill_type_id"]):
                skills_by_name.setdefault(skill.name, skill)
        unknown = names - skills_by_name.keys()
        if unknown:
            raise ValidationError(self.env._(
                "Unknown skills in the staffing needs: %s. Create them under Employees > "
                "Configuration > Skill Types, or leave them out.", ", ".join(sorted(unknown))))
        to_create, seen, plan = [], {}, []
        for key, vals in zip(keys, vals_list, strict=True):
            sourced_key = key if key[0] and key[1] else None
            if sourced_key in existing:
                plan.append(("existing", existing[sourced_key]))
                continue
            if sourced_key in seen:
                plan.append(("new", seen[sourced_key]))
                continue
            vals = dict(vals)
            skills = self.env["hr.skill"].sudo().browse(vals.pop("skill_ids", None) or [])
            for name in vals.pop("skill_names", None) or ():
                skills |= skills_by_name[name]
            vals["skill_line_ids"] = [Command.create(line)
                                      for line in self._skill_line_vals(skills)]
            if sourced_key:
                seen[sourced_key] = len(to_create)
            plan.append(("new", len(to_create)))
            to_create.append(vals)
        created = self.create(to_create) if to_create else self.browse()
        return self.browse([ref if kind == "existing" else created[ref].id
                            for kind, ref in plan])

    @api.model
    def _skill_line_vals(self, skills):
        """Lines asking for each skill at its type's default level (else its lowest)."""
        lines = []
        for skill in skills:
            levels = skill.skill_type_id.skill_level_ids.sorted("level_progress")
            level = levels.filtered("default_level")[:1] or levels[:1]
            lines.append({"skill_type_id": skill.skill_type_id.id, "skill_id": skill.id,
                          "min_level_id": level.id})
        return lines


class PsStaffingRequestSkill(models.Model):
    _name = "ps.staffing.request.skill"
    _description = "Staffing Request Skill"
    _order = "request_id, id"

    request_id = fields.Many2one("ps.staffing.request", required=True, ondelete="cascade",
                                 index=True)
    company_id = fields.Many2one(related="request_id.company_id", store=True)
    skill_type_id = fields.Many2one("hr.skill.type", required=True)
    skill_id = fields.Many2one("hr.skill", required=True,
                               domain="[('skill_type_id', '=', skill_type_id)]")
    min_level_id = fields.Many2one("hr.skill.level", "Minimum Level", required=True,
                                   domain="[('skill_type_id', '=', skill_type_id)]")
    min_level_progress = fields.Integer(related="min_level_id.level_progress",
                                        string="Minimum Progress (%)")

    _sql_constraints = [
        ("skill_uniq", "unique(request_id, skill_id)",
         "A skill is asked for once per staffing request."),
    ]

    @api.constrains("skill_type_id", "skill_id", "min_level_id")
    def _check_skill_level(self):
        for line in self:
            if line.skill_id.skill_type_id != line.skill_type_id:
                raise ValidationError(self.env._(
                    "The skill %(skill)s is not of type %(type)s: pick a skill of that type.",
                    skill=line.skill_id.name, type=line.skill_type_id.name))
            if line.min_level_id.skill_type_id != line.skill_type_id:
                raise ValidationError(self.env._(
                    "The level %(level)s is out of range for %(type)s: pick one of %(levels)s.",
                    level=line.min_level_id.name, type=line.skill_type_id.name,
                    levels=", ".join(line.skill_type_id.skill_level_ids.mapped("name"))))
