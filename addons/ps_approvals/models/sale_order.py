from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, format_amount

from .policy import policy_value

# fields of a quote line the quote policies watch
AMENDED_LINE_FIELDS = ("product_id", "product_uom_qty", "product_uom", "price_unit", "discount")
# fields of an order line whose change changes what the customer pays for
AMOUNT_FIELDS = ("product_id", "product_uom_qty", "product_uom", "price_unit",
                 "technical_price_unit", "discount", "tax_id", "order_id")
# kinds of line that only Odoo's own flows add to a confirmed order
FLOW_FLAGS = ("is_downpayment", "is_expense")

# marks Odoo's own flows on confirmed orders (re-invoicing, down payments, invoices posted,
# reset or reversed): they are not amendments. An object, so that no client can pass it in a
# JSON context.
ODOO_FLOW = object()


def odoo_flow(records):
    """``records`` running one of Odoo's own flows on confirmed orders (see ODOO_FLOW)."""
    return records.with_context(ps_odoo_flow=ODOO_FLOW)


def out_of_flow(records):
    """``records`` as the flow returns them, without its mark (their other context kept)."""
    context = dict(records.env.context)
    context.pop("ps_odoo_flow", None)
    return records.with_env(records.env(context=context))


class _OrderCreation:
    """The changes of order lines made while ``sale.order.create`` runs: checked once the
    new orders are known, as amendments of the other orders only. An object, so that no
    client can pass it in a JSON context."""

    def __init__(self):
        self.pending = []

    def defer(self, lines, before):
        self.pending.append((lines, before))

    def check(self, orders):
        env = orders.with_context(ps_order_create=None).env
        for lines, before in self.pending:
            lines.with_env(env)._ps_check_direct_change(before, exempt=orders)


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "ps.approval.mixin"]
    _ps_state_field = "state"
    _ps_gated_actions = {"action_confirm": "sale"}
    _ps_requester_field = "user_id"

    ps_max_discount = fields.Float(
        "Highest Discount (%)", compute="_compute_ps_max_discount", store=True,
        digits="Discount", help="Largest discount of the order's lines")
    ps_amount_untaxed_company = fields.Monetary(
        "Untaxed Amount (Company Currency)", compute="_compute_ps_amount_untaxed_company",
        store=True, currency_field="ps_company_currency_id")
    ps_company_currency_id = fields.Many2one(related="company_id.currency_id",
                                             string="Company Currency")
    ps_policy_margin = fields.Float(
        "Margin on Cost (%)", compute="_compute_ps_quote_policy_breach", digits=(16, 2),
        help="Margin of the quote against the cost of its products: the cost on the line or "
             "the product's cost, whichever is higher")
    ps_quote_policy_breach = fields.Boolean(
        "Outside Discount or Margin Policy", compute="_compute_ps_quote_policy_breach",
        search="_search_ps_quote_policy_breach",
        help="A line's discount is above the discount threshold of Settings, or the margin "
             "on cost is below the margin floor of Settings")
    ps_change_order_ids = fields.One2many(
        "ps.change.order", "order_id", "Change Orders",
        groups="ps_base.group_ps_user,sales_team.group_sale_salesman")
    ps_change_order_count = fields.Integer(compute="_compute_ps_change_order_count")
    ps_direct_change_amount = fields.Float(
        "Direct Changes", readonly=True, copy=False, digits="Account",
        help="Total of the changes made directly to the confirmed order (company currency, "
             "each change counted as its absolute amount); above the limits of Settings, "
             "changes go through a change order")

    @api.depends("order_line.discount", "order_line.display_type")
    def _compute_ps_max_discount(self):
        for order in self:
            order.ps_max_discount = max(
                order.order_line.filtered(lambda l: not l.display_type).mapped("discount"),
                default=0.0)

    @api.depends("amount_untaxed", "currency_rate")
    def _compute_ps_amount_untaxed_company(self):
        for order in self:
            order.ps_amount_untaxed_company = (order.amount_untaxed / order.currency_rate
                                               if order.currency_rate else order.amount_untaxed)

    @api.depends("ps_max_discount", "amount_untaxed", "order_line.purchase_price",
                 "order_line.product_id", "order_line.product_uom_qty",
                 "order_line.product_uom", "order_line.price_subtotal")
    def _compute_ps_quote_policy_breach(self):
        max_discount = policy_value(self.env, "ps_approvals.quote_discount_threshold")
        floor = policy_value(self.env, "ps_approvals.quote_margin_floor") / 100.0
        unit_costs = {}  # orders of one batch mostly sell the same products
        for order in self:
            revenue = order.amount_untaxed
            margin = (revenue - order._ps_cost(unit_costs)) / revenue if revenue else 0.0
            order.ps_policy_margin = margin * 100.0
            low_margin = float_compare(margin, floor, precision_digits=6) < 0
            order.ps_quote_policy_breach = (
                float_compare(order.ps_max_discount, max_discount, precision_digits=4) > 0
                or (low_margin and revenue > 0))

    def _ps_cost(self, unit_costs=None):
        """Cost of the order's products: per line, the cost written on the line or the
        product's own cost, whichever is higher, so that a cost lowered on a quote does
        not make its margin. ``unit_costs``: a cache shared by the orders of one call."""
        self.ensure_one()
        unit_costs = {} if unit_costs is None else unit_costs
        cost = 0.0
        date = self.date_order or fields.Date.context_today(self)
        for line in self.order_line.filtered(lambda l: l.product_id and not l.display_type
                                             and not l.is_downpayment):
            key = (line.product_id.id, line.product_uom.id, self.currency_id.id,
                   self.company_id.id, fields.Date.to_date(date))
            if key not in unit_costs:
                product = line.product_id.sudo()
                unit_cost = product.uom_id._compute_price(
                    product.standard_price, line.product_uom) \
                    if line.product_uom else product.standard_price
                unit_costs[key] = product.cost_currency_id._convert(
                    unit_cost, self.currency_id, self.company_id, date, round=False) \
                    if self.currency_id else unit_cost
            cost += max(unit_costs[key], line.purchase_price) * line.product_uom_qty
        return cost

    def _search_ps_quote_policy_breach(self, operator, value):
        """For list filters; the policy itself evaluates the computed value."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Outside Discount or Margin Policy' with = "
                                       "True or = False."))
        max_discount = policy_value(self.env, "ps_approvals.quote_discount_threshold")
        floor = policy_value(self.env, "ps_approvals.quote_margin_floor") / 100.0
        domain = ["|", ("ps_max_discount", ">", max_discount),
                  "&", ("amount_untaxed", ">", 0), ("margin_percent", "<", floor)]
        return domain if (operator == "=") == value else ["!", *domain]

    def _compute_ps_change_order_count(self):
        # sudo: a count, shown to whoever reads the order
        counts = dict(self.env["ps.change.order"].sudo()._read_group(
            [("order_id", "in", self.ids)], ["order_id"], ["__count"]))
        for order in self:
            order.ps_change_order_count = counts.get(order, 0)

    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("ps_direct_change_amount") for vals in vals_list):
            self._ps_refuse_direct_change_write()
        # the lines created with their orders are the orders' own content, not amendments;
        # a line of another order changed through this create is an amendment of that
        # order: line changes are checked once the new orders are known
        creation = _OrderCreation()
        orders = super(SaleOrder, self.with_context(ps_order_create=creation)).create(vals_list)
        creation.check(orders)
        return orders.with_env(self.env)

    def write(self, vals):
        if "ps_direct_change_amount" in vals:
            self._ps_refuse_direct_change_write()
        return super().write(vals)

    def action_draft(self):
        result = super().action_draft()
        # back to a quotation: its next confirmation is a new agreement
        self.filtered("ps_direct_change_amount").sudo().write({"ps_direct_change_amount": 0.0})
        return result

    def _ps_refuse_direct_change_write(self):
        if not self.env.su:
            raise UserError(self.env._(
                "'Direct Changes' is the total of the changes made directly to a confirmed "
                "order, kept by the change-order policy: it cannot be written."))

    def _ps_before_gate(self, action):  # pylint: disable=unused-argument
        # a quote Odoo would refuse to confirm is refused, not sent for approval
        for order in self:
            error = order._confirmation_error_message()
            if error:
                raise UserError(error)

    def _ps_action_label(self, action):  # pylint: disable=unused-argument
        return self.env._("Confirmation")

    def action_ps_new_change_order(self):
        self.ensure_one()
        if self.state != "sale":
            raise UserError(self.env._(
                "%s is not confirmed: edit the quotation directly; change orders amend "
                "confirmed orders.", self.name))
        return {
            "type": "ir.actions.act_window", "res_model": "ps.change.order",
            "view_mode": "form", "target": "current",
            "context": {"default_order_id": self.id},
        }

    def action_ps_view_change_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_approvals.ps_change_order_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action

    # ------------------------------------------------------------------
    def _ps_reapproval_scope(self):
        # a confirmed order changes through change orders, not through quote re-approval
        return self.filtered(lambda o: o.state in ("draft", "sent"))

    def _ps_check_quote_values(self):
        """Re-approval of quotes in approval whose watched values changed through their
        lines (the engine sees only writes on the order itself)."""
        quotes = self.filtered(lambda o: o.state in ("draft", "sent"))
        if quotes and not self.env.su and quotes._ps_watched_names():
            quotes._ps_mark_edited()
        quotes = quotes.filtered(lambda o: o.ps_approval_state in ("pending", "approved"))
        if quotes and quotes._ps_watched_names():
            quotes._ps_check_watched_values()

    @api.model
    def _ps_amendments_locked(self):
        """Whether changes of confirmed orders' lines made here are human amendments, held
        by the change-order policy: the setting is on, a change-order policy is active, and
        neither one of Odoo's own flows nor superuser code makes them."""
        # identity check: a client's context (JSON) cannot hold this object
        if self.env.su or self.env.context.get("ps_odoo_flow") is ODOO_FLOW:
            return False
        param = self.env["ir.config_parameter"].sudo().get_param(
            "ps_approvals.lock_confirmed_orders", "True")
        if param in ("False", "0", ""):
            return False
        return bool(self.env["ps.approval.rule"]._rule_ids_for("ps.change.order"))

    def _ps_apply_direct_change(self, delta, changes):
        """A human change of the confirmed order ``self`` (``delta``: its untaxed amount,
        order currency; ``changes``: [(line, amount before, amount after)]): applied
        directly, and audited, while the direct changes of the order stay within the
        amount and the percentage of Settings; refused above, for a change order."""
        self.ensure_one()
        rate = self.currency_rate or 1.0
        change = abs(delta) / rate
        total = self.ps_direct_change_amount + change
        if not float_is_zero(change, precision_digits=2):
            limit = policy_value(self.env, "ps_approvals.direct_change_amount")
            percent = policy_value(self.env, "ps_approvals.direct_change_percent")
            base = abs(self.amount_untaxed - delta) / rate  # the order before the change
            if float_compare(total, min(limit, base * percent / 100.0),
                             precision_digits=2) > 0:
                raise UserError(self.env._(
                    "%(order)s is confirmed: this change (%(change)s) takes the changes made "
                    "directly to it to %(total)s, above what applies without approval "
                    "(%(limit)s and %(percent)s%% of the order). It goes through a change "
                    "order, which the delivery lead and the account owner approve before it "
                    "applies: use 'New Change Order' on the order.", order=self.name,
                    change=format_amount(self.env, change, self.company_id.currency_id),
                    total=format_amount(self.env, total, self.company_id.currency_id),
                    limit=format_amount(self.env, limit, self.company_id.currency_id),
                    percent=f"{percent:g}"))
            # sudo: the policy's own record of the changes, which nobody writes
            self.sudo().write({"ps_direct_change_amount": total})
        self.env["ps.audit.log"]._log([{
            "event_type": "write", "res_model": "sale.order.line", "res_id": line.id,
            "res_name": f"{self.name}: {line.name or ''}"[:256], "field_name": "price_subtotal",
            "old_value": old, "new_value": new, "company_id": self.company_id.id,
            "description": self.env._(
                "Direct change of confirmed order %(order)s: %(change)s; direct changes so "
                "far %(total)s", order=self.name,
                change=format_amount(self.env, new - old, self.currency_id),
                total=format_amount(self.env, total, self.company_id.currency_id)),
        } for line, old, new in changes])


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if self.env["sale.order"]._ps_amendments_locked():
            lines._ps_check_direct_change({})
        lines.order_id._ps_check_quote_values()
        return lines

    def write(self, vals):
        before = None
        if ({*AMOUNT_FIELDS, *FLOW_FLAGS} & vals.keys()
                and self.env["sale.order"]._ps_amendments_locked()):
            before = self._ps_snapshot()
        result = super().write(vals)
        if before is not None:
            self._ps_check_direct_change(before)
        if {*AMENDED_LINE_FIELDS} & vals.keys():
            self.order_id._ps_check_quote_values()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._ps_check_quote_values()
        return result

    # ------------------------------------------------------------------
    def _ps_snapshot(self):
        """What a change of the lines of confirmed orders is measured against:
        {line id: (order, untaxed amount, quantity, delivered quantity, down payment,
        re-invoiced cost)}."""
        return {line.id: (line.order_id, line.price_subtotal, line.product_uom_qty,
                          line.qty_delivered, line.is_downpayment, line.is_expense)
                for line in self if line.order_id.state == "sale"}

    def _ps_check_direct_change(self, before, exempt=()):
        """A human change of lines of confirmed orders (``self`` after it; ``before``:
        their snapshot before it, new lines missing): measured per order, whatever the
        kind of the lines, and applied directly within the limits of Settings, or refused
        for a change order. ``exempt``: new orders, whose lines are their own content."""
        creation = self.env.context.get("ps_order_create")
        if isinstance(creation, _OrderCreation):
            creation.defer(self, before)
            return
        after = self._ps_snapshot()
        deltas, changes = defaultdict(float), defaultdict(list)
        for line in self.browse(sorted(before.keys() | after.keys())):
            old, new = before.get(line.id), after.get(line.id)
            flags_set = (old and new and old[4:] != new[4:]) or (not old and any(new[4:]))
            if flags_set and (new or old)[0] not in exempt:
                raise UserError(self.env._(
                    "%s is confirmed: its down payments and re-invoiced costs are added by "
                    "Odoo's own flows (a down payment invoice, a posted vendor bill or expense "
                    "report), not set on a line by hand.", (new or old)[0].name))
            if old and new and old[0] == new[0]:
                deltas[new[0]] += new[1] - old[1] - self._ps_upsell_allowance(old, new)
                changes[new[0]].append((line, old[1], new[1]))
                continue
            if old:  # the line left the order
                deltas[old[0]] -= old[1]
                changes[old[0]].append((line, old[1], 0.0))
            if new:  # a line added to the order
                deltas[new[0]] += new[1]
                changes[new[0]].append((line, 0.0, new[1]))
        for order, delta in deltas.items():
            if order not in exempt:
                order._ps_apply_direct_change(delta, changes[order])

    @api.model
    def _ps_upsell_allowance(self, old, new):
        """The part of a raised quantity that only catches up with the quantity already
        delivered (the upsell of an overrun service): it records what was done, it is not
        an amendment."""
        old_qty, new_qty, delivered = old[2], new[2], new[3]
        if new_qty <= old_qty or delivered <= old_qty:
            return 0.0
        return (min(new_qty, delivered) - old_qty) * new[1] / new_qty
