from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoStory(TransactionCase):
    """The demo story, generated once for the class (the database has no demo data: the
    test does not depend on it), tells what its readme says."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.story = cls.env["ps.demo.story"]._load()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.monday = cls.today - timedelta(days=cls.today.weekday())

    def test_loaded_once(self):
        self.assertTrue(self.story, "the story was not loaded")
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("ps_demo.story_loaded_on"),
            fields.Date.to_string(self.today))
        counts = {model: self.env[model].search_count([]) for model in (
            "res.users", "sale.order", "ps.handoff", "account.analytic.line",
            "ps.staffing.allocation", "ps.exception", "ps.billing.advisory")}
        self.assertFalse(self.env["ps.demo.story"]._load(), "a second run must do nothing")
        self.assertEqual(counts, {model: self.env[model].search_count([])
                                  for model in counts})

    def test_people(self):
        users = self.story["users"]
        self.assertEqual(len(self.story["employees"]), 10)
        self.assertEqual(set(self.story["departments"]), {"digital", "data"})
        self.assertTrue(users["pm"].has_group("ps_base.group_ps_project_manager"))
        self.assertTrue(users["rm"].has_group("ps_base.group_ps_resource_manager"))
        self.assertTrue(users["finance"].has_group("ps_base.group_ps_finance"))
        self.assertFalse(users["chen"].has_group("ps_base.group_ps_project_manager"))
        # login = password, as the readme says
        for user in users.values():
            self.env["res.users"].with_user(user)._check_credentials(
                {"type": "password", "password": user.login}, {"interactive": False})
        self.assertTrue(all(e.employee_skill_ids for e in self.story["employees"].values()))
        self.assertEqual(set(self.story["leaves"].mapped("state")), {"validate"})

    def test_sales_and_handoffs(self):
        orders = self.story["orders"]
        self.assertEqual(orders["held"].state, "draft")
        self.assertEqual(orders["held"].ps_approval_state, "pending",
                         "the discounted quote waits for the sales manager")
        self.assertEqual(orders["aurora"].state, "sale",
                         "the large order is confirmed once approved")
        self.assertEqual(orders["aurora"].ps_approval_state, "approved")
        self.assertTrue(self.story["customers"]["aurora"].ps_is_regulated)
        needs = self.story["leads"].ps_capacity_need_ids
        self.assertEqual(len(needs.lead_id), 3, "three deals are above the probability")
        handoffs = self.story["handoffs"]
        self.assertEqual(handoffs["aurora"].state, "started")
        self.assertEqual(handoffs["kestrel"].state, "started")
        self.assertEqual(handoffs["helios"].state, "open")
        self.assertGreater(handoffs["helios"].missing_count, 0)
        self.assertEqual(handoffs["nordvik"].state, "open")
        exception = self.story["kickoff_exception"]
        self.assertEqual(exception.state, "submitted")
        self.assertEqual(exception.ps_approval_state, "pending")
        self.assertTrue(handoffs["aurora"].project_id.milestone_ids.filtered("is_reached"))

    def test_staffing(self):
        ranked = self.story["ranked_request"]
        self.assertTrue(ranked.candidate_ids, "the open request has ranked candidates")
        self.assertEqual(self.story["filled_request"].state, "filled")
        self.assertEqual(set(self.story["allocations"].mapped("state")), {"confirmed"})
        over = self.story["over_allocation"]
        self.assertEqual(over.state, "draft")
        self.assertEqual(over.ps_approval_state, "pending")
        self.assertGreater(over.utilization_after, 85.0)
        self.assertTrue(self.env["ps.staffing.utilization"].search_count(
            [("employee_id", "in", [e.id for e in self.story["employees"].values()]),
             ("actual_hours", ">", 0)]))

    def test_time(self):
        lines = self.story["timesheets"]
        last_week = self.monday - timedelta(weeks=1)
        by_state = {state: lines.filtered(lambda l, s=state: l.ps_timesheet_state == s)
                    for state in ("draft", "submitted", "approved")}
        self.assertGreater(len(by_state["approved"]), len(by_state["submitted"]))
        self.assertTrue(by_state["submitted"])
        self.assertTrue(all(last_week <= line.date < self.monday
                            for line in by_state["submitted"]))
        self.assertTrue(all(line.date >= self.monday for line in by_state["draft"]))
        self.assertTrue(all(line.date < last_week for line in by_state["approved"]))
        lucas = self.story["employees"]["Lucas Moreau"]
        self.assertFalse(lines.filtered(lambda l: l.employee_id == lucas
                                        and last_week <= l.date < self.monday))
        missing = self.env["ps.exception"].search([("kind", "=", "missing_timesheet"),
                                                    ("res_model", "=", "hr.employee")])
        self.assertIn(lucas.id, missing.mapped("res_id"))
        chen = self.story["employees"]["Chen Wei"]
        self.assertNotIn(chen.id, missing.mapped("res_id"))

    def test_expenses_and_billing(self):
        self.assertEqual(self.story["expense_sheet"].ps_approval_state, "pending")
        duplicate = self.env["ps.billing.advisory"].search([
            ("kind", "=", "duplicate_expense"),
            ("employee_id", "=", self.story["employees"]["Mateo Alvarez"].id)])
        self.assertEqual(len(duplicate), 1)
        self.assertEqual(set(self.story["posted_invoices"].mapped("state")), {"posted"})
        self.assertEqual(len(self.story["posted_invoices"]), 3)
        held = self.story["held_invoice"]
        self.assertEqual(held.state, "draft")
        self.assertEqual(held.ps_approval_state, "pending",
                         "the invoice above the release amount waits for its approvers")
        states = self.story["readiness"].mapped("state")
        self.assertEqual(states.count("blocked"), 1)
        blocked = self.story["readiness"].filtered(lambda r: r.state == "blocked")
        self.assertEqual(blocked.order_id, self.story["orders"]["nordvik"])
        self.assertIn("ready", states)

    def test_governance(self):
        endpoint = self.story["webhook_endpoint"]
        self.assertFalse(endpoint.active)
        self.assertTrue(self.env["ps.kpi.value"].search_count([("is_latest", "=", True)]))
        weekly = self.env["ps.kpi.value"].search([("period", "=", "weekly")])
        self.assertGreaterEqual(len(set(weekly.mapped("period_start"))), 14,
                                "the scorecard has a value for every week of the quarter")
        pending = self.env["ps.approval.request"].search([("state", "=", "pending")])
        self.assertTrue({"sale.order", "ps.staffing.allocation", "ps.kickoff.exception",
                         "account.move", "hr.expense.sheet"} <= set(pending.mapped("res_model")))

    def test_consultant_sees_no_scorecard(self):
        """The story's consultants are plain PS users: the scorecard is not theirs."""
        with self.assertRaises(AccessError):
            self.env["ps.kpi.value"].with_user(self.story["users"]["chen"]).search([])
