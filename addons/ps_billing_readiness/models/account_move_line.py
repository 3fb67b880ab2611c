from odoo import api, models
from odoo.osv import expression

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
