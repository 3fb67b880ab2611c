from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

NEED_STATES = [("provisional", "Provisional"), ("confirmed", "Confirmed"),
               ("released", "Released")]
DEFAULT_PROBABILITY = 70


class PsHandoffTemplateStaffing(models.Model):
    """A role a service line usually needs: what an opportunity of this service line will
    ask of the resource managers once it is likely to be won."""

    _name = "ps.handoff.template.staffing"
    _description = "Handoff Template Staffing Role"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one("ps.handoff.template", required=True, ondelete="cascade",
                                  index=True)
    sequence = fields.Integer(default=10)
    role = fields.Char(required=True, translate=True)
    hours_per_week = fields.Float(required=True, default=20.0)
    weeks = fields.Integer(required=True, default=12)
    skills = fields.Char(help="Skills the role needs, e.g. 'Odoo accounting, French'")

    @api.constrains("hours_per_week", "weeks")
    def _check_load(self):
        for line in self:
            if not 0 < line.hours_per_week <= 60:
                raise ValidationError(self.env._(
                    "Role '%(role)s' of '%(template)s': hours per week must be between 0 "
                    "and 60, not %(hours)s.", role=line.role, template=line.template_id.name,
                    hours=line.hours_per_week))
            if line.weeks < 1:
                raise ValidationError(self.env._(
                    "Role '%(role)s' of '%(template)s' lasts at least one week.",
                    role=line.role, template=line.template_id.name))


class PsCapacityNeed(models.Model):
    """Demand before the deal is won: one row per role of the service line of an
    opportunity past the probability of Settings, so that resource managers see it weeks
    before a project exists. Kept by the opportunity (``crm.lead._ps_sync_capacity_needs``,
    run by an automation rule), confirmed when its order is confirmed, released when the
    opportunity is lost or falls back."""

    _name = "ps.capacity.need"
    _description = "Provisional Capacity Need"
    _order = "date_from, id"
    _rec_name = "role"

    lead_id = fields.Many2one("crm.lead", "Opportunity", required=True, readonly=True,
                              ondelete="cascade", index=True)
    template_line_id = fields.Many2one("ps.handoff.template.staffing", "Template Role",
                                       readonly=True, ondelete="set null")
    template_id = fields.Many2one(related="template_line_id.template_id", store=True,
                                  string="Service Line")
    role = fields.Char(required=True, readonly=True)
    skills = fields.Char(readonly=True)
    hours_per_week = fields.Float(readonly=True)
    hours = fields.Float("Hours", readonly=True, aggregator="sum")
    weighted_hours = fields.Float(
        "Weighted Hours", compute="_compute_weighted_hours", store=True, aggregator="sum",
        help="Hours times the opportunity's probability")
    date_from = fields.Date("From", readonly=True)
    date_to = fields.Date("To", readonly=True)
    state = fields.Selection(NEED_STATES, default="provisional", required=True,
                             readonly=True, index=True)
    probability = fields.Float(related="lead_id.probability", store=True)
    partner_id = fields.Many2one(related="lead_id.partner_id", store=True, string="Customer")
    user_id = fields.Many2one(related="lead_id.user_id", store=True, string="Salesperson")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    handoff_id = fields.Many2one("ps.handoff", readonly=True, ondelete="set null",
                                 index="btree_not_null")

    _sql_constraints = [
        ("lead_role_unique", "UNIQUE(lead_id, template_line_id)",
         "An opportunity needs each role of its service line once."),
    ]

    @api.depends("hours", "probability")
    def _compute_weighted_hours(self):
        for need in self:
            need.weighted_hours = need.hours * need.probability / 100.0

    @api.model
    def _probability_threshold(self):
        value = self.env["ir.config_parameter"].sudo().get_param(
            "ps_handoff.capacity_probability", DEFAULT_PROBABILITY)
        try:
            return min(max(float(value), 1.0), 100.0)
        except (TypeError, ValueError):
            return DEFAULT_PROBABILITY

    @api.model
    def _vals_for(self, lead, line):
        start = max(lead.date_deadline or fields.Date.context_today(self),
                    fields.Date.context_today(self)) + timedelta(days=14)
        return {
            "lead_id": lead.id, "template_line_id": line.id, "role": line.role,
            "skills": line.skills, "hours_per_week": line.hours_per_week,
            "hours": line.hours_per_week * line.weeks, "date_from": start,
            "date_to": start + timedelta(weeks=line.weeks, days=-1),
            "company_id": (lead.company_id or self.env.company).id, "state": "provisional",
        }
