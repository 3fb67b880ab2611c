from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.ps_base.tests.kit import ApprovableContract


class DeclaredCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.requester = new_test_user(cls.env, "ps_decl_requester", groups="base.group_user")
        cls.approver = new_test_user(cls.env, "ps_decl_approver", groups="base.group_user")
        cls.outsider = new_test_user(cls.env, "ps_decl_outsider", groups="base.group_user")
        cls.kit_requester, cls.kit_approver, cls.kit_outsider = \
            cls.requester, cls.approver, cls.outsider
        cls.rule = cls.env["ps.approval.rule"].create({
            "name": "Test documents above 1,000",
            "model_id": cls.env["ir.model"]._get_id("ps.test.approvable"),
            "amount_field_id": cls.env["ir.model.fields"]._get(
                "ps.test.approvable", "amount_total").id,
            "amount_threshold": 1000,
            "tier_ids": [Command.create({"name": "Approver", "approver_type": "user",
                                         "user_ids": [Command.set(cls.approver.ids)]})],
        })

    def _document(self, quantity=10.0, price=500.0):
        return self.env["ps.test.approvable"].with_user(self.requester).create({
            "name": "Test", "line_ids": [Command.create({"quantity": quantity,
                                                         "price": price})]})


@tagged("post_install", "-at_install")
class TestDeclaredContract(ApprovableContract, DeclaredCommon):
    """ps_base's contract on a document that only declares itself approvable."""

    kit_forged = {"amount_total": 1.0}
    kit_forged_sources = (("line_ids", "subtotal", 1.0),)

    def _kit_document(self):
        return self._document()

    def _kit_submit(self, document):
        document.action_confirm()


@tagged("post_install", "-at_install")
class TestDeclaredDocument(DeclaredCommon):

    def test_below_threshold_the_action_runs_as_without_the_suite(self):
        document = self._document(quantity=1.0, price=100.0)
        document.with_user(self.requester).action_confirm()
        self.assertEqual(document.state, "confirmed")
        self.assertEqual(document.ps_approval_state, "not_required")

    def test_the_action_completes_in_the_requesters_name_on_approval(self):
        document = self._document()
        result = document.with_user(self.requester).action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(document.state, "draft")
        self.assertEqual(document.ps_approval_deferred_action, "action_confirm")
        document.with_user(self.approver).action_ps_approve()
        self.assertEqual(document.state, "confirmed")
        self.assertEqual(document.confirmed_by_id, self.requester)
        self.assertFalse(document.ps_approval_deferred_user_id)

    def test_the_approver_clicking_the_action_decides_it(self):
        document = self._document()
        document.with_user(self.requester).action_confirm()
        document.with_user(self.approver).action_confirm()
        self.assertEqual(document.state, "confirmed")
        self.assertEqual(document.confirmed_by_id, self.approver)

    def test_facts_forged_on_the_lines_are_recomputed(self):
        document = self._document()
        # a readonly computed field of a line, written over RPC, then a subtotal in SQL
        call_kw(self.env(user=self.requester)["ps.test.approvable.line"], "write",
                [document.line_ids.ids, {"subtotal": 1.0}], {})
        document.flush_recordset()
        self.env.cr.execute("UPDATE ps_test_approvable SET amount_total = 1 WHERE id = %s",
                            [document.id])
        document.invalidate_recordset()
        document.with_user(self.requester).action_confirm()
        self.assertEqual(document.state, "draft", "held on the amount of its lines")
        self.assertEqual(document.amount_total, 5000.0)

    def test_changed_after_approval_is_approved_again(self):
        document = self._document()
        document.with_user(self.requester).action_ps_request_approval()
        document.with_user(self.approver).action_ps_approve()
        self.assertEqual(document.ps_approval_state, "approved")
        document.line_ids.with_user(self.requester).write({"quantity": 20.0})
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.requester)["ps.test.approvable"], "write",
                    [document.ids, {"state": "confirmed"}], {})

    def test_nobody_to_decide_holds_and_tells(self):
        self.rule.tier_ids.user_ids = self.requester
        document = self._document()
        document.with_user(self.requester).action_confirm()
        self.assertEqual(document.state, "draft")
        self.assertEqual(document.ps_approval_state, "pending")
        self.assertTrue(self.env["ps.exception"].search(
            [("kind", "=", "approval_unresolvable"), ("res_id", "=", document.id),
             ("res_model", "=", "ps.test.approvable")]))

    def test_rejection_returns_it_with_the_reason(self):
        document = self._document()
        document.with_user(self.requester).action_confirm()
        line = document._ps_pending_lines()
        line.with_user(self.approver).action_reject("Split it in two")
        self.assertEqual(document.ps_approval_state, "rejected")
        self.assertFalse(document.ps_approval_deferred_user_id)
        self.assertIn("Split it in two", document.message_ids.mapped("body")[0])
