from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestApprovalConfig(PsBaseCommon):

    def _rule_vals(self, **vals):
        return {
            "name": "Bad", "model_id": self.request_model.id,
            "tier_ids": [Command.create({"name": "T", "approver_type": "user",
                                         "user_ids": [Command.set(self.pm.ids)]})],
            **vals,
        }

    def test_domain_that_does_not_parse(self):
        Rule = self.env["ps.approval.rule"].with_user(self.admin_ps)
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            Rule.create(self._rule_vals(domain="[('amount', '>', "))
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            Rule.create(self._rule_vals(domain="[('no_such_field', '=', 1)]"))
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            Rule.create(self._rule_vals(domain="42"))
        # records are not offered to the condition: nothing to call methods on
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            Rule.create(self._rule_vals(
                domain="[('id', '!=', user.sudo().write({'name': 'pwned'}))]"))
        self.assertNotEqual(self.admin_ps.name, "pwned")
        rule = Rule.create(self._rule_vals(domain="[('requester_id', '=', uid)]"))
        self.assertTrue(rule.exists())

    def test_negative_threshold(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.env["ps.approval.rule"].with_user(self.admin_ps).create(self._rule_vals(
                amount_field_id=self.amount_field.id, amount_threshold=-1))
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.rule.with_user(self.admin_ps).escalation_hours = -5

    def test_rule_without_approvers(self):
        with self.assertRaisesRegex(ValidationError, "no approvers"):
            self.env["ps.approval.rule"].with_user(self.admin_ps).create(
                self._rule_vals(tier_ids=[]))
        with self.assertRaisesRegex(ValidationError, "at least one user"):
            self.env["ps.approval.rule"].with_user(self.admin_ps).create(self._rule_vals(
                tier_ids=[Command.create({"name": "Empty", "approver_type": "user"})]))
        with self.assertRaisesRegex(ValidationError, "needs a group"):
            self.tier_finance.with_user(self.admin_ps).group_id = False

    def test_bad_user_field_and_quorum(self):
        with self.assertRaisesRegex(ValidationError, "not a path"):
            self.env["ps.approval.rule"].create(self._rule_vals(tier_ids=[Command.create(
                {"name": "F", "approver_type": "field", "field_path": "category_id.nope"})]))
        with self.assertRaisesRegex(ValidationError, "not to users"):
            self.env["ps.approval.rule"].create(self._rule_vals(tier_ids=[Command.create(
                {"name": "F", "approver_type": "field", "field_path": "category_id"})]))
        with self.assertRaisesRegex(ValidationError, "asks for 3 approvals"):
            self.env["ps.approval.rule"].create(self._rule_vals(tier_ids=[Command.create(
                {"name": "Q", "approver_type": "user", "quorum": 3,
                 "user_ids": [Command.set((self.pm | self.finance).ids)]})]))
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.tier_finance.quorum = -1

    def test_used_rules_and_tiers_are_archived_not_deleted(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        rule = self.rule.with_user(self.admin_ps)
        with self.assertRaisesRegex(UserError, "Archive the rule"):
            rule.write({"tier_ids": [Command.clear()]})
        with self.assertRaisesRegex(UserError, "Archive the rule"):
            rule.unlink()
        rule.active = False
        self.assertFalse(rule.active)
        # an unused rule can be deleted
        unused = self.env["ps.approval.rule"].create(self._rule_vals(name="Unused"))
        unused.with_user(self.admin_ps).unlink()
        self.assertFalse(unused.exists())

    def test_model_must_be_approvable(self):
        with self.assertRaisesRegex(ValidationError, "cannot be approved"):
            self.env["ps.approval.rule"].create(self._rule_vals(
                model_id=self.env["ir.model"]._get("res.partner").id))

    def test_only_administrators_configure_rules(self):
        with self.assertRaises(AccessError):
            self.rule.with_user(self.finance).write({"amount_threshold": 1})
        with self.assertRaises(AccessError):
            self.env["ps.approval.rule"].with_user(self.pm).create(self._rule_vals())
        # everybody can read the rules that apply to them
        self.assertEqual(self.rule.with_user(self.consultant).name, "Requests above 1000")

    def test_settings_thresholds_validated(self):
        settings = self.env["res.config.settings"].with_user(self.admin_ps)
        with self.assertRaisesRegex(ValidationError, "positive number of hours"):
            settings.create({"ps_approval_escalation_hours": -2})
        with self.assertRaisesRegex(ValidationError, "retention cannot be negative"):
            settings.create({"ps_audit_retention_days": -1})
        config = settings.create({"ps_approval_escalation_hours": 12,
                                  "ps_audit_retention_days": 400})
        config.execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(float(params.get_param("ps_base.approval_escalation_hours")), 12.0)
        # the new default deadline is used by tiers without one of their own
        self.rule.escalation_hours = 0
        self.assertEqual(self.tier_manager._escalation_delay(), 12.0)
