from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestQuotePolicy(PsApprovalsCommon):

    def test_small_discount_confirms_at_once(self):
        """Below every threshold the quote confirms as in plain Odoo."""
        order = self._quote(discount=5.0)
        result = order.with_user(self.salesman).action_confirm()
        self.assertIs(result, True)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.ps_approval_state, "not_required")
        self.assertFalse(order.ps_approval_request_ids)

    def test_discount_above_threshold_needs_sales_manager(self):
        order = self._quote(discount=20.0)
        self.assertTrue(order.ps_quote_policy_breach)
        self.assertTrue(order.ps_approval_required)
        action = order.with_user(self.salesman).action_confirm()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(order.state, "draft", "the quote waits for the sales manager")
        self.assertEqual(order.ps_approval_state, "pending")
        self.assertEqual(order.ps_approval_deferred_user_id, self.salesman)
        lines = self._lines(order, self.sales_manager)
        self.assertEqual(lines.rule_id, self.rule_quote_policy)
        self.assertNotIn(self.salesman, self._lines(order).user_id,
                         "the salesperson never approves their own quote")
        # a direct write of the state is refused too, naming who must approve
        with self.assertRaisesRegex(UserError, "Mia Sales Manager"):
            order.with_user(self.salesman).write({"state": "sale"})
        # another salesperson cannot decide in the manager's place
        with self.assertRaises(AccessError):
            lines.with_user(self.salesman_2).action_approve()

        lines.with_user(self.sales_manager).action_approve()
        self.assertEqual(order.ps_approval_state, "approved")
        self.assertEqual(order.state, "sale", "the confirmation asked for completes by itself")
        self.assertFalse(order.ps_approval_deferred_user_id)

    def test_margin_below_floor_needs_sales_manager(self):
        order = self._quote(price=450.0)  # cost 400: margin about 11%
        self.assertLess(order.margin_percent, 0.20)
        self.assertTrue(order.ps_quote_policy_breach)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertTrue(self._lines(order, self.sales_manager))
        # a margin floor lowered in Settings lets the next quote through
        self._set_settings(ps_quote_margin_floor=10.0)
        other = self._quote(price=450.0)
        other.with_user(self.salesman).action_confirm()
        self.assertEqual(other.state, "sale")

    def test_discount_threshold_read_from_settings(self):
        self._set_settings(ps_quote_discount_threshold=25.0)
        order = self._quote(discount=20.0)
        self.assertFalse(order.ps_quote_policy_breach)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

        self._set_settings(ps_quote_discount_threshold=3.0)
        order = self._quote(discount=5.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft", "the lower threshold applies at once")

    def test_large_quote_needs_sales_manager_then_finance(self):
        order = self._quote(qty=60.0)  # 60,000 untaxed, no discount, margin 60%
        self.assertEqual(order.ps_amount_untaxed_company, 60000.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertTrue(self._lines(order, self.sales_manager))
        self.assertFalse(self._lines(order, self.finance), "finance decides second")

        self._lines(order, self.sales_manager).with_user(self.sales_manager).action_approve()
        self.assertEqual(order.state, "draft")
        finance_lines = self._lines(order, self.finance)
        self.assertTrue(finance_lines)
        finance_lines.with_user(self.finance).action_approve()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.ps_approval_state, "approved")

    def test_large_amount_read_from_settings(self):
        self._set_settings(ps_quote_finance_amount=100000.0)
        self.assertEqual(self.rule_quote_large.amount_threshold, 100000.0)
        settings = self.env["res.config.settings"].with_user(self.ps_admin).create({})
        self.assertEqual(settings.ps_quote_finance_amount, 100000.0)
        order = self._quote(qty=60.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_sales_manager_confirming_approves(self):
        """An approver who clicks Confirm on a quote waiting for them gives their approval
        with it."""
        order = self._quote(discount=20.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        order.with_user(self.sales_manager).action_confirm()
        self.assertEqual(order.state, "sale")
        decided = self._lines(order, self.sales_manager, state="approved")
        self.assertTrue(decided)

    def test_whoever_starts_the_approval_cannot_give_it(self):
        """A manager who confirms a discounted quote in a salesperson's name starts the
        approval: another manager gives it (the salesperson field is editable, so it is no
        proof of who asks)."""
        order = self._quote(discount=20.0)
        order.with_user(self.sales_manager).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._lines(order, self.sales_manager))
        self.assertTrue(self._lines(order))

    def test_online_confirmation_completes_in_salesperson_name(self):
        """A quote signed online (confirmed as superuser) waits for the approval too, and
        is confirmed in the salesperson's name once approved."""
        order = self._quote(discount=20.0)
        order.sudo().action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.ps_approval_deferred_user_id, self.salesman)
        self._lines(order, self.sales_manager).with_user(self.sales_manager).action_approve()
        self.assertEqual(order.state, "sale")

    def test_own_quote_needs_another_manager(self):
        """Segregation of duties: a sales manager's own quote goes to another manager."""
        order = self._quote(discount=20.0, user=self.sales_manager)
        order.with_user(self.sales_manager).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._lines(order, self.sales_manager))
        self.assertTrue(self._lines(order, self.ps_admin))

    def test_rejection_returns_quote_with_reason(self):
        order = self._quote(discount=30.0)
        order.with_user(self.salesman).action_confirm()
        lines = self._lines(order, self.sales_manager)
        with self.assertRaises(UserError):
            lines.with_user(self.sales_manager).action_reject("")
        lines.with_user(self.sales_manager).action_reject("30% is not justified; 15% max")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.ps_approval_state, "rejected")
        self.assertFalse(order.ps_approval_deferred_user_id)
        activity = order.activity_ids.filtered(lambda a: a.user_id == self.salesman)
        self.assertTrue(activity, "the salesperson gets the quote back as an activity")
        self.assertIn("15% max", str(activity.note))
        with self.assertRaisesRegex(UserError, "15% max"):
            order.with_user(self.salesman).write({"state": "sale"})
        # fixed, it confirms at once
        order.order_line.with_user(self.salesman).write({"discount": 10.0})
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_reapproval_when_discount_raised(self):
        order = self._quote(discount=20.0)
        order.with_user(self.salesman).action_ps_request_approval()
        self._lines(order, self.sales_manager).with_user(self.sales_manager).action_approve()
        self.assertEqual(order.ps_approval_state, "approved")
        self.assertEqual(order.state, "draft", "only a confirmation asked for completes")
        order.order_line.with_user(self.salesman).write({"discount": 40.0})
        self.assertEqual(order.ps_approval_state, "pending", "a larger discount is approved anew")
        self.assertTrue(self._lines(order, self.sales_manager))

    def test_sales_manager_tier_is_odoo_s_sales_managers(self):
        sales_managers = self.env.ref("sales_team.group_sale_manager")
        for rule in (self.rule_quote_policy, self.rule_quote_large):
            self.assertEqual(rule.tier_ids.filtered(lambda t: t.step == 1).group_id,
                             sales_managers, rule.name)

    def test_nobody_but_the_requester_can_decide(self):
        """The only sales manager of a branch confirms their own discounted quote: it is
        held, the administrators get an exception, and Retry routes it once another
        manager joins the branch."""
        branch = self.env["res.company"].create({"name": "PS solo branch"})
        # the test's own user (a sales manager) is not of the branch
        self.env.user.company_ids -= branch
        in_branch = {"company_id": branch.id, "company_ids": [Command.set(branch.ids)]}
        solo = new_test_user(self.env, login="ps_appr_solo", name="Sol Solo",
                             groups="sales_team.group_sale_manager", **in_branch)
        administrator = new_test_user(self.env, login="ps_appr_branch_admin",
                                      name="Bran Admin", groups="ps_base.group_ps_manager",
                                      **in_branch)
        order = self.env["sale.order"].with_user(solo).with_company(branch).create({
            "partner_id": self.customer.id, "user_id": solo.id,
            "order_line": [Command.create({"product_id": self.consulting.id,
                                           "product_uom_qty": 2.0, "discount": 30.0})]})
        order.with_user(solo).action_confirm()
        self.assertEqual((order.state, order.ps_approval_state), ("draft", "pending"))
        self.assertFalse(self._lines(order), "nobody could be found")
        exception = self.env["ps.exception"].with_user(administrator).search([
            ("res_model", "=", "sale.order"), ("res_id", "=", order.id),
            ("kind", "=", "approval_unresolvable")])
        self.assertEqual(len(exception), 1, "the administrators are told")
        with self.assertRaises(UserError):
            order.with_user(solo).write({"state": "sale"})

        other = new_test_user(self.env, login="ps_appr_branch_mgr", name="Otto Branch",
                              groups="sales_team.group_sale_manager", **in_branch)
        order.ps_approval_request_ids.with_user(administrator).action_retry_step()
        self.assertEqual(self._lines(order).user_id, other)
        self.assertEqual(exception.state, "resolved")
        self._lines(order).with_user(other).action_approve()
        self.assertEqual(order.state, "sale", "confirmed in the salesperson's name")

    def test_policy_switched_off(self):
        self.rule_quote_policy.with_user(self.ps_admin).active = False
        order = self._quote(discount=30.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.ps_approval_state, "not_required")
