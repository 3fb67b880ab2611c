from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestBudgetChange(PsApprovalsCommon):

    def _change(self, new_budget, user=None):
        return self.env["ps.budget.change"].with_user(user or self.pm_2).create({
            "project_id": self.project.id, "new_budget": new_budget,
            "reason": "Second phase agreed with the client"})

    def test_small_change_applies_at_once(self):
        change = self._change(105000.0)
        self.assertEqual(change.change_percent, 5.0)
        change.with_user(self.pm_2).action_submit()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.project.ps_budget_amount, 105000.0)
        self.assertEqual(self.project.ps_original_budget, 100000.0)

    def test_large_change_needs_delivery_lead_then_finance(self):
        change = self._change(125000.0)
        self.assertEqual(change.change_percent, 25.0)
        change.with_user(self.pm_2).action_submit()
        self.assertEqual(change.state, "submitted")
        self.assertEqual(self._lines(change).user_id, self.pm, "the delivery lead first")

        self._lines(change, self.pm).with_user(self.pm).action_approve()
        self.assertEqual(change.state, "submitted")
        self.assertEqual(self.project.ps_budget_amount, 100000.0, "unchanged until approved")
        self._lines(change, self.finance).with_user(self.finance).action_approve()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.project.ps_budget_amount, 125000.0)

    def test_threshold_read_from_settings(self):
        self._set_settings(ps_budget_change_percent=30.0)
        self.assertEqual(self.rule_budget_change.amount_threshold, 30.0)
        change = self._change(125000.0)
        change.with_user(self.pm_2).action_submit()
        self.assertEqual(change.state, "applied")

    def test_rejection_with_reason(self):
        change = self._change(80000.0)  # a cut of 20% needs approval too
        change.with_user(self.pm_2).action_submit()
        self._lines(change, self.pm).with_user(self.pm).action_reject(
            "Scope reduction not signed by the client")
        self.assertEqual(change.state, "rejected")
        self.assertEqual(change.reject_reason, "Scope reduction not signed by the client")
        self.assertEqual(self.project.ps_budget_amount, 100000.0)
        self.assertFalse(self._lines(change, self.finance, state=None).filtered(
            lambda l: l.state in ("pending", "waiting")))

    def test_delivery_lead_requesting_goes_to_administrators(self):
        change = self._change(125000.0, user=self.pm)
        change.with_user(self.pm).action_submit()
        pending = self._lines(change)
        self.assertNotIn(self.pm, pending.user_id)
        self.assertIn(self.ps_admin, pending.user_id)

    def test_original_budget_is_set_once(self):
        self._change(105000.0).with_user(self.pm_2).action_submit()
        with self.assertRaisesRegex(UserError, "budget change"):
            self.project.with_user(self.ps_admin).ps_original_budget = 200000.0
        with self.assertRaises(ValidationError):
            self._change(-1.0)

    def test_policy_switched_off(self):
        self.rule_budget_change.with_user(self.ps_admin).active = False
        change = self._change(300000.0)
        change.with_user(self.pm_2).action_submit()
        self.assertEqual(change.state, "applied")
