"""Browser tours of the suite, one per role, in headless Chromium (tours of the test-only
addon tests/addons/ps_test_tours, which must be installed).

Each tour starts from /odoo and walks the suite's real menus as that person would; the
records it needs are built here with the ORM, and what it did is checked here afterwards.
Each person has the least rights that should let them do it. The other roles' tours live
with their addons: the project manager's handoff (ps_handoff/tests/test_ui.py), the approver's
inbox (ps_base/tests/test_ui.py, ps_approvals/tests/test_ui.py).
"""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRoleTours(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.context_today(cls.env["res.users"])

    def _user(self, login, name, groups):
        user = new_test_user(self.env, login=login, name=name, groups=groups,
                             email=f"{login}@example.com")
        if "tour_enabled" in user._fields:  # no onboarding tour in the way
            user.tour_enabled = False
        return user

    # ------------------------------------------------------------------
    # Resource manager: Staffing > Requests
    # ------------------------------------------------------------------
    def test_resource_manager_ranks_candidates_and_allocates_the_best(self):
        env = self.env
        rm = self._user("tour_rm", "Tour Resource Manager", "ps_base.group_ps_resource_manager")
        pm = self._user("tour_staffing_pm", "Tour Delivery Lead",
                        "ps_base.group_ps_project_manager,project.group_project_user")
        calendar = env["resource.calendar"].create({"name": "Tour 40h", "tz": "UTC"})
        skill_type = env["hr.skill.type"].create({
            "name": "Tour data skills",
            "skill_ids": [Command.create({"name": "Tour Spark"}),
                          Command.create({"name": "Tour dbt"})],
            "skill_level_ids": [
                Command.create({"name": "Tour beginner", "level_progress": 25}),
                Command.create({"name": "Tour advanced", "level_progress": 75,
                                "default_level": True}),
                Command.create({"name": "Tour expert", "level_progress": 100})],
        })
        spark, dbt = (skill_type.skill_ids.filtered(lambda s, n=name: s.name == n)
                      for name in ("Tour Spark", "Tour dbt"))
        _beginner, advanced, expert = skill_type.skill_level_ids.sorted("level_progress")

        def employee(name, skills):
            return env["hr.employee"].create({
                "name": name, "company_id": env.company.id,
                "resource_calendar_id": calendar.id,
                "employee_skill_ids": [Command.create({
                    "skill_type_id": skill_type.id, "skill_id": skill.id,
                    "skill_level_id": level.id}) for skill, level in skills],
            })

        ada = employee("Ada Tour", [(spark, expert), (dbt, expert)])
        employee("Ben Tour", [(spark, advanced)])  # dbt missing
        cleo = employee("Cleo Tour", [(spark, expert), (dbt, advanced)])
        project = env["project.project"].create({"name": "Tour Data Platform",
                                                 "user_id": pm.id})
        monday = self.today - timedelta(days=self.today.weekday()) + timedelta(weeks=2)
        period = {"date_start": monday, "date_end": monday + timedelta(days=25)}
        # Cleo is booked 30 h a week elsewhere over the whole period
        busy = env["ps.staffing.allocation"].create({
            "employee_id": cleo.id, "hours_per_week": 30,
            "project_id": env["project.project"].create({"name": "Tour other project"}).id,
            **period,
        })
        busy.action_confirm()
        self.assertEqual(busy.state, "confirmed")
        request = env["ps.staffing.request"].with_user(pm).create({
            "project_id": project.id, "role": "Tour data engineer", "hours_per_week": 20,
            "skill_line_ids": [
                Command.create({"skill_type_id": skill_type.id, "skill_id": skill.id,
                                "min_level_id": advanced.id}) for skill in (spark, dbt)],
            **period,
        })
        request.with_user(pm).action_submit()
        with self.assertRaisesRegex(UserError, "Only resource managers rank candidates"):
            request.with_user(pm).action_rank_candidates()

        self.start_tour("/odoo", "ps_test_tours_resource_manager_allocates", login=rm.login)

        request.invalidate_recordset()
        ranked = request.candidate_ids.sorted("rank")
        self.assertEqual(ranked[0].employee_id, ada)
        self.assertLess(ranked.filtered(lambda c: c.employee_id == cleo).availability_score,
                        100.0)
        allocation = request.allocation_ids
        self.assertEqual(len(allocation), 1, "one allocation, the proposed candidate's")
        self.assertEqual((allocation.employee_id, allocation.project_id, allocation.state),
                         (ada, project, "confirmed"))
        self.assertEqual((allocation.date_start, allocation.date_end,
                          allocation.hours_per_week),
                         (period["date_start"], period["date_end"], 20.0))
        self.assertEqual(allocation.create_uid, rm)
        self.assertFalse(allocation.ps_approval_request_ids,
                         "50% of Ada's week: no over-allocation approval")
        self.assertEqual(ranked[0].allocation_id, allocation)
        self.assertEqual(request.state, "filled")

    # ------------------------------------------------------------------
    # Finance controller: Billing Readiness > Readiness
    # ------------------------------------------------------------------
    def test_controller_resolves_the_blockers_and_creates_the_invoice(self):
        env = self.env
        company = env.company
        if not company.chart_template:
            env["account.chart.template"].try_loading("generic_coa", company,
                                                      install_demo=False)
        # Settings > Billing: only approved time is delivered (and invoiced)
        env["ir.config_parameter"].set_param("ps_billing_readiness.approved_time_only", "True")
        controller = self._user(
            "tour_controller", "Tour Controller",
            "ps_base.group_ps_finance,account.group_account_invoice,"
            "sales_team.group_sale_salesman_all_leads,hr_timesheet.group_hr_timesheet_approver")
        owner = self._user("tour_account_owner", "Tour Account Owner",
                           "sales_team.group_sale_salesman,ps_base.group_ps_user")
        pm = self._user("tour_billing_pm", "Tour Billing PM",
                        "ps_base.group_ps_project_manager,project.group_project_user")
        consultant = self._user("tour_consultant_time", "Tour Consultant",
                                "hr_timesheet.group_hr_timesheet_user,ps_base.group_ps_user")
        consultant_employee = env["hr.employee"].create({
            "name": "Tour Consultant", "user_id": consultant.id, "company_id": company.id})
        customer = env["res.partner"].create({
            "name": "Tour Billing Customer", "street": "1 Tour Street", "city": "Brussels",
            "country_id": env.ref("base.be").id})
        hour = env.ref("uom.product_uom_hour")
        service = env["product.product"].create({
            "name": "Tour consulting hour", "type": "service", "invoice_policy": "delivery",
            "service_type": "timesheet", "service_tracking": "task_in_project",
            "uom_id": hour.id, "uom_po_id": hour.id, "list_price": 100.0,
            "taxes_id": [Command.clear()]})
        order = env["sale.order"].create({
            "partner_id": customer.id, "user_id": owner.id,
            "payment_term_id": env.ref("account.account_payment_term_30days").id,
            "ps_po_number": "PO-TOUR-7",
            "ps_po_valid_until": self.today - timedelta(days=1),
            "order_line": [Command.create({"product_id": service.id,
                                           "product_uom_qty": 40.0})],
        })
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        line = order.order_line
        line.project_id.user_id = pm
        last_monday = self.today - timedelta(days=self.today.weekday() + 7)
        timesheets = env["account.analytic.line"].with_user(consultant).create([{
            "name": f"Tour workshop, day {day + 1}", "project_id": line.project_id.id,
            "task_id": line.task_id.id, "employee_id": consultant_employee.id,
            "unit_amount": 8.0, "date": last_monday + timedelta(days=day),
        } for day in range(2)])
        timesheets.action_ps_submit_timesheets()
        # the morning's scheduled check
        readiness = env["ps.billing.readiness"]._refresh_orders(order)
        self.assertEqual(readiness.state, "blocked")
        self.assertEqual(set(readiness.blocker_ids.mapped("kind")),
                         {"po_expired", "unapproved_time"})
        self.assertFalse(readiness.amount_to_invoice, "time not approved is not delivered")
        with self.assertRaisesRegex(UserError, "None of these orders can be invoiced now"):
            readiness.with_user(controller).action_create_invoices()

        self.start_tour("/odoo", "ps_test_tours_controller_invoices", login=controller.login)

        self.assertEqual(set(timesheets.mapped("ps_timesheet_state")), {"approved"})
        self.assertEqual(timesheets.ps_reviewed_by_id, controller)
        self.assertGreater(order.ps_po_valid_until, self.today)
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual((invoice.move_type, invoice.state, invoice.partner_id),
                         ("out_invoice", "draft", customer))
        self.assertEqual(invoice.create_uid, controller)
        self.assertAlmostEqual(invoice.amount_untaxed, 1600.0)
        self.assertEqual(invoice.invoice_line_ids.sale_line_ids, line)
        self.assertEqual(timesheets.timesheet_invoice_id, invoice)

    # ------------------------------------------------------------------
    # Administrator: Governance > Scorecard
    # ------------------------------------------------------------------
    def test_admin_opens_the_scorecard(self):
        env = self.env
        admin = env.ref("base.user_admin")
        if "tour_enabled" in admin._fields:
            admin.tour_enabled = False
        env["ps.exception"]._raise_exceptions([{
            "name": "Tour: something to look at", "key": "tour-scorecard",
            "kind": "tour_check", "details": "Raised by the scorecard tour"}])
        env["ps.kpi.value"]._ps_snapshot(env["ps.kpi.definition"].search([]))
        self.assertTrue(env["ps.kpi.value"].search_count([
            ("definition_id", "=", env.ref("ps_governance.kpi_exception_volume").id),
            ("period", "=", "weekly"), ("is_latest", "=", True)]))

        self.start_tour("/odoo", "ps_test_tours_admin_scorecard", login="admin")
