from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestReadiness(BillingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expense_product = cls.env["product.product"].create({
            "name": "Travel (re-invoiced)", "type": "service", "can_be_expensed": True,
            "expense_policy": "cost", "standard_price": 0.0,
            "supplier_taxes_id": [Command.clear()]})

    def _refresh(self, order):
        return self.env["ps.billing.readiness"].with_user(self.finance)._refresh_orders(
            order.with_user(self.finance))

    def _kinds(self, order):
        return set(self._refresh(order).blocker_ids.mapped("kind"))

    def test_clean_order_is_ready(self):
        readiness = self._refresh(self.order)
        self.assertEqual(readiness.state, "ready")
        self.assertFalse(readiness.blocker_ids)
        # one readiness per order, refreshed in place
        self.assertEqual(self._refresh(self.order), readiness)

    def test_unapproved_time_appears_and_clears(self):
        line = self._timesheet(5.0)
        readiness = self._refresh(self.order)
        self.assertEqual(readiness.state, "partial")
        blocker = readiness.blocker_ids
        self.assertEqual(blocker.kind, "unapproved_time")
        self.assertEqual(blocker.user_id, self.pm, "the project manager approves it")
        self.assertIn("5.0 h", blocker.message)
        self.assertEqual(readiness.amount_to_invoice, 500.0)
        # its link opens the time to approve, not the project
        action = blocker.with_user(self.pm).action_open_record()
        self.assertEqual(action["res_model"], "account.analytic.line")
        self.assertEqual(self.env["account.analytic.line"].with_user(self.pm).search(
            action["domain"]), line)
        line.with_user(self.pm).action_ps_approve_timesheets()
        self.assertEqual(self._refresh(self.order).state, "ready")

    def test_milestone_reached_not_invoiced_appears_and_clears(self):
        order = self._order([(self.service_milestone, 1.0)])
        milestone = self.env["project.milestone"].create({
            "name": "Go-live", "project_id": order.order_line.project_id.id,
            "sale_line_id": order.order_line.id, "quantity_percentage": 0.5})
        self.assertNotIn("milestone", self._kinds(order))
        milestone.is_reached = True
        self.assertEqual(self._kinds(order), {"milestone"})
        # standard Odoo invoicing of a milestone order, nothing blocking
        invoice = order.with_user(self.billing)._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.quantity, 0.5)
        self.assertEqual(invoice.amount_untaxed, 500.0)
        self.assertNotIn("milestone", self._kinds(order))

    def test_unapproved_expense_appears_and_clears(self):
        expense = self.env["hr.expense"].create({
            "name": "Train to client", "employee_id": self.employee.id,
            "product_id": self.expense_product.id, "total_amount_currency": 120.0,
            "sale_order_id": self.order.id})
        readiness = self._refresh(self.order)
        blocker = readiness.blocker_ids.filtered(lambda b: b.kind == "expense")
        self.assertEqual(blocker.user_id, self.employee_manager_user)
        self.assertEqual(readiness.state, "partial")
        expense.unlink()
        self.assertNotIn("expense", self._kinds(self.order))

    def test_price_off_pricelist_blocks_and_clears(self):
        order = self._order([(self.fixed, 1.0)], confirm=False)
        order.order_line.price_unit = 400.0  # list price 500: 20% off, tolerance 10%
        readiness = self._refresh(order)
        self.assertEqual(readiness.state, "blocked")
        self.assertEqual(readiness.blocker_ids.kind, "price")
        self.assertEqual(readiness.blocker_ids.res_id, order.order_line.id)
        order.order_line.price_unit = 460.0  # within tolerance
        self.assertEqual(self._refresh(order).state, "ready")
        self.env["ir.config_parameter"].set_param("ps_billing_readiness.price_tolerance", "5")
        self.assertEqual(self._kinds(order), {"price"}, "the tolerance is read from Settings")

    def test_po_and_contract_blockers(self):
        today = fields.Date.today()
        order = self.order
        order.write({"ps_po_number": "PO-77", "ps_po_valid_until": today - timedelta(days=1)})
        self.assertEqual(self._kinds(order), {"po_expired"})
        order.write({"ps_po_valid_until": today + timedelta(days=30), "ps_po_ceiling": 100.0})
        self._timesheet(2.0).with_user(self.pm).action_ps_approve_timesheets()
        self.assertEqual(self._kinds(order), {"po_exhausted"}, "200 delivered over a 100 PO")
        order.ps_po_ceiling = 5000.0
        self.assertFalse(self._kinds(order))
        order.ps_contract_end = today - timedelta(days=1)
        readiness = self._refresh(order)
        self.assertEqual((readiness.state, readiness.blocker_ids.kind),
                         ("blocked", "contract_ended"))
        order.ps_contract_end = today
        self.assertEqual(self._refresh(order).state, "ready")

    def test_missing_address_and_payment_terms(self):
        partner = self.env["res.partner"].create({"name": "No Address Ltd"})
        order = self._order([(self.fixed, 1.0)], confirm=False, partner_id=partner.id)
        order.payment_term_id = False
        readiness = self._refresh(order)
        self.assertEqual(set(readiness.blocker_ids.mapped("kind")),
                         {"invoice_address", "payment_terms"})
        self.assertEqual(readiness.state, "partial", "warnings: invoicing stays possible")
        partner.write({"street": "2 Side St", "city": "Ghent",
                       "country_id": self.env.ref("base.be").id})
        order.payment_term_id = self.payment_term
        self.assertEqual(self._refresh(order).state, "ready")

    def test_invoicing_a_blocked_order_stops_with_the_blockers(self):
        self._timesheet(3.0).with_user(self.pm).action_ps_approve_timesheets()
        self.order.write({"ps_po_number": "PO-9",
                          "ps_po_valid_until": fields.Date.today() - timedelta(days=3)})
        wizard = self.env["sale.advance.payment.inv"].with_user(self.billing).with_context(
            active_model="sale.order", active_ids=self.order.ids).create(
            {"advance_payment_method": "delivered"})
        with self.assertRaisesRegex(UserError, "PO-9 expired") as caught:
            wizard.create_invoices()
        self.assertIn("Get a renewed PO", str(caught.exception))
        self.assertFalse(self.order.invoice_ids)
        # a billing clerk cannot override, a controller can, with a reason, audited
        with self.assertRaises(AccessError):
            self.order.with_user(self.billing)._ps_invoice_with_override("urgent")
        override = self.env["ps.billing.override.wizard"].with_user(self.finance).create({
            "order_ids": [Command.set(self.order.ids)], "reason": ""})
        with self.assertRaises(UserError):
            override.action_confirm()
        override.reason = "Renewal PO confirmed by e-mail"
        override.action_confirm()
        invoice = self.order.invoice_ids
        self.assertEqual(invoice.amount_untaxed, 300.0)
        log = self.env["ps.audit.log"].sudo().search([
            ("res_model", "=", "sale.order"), ("res_id", "=", self.order.id),
            ("field_name", "=", "ps_billing_override")])
        self.assertEqual(log.new_value, "Renewal PO confirmed by e-mail")
        self.assertEqual(log.user_id, self.finance)
        self.assertIn("PO-9", log.old_value)
        # the override was for that invoicing only
        self._timesheet(1.0).with_user(self.pm).action_ps_approve_timesheets()
        with self.assertRaises(UserError):
            self.order.with_user(self.billing)._create_invoices()
        # switched off in Settings: readiness is shown, not enforced
        self.env["res.config.settings"].create({"ps_readiness_advisory_only": True}) \
            .execute()
        self.assertEqual(self.order.with_user(self.billing)._create_invoices().amount_untaxed,
                         100.0)

    def test_readiness_is_read_only_for_users(self):
        readiness = self._refresh(self.order)
        with self.assertRaises(UserError):
            readiness.with_user(self.finance).write({"state": "blocked"})
        with self.assertRaises(AccessError):
            readiness.with_user(self.consultant).read(["state"])
        self.assertTrue(readiness.with_user(self.pm).read(["state"]))

    def test_ready_to_invoice_batch(self):
        blocked = self._order([(self.fixed, 1.0)], ps_contract_end=fields.Date.today()
                              - timedelta(days=1))
        ready = self._order([(self.fixed, 2.0)])
        readiness = self.env["ps.billing.readiness"]._refresh_orders(blocked | ready)
        readiness.with_user(self.finance).action_create_invoices()
        self.assertEqual(ready.invoice_ids.amount_untaxed, 1000.0)
        self.assertFalse(blocked.invoice_ids)

    def test_cron_refresh_is_idempotent(self):
        Readiness = self.env["ps.billing.readiness"]
        Readiness._cron_refresh()
        first = Readiness.sudo().search([("order_id", "=", self.order.id)])
        self.assertEqual(len(first), 1)
        Readiness._cron_refresh()
        self.assertEqual(Readiness.sudo().search([("order_id", "=", self.order.id)]), first)


    def _orders(self, count):
        vals = []
        for index in range(count):
            vals.append({
                "partner_id": self.customer.id, "payment_term_id": False,
                "ps_po_number": f"PO-{index}", "ps_po_ceiling": 10.0,
                "ps_contract_end": fields.Date.today() - timedelta(days=1),
                "order_line": [Command.create({"product_id": self.fixed.id,
                                               "product_uom_qty": 1.0, "price_unit": 200.0}),
                               Command.create({"product_id": self.fixed.id,
                                               "product_uom_qty": 2.0})]})
        orders = self.env["sale.order"].create(vals)
        lines = self.env["account.analytic.line"].create([{
            "name": "work", "project_id": self.project.id, "unit_amount": 1.0,
            "employee_id": self.employee.id, "so_line": order.order_line[0].id}
            for order in orders])
        self.assertEqual(set(lines.mapped("order_id")), set(orders))
        return orders

    def test_readiness_query_count_is_flat(self):
        Readiness = self.env["ps.billing.readiness"].with_user(self.finance)
        Readiness._refresh_orders(self._orders(3))  # warm the caches
        small = self._orders(10).with_user(self.finance)
        large = self._orders(30).with_user(self.finance)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Readiness._refresh_orders(small)
        self.env.flush_all()  # as assertQueryCount does
        count_10 = self.env.cr.sql_log_count - before
        self.assertLess(count_10, 60)
        self.env.invalidate_all()
        with self.assertQueryCount(count_10):
            readiness = Readiness._refresh_orders(large)
        self.assertEqual(set(readiness.mapped("state")), {"blocked"})
        self.assertEqual(len(readiness.blocker_ids), 30 * 4)
