from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .policy import policy_value

AMENDED_LINE_FIELDS = ("product_id", "product_uom_qty", "price_unit", "discount")

# marks the lines created together with their order (not amendments); an object, so that
# no client can pass it in a JSON context
ORDER_CREATE = object()


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
    ps_change_order_ids = fields.One2many("ps.change.order", "order_id", "Change Orders")
    ps_change_order_count = fields.Integer(compute="_compute_ps_change_order_count")

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
        for order in self:
            revenue = order.amount_untaxed
            margin = (revenue - order._ps_cost()) / revenue if revenue else 0.0
            order.ps_policy_margin = margin * 100.0
            low_margin = float_compare(margin, floor, precision_digits=6) < 0
            order.ps_quote_policy_breach = (
                float_compare(order.ps_max_discount, max_discount, precision_digits=4) > 0
                or (low_margin and revenue > 0))

    def _ps_cost(self):
        """Cost of the order's products: per line, the cost written on the line or the
        product's own cost, whichever is higher, so that a cost lowered on a quote does
        not make its margin."""
        self.ensure_one()
        cost = 0.0
        date = self.date_order or fields.Date.context_today(self)
        for line in self.order_line.filtered(lambda l: l.product_id and not l.display_type
                                             and not l.is_downpayment):
            product = line.product_id.sudo()
            unit_cost = product.uom_id._compute_price(product.standard_price, line.product_uom) \
                if line.product_uom else product.standard_price
            unit_cost = product.cost_currency_id._convert(
                unit_cost, self.currency_id, self.company_id, date, round=False) \
                if self.currency_id else unit_cost
            cost += max(unit_cost, line.purchase_price) * line.product_uom_qty
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
        counts = dict(self.env["ps.change.order"]._read_group(
            [("order_id", "in", self.ids)], ["order_id"], ["__count"]))
        for order in self:
            order.ps_change_order_count = counts.get(order, 0)

    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # lines created with their order are not amendments, even on a confirmed order
        return super(SaleOrder, self.with_context(ps_order_create=ORDER_CREATE)) \
            .create(vals_list).with_env(self.env)

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
        """Whether confirmed orders are amended only through change orders: the setting is
        on and a change-order policy is active."""
        # identity check: a client's context (JSON) cannot hold this object
        if self.env.su or self.env.context.get("ps_order_create") is ORDER_CREATE:
            return False
        param = self.env["ir.config_parameter"].sudo().get_param(
            "ps_approvals.lock_confirmed_orders", "True")
        if param in ("False", "0", ""):
            return False
        return bool(self.env["ps.approval.rule"]._rule_ids_for("ps.change.order"))


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._ps_check_amendment(created=True)
        lines.order_id._ps_check_quote_values()
        return lines

    def write(self, vals):
        amended = [f for f in AMENDED_LINE_FIELDS if f in vals]
        before = {}
        if amended and self.env["sale.order"]._ps_amendments_locked():
            before = {line.id: [line[f] for f in amended] for line in self._ps_amendable()}
        result = super().write(vals)
        if before:
            changed = self.browse([
                line_id for line_id, old in before.items()
                if old != [self.browse(line_id)[f] for f in amended]])
            changed._ps_check_amendment()
        if amended:
            self.order_id._ps_check_quote_values()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._ps_check_quote_values()
        return result

    def _ps_amendable(self):
        """Product lines of confirmed orders that a change order would amend; down
        payments, re-invoiced expenses and notes are left to Odoo."""
        return self.filtered(
            lambda l: l.order_id.state == "sale" and not l.display_type
            and not l.is_downpayment and not (l._fields.get("is_expense") and l.is_expense))

    def _ps_check_amendment(self, created=False):
        lines = self._ps_amendable()
        if not lines or not self.env["sale.order"]._ps_amendments_locked():
            return
        order = lines[0].order_id
        raise UserError(self.env._(
            "%(order)s is confirmed: %(what)s goes through a change order, which the delivery "
            "lead and the account owner approve before it applies. Use 'New Change Order' on "
            "the order.", order=order.name,
            what=self.env._("adding a line") if created else self.env._("changing a line")))
