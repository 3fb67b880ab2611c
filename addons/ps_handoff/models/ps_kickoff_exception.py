from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class PsKickoffException(models.Model):
    """Permission to start a project whose handoff is not complete yet: the delivery lead
    approves it and, above the budget of Settings, finance too (ps_base's engine)."""

    _name = "ps.kickoff.exception"
    _description = "Kickoff Exception"
    _inherit = ["ps.amendment.mixin"]
    _ps_audit_fields = ("state", "handoff_id", "reason")
    _ps_sequence_code = "ps.kickoff.exception"

    handoff_id = fields.Many2one("ps.handoff", required=True, index=True, tracking=True,
                                 domain=[("state", "=", "open")], ondelete="cascade")
    project_id = fields.Many2one(related="handoff_id.project_id", store=True, string="Project")
    company_id = fields.Many2one(related="handoff_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="handoff_id.currency_id")
    budget = fields.Monetary(related="handoff_id.budget", store=True, string="Budget")
    missing_summary = fields.Text(related="handoff_id.missing_summary", string="Missing")
    reason = fields.Text(help="Why the project must start before its handoff is complete, "
                              "and by when the missing items will be there")

    def write(self, vals):
        if "handoff_id" in vals and self.filtered(lambda e: e.state != "draft"):
            raise UserError(self.env._("A submitted kickoff exception keeps its handoff: "
                                       "cancel it and draft a new one."))
        return super().write(vals)

    def _ps_content(self):
        self.ensure_one()
        return {"handoff": self.handoff_id.id, "reason": self.reason}

    def _ps_check_can_submit(self):
        result = super()._ps_check_can_submit()
        if self.handoff_id.state != "open":
            raise UserError(self.env._(
                "%s is not waiting for anything: the project can start without an exception.",
                self.handoff_id.name))
        return result

    def _ps_apply(self):
        self._ps_mark_applied()
        for exception in self:
            exception.project_id.sudo().message_post(
                body=Markup("%s <b>%s</b>: %s") % (
                    self.env._("Kickoff exception approved"), exception.name,
                    exception.reason),
                subtype_xmlid="mail.mt_note")

    @api.model
    def _approved_for(self, handoffs):
        """Handoffs that may start with an approved (applied) kickoff exception, still
        approved for the facts as they are now (a budget raised since the approval may
        need finance too)."""
        applied = self.sudo().search([("handoff_id", "in", handoffs.ids),
                                      ("state", "=", "applied")])
        missing = applied._ps_approval_missing(scope=applied)
        return applied.filtered(lambda e: e.id not in missing).handoff_id
