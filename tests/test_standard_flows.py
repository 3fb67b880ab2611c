"""Installing the PS suite must not break the standard Odoo flows it builds on.

These tests only use standard Community models (sale, project, hr_timesheet, hr_expense,
account) and build every record they need: they rely on no demo data. They run under
pytest-odoo against a database where the six PS addons are installed (``make test``).
"""

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestStandardFlows(AccountTestInvoicingCommon):
    """AccountTestInvoicingCommon gives a fresh company with a chart of accounts, taxes and
    journals, so invoices and expense entries can be posted without demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        user_vals = {"company_id": company.id, "company_ids": [Command.set(company.ids)]}
        cls.customer = cls.env["res.partner"].create(
            {"name": "PS Flows Customer", "email": "customer@example.com"}
        )
        cls.consulting = cls.env["product.product"].create(
            {
                "name": "Consulting day",
                "type": "service",
                "invoice_policy": "order",
                "service_tracking": "no",
                "list_price": 1000.0,
                "taxes_id": [Command.set(cls.tax_sale_a.ids)],
                "property_account_income_id": cls.company_data["default_account_revenue"].id,
            }
        )
        cls.travel = cls.env["product.product"].create(
            {
                "name": "Travel",
                "type": "service",
                "can_be_expensed": True,
                "standard_price": 0.0,
                "supplier_taxes_id": [Command.clear()],
                "property_account_expense_id": cls.company_data["default_account_expense"].id,
            }
        )
        cls.salesman = new_test_user(
            cls.env, login="ps_flows_salesman",
            groups="sales_team.group_sale_salesman", **user_vals,
        )
        cls.billing_user = new_test_user(
            cls.env, login="ps_flows_billing",
            groups="account.group_account_invoice", **user_vals,
        )
        cls.timesheet_user = new_test_user(
            cls.env, login="ps_flows_timesheet",
            groups="hr_timesheet.group_hr_timesheet_user", **user_vals,
        )
        cls.expense_user = new_test_user(
            cls.env, login="ps_flows_expense_user", groups="base.group_user", **user_vals,
        )
        cls.expense_manager = new_test_user(
            cls.env, login="ps_flows_expense_manager",
            groups="base.group_user,hr_expense.group_hr_expense_manager", **user_vals,
        )
        cls.timesheet_employee, cls.expense_employee = cls.env["hr.employee"].create(
            [
                {
                    "name": "PS Flows Consultant",
                    "user_id": cls.timesheet_user.id,
                    "company_id": company.id,
                },
                {
                    "name": "PS Flows Traveller",
                    "user_id": cls.expense_user.id,
                    "company_id": company.id,
                },
            ]
        )

    def test_discounted_service_quotation_confirms_and_invoices(self):
        """A 5% discount on a service line needs no extra step: confirm, invoice, post."""
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.consulting.id,
                                "product_uom_qty": 3.0,
                                "price_unit": 1000.0,
                                "discount": 5.0,
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(order.state, "draft")
        self.assertAlmostEqual(order.amount_untaxed, 2850.0)

        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.invoice_status, "to invoice")

        invoice = order.with_user(self.billing_user)._create_invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertEqual(invoice.invoice_line_ids.discount, 5.0)
        self.assertAlmostEqual(invoice.amount_untaxed, 2850.0)

        invoice.with_user(self.billing_user).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertNotEqual(invoice.name, "/")
        self.assertEqual(order.invoice_status, "invoiced")
        self.assertEqual(order.order_line.qty_invoiced, 3.0)

    def test_employee_logs_timesheet_on_task(self):
        """An employee with the timesheet user group logs hours on a project task."""
        project = self.env["project.project"].create(
            {"name": "PS Flows Project", "allow_timesheets": True, "partner_id": self.customer.id}
        )
        task = self.env["project.task"].create(
            {"name": "Discovery workshop", "project_id": project.id}
        )
        self.assertTrue(project.account_id, "a timesheetable project gets an analytic account")

        line = (
            self.env["account.analytic.line"]
            .with_user(self.timesheet_user)
            .create(
                {
                    "name": "Workshop preparation",
                    "project_id": project.id,
                    "task_id": task.id,
                    "unit_amount": 2.5,
                    "date": fields.Date.today(),
                }
            )
        )
        self.assertEqual(line.unit_amount, 2.5)
        self.assertEqual(line.employee_id, self.timesheet_employee)
        self.assertEqual(line.user_id, self.timesheet_user)
        self.assertEqual(line.account_id, project.account_id)
        self.assertAlmostEqual(task.effective_hours, 2.5)
        self.assertEqual(project.timesheet_ids, line)

    def test_employee_expense_submitted_and_approved(self):
        """An employee submits an expense report; an expense manager approves it."""
        sheet = (
            self.env["hr.expense.sheet"]
            .with_user(self.expense_user)
            .create(
                {
                    "name": "Client visit",
                    "employee_id": self.expense_employee.id,
                    "expense_line_ids": [
                        Command.create(
                            {
                                "name": "Train ticket",
                                "employee_id": self.expense_employee.id,
                                "product_id": self.travel.id,
                                "total_amount_currency": 120.0,
                                "tax_ids": [Command.clear()],
                                "payment_mode": "own_account",
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(sheet.state, "draft")
        self.assertAlmostEqual(sheet.total_amount, 120.0)

        sheet.with_user(self.expense_user).action_submit_sheet()
        self.assertEqual(sheet.state, "submit")
        self.assertEqual(sheet.expense_line_ids.state, "submitted")

        sheet.with_user(self.expense_manager).action_approve_expense_sheets()
        self.assertEqual(sheet.state, "approve")
        self.assertEqual(sheet.expense_line_ids.state, "approved")
        self.assertEqual(sheet.user_id, self.expense_manager)
        self.assertTrue(sheet.approval_date)
        # The employee may not read journal entries; check them as the accountant.
        move = sheet.with_env(self.env).account_move_ids
        self.assertEqual(len(move), 1, "approval prepares the expense journal entry")
        self.assertEqual(move.state, "draft")
        self.assertAlmostEqual(move.amount_total, 120.0)

    def test_customer_invoice_posted_directly(self):
        """A customer invoice created in Accounting posts and books the receivable."""
        invoice = (
            self.env["account.move"]
            .with_user(self.billing_user)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.consulting.id,
                                "quantity": 2.0,
                                "price_unit": 750.0,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(invoice.state, "draft")
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertNotEqual(invoice.name, "/")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertAlmostEqual(invoice.amount_total, 1500.0)
        self.assertAlmostEqual(invoice.amount_residual, 1500.0)
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(len(receivable), 1)
        self.assertAlmostEqual(receivable.debit, 1500.0)
