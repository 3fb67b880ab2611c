from odoo import fields, models


class PsBillingOverrideWizard(models.TransientModel):
    _name = "ps.billing.override.wizard"
    _description = "Invoice Despite Billing Blockers"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason = fields.Text(required=True, help="Why the blockers do not stop this invoice; "
                                              "journaled in the audit trail")

    def action_confirm(self):
        self.ensure_one()
        invoices = self.order_ids._ps_invoice_with_override(self.reason)
        return self.order_ids.action_view_invoice(invoices=invoices)
