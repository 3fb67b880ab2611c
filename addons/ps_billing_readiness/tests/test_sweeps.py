from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestSweeps(BillingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sweep = cls.env["ps.billing.sweep"]
        cls.expense_product = cls.env["product.product"].create({
            "name": "Taxi", "type": "service", "can_be_expensed": True,
            "standard_price": 0.0, "supplier_taxes_id": [Command.clear()]})

    def _exceptions(self, kind, res_id=None):
        domain = [("kind", "=", kind)]
        if res_id:
            domain.append(("res_id", "=", res_id))
        return self.env["ps.exception"].sudo().search(domain)

    def _activities(self, employee, user):
        return self.env["mail.activity"].sudo().search([
            ("res_model", "=", "hr.employee"), ("res_id", "=", employee.id),
            ("user_id", "=", user.id),
            ("activity_type_id", "=", self.env.ref(
                "ps_billing_readiness.mail_activity_type_missing_timesheet").id)])

    def test_missing_timesheets_remind_then_escalate(self):
        last_week = date(2026, 11, 9)  # a Monday
        for day in range(5):  # 8 h a day: nothing missing
            self._timesheet(8.0, user=self.consultant_2, employee=self.employee_2,
                            date=last_week + timedelta(days=day))
        self._timesheet(10.0, date=last_week)  # Cora: 10 h of 40
        with freeze_time("2026-11-18 08:00:00"):
            self.Sweep._cron_missing_timesheets()
            self.Sweep._cron_missing_timesheets()  # a rerun creates nothing twice
        exception = self._exceptions("missing_timesheet", self.employee.id)
        self.assertEqual((len(exception), exception.attempts), (1, 2))
        self.assertEqual(exception.owner_id, self.consultant)
        self.assertFalse(self._exceptions("missing_timesheet", self.employee_2.id))
        self.assertEqual(len(self._activities(self.employee, self.consultant)), 1)
        self.assertFalse(self._activities(self.employee, self.employee_manager_user))
        # the week after, still missing: the manager is told and owns it
        with freeze_time("2026-11-25 08:00:00"):
            self.Sweep._cron_missing_timesheets()
            self.Sweep._cron_missing_timesheets()
        second = self._exceptions("missing_timesheet", self.employee.id) - exception
        self.assertEqual((len(second), second.owner_id, second.severity),
                         (1, self.employee_manager_user, "critical"))
        self.assertEqual(len(self._activities(self.employee, self.employee_manager_user)), 1)
        self.assertEqual(len(self._activities(self.employee, self.consultant)), 2)

    def test_stale_wip(self):
        with freeze_time("2026-11-20 08:00:00"):
            old = self._timesheet(4.0, date=date(2026, 10, 1))
            recent = self._timesheet(2.0, date=date(2026, 11, 19))
            (old | recent).with_user(self.pm).action_ps_approve_timesheets()
            self.Sweep._cron_stale_wip()
            self.Sweep._cron_stale_wip()
        exception = self._exceptions("stale_wip", self.order.id)
        self.assertEqual((len(exception), exception.attempts), (1, 2))
        self.assertIn("4.0 h", exception.name)
        self.assertEqual(exception.owner_id, self.billing)

    def test_stale_wip_includes_approved_expenses(self):
        self.env["ps.approval.rule"].search([("model_name", "=", "hr.expense.sheet")]) \
            .active = False
        travel = self.env["product.product"].create({
            "name": "Hotel (re-invoiced)", "type": "service", "can_be_expensed": True,
            "expense_policy": "cost", "standard_price": 0.0,
            "supplier_taxes_id": [Command.clear()], "taxes_id": [Command.clear()]})
        old, recent, unapproved = self.env["hr.expense"].create([{
            "name": name, "employee_id": self.employee.id, "product_id": travel.id,
            "total_amount_currency": amount, "date": day, "sale_order_id": self.order.id,
        } for name, amount, day in (("Hotel", 150.0, date(2026, 10, 1)),
                                    ("Hotel again", 90.0, date(2026, 11, 19)),
                                    ("Dinner", 40.0, date(2026, 9, 1)))])
        sheet = self.env["hr.expense.sheet"].create({
            "name": "Trips", "employee_id": self.employee.id,
            "expense_line_ids": [Command.set((old | recent).ids)]})
        sheet.action_submit_sheet()
        sheet.action_approve_expense_sheets()
        with freeze_time("2026-11-20 08:00:00"):
            self.Sweep._cron_stale_wip()
            self.Sweep._cron_stale_wip()
        exception = self._exceptions("stale_wip", self.order.id)
        self.assertEqual((len(exception), exception.attempts), (1, 2))
        self.assertEqual(exception.key, f"stale_wip_expense:{self.order.id}")
        self.assertIn("1 approved expense(s) (150.0)", exception.name,
                      "the recent one and the unapproved one are not stale")
        self.assertEqual(exception.owner_id, self.billing)
        # re-invoiced on the order but not invoiced: still stale; invoiced: no more
        sheet.action_sheet_move_post()
        self.assertTrue(self.order.order_line.filtered("is_expense"))
        self.assertEqual(len(self.Sweep._stale_expenses(date(2026, 10, 21))), 1)
        self.env["ps.approval.rule"].search([("model_name", "=", "account.move")]) \
            .active = False
        self.order._create_invoices()
        self.assertEqual(self.Sweep._stale_expenses(date(2026, 10, 21)), [])
        self.assertEqual(unapproved.state, "draft")

    def test_uninvoiced_milestones(self):
        order = self._order([(self.service_milestone, 1.0)])
        milestone = self.env["project.milestone"].create({
            "name": "Design signed", "project_id": order.order_line.project_id.id,
            "sale_line_id": order.order_line.id, "quantity_percentage": 0.3})
        self.Sweep._cron_uninvoiced_milestones()
        self.assertFalse(self._exceptions("milestone_uninvoiced", order.id))
        milestone.is_reached = True
        self.Sweep._cron_uninvoiced_milestones()
        self.Sweep._cron_uninvoiced_milestones()
        exception = self._exceptions("milestone_uninvoiced", order.id)
        self.assertEqual((len(exception), exception.attempts), (1, 2))

    def test_expiring_po_and_contract(self):
        with freeze_time("2026-11-20 08:00:00"):
            today = fields.Date.today()
            self.order.write({"ps_po_number": "PO-5", "ps_po_valid_until": today + timedelta(5),
                              "ps_contract_end": today + timedelta(days=60)})
            self.Sweep._cron_expiring_terms()
            self.Sweep._cron_expiring_terms()
        self.assertEqual(len(self._exceptions("po_expiring", self.order.id)), 1)
        self.assertFalse(self._exceptions("contract_expiring", self.order.id), "60 days away")


    def test_retainer_consumption(self):
        retainer = self.env["product.product"].create({
            "name": "Support retainer (20 h)", "type": "service", "invoice_policy": "order",
            "service_type": "timesheet", "service_tracking": "task_in_project",
            "uom_id": self.uom_hour.id, "uom_po_id": self.uom_hour.id, "list_price": 90.0,
            "taxes_id": [Command.clear()]})
        order = self._order([(retainer, 20.0)])
        task = order.order_line.task_id
        self._timesheet(15.0, task=task)
        self.Sweep._cron_retainer_consumption()
        self.assertFalse(self._exceptions("retainer_threshold", order.id), "75% used")
        self._timesheet(2.0, task=task)
        self.Sweep._cron_retainer_consumption()
        self.Sweep._cron_retainer_consumption()
        warning = self._exceptions("retainer_threshold", order.id)
        self.assertEqual((len(warning), warning.attempts, warning.owner_id),
                         (1, 2, self.billing))
        self._timesheet(4.0, task=task)
        self.Sweep._cron_retainer_consumption()
        overage = self._exceptions("retainer_overage", order.id)
        self.assertEqual((len(overage), overage.severity), (1, "critical"))

    def _expense(self, name, amount=42.0, day=None, employee=None):
        product = self.env["product.product"].search([("can_be_expensed", "=", True)], limit=1)
        return self.env["hr.expense"].create({
            "name": name, "employee_id": (employee or self.employee).id,
            "product_id": product.id, "total_amount_currency": amount,
            "date": day or date(2026, 11, 3)})

    def test_duplicate_claims_are_advised_once_and_decided_by_finance(self):
        first, second = self._expense("Taxi airport"), self._expense("taxi airport ")
        self._expense("Hotel", amount=42.0)  # same amount and day, other description
        self._expense("Taxi airport", day=date(2026, 11, 4))  # another day
        self._expense("Taxi airport", employee=self.employee_2)  # another employee
        Advisory = self.env["ps.billing.advisory"]
        with freeze_time("2026-11-20"):
            Advisory._cron_duplicate_expenses()
            Advisory._cron_duplicate_expenses()
        advisory = Advisory.sudo().search([("employee_id", "=", self.employee.id)])
        self.assertEqual(len(advisory), 1)
        self.assertEqual(advisory.expense_ids, first | second)
        self.assertFalse(Advisory.sudo().search([("employee_id", "=", self.employee_2.id)]))
        # a consultant decides nothing, a finance controller does; the decision is audited
        with self.assertRaises(AccessError):
            advisory.with_user(self.consultant).action_dismiss()
        with self.assertRaises(UserError):
            advisory.with_user(self.finance).write({"state": "accepted"})
        advisory.with_user(self.finance).write({"decision_note": "Same ride claimed twice"})
        advisory.with_user(self.finance).action_accept()
        self.assertEqual((advisory.state, advisory.decided_by_id), ("accepted", self.finance))
        log = self.env["ps.audit.log"].sudo().search([
            ("res_model", "=", "ps.billing.advisory"), ("res_id", "=", advisory.id),
            ("field_name", "=", "state")])
        self.assertEqual((log.new_value, log.user_id), ("accepted", self.finance))
        # a decided finding never comes back
        with freeze_time("2026-11-21"):
            Advisory._cron_duplicate_expenses()
        self.assertEqual(Advisory.sudo().search_count([("employee_id", "=", self.employee.id)]),
                         1)
