from collections import defaultdict
from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from odoo.addons.ps_base.models.bulk import bulk_insert

from .settings import param

READINESS_STATES = [("blocked", "Blocked"), ("partial", "Partially Ready"), ("ready", "Ready")]
BLOCKER_KINDS = [
    ("unapproved_time", "Unapproved time"),
    ("milestone", "Reached milestone not invoiced"),
    ("expense", "Unapproved reimbursable expense"),
    ("expense_unmatched", "Approved expense not re-invoiced"),
    ("retainer_overage", "Retainer overage not approved"),
    ("price", "Price off the pricelist"),
    ("po_expired", "Customer PO expired"),
    ("po_exhausted", "Customer PO exhausted"),
    ("contract_ended", "Contract ended"),
    ("invoice_address", "Missing invoice address"),
    ("payment_terms", "Missing payment terms"),
]
# the kinds that stop "Create Invoice"; the others are warnings (state: partially ready)
BLOCKING_KINDS = frozenset({"price", "po_expired", "po_exhausted", "contract_ended"})
OPEN_EXPENSE_STATES = ("draft", "reported", "submitted")
# approved expenses: re-invoiced on the order once their journal entry is posted
APPROVED_EXPENSE_STATES = ("approved", "done")
REINVOICED_POLICIES = ("cost", "sales_price")


def unapproved_time_domain(order_ids):
    """Timesheets of the orders that are neither approved nor invoiced: what the
    'unapproved time' blocker counts, and what its link opens."""
    return [("order_id", "in", order_ids), ("project_id", "!=", False),
            ("timesheet_invoice_id", "=", False), ("ps_timesheet_state", "!=", "approved")]


def pricelist_prices(lines):
    """{order line id: unit price the order's pricelist gives its product, in the line's
    unit of measure}: one pricing per pricelist, whatever the number of lines."""
    result = {}
    by_pricelist = defaultdict(lambda: lines.browse())
    for line in lines:
        by_pricelist[line.order_id.pricelist_id] |= line
    for pricelist, plines in by_pricelist.items():
        products = plines.product_id
        if pricelist:
            prices = pricelist._get_products_price(products, 1.0)
        else:
            prices = {product.id: product.lst_price for product in products}
        for line in plines:
            expected = prices.get(line.product_id.id, 0.0)
            if line.product_uom and line.product_uom != line.product_id.uom_id:
                expected = line.product_id.uom_id._compute_price(expected, line.product_uom)
            result[line.id] = expected
    return result


class PsBillingReadiness(models.Model):
    """Whether a confirmed order can be invoiced, and what stands in the way: one record
    per order, refreshed in batches (a constant number of queries for any number of
    orders) by a scheduled action, by its button and before every invoicing."""

    _name = "ps.billing.readiness"
    _description = "Billing Readiness"
    _inherit = ["mail.thread"]
    _order = "state_sequence, checked_at desc, id desc"
    _rec_name = "order_id"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", index=True,
                               readonly=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="order_id.partner_id", store=True, string="Customer")
    user_id = fields.Many2one(related="order_id.user_id", store=True, string="Account Owner")
    currency_id = fields.Many2one(related="order_id.currency_id")
    state = fields.Selection(READINESS_STATES, default="ready", required=True, index=True,
                             readonly=True, tracking=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    blocker_ids = fields.One2many("ps.billing.blocker", "readiness_id", "Blockers",
                                  readonly=True)
    blocker_count = fields.Integer(readonly=True)
    amount_to_invoice = fields.Monetary(
        "To Invoice (untaxed)", readonly=True, currency_field="currency_id",
        help="What the order has delivered and not invoiced yet, when last checked")
    checked_at = fields.Datetime("Checked On", readonly=True)
    summary = fields.Char(readonly=True, help="The blockers in one line")
    period_start = fields.Date(
        "Period From", readonly=True,
        help="First day of the period last checked (empty: everything up to now)")
    period_end = fields.Date(
        "Period To", readonly=True,
        help="Last day of the period last checked (empty: everything up to now)")

    _mail_post_access = "read"

    _sql_constraints = [("order_uniq", "UNIQUE(order_id)", "One readiness per order.")]

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"blocked": 1, "partial": 2, "ready": 3}
        for readiness in self:
            readiness.state_sequence = order.get(readiness.state, 9)

    def write(self, vals):
        # computed by _refresh_orders only (superuser); the chatter's fields aside
        mail_fields = self.env["mail.thread"]._fields.keys() - {"id", "display_name"}
        if not self.env.su and set(vals) - mail_fields:
            raise UserError(self.env._(
                "Billing readiness is computed from the order: refresh it instead."))
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_refresh(self):
        self._refresh_orders(self.order_id)
        return True

    def action_open_order(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "sale.order",
                "res_id": self.order_id.id, "view_mode": "form", "target": "current"}

    def action_create_invoices(self):
        """Ready to invoice: one invoice per order that is not blocked and has something
        to invoice (checked again now)."""
        readiness = self._refresh_orders(self.order_id)
        orders = readiness.filtered(
            lambda r: r.state != "blocked" and r.amount_to_invoice > 0).order_id
        if not orders:
            raise UserError(self.env._(
                "None of these orders can be invoiced now: blocked, or nothing delivered "
                "to invoice."))
        invoices = orders.with_env(self.env)._create_invoices()
        return {
            "type": "ir.actions.act_window", "res_model": "account.move",
            "name": self.env._("Invoices"), "view_mode": "list,form",
            "domain": [("id", "in", invoices.ids)], "target": "current",
        }

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh(self, batch_size=500):
        """Refresh the readiness of open orders, those not checked today first; one
        batch per call (ir.cron calls again while some remain)."""
        today = datetime.combine(fields.Date.context_today(self), time.min)
        domain = [("state", "=", "sale"), ("invoice_status", "!=", "invoiced"), "|",
                  ("ps_readiness_ids", "=", False), ("ps_readiness_ids.checked_at", "<", today)]
        # sudo: the scheduled action checks the open orders of every company
        Order = self.env["sale.order"].sudo()
        orders = Order.search(domain, limit=batch_size, order="id")
        self._refresh_orders(orders)
        self.env["ir.cron"]._notify_progress(done=len(orders),
                                             remaining=Order.search_count(domain))
        return True

    @api.model
    def _refresh_orders(self, orders, date_from=None, date_to=None):
        """Recompute the readiness of ``orders`` from their sources, in a constant number
        of queries. Returns their readiness records.

        With a period (``date_from``/``date_to``), the facts that have a date count only
        inside it: time and expenses of the period, milestones reached by its end; the
        order's terms (price, PO, contract, address) are judged as of today, for the
        invoice that would be made now."""
        if not orders:
            return self.browse()
        if date_from and date_to and date_from > date_to:
            raise UserError(self.env._(
                "The period starts (%(start)s) after it ends (%(end)s): swap the dates.",
                start=date_from, end=date_to))
        # sudo: readiness reads timesheets, expenses and milestones of the whole order,
        # whoever asks (a billing clerk invoicing, the cron); the result is the order's
        orders = orders.sudo().with_context(active_test=False)
        facts = _Facts(orders, date_from, date_to)
        blockers = facts.blockers()
        Readiness = self.sudo()
        existing = Readiness.search_fetch([("order_id", "in", orders.ids)], ["order_id"])
        by_order = {r.order_id.id: r for r in existing}
        missing = [oid for oid in orders.ids if oid not in by_order]
        if missing:
            for readiness in Readiness.create([{"order_id": oid} for oid in missing]):
                by_order[readiness.order_id.id] = readiness
        all_readiness = Readiness.browse([by_order[oid].id for oid in orders.ids])
        all_readiness.blocker_ids.unlink()
        now = fields.Datetime.now()
        blocker_vals, by_vals = [], defaultdict(list)
        for order in orders:
            readiness = by_order[order.id]
            found = blockers.get(order.id, [])
            for vals in found:
                vals.update(readiness_id=readiness.id, order_id=order.id,
                            company_id=order.company_id.id)
            blocker_vals += found
            kinds = {vals["kind"] for vals in found}
            state = "blocked" if kinds & BLOCKING_KINDS else "partial" if kinds else "ready"
            summary = "; ".join(vals["message"] for vals in found)[:250] or False
            key = (state, len(found), facts.to_invoice.get(order.id, 0.0), summary)
            by_vals[key].append(readiness.id)
        # one statement for a thousand blockers (see ps_base's bulk.py): the query count
        # of a refresh does not grow with the number of orders
        bulk_insert(self.env, "ps.billing.blocker", blocker_vals)
        all_readiness.invalidate_recordset(["blocker_ids"])
        for (state, count, amount, summary), ids in by_vals.items():
            Readiness.browse(ids).write({"state": state, "blocker_count": count,
                                         "amount_to_invoice": amount, "summary": summary,
                                         "checked_at": now, "period_start": date_from or False,
                                         "period_end": date_to or False})
        return all_readiness.with_env(self.env)


class _Facts:
    """What the readiness of a batch of orders is made of: one query (or one per
    pricelist) per kind of fact, whatever the number of orders."""

    def __init__(self, orders, date_from=None, date_to=None):
        self.orders = orders
        self.date_from = date_from
        self.date_to = date_to
        self.env = orders.env
        self.today = fields.Date.context_today(orders)
        rows = self.env["sale.order.line"]._read_group(
            [("order_id", "in", orders.ids)], ["order_id"],
            ["untaxed_amount_invoiced:sum", "untaxed_amount_to_invoice:sum"])
        self.invoiced = {order.id: invoiced for order, invoiced, _todo in rows}
        self.to_invoice = {order.id: todo for order, _invoiced, todo in rows}

    def blockers(self):
        result = defaultdict(list)
        for method in (self._time, self._milestones, self._expenses,
                       self._unmatched_expenses, self._retainer_overages, self._prices,
                       self._order_terms):
            for order_id, vals in method():
                result[order_id].append(vals)
        return result

    def _period(self, field):
        """The domain that keeps the facts dated inside the period (none without one)."""
        domain = []
        if self.date_from:
            domain.append((field, ">=", self.date_from))
        if self.date_to:
            domain.append((field, "<=", self.date_to))
        return domain

    def _vals(self, kind, message, todo, user, record=None):
        return {"kind": kind, "severity": "blocking" if kind in BLOCKING_KINDS else "warning",
                "message": message, "todo": todo, "user_id": user.id if user else False,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
                "res_name": record.display_name if record else False}

    def _time(self):
        _ = self.env._
        approved_only = param(self.env, "ps_billing_readiness.approved_time_only")
        rows = self.env["account.analytic.line"]._read_group(
            [*unapproved_time_domain(self.orders.ids), *self._period("date")],
            ["order_id", "project_id"], ["unit_amount:sum"])
        for order, project, hours in rows:
            effect = _("left out of the invoice") if approved_only \
                else _("invoiced without approval")
            yield order.id, self._vals(
                "unapproved_time",
                _("%(hours)s h not approved on %(project)s (%(effect)s)", hours=round(hours, 2),
                  project=project.name, effect=effect),
                _("Approve or reject the time in Timesheet Approval"), project.user_id, project)

    def _milestones(self):
        _ = self.env._
        milestones = self.env["project.milestone"].search_fetch(
            [("sale_line_id.order_id", "in", self.orders.ids), ("is_reached", "=", True),
             ("sale_line_id.qty_to_invoice", ">", 0),
             *([("reached_date", "<=", self.date_to)] if self.date_to else [])],
            ["name", "sale_line_id", "project_id"])
        for milestone in milestones:
            order = milestone.sale_line_id.order_id
            yield order.id, self._vals(
                "milestone", _("Milestone %s is reached and not invoiced", milestone.name),
                _("Invoice the order"), order.user_id, milestone)

    def _expenses(self):
        _ = self.env._
        rows = self.env["hr.expense"]._read_group(
            [("sale_order_id", "in", self.orders.ids), ("state", "in", OPEN_EXPENSE_STATES),
             *self._period("date")],
            ["sale_order_id", "employee_id"], ["total_amount:sum", "__count"])
        for order, employee, amount, count in rows:
            who = employee.parent_id.user_id or employee.user_id
            yield order.id, self._vals(
                "expense",
                _("%(count)s expense(s) of %(employee)s (%(amount)s) to re-invoice are not "
                  "approved", count=count, employee=employee.name, amount=round(amount, 2)),
                _("Submit and approve the expense report"), who, employee)

    def _unmatched_expenses(self):
        """Approved re-invoiceable expenses that have no re-invoiced line on their order:
        Odoo adds that line when the expense report's journal entry is posted (one line
        per expense), so more approved expenses than lines of their product means some
        were never re-invoiced."""
        _ = self.env._
        rows = self.env["hr.expense"]._read_group(
            [("sale_order_id", "in", self.orders.ids),
             ("state", "in", APPROVED_EXPENSE_STATES),
             ("product_id.expense_policy", "in", REINVOICED_POLICIES), *self._period("date")],
            ["sale_order_id", "product_id"],
            ["__count", "total_amount:sum", "sheet_id:array_agg"])
        if not rows:
            return
        sheets = self.env["hr.expense.sheet"].browse(
            {sheet_id for *_group, sheet_ids in rows for sheet_id in sheet_ids if sheet_id})
        sheets.fetch(["state"])
        unposted = set(sheets.filtered(lambda sheet: sheet.state == "approve").ids)
        lines = {(order.id, product.id): count for order, product, count in
                 self.env["sale.order.line"]._read_group(
                     [("order_id", "in", self.orders.ids), ("is_expense", "=", True)],
                     ["order_id", "product_id"], ["__count"])}
        for order, product, count, amount, sheet_ids in rows:
            missing = count - lines.get((order.id, product.id), 0)
            if missing <= 0:
                continue
            if unposted.intersection(sheet_ids):
                todo = _("Finance: post the journal entry of the approved expense report, so "
                         "that Odoo adds the cost to the order (the account owner follows up)")
            else:
                todo = _("Account owner: add the re-invoiced cost to the order by hand (its "
                         "line was removed or went to another order)")
            yield order.id, self._vals(
                "expense_unmatched",
                _("%(count)s approved expense(s) of %(product)s (%(amount)s) are not on the "
                  "order to re-invoice", count=missing, product=product.display_name,
                  amount=round(amount, 2)), todo, order.user_id, order)

    def _retainer_overages(self):
        _ = self.env._
        overages = self.env["ps.billing.retainer.overage"].search_fetch(
            [("order_id", "in", self.orders.ids),
             ("state", "in", ("draft", "submitted", "rejected"))],
            ["order_id", "overage_hours", "state", "user_id"])
        for overage in overages:
            todo = _("Agree a top-up with the customer (a change order), then have the "
                     "overage approved") if overage.state == "rejected" \
                else _("Account manager, then finance: approve the overage")
            yield overage.order_id.id, self._vals(
                "retainer_overage",
                _("%(hours)s h beyond the prepaid hours are not approved",
                  hours=round(overage.overage_hours, 2)), todo, overage.user_id, overage)

    def _prices(self):
        _ = self.env._
        tolerance = param(self.env, "ps_billing_readiness.price_tolerance") / 100.0
        lines = self.env["sale.order.line"].search_fetch(
            [("order_id", "in", self.orders.ids), ("display_type", "=", False),
             ("is_downpayment", "=", False), ("is_expense", "=", False),
             ("product_id", "!=", False)],
            ["order_id", "product_id", "price_unit", "discount", "product_uom", "name"])
        expected_prices = pricelist_prices(lines)
        for line in lines:
            expected = expected_prices.get(line.id)
            if not expected:
                continue
            actual = line.price_unit * (1 - (line.discount or 0.0) / 100.0)
            if float_compare(abs(actual - expected), tolerance * expected,
                             precision_digits=4) > 0:
                order = line.order_id
                yield order.id, self._vals(
                    "price",
                    _("%(product)s is sold at %(actual)s, the pricelist says %(expected)s",
                      product=line.product_id.display_name, actual=round(actual, 2),
                      expected=round(expected, 2)),
                    _("Correct the price through a change order, or have finance "
                      "override"), order.user_id, line)

    def _order_terms(self):
        _ = self.env._
        for order in self.orders:
            owner = order.user_id
            if order.ps_po_valid_until and order.ps_po_valid_until < self.today:
                yield order.id, self._vals(
                    "po_expired", _("Customer PO %(po)s expired on %(date)s",
                                    po=order.ps_po_number or "-", date=order.ps_po_valid_until),
                    _("Get a renewed PO from the customer"), owner, order)
            ceiling = order.ps_po_ceiling
            total = self.invoiced.get(order.id, 0.0) + self.to_invoice.get(order.id, 0.0)
            if ceiling and float_compare(total, ceiling, precision_digits=2) > 0:
                yield order.id, self._vals(
                    "po_exhausted",
                    _("Customer PO %(po)s allows %(ceiling)s, the order reaches %(total)s",
                      po=order.ps_po_number or "-", ceiling=ceiling, total=round(total, 2)),
                    _("Get a PO amendment from the customer"), owner, order)
            if order.ps_contract_end and order.ps_contract_end < self.today:
                yield order.id, self._vals(
                    "contract_ended", _("The contract ended on %s", order.ps_contract_end),
                    _("Renew the contract, or have finance override"), owner, order)
            address = order.partner_invoice_id
            if not address or not (address.street and address.city and address.country_id):
                yield order.id, self._vals(
                    "invoice_address", _("The invoice address is incomplete"),
                    _("Complete street, city and country of the invoice address"), owner,
                    address or order)
            if not order.payment_term_id:
                yield order.id, self._vals(
                    "payment_terms", _("The order has no payment terms"),
                    _("Set the payment terms on the order"), owner, order)


class PsBillingBlocker(models.Model):
    _name = "ps.billing.blocker"
    _description = "Billing Blocker"
    _order = "severity, kind, id"

    readiness_id = fields.Many2one("ps.billing.readiness", required=True, ondelete="cascade",
                                   index=True, readonly=True)
    # the readiness' own, written with it (blockers are inserted in bulk)
    order_id = fields.Many2one("sale.order", readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    kind = fields.Selection(BLOCKER_KINDS, required=True, readonly=True)
    severity = fields.Selection([("blocking", "Blocks invoicing"), ("warning", "Warning")],
                                required=True, readonly=True)
    message = fields.Char("Blocker", required=True, readonly=True)
    todo = fields.Char("What To Do", readonly=True)
    user_id = fields.Many2one("res.users", "Who", readonly=True)
    res_model = fields.Char("Model", readonly=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True)
    res_name = fields.Char("Record", readonly=True)

    def action_open_record(self):
        self.ensure_one()
        if self.kind == "unapproved_time" and self.order_id:
            # the time to approve itself, not its project: the reviewer selects and approves
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "ps_billing_readiness.account_analytic_line_action_approval")
            domain = unapproved_time_domain(self.order_id.ids)
            if self.res_model == "project.project" and self.res_id:
                domain.append(("project_id", "=", self.res_id))
            action.update({
                "name": self.env._("Time to approve: %s", self.order_id.name),
                "domain": domain, "context": {"create": 0, "group_by": ["employee_id"]},
            })
            return action
        if not self.res_model or not self.res_id:
            raise UserError(self.env._("This blocker is not attached to a record."))
        return {"type": "ir.actions.act_window", "res_model": self.res_model,
                "res_id": self.res_id, "view_mode": "form", "target": "current"}
