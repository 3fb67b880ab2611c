from odoo import api, fields, models
from odoo.tools import float_compare

from .settings import param


class AccountMove(models.Model):
    """Invoice release: a customer invoice above the amount of Settings, with a price or
    quantity changed by hand against its order, or with a margin below the floor waits
    for the project manager, then finance (rule "Invoices: release", data of this addon).

    Declared exactly as ps_approvals declares account.move, so that either addon works
    alone and, together, one Post button runs both addons' rules."""

    _name = "account.move"
    _inherit = ["account.move", "ps.approval.mixin"]
    _ps_state_field = "state"
    _ps_gated_actions = {"action_post": "posted"}
    # the facts of the release policy, whatever the rules name (added to ps_approvals')
    _ps_fact_fields = ("ps_release_amount", "ps_manual_adjustment", "ps_invoice_cost",
                       "ps_invoice_margin", "ps_release_breach")

    ps_release_amount = fields.Monetary(
        "Release Amount", compute="_compute_ps_release_amount", store=True,
        currency_field="company_currency_id",
        help="Total of the invoice in company currency, without sign")
    ps_manual_adjustment = fields.Boolean(
        "Adjusted by Hand", compute="_compute_ps_manual_adjustment", store=True,
        help="A line's price or discount differs from its order line, or it invoices more "
             "than the order line has left to invoice")
    ps_invoice_cost = fields.Monetary(
        "Cost", compute="_compute_ps_invoice_margin", store=True,
        currency_field="company_currency_id",
        help="Cost of the invoiced products (their cost price), company currency")
    ps_invoice_margin = fields.Float(
        "Margin (%)", compute="_compute_ps_invoice_margin", store=True, digits=(16, 2),
        help="Margin of the untaxed amount over the cost of the invoiced products")
    ps_release_breach = fields.Boolean(
        "Needs Release Approval", compute="_compute_ps_release_breach", store=True,
        help="A customer invoice above the release amount of Settings, adjusted by hand, "
             "or with a margin below the floor of Settings")
    ps_release_manager_ids = fields.Many2many(
        "res.users", string="Project Managers", compute="_compute_ps_release_manager_ids",
        help="Managers of the projects the invoice's order lines deliver")

    @api.depends("amount_total_signed")
    def _compute_ps_release_amount(self):
        for move in self:
            move.ps_release_amount = abs(move.amount_total_signed)

    @api.depends("move_type", "currency_id", "invoice_line_ids.price_unit",
                 "invoice_line_ids.discount", "invoice_line_ids.quantity",
                 "invoice_line_ids.product_uom_id", "invoice_line_ids.sale_line_ids.price_unit",
                 "invoice_line_ids.sale_line_ids.discount",
                 "invoice_line_ids.sale_line_ids.qty_invoiced",
                 "invoice_line_ids.sale_line_ids.qty_delivered",
                 "invoice_line_ids.sale_line_ids.product_uom_qty")
    def _compute_ps_manual_adjustment(self):
        for move in self:
            move.ps_manual_adjustment = move.move_type == "out_invoice" and any(
                line._ps_adjusted() for line in move.invoice_line_ids)

    @api.depends("move_type", "amount_untaxed_signed", "invoice_line_ids.product_id",
                 "invoice_line_ids.quantity", "invoice_line_ids.product_uom_id")
    def _compute_ps_invoice_margin(self):
        for move in self:
            cost = 0.0
            if move.move_type == "out_invoice":
                for line in move.invoice_line_ids.filtered(
                        lambda l: l.display_type == "product" and l.product_id):
                    # sudo: the cost price is read whatever the user's rights on products
                    product = line.product_id.sudo()
                    unit = product.uom_id._compute_price(product.standard_price,
                                                         line.product_uom_id) \
                        if line.product_uom_id else product.standard_price
                    cost += unit * line.quantity
            revenue = abs(move.amount_untaxed_signed)
            move.ps_invoice_cost = cost
            move.ps_invoice_margin = (revenue - cost) / revenue * 100.0 if revenue else 0.0

    @api.depends("move_type", "ps_release_amount", "ps_manual_adjustment",
                 "ps_invoice_margin", "ps_invoice_cost",
                 "invoice_line_ids.sale_line_ids.is_downpayment")
    def _compute_ps_release_breach(self):
        limit = param(self.env, "ps_billing_readiness.release_amount")
        floor = param(self.env, "ps_billing_readiness.release_margin_floor")
        for move in self:
            lines = move.invoice_line_ids.filtered(lambda l: l.display_type == "product")
            # a down payment invoice is Odoo's own flow: never held by this policy
            down_payment = bool(lines) and all(
                l.sale_line_ids and all(l.sale_line_ids.mapped("is_downpayment"))
                for l in lines)
            move.ps_release_breach = (
                move.move_type == "out_invoice" and not down_payment and (
                    float_compare(move.ps_release_amount, limit, precision_digits=2) > 0
                    or move.ps_manual_adjustment
                    or (move.ps_invoice_cost > 0
                        and float_compare(move.ps_invoice_margin, floor,
                                          precision_digits=4) < 0)))

    @api.depends("invoice_line_ids.sale_line_ids.project_id.user_id",
                 "invoice_line_ids.sale_line_ids.order_id")
    def _compute_ps_release_manager_ids(self):
        for move in self:
            # sudo: who manages the projects, whatever the user's rights on projects
            sale_lines = move.sudo().invoice_line_ids.sale_line_ids
            move.ps_release_manager_ids = (
                sale_lines.project_id.user_id | sale_lines.order_id.project_ids.user_id
            ).with_env(self.env)

    def _ps_approval_requesters(self):
        # the salesperson of a customer invoice asks for its release: never its approver
        requesters = super()._ps_approval_requesters()
        for move in self.sudo():
            user = move.invoice_user_id
            if move.move_type == "out_invoice" and user and not user.share:
                requesters[move.id] = user.with_env(self.env)
        return requesters

