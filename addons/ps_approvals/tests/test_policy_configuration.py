from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestPolicyConfiguration(PsApprovalsCommon):
    """Bad input is refused at save time with a message that says what to fix."""

    def test_shipped_policies_active_and_editable(self):
        rules = self.env["ps.approval.rule"].with_user(self.ps_admin).search(
            [("id", "in", (self.rule_quote_policy | self.rule_quote_large
                           | self.rule_change_order | self.rule_budget_change
                           | self.rule_expense_policy | self.rule_expense_finance
                           | self.rule_credit_note | self.rule_credit_note_large).ids)])
        self.assertEqual(len(rules), 8)
        self.assertTrue(all(rules.mapped("active")))
        self.assertFalse(rules.company_id, "the policies apply in every company")
        self.assertTrue(all(rule.tier_ids for rule in rules))
        parallel = self.rule_change_order.tier_ids
        self.assertEqual(set(parallel.mapped("step")), {1}, "change orders: parallel tiers")
        self.assertEqual(self.rule_quote_large.tier_ids.mapped("step"), [1, 2])

    def test_negative_threshold_in_settings(self):
        for fname in ("ps_quote_discount_threshold", "ps_quote_margin_floor",
                      "ps_quote_finance_amount", "ps_budget_change_percent",
                      "ps_expense_finance_amount", "ps_expense_receipt_threshold",
                      "ps_credit_note_amount", "ps_direct_change_amount",
                      "ps_direct_change_percent", "ps_approval_reminder_hours"):
            with self.subTest(setting=fname), self.assertRaisesRegex(
                    ValidationError, "cannot be negative"):
                self._set_settings(**{fname: -1.0})
        self.assertEqual(self.rule_quote_large.amount_threshold, 50000.0, "nothing written")

    def test_percentage_above_100_in_settings(self):
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            self._set_settings(ps_quote_discount_threshold=150.0)

    def test_negative_threshold_on_rule(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.rule_quote_large.with_user(self.ps_admin).amount_threshold = -10.0

    def test_negative_expense_policy_amount(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.expense_category.ps_expense_policy_amount = -5.0

    def test_policy_without_approvers(self):
        Rule = self.env["ps.approval.rule"].with_user(self.ps_admin)
        with self.assertRaisesRegex(ValidationError, "no approvers"):
            Rule.create({"name": "Quotes for regulated clients",
                         "model_id": self.env["ir.model"]._get_id("sale.order"),
                         "domain": "[('partner_id.ps_is_regulated', '=', True)]"})
        with self.assertRaisesRegex(ValidationError, "needs at least one user"):
            Rule.create({"name": "Quotes for regulated clients",
                         "model_id": self.env["ir.model"]._get_id("sale.order"),
                         "tier_ids": [Command.create({"name": "Legal", "approver_type": "user"})]})
        rule = Rule.create({
            "name": "Quotes for regulated clients",
            "model_id": self.env["ir.model"]._get_id("sale.order"),
            "tier_ids": [Command.create({"name": "Legal", "approver_type": "user",
                                         "user_ids": [Command.set(self.ps_admin.ids)]})]})
        with self.assertRaisesRegex(ValidationError, "no approvers"):
            rule.tier_ids = [Command.clear()]

    def test_domain_that_does_not_parse(self):
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            self.rule_quote_policy.with_user(self.ps_admin).domain = "[('amount_total', '>', "
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            self.rule_quote_policy.with_user(self.ps_admin).domain = \
                "[('no_such_field', '=', 1)]"

    def test_partner_flags_usable_in_a_policy(self):
        """The regulated-client flag can drive an extra policy an administrator adds."""
        self.customer.ps_is_regulated = True
        self.env["ps.approval.rule"].with_user(self.ps_admin).create({
            "name": "Quotes for regulated clients",
            "model_id": self.env["ir.model"]._get_id("sale.order"),
            "company_id": False,
            "domain": "[('partner_id.ps_is_regulated', '=', True)]",
            "tier_ids": [Command.create({"name": "Legal", "approver_type": "user",
                                         "user_ids": [Command.set(self.ps_admin.ids)]})],
        })
        order = self._quote(discount=0.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(self._lines(order).user_id, self.ps_admin)
