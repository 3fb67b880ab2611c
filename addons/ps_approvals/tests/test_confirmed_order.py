from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestConfirmedOrderChanges(PsApprovalsCommon):
    """A confirmed order (3 consulting days at 1,000) under the change-order policy: Odoo's
    own flows change it freely, a person's changes apply directly up to the limits of
    Settings (1,000 and 10% of the order by default), audited, and go through a change
    order above them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._confirmed_order(qty=30.0)  # 30,000: 10% is 3,000, the amount 1,000
        cls.order_line = cls.order.order_line

    def _rpc(self, user, model, method, *args, **kwargs):
        return call_kw(self.env(user=user)[model], method, list(args), kwargs)

    def _audit(self, line):
        self.env.flush_all()
        self.env["ps.audit.log"].sudo()._flush_buffer()
        return self.env["ps.audit.log"].sudo().search(
            [("res_model", "=", "sale.order.line"), ("res_id", "=", line.id)])

    # ------------------------------------------------------------------
    # a person's changes
    # ------------------------------------------------------------------
    def test_small_change_applies_directly_and_is_audited(self):
        self._rpc(self.salesman, "sale.order.line", "write", self.order_line.ids,
                  {"product_uom_qty": 31.0})
        self.assertEqual(self.order_line.product_uom_qty, 31.0)
        self.assertEqual(self.order.ps_direct_change_amount, 1000.0)
        entries = self._audit(self.order_line)
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries.user_id, self.salesman)
        self.assertEqual((float(entries.old_value), float(entries.new_value)), (30000.0, 31000.0))
        self.assertIn("Direct change", entries.description)

    def test_changes_add_up_to_the_limit(self):
        """Small changes one after the other count together: splitting a large change
        does not escape the change order."""
        self.order_line.with_user(self.salesman).product_uom_qty = 30.5
        self.order_line.with_user(self.salesman).product_uom_qty = 30.0
        self.assertEqual(self.order.ps_direct_change_amount, 1000.0)
        with self.assertRefused("New Change Order"):
            self.order_line.with_user(self.salesman).product_uom_qty = 29.5
        self.assertEqual(self.order_line.product_uom_qty, 30.0)

    def test_large_change_goes_through_a_change_order(self):
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order", "write", self.order.ids, {"order_line": [
                Command.update(self.order_line.id, {"product_uom_qty": 33.0})]})
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order", "write", self.order.ids, {"order_line": [
                Command.create({"product_id": self.consulting.id, "product_uom_qty": 2.0})]})
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order.line", "write", self.order_line.ids,
                      {"price_unit": 900.0})
        self.assertEqual(self.order.amount_untaxed, 30000.0)
        self.assertFalse(self.order.ps_direct_change_amount)

    def test_percentage_of_the_order(self):
        """On a small order the percentage is the tighter limit: one more day on a
        3-day order is a third of it."""
        small = self._confirmed_order(qty=3.0)
        with self.assertRefused("10% of the order"):
            small.order_line.with_user(self.salesman).product_uom_qty = 4.0
        self._set_settings(ps_direct_change_percent=50.0)
        small.order_line.with_user(self.salesman).product_uom_qty = 4.0
        self.assertEqual(small.amount_untaxed, 4000.0)

    def test_limits_read_from_settings(self):
        self._set_settings(ps_direct_change_amount=0.0)
        with self.assertRefused("change order"):
            self.order_line.with_user(self.salesman).product_uom_qty = 30.5
        # a change that does not move the amount is not held (the description)
        self.order_line.with_user(self.salesman).name = "Consulting days, phase 2"
        self._set_settings(ps_direct_change_amount=5000.0)
        self.order_line.with_user(self.salesman).product_uom_qty = 32.0
        self.assertEqual(self.order.ps_direct_change_amount, 2000.0)

    def test_setting_off_or_policy_archived_means_no_lock(self):
        self._set_settings(ps_lock_confirmed_orders=False)
        self.order_line.with_user(self.salesman).product_uom_qty = 60.0
        self._set_settings(ps_lock_confirmed_orders=True)
        self.rule_change_order.with_user(self.ps_admin).active = False
        self.order_line.with_user(self.salesman).product_uom_qty = 90.0
        self.assertEqual(self.order_line.product_uom_qty, 90.0)
        self.assertFalse(self.order.ps_direct_change_amount, "nothing is counted either")

    def test_direct_changes_total_is_the_policy_s(self):
        with self.assertRaises(UserError):
            self._rpc(self.salesman, "sale.order", "write", self.order.ids,
                      {"ps_direct_change_amount": -1e9})
        with self.assertRaises(UserError):
            self._rpc(self.salesman, "sale.order", "create", [{
                "partner_id": self.customer.id, "ps_direct_change_amount": -1e9}])
        copy = self.order.with_user(self.salesman).copy()
        self.assertFalse(copy.ps_direct_change_amount)

    def test_back_to_quotation_starts_afresh(self):
        self.order_line.with_user(self.salesman).product_uom_qty = 31.0
        self.order.with_user(self.salesman)._action_cancel()
        self.order.with_user(self.salesman).action_draft()
        self.assertFalse(self.order.ps_direct_change_amount)

    # ------------------------------------------------------------------
    # Odoo's own flows: never held
    # ------------------------------------------------------------------
    def test_down_payment_is_not_an_amendment(self):
        wizard = self.env["sale.advance.payment.inv"].with_user(self.salesman).with_context(
            active_model="sale.order", active_ids=self.order.ids).create(
            {"advance_payment_method": "percentage", "amount": 50.0})
        wizard.create_invoices()
        down_payment = self.order.order_line.filtered(
            lambda l: l.is_downpayment and not l.display_type)
        self.assertTrue(down_payment)
        invoice = down_payment.invoice_lines.move_id
        # posting the invoice updates the down payment line of the order (Odoo's flow)
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(down_payment.price_unit, 15000.0)
        self.assertFalse(self.order.ps_direct_change_amount)

    def test_reinvoiced_costs_are_not_amendments(self):
        """A vendor bill re-invoiced at cost, then at sales price, on the order's project
        adds lines to the confirmed order, whatever their amount."""
        self.project.sudo()._create_analytic_account()
        self.order.sudo().project_id = self.project
        # who posts a bill re-invoiced on an order in plain Odoo: billing and sales rights
        accountant = self.env["res.users"].create({
            "name": "Rita Reinvoice", "login": "ps_appr_reinvoice",
            "email": "rita@example.com",
            "groups_id": [Command.set((self.env.ref("account.group_account_invoice")
                                       | self.env.ref("sales_team.group_sale_salesman_all_leads")
                                       ).ids)],
            "company_id": self.env.company.id,
            "company_ids": [Command.set(self.env.company.ids)]})
        for policy, price in (("cost", 4000.0), ("sales_price", 5000.0)):
            product = self.env["product.product"].create({
                "name": f"Subcontracted audit ({policy})", "type": "service",
                "expense_policy": policy, "invoice_policy": "delivery",
                "list_price": 5000.0, "standard_price": 4000.0,
                "taxes_id": [Command.clear()], "supplier_taxes_id": [Command.clear()]})
            bill = self.env["account.move"].with_user(accountant).create({
                "move_type": "in_invoice", "partner_id": self.customer.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({
                    "product_id": product.id, "quantity": 1.0, "price_unit": price,
                    "tax_ids": [Command.clear()],
                    "analytic_distribution": {str(self.project.account_id.id): 100}})],
            })
            bill.with_user(accountant).action_post()
            reinvoiced = self.order.order_line.filtered(lambda l, p=product: l.product_id == p)
            self.assertTrue(reinvoiced.is_expense, policy)
            self.assertEqual(reinvoiced.price_unit, 5000.0 if policy == "sales_price" else price)
        self.assertFalse(self.order.ps_direct_change_amount)

    def test_delivered_quantities_and_upsell(self):
        """Delivered quantities are Odoo's; raising the ordered quantity of an overrun
        service up to what was delivered (the upsell) records what was done."""
        self.order_line.with_user(self.salesman).qty_delivered = 34.0
        self.order_line.with_user(self.salesman).product_uom_qty = 34.0
        self.assertEqual(self.order_line.product_uom_qty, 34.0)
        self.assertFalse(self.order.ps_direct_change_amount)
        # beyond what was delivered, it is a change like any other
        with self.assertRefused("change order"):
            self.order_line.with_user(self.salesman).product_uom_qty = 40.0

    def test_timesheets_on_the_order_s_task(self):
        """Time logged on a task of the order delivers the order's service line."""
        self.project.sudo().allow_billable = True
        self.consulting.sudo().write({"service_tracking": "task_global_project",
                                      "project_id": self.project.id,
                                      "service_policy": "delivered_timesheet"})
        order = self._confirmed_order(qty=30.0)
        task = order.order_line.task_id
        self.assertTrue(task)
        user = self.env["res.users"].sudo().create({
            "name": "Tim Timesheet", "login": "ps_appr_timesheet", "email": "tim@example.com",
            "groups_id": [Command.set(self.env.ref("hr_timesheet.group_hr_timesheet_user").ids)],
            "company_id": self.env.company.id, "company_ids": [Command.set(self.env.company.ids)]})
        self.env["hr.employee"].sudo().create({"name": "Tim Timesheet", "user_id": user.id,
                                               "company_id": self.env.company.id})
        timesheet = self.env["account.analytic.line"].with_user(user).create({
            "name": "Workshop", "task_id": task.id, "project_id": task.project_id.id,
            "unit_amount": 40.0})
        self.assertEqual(timesheet.so_line, order.order_line)
        self.assertFalse(order.ps_direct_change_amount)

    def test_change_order_applies_whatever_the_amount(self):
        change = self.env["ps.change.order"].with_user(self.sales_ops).create({
            "order_id": self.order.id, "reason": "Phase 2",
            "line_ids": [Command.create({"sale_line_id": self.order_line.id,
                                         "product_uom_qty": 50.0})]})
        change.with_user(self.sales_ops).action_submit()
        self._lines(change, self.pm).with_user(self.pm).action_approve()
        self._lines(change, self.salesman).with_user(self.salesman).action_approve()
        self.assertEqual(self.order_line.product_uom_qty, 50.0)
        self.assertFalse(self.order.ps_direct_change_amount)


@tagged("post_install", "-at_install")
class TestConfirmedOrderDoors(PsApprovalsCommon):
    """Doors found in review, tried over RPC by the least-privileged user who could."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._confirmed_order(qty=30.0)
        cls.order_line = cls.order.order_line

    def _rpc(self, user, model, method, *args, **kwargs):
        return call_kw(self.env(user=user)[model], method, list(args), kwargs)

    def test_other_order_s_line_through_a_new_order(self):
        """A line of a confirmed order changed through the create of another order is an
        amendment of the confirmed order."""
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order", "create", [{
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.consulting.id}),
                               Command.update(self.order_line.id, {"product_uom_qty": 90.0})],
            }])
        self.assertEqual(self.order_line.product_uom_qty, 30.0)
        # moving the line to the new order is removing it from the confirmed one
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order", "create", [{
                "partner_id": self.customer.id,
                "order_line": [Command.link(self.order_line.id)]}])
        self.assertEqual(self.order_line.order_id, self.order)

    def test_other_order_s_line_through_a_write(self):
        other = self._quote(qty=1.0)
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order", "write", other.ids, {
                "order_line": [Command.update(self.order_line.id, {"product_uom_qty": 90.0})]})
        self.assertEqual(self.order_line.product_uom_qty, 30.0)

    def test_new_order_s_own_lines_are_not_amendments(self):
        order = self._rpc(self.salesman, "sale.order", "create", [{
            "partner_id": self.customer.id, "user_id": self.salesman.id, "state": "sale",
            "order_line": [Command.create({"product_id": self.consulting.id,
                                           "product_uom_qty": 50.0})]}])
        order = self.env["sale.order"].browse(order)
        self.assertEqual((order.state, order.amount_untaxed), ("sale", 50000.0))
        self.assertFalse(order.ps_direct_change_amount)

    def test_down_payment_flag_is_no_escape(self):
        """Marking a product line as a down payment (or a re-invoiced cost) would take it
        out of the amendments and change how it is invoiced: refused; and a change of the
        line is measured whatever its kind."""
        for flag in ("is_downpayment", "is_expense"):
            with self.assertRefused("Odoo's own flows"):
                self._rpc(self.salesman, "sale.order.line", "write", self.order_line.ids,
                          {flag: True, "product_uom_qty": 90.0})
            with self.assertRefused("Odoo's own flows"):
                self._rpc(self.salesman, "sale.order.line", "write", self.order_line.ids,
                          {flag: True})
            with self.assertRefused("Odoo's own flows"):
                self._rpc(self.salesman, "sale.order.line", "create", [{
                    "order_id": self.order.id, "product_id": self.consulting.id,
                    "product_uom_qty": 0.0, flag: True}])
        self.assertFalse(self.order_line.is_downpayment)
        # a down payment line made by Odoo's flow is measured like any line when a person
        # changes it
        self.env["sale.advance.payment.inv"].with_user(self.salesman).with_context(
            active_model="sale.order", active_ids=self.order.ids).create(
            {"advance_payment_method": "fixed", "fixed_amount": 100.0}).create_invoices()
        down_payment = self.order.order_line.filtered(
            lambda l: l.is_downpayment and not l.display_type)
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order.line", "write", down_payment.ids,
                      {"product_uom_qty": 500.0, "price_unit": 100.0})

    def test_quote_lines_flagged_before_confirmation(self):
        """A cost line slipped into a quote is a line like any other once confirmed."""
        quote = self._quote(qty=30.0)
        line = self.env["sale.order.line"].browse(self._rpc(
            self.salesman, "sale.order.line", "create", [{
                "order_id": quote.id, "product_id": self.consulting.id,
                "product_uom_qty": 0.0, "is_expense": True}]))
        quote.with_user(self.salesman).action_confirm()
        self.assertEqual(quote.state, "sale")
        with self.assertRefused("change order"):
            self._rpc(self.salesman, "sale.order.line", "write", line.ids,
                      {"product_uom_qty": 50.0})
