from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user


class BillingCommon(TransactionCase):
    """A consulting firm with a chart of accounts (Odoo's generic one where the company
    has none yet): two consultants, a project manager, finance, a billing
    clerk; a time & materials service and a milestone service, a customer, and a
    confirmed time & materials order whose project the project manager runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        company = cls.env.company
        if not company.chart_template:
            cls.env["account.chart.template"].try_loading("generic_coa", company,
                                                          install_demo=False)
        user_vals = {"company_id": company.id, "company_ids": [Command.set(company.ids)]}

        def user(login, groups, name):
            return new_test_user(cls.env, login=login, groups=groups, name=name,
                                 email=f"{login}@example.com", **user_vals)

        ts_user = "hr_timesheet.group_hr_timesheet_user,ps_base.group_ps_user"
        cls.consultant = user("br_consultant", ts_user, "Cora Consultant")
        cls.consultant_2 = user("br_consultant2", ts_user, "Carl Consultant")
        cls.pm = user("br_pm", "ps_base.group_ps_project_manager,project.group_project_user,"
                               "hr_timesheet.group_hr_timesheet_approver", "Pat Manager")
        cls.pm_2 = user("br_pm2", "ps_base.group_ps_project_manager,project.group_project_user,"
                                  "hr_timesheet.group_hr_timesheet_approver", "Pia Manager")
        cls.finance = user("br_finance", "ps_base.group_ps_finance,account.group_account_invoice,"
                                         "sales_team.group_sale_salesman_all_leads,"
                                         "hr_timesheet.group_hr_timesheet_approver",
                           "Fay Finance")
        cls.billing = user("br_billing", "account.group_account_invoice,"
                                         "sales_team.group_sale_salesman_all_leads,"
                                         "ps_base.group_ps_user", "Bo Billing")
        cls.employee_manager_user = user("br_emp_manager", "ps_base.group_ps_user",
                                         "Max Line Manager")
        Employee = cls.env["hr.employee"]
        cls.manager_employee = Employee.create({
            "name": "Max Line Manager", "user_id": cls.employee_manager_user.id,
            "company_id": company.id})
        cls.employee = Employee.create({
            "name": "Cora Consultant", "user_id": cls.consultant.id, "company_id": company.id,
            "parent_id": cls.manager_employee.id, "hourly_cost": 40.0})
        cls.employee_2 = Employee.create({
            "name": "Carl Consultant", "user_id": cls.consultant_2.id,
            "company_id": company.id, "hourly_cost": 40.0})
        Employee.create([{"name": u.name, "user_id": u.id, "company_id": company.id}
                         for u in (cls.pm, cls.pm_2, cls.finance, cls.billing)])

        cls.customer = cls.env["res.partner"].create({
            "name": "Readiness Customer", "street": "1 Main Street", "city": "Brussels",
            "country_id": cls.env.ref("base.be").id, "email": "customer@example.com"})
        cls.payment_term = cls.env.ref("account.account_payment_term_30days")
        cls.uom_hour = cls.env.ref("uom.product_uom_hour")
        cls.service_tm = cls.env["product.product"].create({
            "name": "Consulting hour (T&M)", "type": "service", "invoice_policy": "delivery",
            "service_type": "timesheet", "service_tracking": "task_in_project",
            "uom_id": cls.uom_hour.id, "uom_po_id": cls.uom_hour.id,
            "list_price": 100.0, "standard_price": 0.0, "taxes_id": [Command.clear()]})
        cls.service_milestone = cls.env["product.product"].create({
            "name": "Implementation (milestones)", "type": "service",
            "invoice_policy": "delivery", "service_type": "milestones",
            "service_tracking": "task_in_project", "list_price": 1000.0,
            "taxes_id": [Command.clear()]})
        cls.fixed = cls.env["product.product"].create({
            "name": "Licence", "type": "service", "invoice_policy": "order",
            "service_tracking": "no", "list_price": 500.0, "standard_price": 100.0,
            "taxes_id": [Command.clear()]})
        cls.order = cls._order([(cls.service_tm, 20.0)])
        cls.project = cls.order.order_line.project_id
        cls.project.user_id = cls.pm
        cls.task = cls.order.order_line.task_id
        cls.so_line = cls.order.order_line

    @classmethod
    def _order(cls, lines, confirm=True, **vals):
        order = cls.env["sale.order"].create({
            "partner_id": cls.customer.id, "payment_term_id": cls.payment_term.id,
            "user_id": cls.billing.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": qty})
                           for product, qty in lines],
            **vals})
        if confirm:
            order.action_confirm()
        return order

    def _timesheet(self, hours=8.0, user=None, date=None, employee=None, task=None):
        user = user or self.consultant
        employee = employee or user.employee_ids[:1]
        task = task or self.task
        return self.env["account.analytic.line"].with_user(user).create({
            "name": f"Work of {user.name}", "project_id": task.project_id.id,
            "task_id": task.id, "unit_amount": hours, "employee_id": employee.id,
            "date": date or fields.Date.today()})
