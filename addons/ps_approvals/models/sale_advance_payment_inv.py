from odoo import models

from .sale_order import odoo_flow, out_of_flow


class SaleAdvancePaymentInv(models.TransientModel):
    _inherit = "sale.advance.payment.inv"

    def _create_invoices(self, sale_orders):
        # a down payment invoice adds its down payment lines to the confirmed order: Odoo's
        # own flow, not an amendment
        return out_of_flow(
            super(SaleAdvancePaymentInv, odoo_flow(self))._create_invoices(sale_orders))
