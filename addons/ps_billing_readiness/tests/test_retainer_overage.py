from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.ps_base.tests.kit import ApprovableContract

from .common import BillingCommon


class RetainerCommon(BillingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.retainer = cls.env["product.product"].create({
            "name": "Support retainer (20 h)", "type": "service", "invoice_policy": "order",
            "service_type": "timesheet", "service_tracking": "task_in_project",
            "uom_id": cls.uom_hour.id, "uom_po_id": cls.uom_hour.id, "list_price": 90.0,
            "taxes_id": [Command.clear()]})
        cls.rule = cls.env.ref("ps_billing_readiness.rule_retainer_overage")
        cls.Overage = cls.env["ps.billing.retainer.overage"]

    def _retainer_order(self, hours=20.0):
        order = self._order([(self.retainer, hours)])
        order.order_line.project_id.user_id = self.pm
        return order

    def _overage(self, order, consumed=25.0):
        line = order.order_line
        return self.Overage.sudo().create({
            "sale_line_id": line.id, "contracted_hours": line.product_uom_qty,
            "consumed_hours": consumed}).sudo(False)


@tagged("post_install", "-at_install")
class TestRetainerOverage(RetainerCommon):

    def test_sweep_opens_the_overage_once_and_routes_it(self):
        order = self._retainer_order()
        task = order.order_line.task_id
        self._timesheet(18.0, task=task)
        self.env["ps.billing.sweep"]._cron_retainer_consumption()
        self.assertFalse(self.Overage.sudo().search([("order_id", "=", order.id)]),
                         "90% used: an alert, no overage")
        self._timesheet(4.0, task=task)
        self.env["ps.billing.sweep"]._cron_retainer_consumption()
        self.env["ps.billing.sweep"]._cron_retainer_consumption()  # idempotent
        overage = self.Overage.sudo().search([("order_id", "=", order.id)])
        self.assertEqual(len(overage), 1)
        self.assertEqual((overage.contracted_hours, overage.consumed_hours,
                          overage.overage_hours, overage.state),
                         (20.0, 22.0, 2.0, "submitted"))
        self.assertEqual(overage.ps_approval_state, "pending")
        # the account manager first, then finance
        first = overage._ps_pending_lines()
        self.assertEqual(first.user_id, self.billing)
        overage.with_user(self.billing).action_ps_approve()
        second = overage._ps_pending_lines()
        self.assertIn(self.finance, second.user_id)
        self.assertNotIn(self.billing, second.user_id)
        # readiness shows it until it is approved
        kinds = self.env["ps.billing.readiness"]._refresh_orders(order).blocker_ids \
            .mapped("kind")
        self.assertIn("retainer_overage", kinds)
        overage.with_user(self.finance).action_ps_approve()
        self.assertEqual((overage.state, overage.ps_approval_state), ("approved", "approved"))
        self.assertNotIn("retainer_overage", self.env["ps.billing.readiness"]._refresh_orders(
            order).blocker_ids.mapped("kind"))
        # a top-up (more prepaid hours) consumed beyond again asks again
        order.order_line.sudo().with_context(ps_approval_internal=True).write(
            {"product_uom_qty": 21.0})
        self.env["ps.billing.sweep"]._cron_retainer_consumption()
        self.assertEqual(self.Overage.sudo().search_count([("order_id", "=", order.id)]), 2)

    def test_rejected_overage_goes_back_and_can_be_sent_again(self):
        order = self._retainer_order()
        overage = self._overage(order)
        overage.with_user(self.pm).action_submit()
        line = overage._ps_pending_lines()
        line.with_user(self.billing).action_reject("No top-up agreed yet")
        self.assertEqual(overage.state, "rejected")
        blocker = self.env["ps.billing.readiness"]._refresh_orders(order).blocker_ids \
            .filtered(lambda b: b.kind == "retainer_overage")
        self.assertIn("top-up", blocker.todo)
        overage.with_user(self.pm).write({"note": "Top-up of 10 h signed"})
        overage.with_user(self.pm).action_submit()
        self.assertEqual(overage.state, "submitted")

    def test_users_cannot_forge_what_was_found(self):
        overage = self._overage(self._retainer_order())
        for vals in ({"consumed_hours": 20.0}, {"contracted_hours": 50.0},
                     {"state": "approved"}, {"state": "submitted"}):
            with self.assertRaises(UserError, msg=str(vals)):
                call_kw(self.env(user=self.finance)[overage._name], "write",
                        [overage.ids, vals], {})
        with self.assertRaises(AccessError):
            call_kw(self.env(user=self.finance)[overage._name], "create", [{
                "sale_line_id": overage.sale_line_id.id, "contracted_hours": 1.0}], {})
        # consultants read no overage; the account manager reads their order's
        with self.assertRaises(AccessError):
            overage.with_user(self.consultant).read(["state"])
        self.assertTrue(overage.with_user(self.billing).read(["state"]))

    def test_without_the_rule_the_overage_is_accepted(self):
        self.rule.active = False
        overage = self._overage(self._retainer_order())
        overage.with_user(self.pm).action_submit()
        self.assertEqual(overage.state, "approved")


@tagged("post_install", "-at_install")
class TestRetainerOverageContract(ApprovableContract, RetainerCommon):
    """ps_base's contract kit on retainer overages: the project manager asks, the account
    manager (then finance) decides, a consultant is an outsider."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit_requester, cls.kit_approver, cls.kit_outsider = \
            cls.pm, cls.billing, cls.consultant_2
        cls.kit_order = cls._order([(cls.retainer, 20.0)])

    kit_forged = {"consumed_hours": 0.0, "overage_hours": 0.0, "contracted_hours": 999.0}

    def _kit_document(self):
        return self._overage(self.kit_order)

    def _kit_submit(self, document):
        document.action_submit()
