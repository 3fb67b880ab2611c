from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .settings import param


class BillingOverride:
    """A finance controller's override of the readiness of some orders, for one
    invoicing; an object, so that no client can pass it in a JSON context."""

    def __init__(self, orders, reason):
        self.order_ids = frozenset(orders.ids)
        self.reason = reason


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ps_po_number = fields.Char("Customer PO", copy=False, tracking=True)
    ps_po_valid_until = fields.Date("PO Valid Until", copy=False, tracking=True)
    ps_po_ceiling = fields.Monetary(
        "PO Ceiling", copy=False, tracking=True,
        help="Untaxed amount the customer's PO allows; invoicing beyond it is blocked")
    ps_contract_end = fields.Date("Contract End", copy=False, tracking=True,
                                  help="Invoicing after this date is blocked")
    # groups: Odoo's sales and invoicing users, in no group of the suite, read every
    # field of their orders (the state below is read through it as superuser)
    ps_readiness_ids = fields.One2many(
        "ps.billing.readiness", "order_id", "Billing Readiness",
        groups="ps_base.group_ps_project_manager,ps_base.group_ps_finance")
    ps_readiness_state = fields.Selection(related="ps_readiness_ids.state",
                                          string="Billing Readiness State")

    @api.constrains("ps_po_ceiling")
    def _check_ps_po_ceiling(self):
        if any(order.ps_po_ceiling < 0 for order in self):
            raise UserError(self.env._("The PO ceiling cannot be negative."))

    def action_ps_refresh_readiness(self):
        self.env["ps.billing.readiness"]._refresh_orders(self)
        return True

    def action_ps_view_readiness(self):
        self.ensure_one()
        readiness = self.env["ps.billing.readiness"]._refresh_orders(self)
        return {"type": "ir.actions.act_window", "res_model": "ps.billing.readiness",
                "res_id": readiness.id, "view_mode": "form", "target": "current"}

    def action_ps_override_readiness(self):
        return {
            "type": "ir.actions.act_window", "res_model": "ps.billing.override.wizard",
            "view_mode": "form", "target": "new", "name": self.env._("Invoice Despite Blockers"),
            "context": {"default_order_ids": self.ids},
        }

    def _create_invoices(self, grouped=False, final=False, date=None):
        self._ps_check_billing_readiness()
        return super()._create_invoices(grouped=grouped, final=final, date=date)

    def _ps_check_billing_readiness(self):
        """Invoicing a blocked order stops with its blockers, unless a finance controller
        overrides it for this invoicing. Superuser code (an online payment invoicing its
        order) is Odoo's own flow: not held."""
        if self.env.su or param(self.env, "ps_billing_readiness.readiness_advisory_only"):
            return
        override = self.env.context.get("ps_billing_override")
        exempt = override.order_ids if isinstance(override, BillingOverride) else frozenset()
        readiness = self.env["ps.billing.readiness"]._refresh_orders(
            self.filtered(lambda o: o.id not in exempt))
        blocked = readiness.sudo().filtered(lambda r: r.state == "blocked")
        if not blocked:
            return
        lines = []
        for item in blocked:
            for blocker in item.blocker_ids.filtered(lambda b: b.severity == "blocking"):
                lines.append(self.env._("- %(order)s: %(msg)s → %(todo)s (%(who)s)",
                                        order=item.order_id.name, msg=blocker.message,
                                        todo=blocker.todo, who=blocker.user_id.name or "-"))
        raise UserError(self.env._(
            "These orders cannot be invoiced yet:\n%s\nFix the blockers, or ask a finance "
            "controller to invoice despite them (with a reason).", "\n".join(lines)))

    def _ps_invoice_with_override(self, reason):
        """Invoice despite the blockers, for finance, with the reason journaled."""
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_finance")):
            raise AccessError(self.env._(
                "Only a finance controller may invoice an order despite its blockers."))
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the blockers are overridden."))
        readiness = self.env["ps.billing.readiness"]._refresh_orders(self).sudo()
        blockers = {r.order_id.id: "; ".join(r.blocker_ids.filtered(
            lambda b: b.severity == "blocking").mapped("message")) for r in readiness}
        self.env["ps.audit.log"]._log([{
            "event_type": "event", "res_model": order._name, "res_id": order.id,
            "res_name": order.name, "field_name": "ps_billing_override",
            "old_value": blockers.get(order.id) or None, "new_value": reason,
            "description": self.env._("Invoiced despite billing blockers"),
            "company_id": order.company_id.id,
        } for order in self])
        for order in self:
            order.message_post(body=self.env._(
                "Invoiced despite billing blockers (%(blockers)s) by %(user)s: %(reason)s",
                blockers=blockers.get(order.id) or "-", user=self.env.user.name,
                reason=reason), subtype_xmlid="mail.mt_note")
        self.env["ps.event"]._emit("billing.override", self, payloads={
            order.id: {"reason": reason, "blockers": blockers.get(order.id)} for order in self})
        return self.with_context(
            ps_billing_override=BillingOverride(self, reason))._create_invoices()
