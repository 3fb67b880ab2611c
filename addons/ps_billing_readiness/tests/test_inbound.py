from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestInboundActions(BillingCommon):
    """What n8n may ask through ps_governance's inbound webhooks, called as the technical
    user a caller runs as (``model.with_user(caller.user_id).<method>(params)``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.robot = new_test_user(
            cls.env, login="br_n8n", name="n8n (technical)",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads,"
                   "project.group_project_user")
        cls.Order = cls.env["sale.order"].with_user(cls.robot)

    def _audit(self, order, field_name):
        return self.env["ps.audit.log"].sudo().search([
            ("res_model", "=", "sale.order"), ("res_id", "=", order.id),
            ("field_name", "=", field_name)])

    def test_inbound_actions_are_allowlisted(self):
        self.assertEqual(set(type(self.env["sale.order"])._ps_inbound_actions),
                         {"_ps_inbound_attach_po", "_ps_inbound_milestone_reached"})

    def test_attach_po(self):
        result = self.Order._ps_inbound_attach_po({
            "order": self.order.name, "po_number": " PO-2026-17 ",
            "valid_until": "2026-12-31", "ceiling": 5000})
        self.assertEqual((self.order.ps_po_number, self.order.ps_po_valid_until,
                          self.order.ps_po_ceiling),
                         ("PO-2026-17", date(2026, 12, 31), 5000.0))
        self.assertEqual(result["changed"], ["ps_po_ceiling", "ps_po_number",
                                             "ps_po_valid_until"])
        log = self._audit(self.order, "ps_po_number")
        self.assertEqual((log.new_value, log.user_id), ("PO-2026-17", self.robot))
        self.assertIn("inbound webhook", self.order.message_ids[0].body)
        # the same call again (at-least-once delivery) changes nothing
        again = self.Order._ps_inbound_attach_po({
            "order_id": self.order.id, "po_number": "PO-2026-17",
            "valid_until": "2026-12-31", "ceiling": 5000.0})
        self.assertEqual(again["changed"], [])
        self.assertEqual(len(self._audit(self.order, "ps_po_number")), 1)
        # the PO then counts for readiness
        self.order.ps_po_ceiling = 10.0
        self._timesheet(1.0).with_user(self.pm).action_ps_approve_timesheets()
        self.assertIn("po_exhausted", self.env["ps.billing.readiness"]._refresh_orders(
            self.order).blocker_ids.mapped("kind"))

    def test_attach_po_refuses_bad_payloads_whole(self):
        bad = [
            ({}, "order_id"),
            ({"order_id": "12", "po_number": "X"}, "a number"),
            ({"order": "S-NOPE", "po_number": "X"}, "No such sale order"),
            ({"order_id": self.order.id}, "po_number"),
            ({"order_id": self.order.id, "po_number": "  "}, "po_number"),
            ({"order_id": self.order.id, "po_number": "X" * 65}, "64"),
            ({"order_id": self.order.id, "po_number": "PO-1", "valid_until": "31/12/2026"},
             "YYYY-MM-DD"),
            ({"order_id": self.order.id, "po_number": "PO-1", "ceiling": -1}, "0 or more"),
            ({"order_id": self.order.id, "po_number": "PO-1", "ceiling": "1000"},
             "0 or more"),
            ({"order_id": self.order.id, "po_number": "PO-1", "ceiling": True}, "0 or more"),
        ]
        for params, reason in bad:
            with self.assertRaisesRegex(UserError, reason, msg=str(params)):
                self.Order._ps_inbound_attach_po(params)
        self.assertFalse(self.order.ps_po_number, "nothing half-applied")
        self.assertFalse(self._audit(self.order, "ps_po_number"))
        # a caller running as a user without rights on orders gets AccessError
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.consultant)._ps_inbound_attach_po(
                {"order_id": self.order.id, "po_number": "PO-1"})

    def test_milestone_reached(self):
        order = self._order([(self.service_milestone, 1.0)])
        milestone = self.env["project.milestone"].create({
            "name": "Go-live", "project_id": order.order_line.project_id.id,
            "sale_line_id": order.order_line.id, "quantity_percentage": 0.5})
        other = self.env["project.milestone"].create({
            "name": "Elsewhere", "project_id": self.project.id})
        for params, reason in (
                ({"order_id": order.id}, "milestone_id"),
                ({"order_id": order.id, "milestone_id": other.id}, "no such milestone"),
                ({"order_id": order.id, "milestone": "Nope"}, "no such milestone"),
                ({"order_id": order.id, "milestone_id": "x"}, "a number")):
            with self.assertRaisesRegex(UserError, reason, msg=str(params)):
                self.Order._ps_inbound_milestone_reached(params)
        self.assertFalse(milestone.is_reached)
        result = self.Order._ps_inbound_milestone_reached(
            {"order": order.name, "milestone": "Go-live"})
        self.assertTrue(milestone.is_reached)
        self.assertFalse(result["already_reached"])
        log = self._audit(order, "milestone")
        self.assertEqual((log.new_value, log.user_id), ("Go-live", self.robot))
        # readiness now shows it to invoice
        self.assertIn("milestone", self.env["ps.billing.readiness"]._refresh_orders(
            order).blocker_ids.mapped("kind"))
        # reported twice: nothing more
        again = self.Order._ps_inbound_milestone_reached(
            {"order_id": order.id, "milestone_id": milestone.id})
        self.assertTrue(again["already_reached"])
        self.assertEqual(len(self._audit(order, "milestone")), 1)

    def test_milestone_of_a_cancelled_order_is_refused(self):
        order = self._order([(self.service_milestone, 1.0)], confirm=False)
        order.action_confirm()
        milestone = self.env["project.milestone"].create({
            "name": "Kick-off", "project_id": order.order_line.project_id.id,
            "sale_line_id": order.order_line.id, "quantity_percentage": 0.2})
        order.sudo()._action_cancel()
        with self.assertRaisesRegex(UserError, "cancelled"):
            self.Order._ps_inbound_milestone_reached(
                {"order_id": order.id, "milestone_id": milestone.id})
        self.assertFalse(milestone.is_reached)
