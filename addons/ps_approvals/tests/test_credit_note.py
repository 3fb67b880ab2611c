from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestCreditNotePolicy(PsApprovalsCommon):

    def _move(self, amount, move_type="out_refund"):
        return self.env["account.move"].with_user(self.billing).create({
            "move_type": move_type,
            "partner_id": self.customer.id,
            "invoice_date": fields.Date.today(),
            "invoice_line_ids": [Command.create({
                "product_id": self.consulting.id, "quantity": 1.0, "price_unit": amount,
                "tax_ids": [Command.clear()]})],
        })

    def test_invoice_posts_as_in_plain_odoo(self):
        # the credit-note policies of this addon only: another addon (ps_billing_readiness'
        # invoice release) may hold customer invoices by its own rules
        own = self.env["ir.model.data"].sudo().search([
            ("module", "=", "ps_approvals"), ("model", "=", "ps.approval.rule")]).mapped("res_id")
        self.env["ps.approval.rule"].sudo().search([
            ("model_id.model", "=", "account.move"), ("id", "not in", own)]).active = False
        invoice = self._move(20000.0, move_type="out_invoice")
        invoice.with_user(self.billing).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.ps_approval_state, "not_required")

    def test_credit_note_needs_finance(self):
        refund = self._move(500.0)
        action = refund.with_user(self.billing).action_post()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(refund.state, "draft")
        lines = self._lines(refund)
        self.assertEqual(lines.rule_id, self.rule_credit_note)
        self.assertIn(self.finance, lines.user_id)
        self.assertNotIn(self.billing, lines.user_id)
        refund.with_user(self.finance).action_ps_approve()
        self.assertEqual(refund.state, "posted", "the posting asked for completes")
        self.assertEqual(refund.ps_approval_state, "approved")

    def test_large_credit_note_needs_finance_and_administrator(self):
        refund = self._move(20000.0)
        refund.with_user(self.billing).action_post()
        self.assertEqual(self._lines(refund).rule_id,
                         self.rule_credit_note | self.rule_credit_note_large)
        refund.with_user(self.finance).action_ps_approve()
        self.assertEqual(refund.state, "draft", "an administrator must approve as well")
        self.assertTrue(self._lines(refund, self.ps_admin).filtered(
            lambda l: l.tier_id.name == "Administrator"))
        refund.with_user(self.ps_admin).action_ps_approve()
        self.assertEqual(refund.state, "posted")

    def test_one_person_cannot_fill_both_tiers(self):
        refund = self._move(20000.0)
        refund.with_user(self.billing).action_post()
        large = self._lines(refund, self.ps_admin).filtered(
            lambda l: l.rule_id == self.rule_credit_note_large)
        finance_tier = large.filtered(lambda l: l.tier_id.name == "Finance controller")
        admin_tier = large - finance_tier
        finance_tier.with_user(self.ps_admin).action_approve()
        with self.assertRaisesRegex(UserError, "segregation of duties"):
            admin_tier.with_user(self.ps_admin).action_approve()
        self.assertEqual(refund.state, "draft")

    def test_threshold_read_from_settings(self):
        self._set_settings(ps_credit_note_amount=50000.0)
        refund = self._move(20000.0)
        refund.with_user(self.billing).action_post()
        self.assertEqual(self._lines(refund).rule_id, self.rule_credit_note)

    def test_write_off_entry_needs_finance(self):
        write_off_account = self.company_data["default_account_expense"].copy(
            {"name": "Bad debts", "code": "659900", "ps_is_write_off": True})
        entry = self.env["account.move"].with_user(self.billing).create({
            "move_type": "entry",
            "line_ids": [
                Command.create({"account_id": write_off_account.id, "debit": 300.0}),
                Command.create({"account_id": self.company_data["default_account_receivable"].id,
                                "partner_id": self.customer.id, "credit": 300.0}),
            ],
        })
        entry.with_user(self.billing).action_post()
        self.assertEqual(entry.state, "draft")
        self.assertEqual(self._lines(entry).rule_id, self.rule_credit_note)
        # an ordinary entry is not a write-off
        plain = entry.copy({"line_ids": [
            Command.create({"account_id": self.company_data["default_account_expense"].id,
                            "debit": 300.0}),
            Command.create({"account_id": self.company_data["default_account_receivable"].id,
                            "partner_id": self.customer.id, "credit": 300.0})]})
        plain.with_user(self.billing).action_post()
        self.assertEqual(plain.state, "posted")

    def _write_off_entry(self):
        write_off_account = self.company_data["default_account_expense"].copy(
            {"name": "Bad debts", "code": "659901", "ps_is_write_off": True})
        return self.env["account.move"].with_user(self.billing).create({
            "move_type": "entry",
            "line_ids": [
                Command.create({"account_id": write_off_account.id, "debit": 300.0}),
                Command.create({"account_id": self.company_data["default_account_receivable"].id,
                                "partner_id": self.customer.id, "credit": 300.0}),
            ],
        })

    def test_write_off_does_not_escape_as_a_payment_entry(self):
        """Naming a payment on a write-off entry does not make it the payment's own entry:
        the entry still waits for finance. Tried over RPC by a billing user."""
        payment = self.env["account.payment"].with_user(self.billing).create({
            "payment_type": "inbound", "partner_type": "customer",
            "partner_id": self.customer.id, "amount": 10.0})
        entry = self._write_off_entry()
        env = self.env(user=self.billing)
        call_kw(env["account.move"], "write", [entry.ids, {"origin_payment_id": payment.id}], {})
        self.assertEqual(entry.origin_payment_id, payment)
        self.assertTrue(entry.ps_is_write_off)
        call_kw(env["account.move"], "action_post", [entry.ids], {})
        self.assertEqual(entry.state, "draft", "held for finance")
        self.assertEqual(self._lines(entry).rule_id, self.rule_credit_note)
        self.assertIn(entry, self.env["account.move"].search([("ps_is_write_off", "=", True)]))
        # the payment's own entry is not a write-off, and posts with the payment
        payment.with_user(self.billing).action_post()
        self.assertEqual(payment.state, "in_process")
        if payment.move_id:
            self.assertFalse(payment.move_id.ps_is_write_off)

    def test_rejection_keeps_draft_with_reason(self):
        refund = self._move(500.0)
        refund.with_user(self.billing).action_post()
        lines = self._lines(refund, self.finance)
        lines.with_user(self.finance).action_reject("No complaint on file for this invoice")
        self.assertEqual(refund.state, "draft")
        self.assertEqual(refund.ps_approval_state, "rejected")
        activity = refund.activity_ids.filtered(lambda a: a.user_id == self.billing)
        self.assertIn("No complaint on file", str(activity.note))

    def test_reversal_posted_at_once_is_refused_clearly(self):
        invoice = self._move(500.0, move_type="out_invoice")
        invoice.with_user(self.billing).action_post()
        reversal = self.env["account.move.reversal"].with_user(self.billing).with_context(
            active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": invoice.journal_id.id, "reason": "Cancelled engagement"})
        with self.assertRaisesRegex(UserError, "reverse without cancelling"):
            reversal.modify_moves()
        # a plain reversal drafts the credit note, which then goes for approval
        action = reversal.refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(refund.state, "draft")
        refund.with_user(self.billing).action_ps_request_approval()
        self.assertEqual(refund.ps_approval_state, "pending")

    def test_accounting_administrators_decide_without_finance_controllers(self):
        """Finance tiers fall back on Odoo's accounting administrators where the company
        has no PS finance controller: a fresh install always has someone who can decide."""
        company = self.setup_other_company(name="PS branch without finance")["company"]
        billing, accountant = (self.env["res.users"].create({
            "name": name, "login": login, "groups_id": [Command.set(groups.ids)],
            "company_id": company.id, "company_ids": [Command.set(company.ids)],
        }) for name, login, groups in (
            ("Bea Branch Billing", "ps_appr_branch_billing",
             self.env.ref("account.group_account_invoice")),
            ("Ari Branch Accountant", "ps_appr_branch_accountant",
             self.env.ref("account.group_account_manager"))))
        refund = self.env["account.move"].with_user(billing).with_company(company).create({
            "move_type": "out_refund", "partner_id": self.customer.id,
            "invoice_date": fields.Date.today(),
            "invoice_line_ids": [Command.create({
                "name": "Goodwill", "quantity": 1.0, "price_unit": 200.0,
                "tax_ids": [Command.clear()]})],
        })
        refund.with_user(billing).action_post()
        self.assertEqual(refund.state, "draft")
        lines = self._lines(refund)
        self.assertIn(accountant, lines.user_id)
        self.assertTrue(all(lines.mapped("is_fallback")))
        refund.with_user(accountant).with_company(company).action_ps_approve()
        self.assertEqual(refund.state, "posted")

    def test_policy_switched_off(self):
        (self.rule_credit_note | self.rule_credit_note_large).with_user(
            self.ps_admin).active = False
        refund = self._move(20000.0)
        refund.with_user(self.billing).action_post()
        self.assertEqual(refund.state, "posted")
