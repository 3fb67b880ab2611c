from contextlib import contextmanager

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class PsApprovalsCommon(AccountTestInvoicingCommon):
    """Users of each role, products, a customer, a project with its delivery lead and an
    employee with a manager, built once per class. AccountTestInvoicingCommon gives a fresh
    company with a chart of accounts, so that credit notes and expense reports post
    without demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        user_vals = {"company_id": company.id, "company_ids": [Command.set(company.ids)]}

        def user(login, groups, name):
            return new_test_user(cls.env, login=login, groups=groups, name=name,
                                 email=f"{login}@example.com", **user_vals)

        cls.salesman = user("ps_appr_salesman", "sales_team.group_sale_salesman",
                            "Sam Salesman")
        cls.salesman_2 = user("ps_appr_salesman2", "sales_team.group_sale_salesman",
                              "Sue Salesman")
        # sales operations: sees every order of the team and drafts its amendments
        cls.sales_ops = user("ps_appr_sales_ops", "sales_team.group_sale_salesman_all_leads",
                             "Oli Sales Ops")
        cls.sales_manager = user("ps_appr_sales_mgr", "sales_team.group_sale_manager",
                                 "Mia Sales Manager")
        pm_groups = "ps_base.group_ps_project_manager,project.group_project_user"
        cls.pm = user("ps_appr_pm", pm_groups, "Pat Project Manager")
        cls.pm_2 = user("ps_appr_pm2", pm_groups, "Pia Engagement Manager")
        cls.finance = user("ps_appr_finance",
                           "ps_base.group_ps_finance,account.group_account_invoice",
                           "Fay Finance Controller")
        cls.billing = user("ps_appr_billing", "account.group_account_invoice", "Bo Billing")
        cls.employee_user = user("ps_appr_employee", "base.group_user", "Eve Employee")
        cls.manager_user = user("ps_appr_manager",
                                "ps_base.group_ps_user,hr_expense.group_hr_expense_team_approver",
                                "Max Manager")
        cls.hr_officer = user("ps_appr_hr_officer", "hr_expense.group_hr_expense_user",
                              "Hal Expense Officer")
        cls.ps_admin = user("ps_appr_admin",
                            "ps_base.group_ps_manager,base.group_system,"
                            "sales_team.group_sale_manager,account.group_account_manager",
                            "Ada Administrator")

        cls.customer = cls.env["res.partner"].create({"name": "PS Approvals Customer",
                                                      "email": "customer@example.com"})
        cls.consulting = cls.env["product.product"].create({
            "name": "Consulting day (approvals)",
            "type": "service",
            "invoice_policy": "order",
            "service_tracking": "no",
            "list_price": 1000.0,
            "standard_price": 400.0,
            "taxes_id": [Command.clear()],
            "property_account_income_id": cls.company_data["default_account_revenue"].id,
        })
        cls.expense_category = cls.env["product.category"].create(
            {"name": "Travel (policy 500)", "ps_expense_policy_amount": 500.0})
        cls.travel = cls.env["product.product"].create({
            "name": "Travel (approvals)",
            "type": "service",
            "can_be_expensed": True,
            "standard_price": 0.0,
            "categ_id": cls.expense_category.id,
            "supplier_taxes_id": [Command.clear()],
            "property_account_expense_id": cls.company_data["default_account_expense"].id,
        })

        # fixtures: created as superuser, the tests act as each role
        cls.project = cls.env["project.project"].sudo().create({
            "name": "PS Approvals Project", "user_id": cls.pm.id,
            "partner_id": cls.customer.id, "ps_original_budget": 100000.0,
        })
        cls.manager_employee, cls.employee = cls.env["hr.employee"].sudo().create([
            {"name": "Max Manager", "user_id": cls.manager_user.id, "company_id": company.id,
             "work_email": "max@example.com"},
            {"name": "Eve Employee", "user_id": cls.employee_user.id,
             "company_id": company.id, "work_email": "eve@example.com"},
        ])
        cls.employee.parent_id = cls.manager_employee
        cls.employee.expense_manager_id = cls.manager_user

        cls.rule_quote_policy = cls.env.ref("ps_approvals.rule_quote_policy")
        cls.rule_quote_large = cls.env.ref("ps_approvals.rule_quote_large")
        cls.rule_change_order = cls.env.ref("ps_approvals.rule_change_order")
        cls.rule_budget_change = cls.env.ref("ps_approvals.rule_budget_change")
        cls.rule_expense_policy = cls.env.ref("ps_approvals.rule_expense_policy")
        cls.rule_expense_finance = cls.env.ref("ps_approvals.rule_expense_finance")
        cls.rule_credit_note = cls.env.ref("ps_approvals.rule_credit_note")
        cls.rule_credit_note_large = cls.env.ref("ps_approvals.rule_credit_note_large")

    # ------------------------------------------------------------------
    @classmethod
    def _quote(cls, discount=0.0, qty=3.0, price=1000.0, user=None):
        user = user or cls.salesman
        return cls.env["sale.order"].with_user(user).create({
            "partner_id": cls.customer.id,
            "user_id": user.id,
            "order_line": [Command.create({
                "product_id": cls.consulting.id, "product_uom_qty": qty,
                "price_unit": price, "discount": discount})],
        })

    @classmethod
    def _confirmed_order(cls, qty=3.0):
        order = cls._quote(qty=qty)
        order.with_user(cls.salesman).action_confirm()
        order.sudo().project_id = cls.project
        return order

    @contextmanager
    def assertRefused(self, pattern, exception=UserError):
        """assertRaisesRegex in a savepoint (Odoo's assertRaises): what the refused call
        wrote is rolled back, as the RPC request would be."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def _set_settings(self, **values):
        """Change Settings as an administrator does, through the settings form."""
        self.env["res.config.settings"].with_user(self.ps_admin).create(values).execute()

    def _lines(self, record, user=None, state="pending"):
        domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if state:
            domain.append(("state", "=", state))
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["ps.approval.line"].sudo().search(domain)

    def _expense_sheet(self, amount, with_receipt=True, product=None):
        product = product or self.travel
        sheet = self.env["hr.expense.sheet"].with_user(self.employee_user).create({
            "name": "Client visit",
            "employee_id": self.employee.id,
            "expense_line_ids": [Command.create({
                "name": "Train and hotel",
                "employee_id": self.employee.id,
                "product_id": product.id,
                "total_amount_currency": amount,
                "tax_ids": [Command.clear()],
                "payment_mode": "own_account",
                "date": fields.Date.today(),
            })],
        })
        if with_receipt:
            self.env["ir.attachment"].create({
                "name": "receipt.pdf", "datas": "JVBERi0xLjQK",
                "res_model": "hr.expense", "res_id": sheet.expense_line_ids.id,
            })
        return sheet
