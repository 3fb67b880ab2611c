from odoo import api, models
from odoo.osv import expression

from .settings import param


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.depends("analytic_line_ids.ps_timesheet_state")
    def _compute_qty_delivered(self):
        return super()._compute_qty_delivered()

    def _timesheet_compute_delivered_quantity_domain(self):
        domain = super()._timesheet_compute_delivered_quantity_domain()
        if param(self.env, "ps_billing_readiness.approved_time_only"):
            domain = expression.AND([domain, [("ps_timesheet_state", "=", "approved")]])
        return domain
