from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.ps_base.tests.kit import ApprovableContract

from .common import BillingCommon


class ReleaseCommon(BillingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env.ref("ps_billing_readiness.rule_invoice_release")
        cls.project_service = cls.env["product.product"].create({
            "name": "Fixed-price delivery", "type": "service", "invoice_policy": "order",
            "service_tracking": "task_in_project", "list_price": 1000.0,
            "standard_price": 300.0, "taxes_id": [Command.clear()]})

    def _invoice(self, qty):
        order = self._order([(self.project_service, qty)])
        order.order_line.project_id.user_id = self.pm
        return order.with_user(self.billing)._create_invoices()

    def _lines(self, invoice, user=None):
        lines = invoice._ps_pending_lines().filtered(lambda l: l.rule_id == self.rule)
        return lines.filtered(lambda l: l.user_id == user) if user else lines


@tagged("post_install", "-at_install")
class TestInvoiceRelease(ApprovableContract, ReleaseCommon):
    """The release policy, and ps_base's contract kit on customer invoices."""
    kit_forged = {"ps_release_amount": 1.0, "ps_invoice_margin": 99.0,
                  "ps_release_breach": False, "ps_manual_adjustment": False}
    kit_forged_sources = (("invoice_line_ids", "price_subtotal", 1.0),)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit_requester, cls.kit_approver, cls.kit_outsider = cls.billing, cls.pm, cls.pm_2

    def _kit_document(self):
        invoice = self._invoice(12.0)
        invoice.invoice_date = fields.Date.today()
        return invoice

    def _kit_submit(self, document):
        document.action_post()

    def test_small_invoice_posts_as_in_odoo(self):
        invoice = self._invoice(3.0)
        self.assertFalse(invoice.ps_release_breach)
        invoice.with_user(self.billing).action_post()
        self.assertEqual((invoice.state, invoice.ps_approval_state), ("posted", "not_required"))

    def test_large_invoice_waits_for_manager_then_finance(self):
        invoice = self._invoice(12.0)  # 12,000 > 10,000
        result = invoice.with_user(self.billing).action_post()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual((invoice.state, invoice.ps_approval_state), ("draft", "pending"))
        self.assertEqual(self._lines(invoice).user_id, self.pm, "the project manager first")
        # the one who created it never approves; the project manager cannot post
        with self.assertRaises(UserError):
            invoice.with_user(self.billing).action_ps_approve()
        invoice.with_user(self.pm).action_ps_approve()
        self.assertEqual(invoice.state, "draft", "finance still has to approve")
        self.assertIn(self.finance, self._lines(invoice).user_id)
        self.assertNotIn(self.billing, self._lines(invoice).user_id)
        invoice.with_user(self.finance).action_ps_approve()
        self.assertEqual(invoice.state, "posted", "the posting asked for completes")

    def test_threshold_from_settings(self):
        self.env["ir.config_parameter"].set_param("ps_billing_readiness.release_amount", "20000")
        invoice = self._invoice(12.0)
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "posted")

    def test_manual_price_or_quantity_adjustment_needs_release(self):
        invoice = self._invoice(2.0)
        self.assertFalse(invoice.ps_manual_adjustment)
        invoice.with_user(self.billing).write({"invoice_line_ids": [Command.update(
            invoice.invoice_line_ids.id, {"price_unit": 1200.0})]})
        self.assertTrue(invoice.ps_manual_adjustment)
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "draft")
        quantity = self._invoice(2.0)
        quantity.with_user(self.billing).write({"invoice_line_ids": [Command.update(
            quantity.invoice_line_ids.id, {"quantity": 3.0})]})
        self.assertTrue(quantity.ps_manual_adjustment, "more than the order has to invoice")
        quantity.with_user(self.billing).action_post()
        self.assertEqual(quantity.state, "draft")

    def test_low_margin_needs_release(self):
        order = self._order([(self.project_service, 2.0)])
        self.project_service.standard_price = 900.0  # 10% margin, floor 20%
        invoice = order.with_user(self.billing)._create_invoices()
        self.assertAlmostEqual(invoice.ps_invoice_margin, 10.0)
        invoice.with_user(self.billing).action_post()
        self.assertEqual((invoice.state, invoice.ps_approval_state), ("draft", "pending"))

    def test_billing_user_cannot_forge_facts_or_post_otherwise(self):
        invoice = self._invoice(12.0)
        env = self.env(user=self.billing)
        for vals in ({"ps_release_amount": 10.0}, {"ps_invoice_margin": 90.0},
                     {"ps_release_breach": False}, {"ps_manual_adjustment": False},
                     {"state": "posted"}, {"ps_approval_state": "approved"}):
            with self.assertRaises(UserError, msg=str(vals)):
                call_kw(env["account.move"], "write", [invoice.ids, vals], {})
        # another posting method: private over RPC, gated in code
        with self.assertRaises(UserError):
            call_kw(env["account.move"], "_post", [invoice.ids], {})
        with self.assertRaises(UserError):
            invoice.with_user(self.billing)._post(soft=False)
        invoice.with_user(self.billing).action_post()
        # lowering the facts through the lines once held: the approval resets, still held
        with self.assertRaises(UserError):
            call_kw(env["account.move"], "write", [invoice.ids, {"state": "posted"}], {})
        self.assertEqual(invoice.state, "draft")

    def test_project_manager_cannot_post_invoices(self):
        invoice = self._invoice(2.0)
        with self.assertRaises(AccessError):
            call_kw(self.env(user=self.pm)["account.move"], "action_post", [invoice.ids], {})
        self.assertEqual(invoice.state, "draft")

    def test_time_and_materials_invoicing_as_in_odoo(self):
        self._timesheet(6.0)
        invoice = self.order.with_user(self.billing)._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.quantity, 6.0)
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(self.so_line.qty_invoiced, 6.0)

