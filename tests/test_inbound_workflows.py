"""Inbound workflow actions end to end: an outside tool (an e-signature service through
n8n) calls the real inbound webhook endpoint of ps_governance, signed with HMAC, and a
workflow addon's allowlisted method runs as the caller's technical user.

ps_governance depends on no workflow addon and the workflow addons do not depend on it, so
the action record that allows ps_handoff's method is created as an administrator creates it:
"Add Offered Actions" on Governance > Webhooks > Inbound Actions. Runs with every addon
installed."""
import hashlib
import hmac
import json
import time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

SECRET = "esign-inbound-secret"
SIGNED_URL = "https://sign.example.com/envelopes/ENV-7/document.pdf"


@tagged("post_install", "-at_install")
class TestInboundHandoffSigned(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.bot = new_test_user(cls.env, login="wf_esign_bot", name="E-signature Bot",
                                groups="ps_base.group_ps_project_manager")
        cls.consultant = new_test_user(cls.env, login="wf_consultant", name="WF Consultant",
                                       groups="ps_base.group_ps_user")
        cls.sow = cls.env.ref("ps_handoff.document_type_sow")
        category = cls.env["product.category"].create({"name": "E-signature services"})
        template_project = cls.env["project.project"].create({"name": "Signed work (tpl)"})
        cls.env["ps.handoff.template"].create({
            "name": "Signed work", "project_template_id": template_project.id,
            "sequence": 1, "product_categ_ids": [Command.set(category.ids)],
            "item_ids": [
                Command.create({"kind": "field", "field_name": "scope_summary"}),
                Command.create({"kind": "document", "document_type_id": cls.sow.id}),
            ]})
        service = cls.env["product.product"].create({
            "name": "Signed work", "type": "service", "categ_id": category.id,
            "list_price": 500.0, "service_tracking": "project_only",
            "invoice_policy": "order"})
        order = cls.env["sale.order"].create({
            "partner_id": cls.env["res.partner"].create({"name": "Signing client"}).id,
            "order_line": [Command.create({"product_id": service.id,
                                           "product_uom_qty": 1})]})
        order.action_confirm()
        cls.handoff = order.ps_handoff_id
        cls.handoff.write({"scope_summary": "Everything signed"})
        # what an administrator does: add the offered actions, allow one to the caller
        cls.admin_ps = new_test_user(cls.env, login="wf_admin", name="WF Admin",
                                     groups="ps_base.group_ps_manager")
        cls.env["ps.webhook.action"].with_user(cls.admin_ps).action_add_offered()
        cls.action = cls.env["ps.webhook.action"].search(
            [("model", "=", "ps.handoff"), ("method", "=", "_ps_inbound_mark_signed")])
        cls.caller = cls.env["ps.webhook.caller"].create({
            "name": "E-signature (n8n)", "code": "esign-test", "secret": SECRET,
            "user_id": cls.bot.id, "action_ids": [Command.set(cls.action.ids)]})

    def _post(self, payload, secret=SECRET, timestamp=None):
        body = json.dumps(payload).encode()
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                             hashlib.sha256).hexdigest()
        with mute_logger("odoo.addons.ps_governance.models.ps_webhook_caller"):
            response = self.url_open(
                "/ps/webhook/in/esign-test", data=body,
                headers={"Content-Type": "application/json", "X-PS-Timestamp": timestamp,
                         "X-PS-Signature": signature})
        return response.status_code, response.json()

    def _payload(self, event_id="esign-1", **params):
        return {"event_id": event_id, "action": "handoff.mark_signed",
                "params": {"handoff": self.handoff.name, "document": self.sow.name,
                           "signature_url": SIGNED_URL, "signature_ref": "ENV-7",
                           "signer": "Jane Client", **params}}

    def _logs(self, state):
        return self.env["ps.webhook.inbound.log"].search(
            [("caller_id", "=", self.caller.id), ("state", "=", state)])

    def test_offered_methods_become_inbound_actions_once(self):
        self.assertEqual((self.action.code, self.action.active), ("handoff.mark_signed", True))
        self.assertIn("Mark a document", self.action.name)
        self.assertIn("signature_url", self.action.description)
        resolve = self.env["ps.webhook.action"].search([("method", "=", "_ps_inbound_resolve")])
        self.assertEqual(resolve, self.env.ref("ps_governance.ps_webhook_action_exception_resolve"),
                         "the shipped action is not added twice")
        actions = self.env["ps.webhook.action"].with_context(active_test=False).search([])
        self.env["ps.webhook.action"].with_user(self.admin_ps).action_add_offered()
        self.assertEqual(self.env["ps.webhook.action"].with_context(active_test=False)
                         .search([]), actions, "nothing twice")
        self.assertNotIn(self.action, self.env["ps.webhook.caller"].search(
            [("id", "!=", self.caller.id)]).action_ids, "allowed to no other caller")
        finance = new_test_user(self.env, login="wf_finance", groups="ps_base.group_ps_finance")
        with self.assertRaises(AccessError):
            self.env["ps.webhook.action"].with_user(finance).action_add_offered()

    def test_signed_call_marks_the_document_once(self):
        self.assertEqual(self.handoff.state, "open")
        status, body = self._post(self._payload())
        self.assertEqual(status, 200, body)
        self.assertEqual(body["result"]["state"], "complete")
        self.assertEqual(self.handoff.state, "complete")
        self.assertEqual(self.handoff.document_ids.attachment_id.url, SIGNED_URL)
        self.assertEqual(self.handoff.document_ids.create_uid, self.bot)
        # the service retries the same event: answered again, applied once
        status, body = self._post(self._payload())
        self.assertEqual(status, 200, body)
        self.assertTrue(body["duplicate"])
        self.assertEqual(len(self.handoff.document_ids), 1)
        self.assertEqual(len(self._logs("done")), 1)
        # the same event id with another body is a conflict, not a second signature
        status, body = self._post(self._payload(signer="Somebody else"))
        self.assertEqual(status, 409, body)
        self.assertEqual(len(self.handoff.document_ids), 1)

    def test_bad_signature_or_stale_timestamp_changes_nothing(self):
        status, body = self._post(self._payload(), secret="not-the-secret")
        self.assertEqual((status, body["error"]), (401, "bad signature"))
        status, body = self._post(self._payload(), timestamp=int(time.time()) - 3600)
        self.assertEqual(status, 401, body)
        self.assertIn("replay window", body["error"])
        self.assertFalse(self.handoff.document_ids)
        self.assertEqual(len(self._logs("refused")), 2)

    def test_invalid_payload_is_refused_with_what_to_fix_and_can_be_resent(self):
        status, body = self._post(self._payload(document="Customer purchase order",
                                                signer=""))
        self.assertEqual(status, 422, body)
        self.assertIn("requires: Signed SOW or contract", body["error"])
        self.assertIn("Say who signed", body["error"])
        self.assertFalse(self.handoff.document_ids)
        self.assertFalse(self.env["ir.attachment"].search(
            [("res_model", "=", "ps.handoff"), ("res_id", "=", self.handoff.id)]))
        self.assertEqual(self.handoff.state, "open")
        # fixed, the same event id goes through
        status, body = self._post(self._payload())
        self.assertEqual(status, 200, body)
        self.assertEqual(self.handoff.state, "complete")

    def test_caller_user_without_rights_is_forbidden(self):
        self.caller.user_id = self.consultant
        status, body = self._post(self._payload(event_id="esign-2"))
        self.assertEqual(status, 403, body)
        self.assertFalse(self.handoff.document_ids)
