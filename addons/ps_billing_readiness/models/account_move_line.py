from odoo import api, models
from odoo.osv import expression
from odoo.tools import float_compare

from .settings import param


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model
    def _timesheet_domain_get_invoiced_lines(self, sale_line_delivery):
        # the time an invoice carries is the time its quantity counted
        domain = super()._timesheet_domain_get_invoiced_lines(sale_line_delivery)
        if param(self.env, "ps_billing_readiness.approved_time_only"):
            domain = expression.AND([domain, [("ps_timesheet_state", "=", "approved")]])
        return domain

    def _ps_adjusted(self):
        """Whether this invoice line was changed by hand against its order line: another
        price or discount, or more than the order line has left to invoice."""
        self.ensure_one()
        sale_line = self.sale_line_ids
        if self.display_type != "product" or len(sale_line) != 1 or sale_line.is_downpayment:
            return False
        digits = self.env["decimal.precision"].precision_get("Product Price")
        if self.currency_id == sale_line.currency_id and (
                float_compare(self.price_unit, sale_line.price_unit, precision_digits=digits)
                or float_compare(self.discount, sale_line.discount, precision_digits=2)):
            return True
        quantity = self.product_uom_id._compute_quantity(self.quantity, sale_line.product_uom) \
            if self.product_uom_id and sale_line.product_uom else self.quantity
        base = sale_line.qty_delivered if sale_line.product_id.invoice_policy == "delivery" \
            else sale_line.product_uom_qty
        # qty_invoiced counts this draft line already
        left = base - (sale_line.qty_invoiced - quantity)
        return float_compare(quantity, left, precision_rounding=sale_line.product_uom.rounding
                             or 0.01) > 0
