from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "ps.approval.mixin"]
    _ps_state_field = "state"
    _ps_gated_actions = {"action_post": "posted"}

    ps_amount_company = fields.Monetary(
        "Amount (Company Currency)", compute="_compute_ps_amount_company", store=True,
        currency_field="company_currency_id",
        help="Total of the document in company currency, without sign")

    @api.depends("amount_total_signed")
    def _compute_ps_amount_company(self):
        for move in self:
            move.ps_amount_company = abs(move.amount_total_signed)

    def _ps_action_label(self, action):  # pylint: disable=unused-argument
        return self.env._("Posting")

    def _ps_reapproval_scope(self):
        # posting fixes the amounts (and the rate): a posted entry is not re-approved
        return self.filtered(lambda m: m.state == "draft")

    def _ps_raise_if_not_approved(self, scope=None):
        try:
            return super()._ps_raise_if_not_approved(scope=scope)
        except UserError as error:
            if not self.env.context.get("move_reverse_cancel"):
                raise
            raise UserError(self.env._(
                "%s\nA reversal that needs approval cannot be posted at once: reverse "
                "without cancelling (a draft credit note), request its approval, and post it "
                "once approved.", error.args[0])) from error
