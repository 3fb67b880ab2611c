from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .sale_order import odoo_flow, out_of_flow


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "ps.approval.mixin"]
    _ps_state_field = "state"
    _ps_gated_actions = {"action_post": "posted"}

    ps_amount_company = fields.Monetary(
        "Amount (Company Currency)", compute="_compute_ps_amount_company", store=True,
        currency_field="company_currency_id",
        help="Total of the document in company currency, without sign")
    ps_is_write_off = fields.Boolean(
        "Write-off", compute="_compute_ps_is_write_off", search="_search_ps_is_write_off",
        help="A journal entry on an account flagged Write-off Account, other than the own "
             "entry of a payment or of a bank statement line")

    @api.depends("amount_total_signed")
    def _compute_ps_amount_company(self):
        for move in self:
            move.ps_amount_company = abs(move.amount_total_signed)

    @api.depends("move_type", "line_ids.account_id.ps_is_write_off",
                 "origin_payment_id.move_id", "statement_line_id.move_id")
    def _compute_ps_is_write_off(self):
        for move in self:
            # sudo: whose entry it is, whatever the user's rights on payments; a payment
            # named on an entry that is not its own (a user can write the field) counts
            # for nothing
            own = move.sudo()
            move.ps_is_write_off = (
                move.move_type == "entry"
                and any(move.line_ids.account_id.mapped("ps_is_write_off"))
                and own.origin_payment_id.move_id != move
                and own.statement_line_id.move_id != move)

    def _search_ps_is_write_off(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Write-off' with = True or = False."))
        own_entries = SQL(
            "(SELECT move_id FROM account_payment WHERE move_id IS NOT NULL "
            "UNION SELECT move_id FROM account_bank_statement_line WHERE move_id IS NOT NULL)")
        domain = [("move_type", "=", "entry"),
                  ("line_ids.account_id.ps_is_write_off", "=", True),
                  ("id", "not in", own_entries)]
        return domain if (operator == "=") == value else ["!", *domain]

    # ------------------------------------------------------------------
    # Odoo's own flows on confirmed orders: posting an invoice updates the down payment
    # lines of its orders (sale); resetting or reversing an expense entry resets the
    # re-invoiced lines (sale_expense, loaded below this module). Not amendments.
    def action_post(self):
        return super(AccountMove, odoo_flow(self)).action_post()

    def button_draft(self):
        return super(AccountMove, odoo_flow(self)).button_draft()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        return out_of_flow(super(AccountMove, odoo_flow(self))._reverse_moves(
            default_values_list=default_values_list, cancel=cancel))

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


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _sale_create_reinvoice_sale_line(self):
        # re-invoicing costs (expenses, vendor bills, at cost or at sales price) adds lines
        # to confirmed orders: Odoo's own flow, not an amendment
        lines_by_move_line = super(AccountMoveLine, odoo_flow(self)) \
            ._sale_create_reinvoice_sale_line()
        return {key: out_of_flow(line) for key, line in lines_by_move_line.items()}
