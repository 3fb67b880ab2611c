from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero


class PsChangeOrder(models.Model):
    """An amendment of a confirmed sale order: new lines, other quantities, prices or
    discounts. It applies to the order only once approved (delivery lead and account
    owner in parallel, under the shipped policy); until then the order is unchanged."""

    _name = "ps.change.order"
    _description = "Change Order"
    _inherit = ["ps.amendment.mixin"]
    _ps_audit_fields = ("state", "order_id", "reason", "amount_delta")
    _ps_sequence_code = "ps.change.order"

    order_id = fields.Many2one(
        "sale.order", "Sale Order", required=True, index=True, tracking=True,
        domain="[('state', '=', 'sale')]", ondelete="cascade")
    partner_id = fields.Many2one(related="order_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="order_id.currency_id", string="Currency")
    account_owner_id = fields.Many2one(related="order_id.user_id", string="Account Owner")
    project_id = fields.Many2one(
        "project.project", compute="_compute_project_id", store=True,
        readonly=False, index="btree_not_null",
        help="The project delivering the order; its project manager is the delivery lead "
             "who approves the change")
    delivery_lead_id = fields.Many2one(related="project_id.user_id", string="Delivery Lead")
    reason = fields.Text(help="Why the scope or price changes, as the client agreed it")
    line_ids = fields.One2many("ps.change.order.line", "change_id", "Changes", copy=True)
    order_amount_untaxed = fields.Monetary(related="order_id.amount_untaxed",
                                           string="Current Order Amount")
    amount_delta = fields.Monetary("Amount Change", compute="_compute_amounts", store=True,
                                   help="Change of the order's untaxed amount")
    changes_scope = fields.Boolean(
        compute="_compute_amounts", store=True,
        help="Adds lines or changes the quantity of a service")

    @api.depends("order_id")
    def _compute_project_id(self):
        for change in self:
            order = change.order_id.sudo()  # sudo: the project of an order a user may amend
            change.project_id = order.project_id or order.order_line.project_id[:1]

    @api.depends("line_ids.amount_delta", "line_ids.changes_scope")
    def _compute_amounts(self):
        for change in self:
            change.amount_delta = sum(change.line_ids.mapped("amount_delta"))
            change.changes_scope = any(change.line_ids.mapped("changes_scope"))

    # ------------------------------------------------------------------
    @api.constrains("order_id", "line_ids")
    def _check_lines(self):
        for change in self:
            foreign = change.line_ids.sale_line_id.filtered(lambda l, c=change:
                                                            l.order_id != c.order_id)
            if foreign:
                raise ValidationError(self.env._(
                    "%(change)s: the line '%(line)s' belongs to another order than %(order)s.",
                    change=change.name, line=foreign[0].name, order=change.order_id.name))
            updated = change.line_ids.sale_line_id
            if len(updated) != len(change.line_ids.filtered("sale_line_id")):
                raise ValidationError(self.env._(
                    "%s changes the same order line twice: keep one change per line.",
                    change.name))

    @api.constrains("order_id", "project_id")
    def _check_project(self):
        for change in self.filtered("project_id"):
            order = change.order_id.sudo()
            projects = order.project_id | order.order_line.project_id | order.project_ids
            if change.project_id not in projects:
                raise ValidationError(self.env._(
                    "%(change)s: %(project)s does not deliver %(order)s; its project manager "
                    "cannot approve the change as delivery lead.", change=change.name,
                    project=change.project_id.display_name, order=order.name))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_order_access(vals.get("order_id") for vals in vals_list)
        return super().create(vals_list)

    def write(self, vals):
        header = {"order_id", "project_id", "requester_id"} & vals.keys()
        if header and self.filtered(lambda c: c.state != "draft"):
            raise UserError(self.env._(
                "A submitted change order keeps its order, project and requester: cancel it "
                "and draft a new one."))
        if "order_id" in vals:
            self._check_order_access([vals["order_id"]])
        return super().write(vals)

    @api.model
    def _check_order_access(self, order_ids):
        """Drafting a change order opens the order to its requester (record rules): only
        someone who can already see the order may draft one."""
        if self.env.su:
            return
        self.env["sale.order"].browse([oid for oid in order_ids if oid]).check_access("read")

    def _ps_content(self):
        self.ensure_one()
        return {"order": self.order_id.id, "lines": [
            [line.sale_line_id.id, line.product_id.id, line.name, line.product_uom_qty,
             line.price_unit, line.discount] for line in self.line_ids.sorted("id")]}

    def action_open_order(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "sale.order",
                "res_id": self.order_id.id, "view_mode": "form", "target": "current"}

    # ------------------------------------------------------------------
    def _ps_check_can_submit(self):
        result = super()._ps_check_can_submit()
        if not self.line_ids:
            raise UserError(self.env._("%s has no changes: add a new line or change a "
                                       "quantity, price or discount.", self.name))
        if self.order_id.state != "sale":
            raise UserError(self.env._("%(change)s amends %(order)s, which is not a confirmed "
                                       "order.", change=self.name, order=self.order_id.name))
        if self.order_id.locked:
            raise UserError(self.env._("%s is locked: unlock it before amending it.",
                                       self.order_id.name))
        return result

    def _check_lines_editable(self):
        for change in self:
            if change.state != "draft":
                raise UserError(self.env._(
                    "%(change)s is %(state)s: its changes can be edited in draft only.",
                    change=change.name,
                    state=dict(self._fields["state"].selection)[change.state].lower()))

    def _ps_apply(self):
        """Write the changes to the orders, then mark the change orders applied (the
        engine's guard refuses it without the approval)."""
        self._ps_raise_if_not_approved()
        # sudo: the change is approved by the people the policy names; applying it is the
        # document's own effect, whoever gave the last approval
        lines_model = self.env["sale.order.line"].sudo()
        for change in self:
            if change.order_id.locked:
                raise UserError(self.env._("%(order)s is locked: unlock it, then apply "
                                           "%(change)s.", order=change.order_id.name,
                                           change=change.name))
            new_lines = change.line_ids.filtered(lambda l: not l.sale_line_id)
            if new_lines:
                lines_model.create([line._prepare_sale_line_vals() for line in new_lines])
            for line in change.line_ids - new_lines:
                vals = line._prepare_sale_line_update()
                if vals:
                    line.sale_line_id.sudo().write(vals)
            change.order_id.sudo().message_post(
                body=Markup("%s <a href='#' data-oe-model='ps.change.order' data-oe-id='%s'>"
                            "%s</a>: %s") % (self.env._("Change order applied:"), change.id,
                                             change.name, change.reason),
                subtype_xmlid="mail.mt_note")
        self._ps_mark_applied()


class PsChangeOrderLine(models.Model):
    _name = "ps.change.order.line"
    _description = "Change Order Line"
    _order = "change_id, sequence, id"

    change_id = fields.Many2one("ps.change.order", required=True, ondelete="cascade",
                                index=True)
    sequence = fields.Integer(default=10)
    order_id = fields.Many2one(related="change_id.order_id")
    currency_id = fields.Many2one(related="change_id.currency_id")
    sale_line_id = fields.Many2one(
        "sale.order.line", "Order Line", index="btree_not_null",
        domain="[('order_id', '=', order_id), ('display_type', '=', False), "
               "('is_downpayment', '=', False)]",
        help="The line changed; leave empty to add a new line")
    change_type = fields.Selection([("add", "New line"), ("update", "Change")], "Type",
                                   compute="_compute_change_type", store=True,
                                   precompute=True)
    product_id = fields.Many2one(
        "product.product", compute="_compute_product_id", store=True,
        precompute=True, readonly=False, required=True, domain=[("sale_ok", "=", True)])
    name = fields.Text("Description", compute="_compute_from_sale_line", store=True,
                       precompute=True, readonly=False)
    previous_qty = fields.Float("Ordered", compute="_compute_previous", store=True,
                                precompute=True, digits="Product Unit of Measure")
    previous_price_unit = fields.Float("Previous Price", compute="_compute_previous",
                                       store=True, precompute=True, digits="Product Price")
    previous_discount = fields.Float("Previous Discount (%)", compute="_compute_previous",
                                     store=True, precompute=True, digits="Discount")
    product_uom_qty = fields.Float("New Quantity", compute="_compute_from_sale_line",
                                   store=True, precompute=True, readonly=False,
                                   digits="Product Unit of Measure")
    price_unit = fields.Float("Unit Price", compute="_compute_from_sale_line", store=True,
                              precompute=True, readonly=False, digits="Product Price")
    discount = fields.Float("Discount (%)", compute="_compute_from_sale_line", store=True,
                            precompute=True, readonly=False, digits="Discount")
    amount_delta = fields.Monetary("Amount Change", compute="_compute_amount_delta",
                                   store=True)
    changes_scope = fields.Boolean(compute="_compute_amount_delta", store=True)

    _sql_constraints = [
        ("qty_positive", "CHECK(product_uom_qty >= 0)",
         "The new quantity of a change cannot be negative."),
        ("discount_range", "CHECK(discount >= 0 AND discount <= 100)",
         "A discount is between 0 and 100%."),
    ]

    @api.depends("sale_line_id")
    def _compute_change_type(self):
        for line in self:
            line.change_type = "update" if line.sale_line_id else "add"

    @api.depends("sale_line_id")
    def _compute_previous(self):
        # a snapshot of the order line when the change is drafted; it depends on the
        # order line chosen only, so that applying the change does not alter it
        for line in self:
            sale_line = line.sale_line_id
            line.previous_qty = sale_line.product_uom_qty
            line.previous_price_unit = sale_line.price_unit
            line.previous_discount = sale_line.discount

    @api.depends("sale_line_id")
    def _compute_product_id(self):
        for line in self.filtered("sale_line_id"):
            line.product_id = line.sale_line_id.product_id

    @api.depends("sale_line_id", "product_id")
    def _compute_from_sale_line(self):
        for line in self:
            sale_line = line.sale_line_id
            if sale_line:
                line.name = sale_line.name
                line.product_uom_qty = sale_line.product_uom_qty
                line.price_unit = sale_line.price_unit
                line.discount = sale_line.discount
            elif line.product_id:
                line.name = line.product_id.get_product_multiline_description_sale()
                line.product_uom_qty = line.product_uom_qty or 1.0
                line.price_unit = line.product_id.lst_price
                line.discount = 0.0
            else:
                line.name = line.name or False

    @api.depends("product_uom_qty", "price_unit", "discount", "previous_qty",
                 "previous_price_unit", "previous_discount", "sale_line_id",
                 "product_id.type")
    def _compute_amount_delta(self):
        for line in self:
            new = line.product_uom_qty * line.price_unit * (1 - line.discount / 100.0)
            old = line.previous_qty * line.previous_price_unit \
                * (1 - line.previous_discount / 100.0) if line.sale_line_id else 0.0
            line.amount_delta = new - old
            qty_changed = float_compare(line.product_uom_qty, line.previous_qty,
                                        precision_digits=4) != 0
            line.changes_scope = not line.sale_line_id or (
                qty_changed and line.product_id.type == "service")

    @api.constrains("sale_line_id", "change_id")
    def _check_sale_line(self):
        for line in self.filtered("sale_line_id"):
            if line.sale_line_id.order_id != line.change_id.order_id:
                raise ValidationError(self.env._(
                    "%(change)s: the line '%(line)s' belongs to another order than %(order)s.",
                    change=line.change_id.name, line=line.sale_line_id.name,
                    order=line.change_id.order_id.name))
            if line.sale_line_id.display_type or line.sale_line_id.is_downpayment:
                raise ValidationError(self.env._(
                    "%s: notes, sections and down payments are not amended by change orders.",
                    line.change_id.name))

    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.change_id._check_lines_editable()
        return lines

    def write(self, vals):
        self.change_id._check_lines_editable()
        return super().write(vals)

    def unlink(self):
        self.change_id._check_lines_editable()
        return super().unlink()

    def _prepare_sale_line_vals(self):
        self.ensure_one()
        return {"order_id": self.change_id.order_id.id, "product_id": self.product_id.id,
                "name": self.name, "product_uom_qty": self.product_uom_qty,
                "price_unit": self.price_unit, "discount": self.discount}

    def _prepare_sale_line_update(self):
        self.ensure_one()
        sale_line = self.sale_line_id
        vals = {}
        if float_compare(self.product_uom_qty, sale_line.product_uom_qty,
                         precision_digits=4) != 0:
            vals["product_uom_qty"] = self.product_uom_qty
        if not float_is_zero(self.price_unit - sale_line.price_unit, precision_digits=6):
            vals["price_unit"] = self.price_unit
        if not float_is_zero(self.discount - sale_line.discount, precision_digits=4):
            vals["discount"] = self.discount
        return vals
