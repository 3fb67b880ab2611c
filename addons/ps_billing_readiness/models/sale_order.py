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

    # methods inbound webhooks may call (ps_governance's ps.webhook.action), with the
    # caller's user: its rights decide
    _ps_inbound_actions = ("_ps_inbound_attach_po", "_ps_inbound_milestone_reached")

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

    # ------------------------------------------------------------------
    # Inbound webhook actions (validated in full before anything is written)
    # ------------------------------------------------------------------
    @api.model
    def _ps_inbound_order(self, params):
        """The order a call names: ``order_id`` (id) or ``order`` (its reference)."""
        if not isinstance(params, dict):
            raise UserError(self.env._("The parameters must be a JSON object."))
        order_id, name = params.get("order_id"), params.get("order")
        if order_id:
            if not isinstance(order_id, int) or isinstance(order_id, bool):
                raise UserError(self.env._("'order_id' must be the order's id (a number)."))
            order = self.browse(order_id).exists()
        elif name:
            if not isinstance(name, str):
                raise UserError(self.env._("'order' must be the order's reference (text)."))
            order = self.search([("name", "=", name)], limit=2)
            if len(order) > 1:
                raise UserError(self.env._("Several orders are named %s: send 'order_id'.",
                                           name))
        else:
            raise UserError(self.env._("Give the order's 'order_id' or its reference as "
                                       "'order'."))
        if not order:
            raise UserError(self.env._("No such sale order (%s).", order_id or name))
        if order.state == "cancel":
            raise UserError(self.env._("Order %s is cancelled.", order.name))
        return order

    def _ps_inbound_audit(self, field_vals, description):
        """Journal what an inbound call changed on the order: audit trail and chatter."""
        self.ensure_one()
        self.env["ps.audit.log"]._log([{
            "event_type": "event", "res_model": self._name, "res_id": self.id,
            "res_name": self.name, "field_name": fname, "old_value": old,
            "new_value": new, "description": description, "company_id": self.company_id.id,
        } for fname, (old, new) in field_vals.items()])
        self.message_post(body=self.env._("%(what)s by %(user)s (inbound webhook).",
                                          what=description, user=self.env.user.name),
                          subtype_xmlid="mail.mt_note")

    @api.model
    def _ps_inbound_attach_po(self, params):
        """Attach the customer's PO to an order. Params: ``order_id`` or ``order``;
        ``po_number`` (text, required); ``valid_until`` (YYYY-MM-DD) and ``ceiling``
        (untaxed amount, a number of 0 or more), both optional. Returns what the order
        holds afterwards."""
        order = self._ps_inbound_order(params)
        po_number = params.get("po_number")
        if not isinstance(po_number, str) or not po_number.strip():
            raise UserError(self.env._("Give the customer's PO number as 'po_number' (text)."))
        if len(po_number.strip()) > 64:
            raise UserError(self.env._("'po_number' is longer than 64 characters."))
        vals = {"ps_po_number": po_number.strip()}
        if params.get("valid_until") not in (None, ""):
            try:
                valid_until = fields.Date.to_date(params["valid_until"])
            except (TypeError, ValueError):
                valid_until = None
            if not valid_until:
                raise UserError(self.env._(
                    "'valid_until' must be a date as YYYY-MM-DD (got %s).",
                    params["valid_until"]))
            vals["ps_po_valid_until"] = valid_until
        if params.get("ceiling") not in (None, ""):
            ceiling = params["ceiling"]
            if isinstance(ceiling, bool) or not isinstance(ceiling, (int, float)) \
                    or ceiling < 0:
                raise UserError(self.env._(
                    "'ceiling' must be a number of 0 or more (the untaxed amount the PO "
                    "allows), got %s.", ceiling))
            vals["ps_po_ceiling"] = float(ceiling)
        changed = {fname: (order[fname] or None, value) for fname, value in vals.items()
                   if order[fname] != value}
        if changed:
            order.write(vals)
            order._ps_inbound_audit(changed, self.env._("Customer PO %s attached", po_number))
        return {"order_id": order.id, "order": order.name, "po_number": order.ps_po_number,
                "valid_until": order.ps_po_valid_until and str(order.ps_po_valid_until),
                "ceiling": order.ps_po_ceiling, "changed": sorted(changed)}

    @api.model
    def _ps_inbound_milestone_reached(self, params):
        """Report a milestone of an order reached (the project milestone its milestone
        line is invoiced on, as billing readiness reads it). Params: ``order_id`` or
        ``order``; ``milestone_id`` or ``milestone`` (its name). Reporting it again
        changes nothing."""
        order = self._ps_inbound_order(params)
        milestone_id, name = params.get("milestone_id"), params.get("milestone")
        domain = [("sale_line_id.order_id", "=", order.id)]
        if milestone_id:
            if not isinstance(milestone_id, int) or isinstance(milestone_id, bool):
                raise UserError(self.env._("'milestone_id' must be the milestone's id (a "
                                           "number)."))
            domain.append(("id", "=", milestone_id))
        elif name and isinstance(name, str):
            domain.append(("name", "=", name))
        else:
            raise UserError(self.env._("Give the milestone's 'milestone_id' or its name as "
                                       "'milestone'."))
        milestone = self.env["project.milestone"].search(domain, limit=2)
        if not milestone:
            raise UserError(self.env._(
                "Order %(order)s has no such milestone (%(milestone)s): name one invoiced "
                "on its milestone lines.", order=order.name, milestone=milestone_id or name))
        if len(milestone) > 1:
            raise UserError(self.env._("Several milestones of %s have that name: send "
                                       "'milestone_id'.", order.name))
        if order.state != "sale":
            raise UserError(self.env._("Order %s is not confirmed: its milestones cannot be "
                                       "reached yet.", order.name))
        already = milestone.is_reached
        if not already:
            milestone.write({"is_reached": True})
            order._ps_inbound_audit(
                {"milestone": (None, milestone.name)},
                self.env._("Milestone %s reached", milestone.name))
        return {"order_id": order.id, "milestone_id": milestone.id,
                "reached_date": str(milestone.reached_date), "already_reached": already}
