from odoo import fields, models
from odoo.exceptions import UserError


class PsApprovalDecisionWizard(models.TransientModel):
    _name = "ps.approval.decision.wizard"
    _description = "Approve or Reject"

    line_ids = fields.Many2many("ps.approval.line", string="Approvals", required=True)
    decision = fields.Selection([("approve", "Approve"), ("reject", "Reject")], required=True,
                                default="reject")
    comment = fields.Text("Reason / Comment")

    def action_confirm(self):
        self.ensure_one()
        lines = self.line_ids.with_env(self.env)
        if self.decision == "reject":
            if not (self.comment or "").strip():
                raise UserError(self.env._("Give the reason for the rejection."))
            lines.action_reject(self.comment)
        else:
            lines.action_approve(self.comment)
        return {"type": "ir.actions.act_window_close"}
