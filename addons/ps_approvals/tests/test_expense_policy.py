from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestExpensePolicy(PsApprovalsCommon):

    def test_within_policy_with_receipt_as_in_plain_odoo(self):
        sheet = self._expense_sheet(120.0)
        self.assertFalse(sheet.ps_policy_breach)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(sheet.ps_approval_state, "not_required")
        sheet.with_user(self.manager_user).action_approve_expense_sheets()
        self.assertEqual(sheet.state, "approve")
        # Odoo's approval writes the report's computed manager: its own flow, run after
        # the gate decided, is not a value written by hand
        self.assertFalse(self.env["ps.fact.taint"].sudo().search_count(
            [("res_model", "=", "hr.expense.sheet"), ("res_id", "=", sheet.id)]))

    def test_above_category_policy_needs_manager(self):
        sheet = self._expense_sheet(650.0)
        self.assertTrue(sheet.expense_line_ids.ps_over_policy)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(sheet.ps_approval_state, "pending")
        approvers = self._lines(sheet).user_id
        self.assertIn(self.manager_user, approvers)
        self.assertNotIn(self.employee_user, approvers)
        # the manager's Approve on the report gives the policy approval and approves it
        sheet.with_user(self.manager_user).action_approve_expense_sheets()
        self.assertEqual(sheet.ps_approval_state, "approved")
        self.assertEqual(sheet.state, "approve")

    def test_odoo_s_approvers_are_the_first_tier(self):
        """Whoever Odoo lets approve the report decides the policy with their Approve: an
        expense officer who is not the employee's manager included."""
        sheet = self._expense_sheet(650.0)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(sheet.ps_expense_approver_ids & (
            self.manager_user | self.hr_officer | self.employee_user),
            self.manager_user | self.hr_officer)
        self.assertIn(self.hr_officer, self._lines(sheet).user_id)
        self.assertIs(sheet.with_user(self.hr_officer).action_approve_expense_sheets(), None)
        self.assertEqual(sheet.state, "approve")
        self.assertEqual(sheet.ps_approval_state, "approved")
        # someone Odoo does not let approve is refused by Odoo, as without the policy
        other = self._expense_sheet(650.0)
        other.with_user(self.employee_user).action_submit_sheet()
        with self.assertRaisesRegex(UserError, "You cannot approve"):
            other.with_user(self.salesman).action_approve_expense_sheets()

    def test_team_approver_of_another_team_is_not_asked(self):
        """A team approver is an approver of their own team's reports only, as in Odoo."""
        other_manager = self.env["res.users"].sudo().create({
            "name": "Olga Other Manager", "login": "ps_appr_other_manager",
            "groups_id": [Command.set(self.env.ref(
                "hr_expense.group_hr_expense_team_approver").ids)],
            "company_id": self.env.company.id,
            "company_ids": [Command.set(self.env.company.ids)]})
        sheet = self._expense_sheet(650.0)
        self.assertNotIn(other_manager, sheet.ps_expense_approver_ids)

    def test_manager_approves_from_inbox(self):
        sheet = self._expense_sheet(650.0)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self._lines(sheet, self.manager_user).with_user(self.manager_user).action_approve()
        self.assertEqual(sheet.state, "approve", "the manager may approve reports: one decision")

    def test_missing_receipt_needs_manager(self):
        sheet = self._expense_sheet(80.0, with_receipt=False)
        self.assertTrue(sheet.ps_policy_breach)
        self.assertEqual(self.env["hr.expense.sheet"].search(
            [("id", "=", sheet.id), ("ps_policy_breach", "=", True)]), sheet)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(self._lines(sheet).rule_id, self.rule_expense_policy)
        # a receipt threshold in Settings lets small expenses through without receipt
        self._set_settings(ps_expense_receipt_threshold=100.0)
        other = self._expense_sheet(80.0, with_receipt=False)
        other.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(other.ps_approval_state, "not_required")

    def test_category_policy_amount_follows(self):
        self.expense_category.ps_expense_policy_amount = 1000.0
        sheet = self._expense_sheet(650.0)
        self.assertFalse(sheet.ps_policy_breach)

    def test_large_report_needs_manager_then_finance(self):
        sheet = self._expense_sheet(1500.0)
        sheet.with_user(self.employee_user).action_submit_sheet()
        rules = self._lines(sheet).rule_id
        self.assertEqual(rules, self.rule_expense_policy | self.rule_expense_finance)
        self.assertFalse(self._lines(sheet, self.finance))
        action = sheet.with_user(self.manager_user).action_approve_expense_sheets()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(sheet.state, "submit", "finance decides next")
        self.assertFalse(self._lines(sheet, self.manager_user))
        finance_lines = self._lines(sheet, self.finance)
        self.assertTrue(finance_lines)
        finance_lines.with_user(self.finance).action_approve()
        self.assertEqual(sheet.state, "approve",
                         "the manager's approval of the report completes after finance")
        self.assertEqual(sheet.user_id, self.manager_user)

    def test_finance_threshold_read_from_settings(self):
        self._set_settings(ps_expense_finance_amount=2000.0)
        sheet = self._expense_sheet(1500.0)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(self._lines(sheet).rule_id, self.rule_expense_policy)

    def test_rejection_refuses_report_with_reason(self):
        sheet = self._expense_sheet(650.0)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self._lines(sheet, self.manager_user).with_user(self.manager_user).action_reject(
            "Book the standard hotel rate")
        self.assertEqual(sheet.state, "cancel")
        self.assertEqual(sheet.ps_approval_state, "rejected")
        self.assertIn("Book the standard hotel rate",
                      " ".join(sheet.message_ids.mapped("body")))
        # reset and fixed, it goes through again
        sheet.with_user(self.employee_user).action_reset_expense_sheets()
        self.assertEqual(sheet.state, "draft")

    def test_reset_cancels_pending_approval(self):
        sheet = self._expense_sheet(650.0)
        sheet.with_user(self.employee_user).action_submit_sheet()
        sheet.with_user(self.employee_user).action_reset_expense_sheets()
        self.assertEqual(sheet.ps_approval_state, "not_required")
        self.assertFalse(self._lines(sheet))

    def test_policy_switched_off(self):
        self.rule_expense_policy.with_user(self.ps_admin).active = False
        sheet = self._expense_sheet(650.0, with_receipt=False)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(sheet.ps_approval_state, "not_required")
        sheet.with_user(self.hr_officer).action_approve_expense_sheets()
        self.assertEqual(sheet.state, "approve")
