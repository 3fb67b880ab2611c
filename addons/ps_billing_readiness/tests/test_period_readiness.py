from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestPeriodReadiness(BillingCommon):
    """Readiness for a chosen period, and approved re-invoiceable expenses that never
    reached their order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.travel = cls.env["product.product"].create({
            "name": "Travel (re-invoiced at cost)", "type": "service", "can_be_expensed": True,
            "expense_policy": "cost", "standard_price": 0.0,
            "supplier_taxes_id": [Command.clear()], "taxes_id": [Command.clear()]})

    def _refresh(self, order, date_from=None, date_to=None):
        return self.env["ps.billing.readiness"].with_user(self.finance)._refresh_orders(
            order.with_user(self.finance), date_from, date_to)

    def _expense(self, amount, day, order=None):
        return self.env["hr.expense"].create({
            "name": "Train to client", "employee_id": self.employee.id,
            "product_id": self.travel.id, "total_amount_currency": amount, "date": day,
            "sale_order_id": (order or self.order).id})

    def _approve(self, expenses):
        # other addons' expense policies (ps_approvals) are not this test's subject
        self.env["ps.approval.rule"].search([("model_name", "=", "hr.expense.sheet")]) \
            .active = False
        sheet = self.env["hr.expense.sheet"].create({
            "name": "Trip", "employee_id": self.employee.id,
            "expense_line_ids": [Command.set(expenses.ids)]})
        sheet.action_submit_sheet()
        sheet.action_approve_expense_sheets()
        self.assertEqual(set(expenses.mapped("state")), {"approved"})
        return sheet

    def test_period_counts_the_time_of_the_period_only(self):
        october, november = date(2026, 10, 12), date(2026, 11, 10)
        self._timesheet(3.0, date=october)
        self._timesheet(5.0, date=november)
        readiness = self._refresh(self.order, date(2026, 10, 1), date(2026, 10, 31))
        blocker = readiness.blocker_ids
        self.assertEqual(blocker.kind, "unapproved_time")
        self.assertIn("3.0 h", blocker.message, "October's time only")
        self.assertEqual((readiness.period_start, readiness.period_end),
                         (date(2026, 10, 1), date(2026, 10, 31)))
        readiness = self._refresh(self.order, date(2026, 9, 1), date(2026, 9, 30))
        self.assertEqual(readiness.state, "ready", "nothing logged in September")
        # without a period: everything to date
        readiness = self._refresh(self.order)
        self.assertIn("8.0 h", readiness.blocker_ids.message)
        self.assertFalse(readiness.period_start)
        with self.assertRaisesRegex(UserError, "swap the dates"):
            self._refresh(self.order, date(2026, 10, 31), date(2026, 10, 1))

    def test_period_wizard_defaults_to_last_month(self):
        self._timesheet(2.0, date=date(2026, 10, 20))
        with freeze_time("2026-11-15"):
            wizard = self.env["ps.billing.period.wizard"].with_user(self.pm).with_context(
                active_model="sale.order", active_ids=self.order.ids).create({})
            self.assertEqual((wizard.date_from, wizard.date_to),
                             (date(2026, 10, 1), date(2026, 10, 31)))
            self.assertEqual(wizard.order_ids, self.order)
            action = wizard.action_check()
        readiness = self.env["ps.billing.readiness"].browse(action["domain"][0][2])
        self.assertEqual(readiness.order_id, self.order)
        self.assertEqual(readiness.period_end, date(2026, 10, 31))
        self.assertEqual(readiness.blocker_ids.kind, "unapproved_time")
        # from the readiness list (Action menu): the orders of the selected readiness
        wizard = self.env["ps.billing.period.wizard"].with_user(self.finance).with_context(
            active_model="ps.billing.readiness", active_ids=readiness.ids).create({})
        self.assertEqual(wizard.order_ids, self.order)
        with self.assertRaises(UserError):
            self.env["ps.billing.period.wizard"].with_user(self.pm).create(
                {"date_from": date(2026, 10, 31), "date_to": date(2026, 10, 1)})
        # consultants check no billing period
        with self.assertRaises(AccessError):
            self.env["ps.billing.period.wizard"].with_user(self.consultant).create({})

    def test_period_milestones_and_expenses(self):
        order = self._order([(self.service_milestone, 1.0)])
        milestone = self.env["project.milestone"].create({
            "name": "Go-live", "project_id": order.order_line.project_id.id,
            "sale_line_id": order.order_line.id, "quantity_percentage": 0.5})
        with freeze_time("2026-11-10"):
            milestone.is_reached = True
        self._expense(80.0, date(2026, 11, 3), order=order)
        october = (date(2026, 10, 1), date(2026, 10, 31))
        self.assertFalse(self._refresh(order, *october).blocker_ids,
                         "reached and spent in November")
        november = (date(2026, 11, 1), date(2026, 11, 30))
        self.assertEqual(set(self._refresh(order, *november).blocker_ids.mapped("kind")),
                         {"milestone", "expense"})

    def test_approved_expense_not_reinvoiced_is_a_blocker(self):
        expense = self._expense(120.0, fields.Date.today())
        readiness = self._refresh(self.order)
        self.assertEqual(readiness.blocker_ids.kind, "expense", "not approved yet")
        sheet = self._approve(expense)
        readiness = self._refresh(self.order)
        blocker = readiness.blocker_ids
        self.assertEqual(blocker.kind, "expense_unmatched")
        self.assertIn("120.0", blocker.message)
        self.assertIn("post the journal entry", blocker.todo)
        self.assertEqual(blocker.user_id, self.billing, "the account owner follows up")
        self.assertEqual(readiness.state, "partial", "a warning: invoicing stays possible")
        # posted: Odoo re-invoices it on the order, the blocker clears
        sheet.action_sheet_move_post()
        expense_line = self.order.order_line.filtered("is_expense")
        self.assertEqual(expense_line.product_id, self.travel)
        self.assertNotIn("expense_unmatched",
                         self._refresh(self.order).blocker_ids.mapped("kind"))
        # the expense moved to another order after it was re-invoiced: that order never
        # received it
        other = self._order([(self.fixed, 1.0)])
        expense.sudo().sale_order_id = other
        blocker = self._refresh(other).blocker_ids
        self.assertEqual(blocker.kind, "expense_unmatched")
        self.assertIn("by hand", blocker.todo)

    def _orders(self, count):
        orders = self.env["sale.order"].create([{
            "partner_id": self.customer.id, "payment_term_id": False,
            "ps_po_number": f"PO-{index}", "ps_po_ceiling": 10.0,
            "ps_contract_end": fields.Date.today() - timedelta(days=1),
            "order_line": [Command.create({"product_id": self.fixed.id,
                                           "product_uom_qty": 1.0, "price_unit": 200.0})]}
            for index in range(count)])
        self.env["account.analytic.line"].create([{
            "name": "work", "project_id": self.project.id, "unit_amount": 1.0,
            "employee_id": self.employee.id, "so_line": order.order_line[0].id,
            "date": date(2026, 10, 5)} for order in orders])
        self.env["hr.expense"].create([{
            "name": "Taxi", "employee_id": self.employee.id, "product_id": self.travel.id,
            "total_amount_currency": 20.0, "date": date(2026, 10, 6),
            "sale_order_id": order.id} for order in orders])
        return orders

    def test_period_readiness_query_count_is_flat(self):
        period = (date(2026, 10, 1), date(2026, 10, 31))
        Readiness = self.env["ps.billing.readiness"].with_user(self.finance)
        Readiness._refresh_orders(self._orders(3), *period)  # warm the caches
        small = self._orders(10).with_user(self.finance)
        large = self._orders(30).with_user(self.finance)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Readiness._refresh_orders(small, *period)
        self.env.flush_all()  # as assertQueryCount does
        count_10 = self.env.cr.sql_log_count - before
        self.assertLess(count_10, 70)
        self.env.invalidate_all()
        with self.assertQueryCount(count_10):
            readiness = Readiness._refresh_orders(large, *period)
        self.assertEqual(set(readiness.mapped("state")), {"blocked"})
        # time, expense, PO exhausted, contract ended, payment terms: five per order
        self.assertEqual(len(readiness.blocker_ids), 30 * 5)
        self.assertEqual(set(readiness.mapped("period_end")), {date(2026, 10, 31)})
