"""Odoo's own clickbot over the suite's top menu, as the administrator, a plain PS user and each
role of the suite (project manager, resource manager, finance controller).

The clickbot (web/static/src/webclient/clickbot/clickbot.js) opens every menu under
"Professional Services", switches every view of each action and toggles every filter; an
error dialog, a JS error or a failed RPC fails the test (HttpCase.browser_js fails on any
console error). Every list of the suite's menus gets at least one record first, since most
crashes (a field that cannot be read, a broken compute) only show with a row to render.
"""

import importlib
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

ROOT_MENU = "ps_base.ps_root_menu"
# each workflow addon may ship tests/clickbot_records.py with populate(env, admin, ps_user),
# which gives every list of its menus a row
SUITE_ADDONS = ("ps_staffing", "ps_billing_readiness", "ps_governance", "ps_staffing_purchase")
CLICKBOT = (
    "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
    f".startClickEverywhere('{ROOT_MENU}', false);"
)


@tagged("post_install", "-at_install")
class TestClickbot(HttpCase):
    # the Settings menu of the suite ends on a form
    allow_end_on_form = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.admin = env.ref("base.user_admin")
        cls.ps_user = new_test_user(
            env, login="ps_clickbot_user", name="Clara Clickbot",
            groups="base.group_user,ps_base.group_ps_user",
        )
        # each role with the suite's group for it and the Odoo groups such a person has
        cls.pm = new_test_user(
            env, login="ps_clickbot_pm", name="Paul Clickbot (delivery lead)",
            groups="ps_base.group_ps_project_manager,project.group_project_manager,"
                   "hr_timesheet.group_hr_timesheet_approver,sales_team.group_sale_salesman",
        )
        cls.rm = new_test_user(
            env, login="ps_clickbot_rm", name="Rita Clickbot (resource manager)",
            groups="ps_base.group_ps_resource_manager,project.group_project_user,"
                   "hr_timesheet.group_hr_timesheet_user",
        )
        cls.finance = new_test_user(
            env, login="ps_clickbot_finance", name="Fred Clickbot (finance)",
            groups="ps_base.group_ps_finance,account.group_account_invoice,"
                   "sales_team.group_sale_salesman_all_leads,"
                   "hr_timesheet.group_hr_timesheet_approver",
        )
        cls.roles = cls.pm | cls.rm | cls.finance
        users = cls.admin | cls.ps_user | cls.roles
        if "tour_enabled" in env["res.users"]._fields:  # no onboarding tour in the way
            users.write({"tour_enabled": False})
        env["hr.employee"].create([
            {"name": user.name, "user_id": user.id, "company_id": env.company.id}
            for user in users if not user.employee_ids
        ])

        # Internal requests of each user, approved by the other one: a pending line in both
        # inboxes (Approvals > My Approvals), an approval request each (Approvals > All Approval
        # Requests).
        approvers = env["res.groups"].create({
            "name": "Clickbot approvers", "users": [Command.set(users.ids)],
        })
        category = env["ps.request.category"].create({"name": "Clickbot equipment"})
        env["ps.approval.rule"].create({
            "name": "Clickbot: requests above 100",
            "model_id": env["ir.model"]._get_id("ps.request"),
            "amount_field_id": env["ir.model.fields"]._get("ps.request", "amount").id,
            "amount_threshold": 100,
            "tier_ids": [Command.create({
                "name": "Approvers", "step": 1, "approver_type": "group",
                "group_id": approvers.id, "quorum": 1,
            })],
        })
        requests = env["ps.request"]
        for user in users:
            request = env["ps.request"].with_user(user).create({
                "title": f"Laptop for {user.name}", "amount": 1500.0,
                "category_id": category.id,
            })
            request.action_submit()
            requests |= request

        # Change orders and budget changes (their own menus), on a confirmed order with a
        # project; created as superuser, they are not what this test is about.
        customer = env["res.partner"].create({"name": "Clickbot Customer"})
        product = env["product.product"].create({
            "name": "Clickbot consulting day", "type": "service", "invoice_policy": "order",
            "service_tracking": "no", "list_price": 1000.0, "standard_price": 400.0,
            "taxes_id": [Command.clear()],
        })
        project = env["project.project"].create({
            "name": "Clickbot Project", "user_id": cls.admin.id, "partner_id": customer.id,
            "ps_original_budget": 10000.0,
        })
        order = env["sale.order"].create({
            "partner_id": customer.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2.0})],
        })
        order.action_confirm()
        order.project_id = project
        env["ps.change.order"].create({
            "order_id": order.id, "reason": "Two more workshop days",
            "line_ids": [Command.create({
                "sale_line_id": order.order_line.id, "product_uom_qty": 4.0})],
        })
        env["ps.budget.change"].create({
            "project_id": project.id, "new_budget": 12000.0, "reason": "Second phase",
        })

        # Handoffs: a template and a confirmed order selling a project service, whose
        # handoff asks for a kickoff exception.
        template_project = env["project.project"].create({"name": "Clickbot template"})
        env["ps.handoff.template"].create({
            "name": "Clickbot service line", "project_template_id": template_project.id,
            "item_ids": [Command.create({"kind": "field", "field_name": "scope_summary"})],
        })
        project_service = env["product.product"].create({
            "name": "Clickbot implementation", "type": "service", "invoice_policy": "order",
            "service_tracking": "project_only", "list_price": 5000.0,
            "taxes_id": [Command.clear()],
        })
        project_order = env["sale.order"].create({
            "partner_id": customer.id,
            "order_line": [Command.create({"product_id": project_service.id})],
        })
        project_order.action_confirm()
        env["ps.kickoff.exception"].create({
            "handoff_id": project_order.ps_handoff_id.id, "reason": "Workshop booked",
        })
        # Capacity demand: an opportunity of the service line past the probability
        template = env["ps.handoff.template"].search([("name", "=", "Clickbot service line")])
        template.staffing_ids = [Command.create({"role": "Clickbot consultant",
                                                 "hours_per_week": 20, "weeks": 4})]
        env["crm.lead"].create({
            "name": "Clickbot opportunity", "type": "opportunity", "probability": 95,
            "partner_id": customer.id, "ps_handoff_template_id": template.id,
        })

        # Oversight: an exception, a business event; audit entries come with the above.
        env["ps.exception"]._raise_exceptions([{
            "name": "Clickbot: something to look at", "key": "clickbot-test",
            "details": "Raised by the clickbot test", "severity": "warning",
        }])
        env["ps.event"]._emit("clickbot.test", requests)
        installed = set(env["ir.module.module"].search(
            [("name", "in", SUITE_ADDONS), ("state", "=", "installed")]).mapped("name"))
        for addon in SUITE_ADDONS:
            if addon not in installed:  # the purchase bridge, where Purchase is not installed
                continue
            name = f"odoo.addons.{addon}.tests.clickbot_records"
            try:
                records = importlib.import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise
                continue
            records.populate(env, cls.admin, cls.ps_user)
        # the delivery lead's own staffing: a request on a project he leads, on which he is
        # booked (Requests, Allocations and Utilization show his rows only)
        today = fields.Date.context_today(env["res.users"])
        monday = today - timedelta(days=today.weekday())
        pm_project = env["project.project"].create({
            "name": "Clickbot delivery", "user_id": cls.pm.id})
        pm_request = env["ps.staffing.request"].create({
            "project_id": pm_project.id, "role": "Clickbot delivery lead", "hours_per_week": 8,
            "date_start": monday, "date_end": monday + timedelta(days=27)})
        pm_request.action_submit()
        pm_allocation = env["ps.staffing.allocation"].create({
            "employee_id": cls.pm.employee_ids[:1].id, "project_id": pm_project.id,
            "request_id": pm_request.id, "date_start": monday,
            "date_end": monday + timedelta(days=27), "hours_per_week": 8})
        pm_allocation.action_confirm()
        env["ps.audit.log"]._flush_buffer()
        env.flush_all()

    def _suite_actions(self, user):
        """{menu path: window action} of every menu under the suite's root that the web
        client shows to user (load_menus: groups, parents and readable models)."""
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        root = next((menu for menu in menus.values()
                     if isinstance(menu, dict) and menu.get("xmlid") == ROOT_MENU), None)
        self.assertTrue(root, f"{user.login} does not see the suite's top menu")
        actions, todo = {}, [(root["name"], root)]
        while todo:
            path, menu = todo.pop()
            model, _sep, action_id = (menu.get("action") or "").partition(",")
            if model == "ir.actions.act_window":
                actions[path] = self.env[model].browse(int(action_id))
            todo.extend((f"{path} / {menus[child]['name']}", menus[child])
                        for child in menu["children"])
        return actions

    def _assert_every_list_has_a_record(self, user):
        for name, action in self._suite_actions(user).items():
            if action.res_model == "res.config.settings":
                continue
            context = safe_eval(action.context or "{}", {"uid": user.id})
            domain = safe_eval(action.domain or "[]", {"uid": user.id})
            model = self.env[action.res_model].with_user(user).with_context(**context)
            with self.subTest(menu=name, user=user.login):
                self.assertTrue(model.search_count(domain),
                                f"{name}: no record for {user.login}, the clickbot would "
                                "not render a row")
        # the inbox opens on the user's pending lines, the requests on the user's own
        lines = self.env["ps.approval.line"].with_user(user)
        self.assertTrue(lines.search_count([("state", "=", "pending"),
                                            ("user_id", "=", user.id)]))
        self.assertTrue(self.env["ps.request"].with_user(user).search_count(
            [("requester_id", "=", user.id)]))

    def _click_everywhere(self, login):
        self.browser_js(
            "/odoo", CLICKBOT, "odoo.isReady === true", login=login, timeout=900,
            success_signal="clickbot test succeeded",
        )

    def test_clickbot_as_administrator(self):
        self._assert_every_list_has_a_record(self.admin)
        names = self._suite_actions(self.admin)
        self.assertIn("Professional Services / Governance / Audit / Audit Trail", names)
        self.assertFalse([name for name in names if "/ Oversight /" in name],
                         "ps_governance takes over ps_base's Oversight section")
        self._click_everywhere("admin")

    def test_clickbot_as_ps_user(self):
        self._assert_every_list_has_a_record(self.ps_user)
        names = self._suite_actions(self.ps_user)
        self.assertIn("Professional Services / Approvals / My Approvals", names)
        self.assertNotIn("Professional Services / Governance / Exceptions", names)
        self._click_everywhere(self.ps_user.login)

    def _assert_sections(self, user, shown, hidden):
        """The menus under the suite's root that ``user`` sees include every path of
        ``shown`` and none that starts with a path of ``hidden``."""
        names = self._suite_actions(user)
        root = "Professional Services / "
        self.assertLessEqual({root + path for path in shown}, set(names),
                             f"{user.login} misses a menu of their role")
        self.assertFalse([name for name in names
                          if any(name.startswith(root + path) for path in hidden)],
                         f"{user.login} sees a menu of another role")

    def test_clickbot_as_project_manager(self):
        self._assert_every_list_has_a_record(self.pm)
        self._assert_sections(
            self.pm,
            shown={"Handoffs / Handoffs", "Handoffs / Kickoff Exceptions",
                   "Staffing / Requests", "Staffing / Allocations",
                   "Billing Readiness / Readiness", "Billing Readiness / Timesheet Approval",
                   "Approvals / Change Orders", "Approvals / Budget Changes",
                   "Governance / Scorecard / Dashboard"},
            hidden={"Billing Readiness / Advisories", "Governance / Exceptions",
                    "Governance / Webhooks", "Governance / Audit",
                    "Approvals / All Approval Requests", "Configuration"})
        self._click_everywhere(self.pm.login)

    def test_clickbot_as_resource_manager(self):
        self._assert_every_list_has_a_record(self.rm)
        self._assert_sections(
            self.rm,
            shown={"Staffing / Requests", "Staffing / Allocations", "Staffing / Utilization",
                   "Governance / Scorecard / Dashboard", "Approvals / My Approvals"},
            hidden={"Billing Readiness", "Governance / Exceptions", "Governance / Webhooks",
                    "Governance / Audit", "Approvals / All Approval Requests",
                    "Configuration"})
        self._click_everywhere(self.rm.login)

    def test_clickbot_as_finance_controller(self):
        self._assert_every_list_has_a_record(self.finance)
        self._assert_sections(
            self.finance,
            shown={"Billing Readiness / Readiness", "Billing Readiness / Blockers",
                   "Billing Readiness / Timesheet Approval", "Billing Readiness / WIP Aging",
                   "Billing Readiness / Advisories", "Billing Readiness / Retainer Overages",
                   "Governance / Exceptions", "Governance / Audit / Audit Trail",
                   "Governance / Webhooks / Deliveries", "Approvals / All Approval Requests",
                   "Staffing / Allocations", "Staffing / Utilization"},
            hidden={"Staffing / Requests", "Handoffs / Capacity Demand",
                    "Governance / Webhooks / Inbound Actions", "Configuration"})
        self._click_everywhere(self.finance.login)
