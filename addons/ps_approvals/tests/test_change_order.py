from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestChangeOrder(PsApprovalsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._confirmed_order(qty=3.0)
        cls.order_line = cls.order.order_line

    def _change(self, qty=5.0, new_line=True, user=None):
        lines = [Command.create({"sale_line_id": self.order_line.id, "product_uom_qty": qty})]
        if new_line:
            lines.append(Command.create({"product_id": self.consulting.id,
                                         "product_uom_qty": 2.0, "price_unit": 900.0}))
        return self.env["ps.change.order"].with_user(user or self.sales_ops).create({
            "order_id": self.order.id,
            "reason": "Client asked for two more workshop days",
            "line_ids": lines,
        })

    def test_parallel_tiers_both_must_approve(self):
        change = self._change()
        self.assertEqual(change.project_id, self.project)
        self.assertEqual(change.amount_delta, 2000.0 + 1800.0)
        self.assertTrue(change.changes_scope)
        change.with_user(self.sales_ops).action_submit()
        self.assertEqual(change.state, "submitted")
        pending = self._lines(change)
        self.assertEqual(pending.user_id, self.pm | self.salesman,
                         "delivery lead and account owner decide in parallel")
        self.assertEqual(set(pending.mapped("step")), {1})

        self._lines(change, self.pm).with_user(self.pm).action_approve()
        self.assertEqual(change.state, "submitted")
        self.assertEqual(self.order_line.product_uom_qty, 3.0, "the order is unchanged")
        self.assertEqual(len(self.order.order_line), 1)

        self._lines(change, self.salesman).with_user(self.salesman).action_approve()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.order_line.product_uom_qty, 5.0)
        self.assertEqual(len(self.order.order_line), 2)
        self.assertEqual(self.order.amount_untaxed, 6800.0)

    def test_only_who_sees_the_order_drafts_a_change(self):
        """A change order opens the order to its requester: a salesperson limited to
        their own documents cannot draft one on a colleague's order to read it."""
        with self.assertRaises(AccessError):
            self.env["ps.change.order"].with_user(self.salesman_2).create({
                "order_id": self.order.id, "reason": "Just looking"})

    def test_header_is_fixed_once_submitted_and_project_must_deliver(self):
        change = self._change()
        other = self.env["project.project"].sudo().create(
            {"name": "Friendly project", "user_id": self.pm_2.id})
        with self.assertRaisesRegex(ValidationError, "does not deliver"):
            change.project_id = other
        change.with_user(self.sales_ops).action_submit()
        with self.assertRaisesRegex(UserError, "keeps its order, project and requester"):
            change.with_user(self.sales_ops).requester_id = self.salesman_2

    def test_parallel_tiers_in_the_other_order(self):
        change = self._change(new_line=False)
        change.with_user(self.sales_ops).action_submit()
        self._lines(change, self.salesman).with_user(self.salesman).action_approve()
        self.assertEqual(self.order_line.product_uom_qty, 3.0)
        self._lines(change, self.pm).with_user(self.pm).action_approve()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.order_line.product_uom_qty, 5.0)

    def test_account_owner_cannot_approve_own_change(self):
        """Segregation of duties: the account owner drafting the change is not its
        approver; a sales manager stands in."""
        change = self._change(user=self.salesman)
        change.with_user(self.salesman).action_submit()
        pending = self._lines(change)
        self.assertNotIn(self.salesman, pending.user_id)
        self.assertIn(self.pm, pending.user_id)
        self.assertIn(self.sales_manager, pending.user_id)
        with self.assertRaises(UserError):
            change.with_user(self.salesman).action_ps_approve()

    def test_rejection_keeps_order_and_reason(self):
        change = self._change()
        change.with_user(self.sales_ops).action_submit()
        self._lines(change, self.pm).with_user(self.pm).action_reject(
            "The team has no capacity in June")
        self.assertEqual(change.state, "rejected")
        self.assertEqual(change.reject_reason, "The team has no capacity in June")
        self.assertEqual(self.order_line.product_uom_qty, 3.0)
        self.assertFalse(self._lines(change), "the other tier is cancelled")
        with self.assertRaises(UserError):
            change.with_user(self.sales_ops).action_apply()

    def test_apply_failure_is_reported(self):
        """Approved while the order was locked: the change waits, its requester is told,
        and it applies once the order is unlocked."""
        change = self._change(new_line=False)
        change.with_user(self.sales_ops).action_submit()
        self.order.sudo().action_lock()
        self._lines(change, self.pm).with_user(self.pm).action_approve()
        self._lines(change, self.salesman).with_user(self.salesman).action_approve()
        self.assertEqual(change.ps_approval_state, "approved")
        self.assertEqual(change.state, "submitted")
        self.assertEqual(self.order_line.product_uom_qty, 3.0)
        todo = change.activity_ids.filtered(lambda a: a.user_id == self.sales_ops)
        self.assertIn("locked", str(todo.note))
        self.order.sudo().action_unlock()
        change.with_user(self.sales_ops).action_apply()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.order_line.product_uom_qty, 5.0)

    def test_direct_amendment_above_limits_refused(self):
        """A change too large to apply directly (Settings: 1,000 and 10% of the order)
        names the change order."""
        with self.assertRefused("change order"):
            self.order.with_user(self.salesman).write(
                {"order_line": [Command.update(self.order_line.id, {"product_uom_qty": 9.0})]})
        with self.assertRefused("change order"):
            self.order.with_user(self.salesman).write({"order_line": [Command.create(
                {"product_id": self.consulting.id, "product_uom_qty": 1.0})]})
        # with the setting off, the order is amended as in plain Odoo
        self._set_settings(ps_lock_confirmed_orders=False)
        self.order_line.with_user(self.salesman).product_uom_qty = 9.0
        self.assertEqual(self.order_line.product_uom_qty, 9.0)

    def test_policy_switched_off_applies_at_once(self):
        self.rule_change_order.with_user(self.ps_admin).active = False
        change = self._change()
        change.with_user(self.sales_ops).action_submit()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.order_line.product_uom_qty, 5.0)
        # without an active change-order policy, confirmed orders are not locked
        self.order_line.with_user(self.salesman).product_uom_qty = 6.0

    def test_change_lines_frozen_once_submitted(self):
        change = self._change()
        change.with_user(self.sales_ops).action_submit()
        with self.assertRaises(UserError):
            change.line_ids[0].with_user(self.sales_ops).product_uom_qty = 50.0
        with self.assertRaisesRegex(UserError, "not a draft"):
            change.with_user(self.sales_ops).action_submit()

    def test_change_without_lines_refused(self):
        change = self.env["ps.change.order"].with_user(self.sales_ops).create(
            {"order_id": self.order.id, "reason": "Nothing"})
        with self.assertRaisesRegex(UserError, "no changes"):
            change.action_submit()
