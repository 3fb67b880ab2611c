from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class PsBillingPeriodWizard(models.TransientModel):
    """Check the readiness of orders for one billing period (last month by default):
    the time, expenses and milestones of that period decide, as finance closes it."""

    _name = "ps.billing.period.wizard"
    _description = "Check Billing Readiness for a Period"

    date_from = fields.Date("From", required=True, default=lambda self: self._default_dates()[0])
    date_to = fields.Date("To", required=True, default=lambda self: self._default_dates()[1])
    order_ids = fields.Many2many(
        "sale.order", string="Orders",
        help="The orders to check; empty: every confirmed order not fully invoiced")

    @api.model
    def _default_dates(self):
        first = fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)
        return first, first + relativedelta(months=1, days=-1)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "order_ids" in fields_list and context.get("active_ids"):
            if context.get("active_model") == "sale.order":
                values["order_ids"] = [fields.Command.set(context["active_ids"])]
            elif context.get("active_model") == "ps.billing.readiness":
                orders = self.env["ps.billing.readiness"].browse(context["active_ids"]).order_id
                values["order_ids"] = [fields.Command.set(orders.ids)]
        return values

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(self.env._(
                    "The period starts (%(start)s) after it ends (%(end)s): swap the dates.",
                    start=wizard.date_from, end=wizard.date_to))

    def action_check(self):
        self.ensure_one()
        orders = self.order_ids or self.env["sale.order"].search(
            [("state", "=", "sale"), ("invoice_status", "!=", "invoiced")])
        if not orders:
            raise UserError(self.env._("No confirmed order left to invoice to check."))
        readiness = self.env["ps.billing.readiness"]._refresh_orders(
            orders, self.date_from, self.date_to)
        return {
            "type": "ir.actions.act_window", "res_model": "ps.billing.readiness",
            "name": self.env._("Readiness %(start)s – %(end)s", start=self.date_from,
                               end=self.date_to),
            "view_mode": "list,kanban,form", "domain": [("id", "in", readiness.ids)],
            "target": "current",
        }
