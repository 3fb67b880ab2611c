import hashlib
import hmac
import json
import time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.ps_webhook_caller import inbound_methods

SECRET = "inbound-secret"


@tagged("post_install", "-at_install")
class TestWebhookInbound(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.admin_ps = new_test_user(cls.env, login="gov_in_admin", name="Gov In Admin",
                                     groups="ps_base.group_ps_manager")
        cls.consultant = new_test_user(cls.env, login="gov_in_consultant",
                                       name="Gov In Consultant", groups="ps_base.group_ps_user")
        cls.resolve = cls.env.ref("ps_governance.ps_webhook_action_exception_resolve")
        cls.caller = cls.env["ps.webhook.caller"].create({
            "name": "n8n", "code": "n8n-test", "secret": SECRET, "user_id": cls.admin_ps.id,
            "action_ids": [Command.set(cls.resolve.ids)],
        })
        cls.exception = cls.env["ps.exception"]._raise_exceptions([{
            "name": "Signature missing", "key": "gov-inbound-test", "kind": "test"}])

    def _post(self, payload, code="n8n-test", secret=SECRET, timestamp=None, headers=None,
              raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                             hashlib.sha256).hexdigest()
        all_headers = {"Content-Type": "application/json", "X-PS-Timestamp": timestamp,
                       "X-PS-Signature": signature, **(headers or {})}
        with mute_logger("odoo.addons.ps_governance.models.ps_webhook_caller"):
            response = self.url_open(f"/ps/webhook/in/{code}", data=body,
                                     headers=all_headers)
        return response.status_code, response.json()

    def _resolve_payload(self, event_id="evt-1", resolution="Signed by the client"):
        return {"event_id": event_id, "action": "exception.resolve",
                "params": {"id": self.exception.id, "resolution": resolution}}

    def _logs(self, **domain):
        return self.env["ps.webhook.inbound.log"].search(
            [("caller_id", "=", self.caller.id)] + [(k, "=", v) for k, v in domain.items()])

    def test_signed_call_applies_the_action_once(self):
        status, body = self._post(self._resolve_payload())
        self.assertEqual(status, 200, body)
        self.assertEqual(body["result"], {"id": self.exception.id, "state": "resolved"})
        self.assertEqual(self.exception.state, "resolved")
        self.assertEqual(self.exception.resolved_by_id, self.admin_ps)
        # the same event again: answered, not applied twice (a second resolve would fail)
        status, body = self._post(self._resolve_payload())
        self.assertEqual(status, 200, body)
        self.assertTrue(body["duplicate"])
        self.assertEqual(len(self._logs(state="done")), 1)
        self.assertEqual(len(self._logs(state="duplicate")), 1)
        # the same event id with another body is a conflict
        status, body = self._post(self._resolve_payload(resolution="Something else"))
        self.assertEqual(status, 409, body)
        self.assertEqual(self.exception.resolution, "Signed by the client")

    def test_bad_signature_is_refused_and_logged(self):
        status, body = self._post(self._resolve_payload(), secret="wrong")
        self.assertEqual((status, body["error"]), (401, "bad signature"))
        self.assertEqual(self.exception.state, "new")
        log = self._logs(state="refused")
        self.assertEqual((log.http_status, log.reason), (401, "bad signature"))

    def test_expired_timestamp_is_refused(self):
        status, body = self._post(self._resolve_payload(), timestamp=int(time.time()) - 3600)
        self.assertEqual(status, 401)
        self.assertIn("replay window", body["error"])
        status, body = self._post(self._resolve_payload(), headers={"X-PS-Timestamp": "soon"})
        self.assertEqual(status, 401)
        self.assertEqual(self.exception.state, "new")

    def test_unknown_or_forbidden_action_and_bad_payloads(self):
        status, body = self._post({"event_id": "e2", "action": "record.unlink",
                                   "params": {}})
        self.assertEqual((status, body["error"]), (400, "unknown action: record.unlink"))
        self.caller.action_ids = [Command.clear()]
        status, body = self._post(self._resolve_payload(event_id="e3"))
        self.assertEqual(status, 403, body)
        self.assertEqual(self._post(None, raw=b"{not json")[0], 400)
        self.assertEqual(self._post({"action": "exception.resolve"})[0], 400)
        self.assertEqual(self._post(self._resolve_payload(), code="nobody")[0], 401)
        self.caller.active = False
        self.assertEqual(self._post(self._resolve_payload(event_id="e4"))[0], 401)
        self.assertEqual(self.exception.state, "new")
        self.assertEqual(len(self._logs(state="refused")), 5)

    def test_failed_action_leaves_nothing_half_applied(self):
        # the write of the resolution succeeds, resolving the closed exception fails:
        # both are rolled back
        self.exception.write({"resolution": "Before"})
        self.exception.action_ignore()
        status, body = self._post(self._resolve_payload(event_id="e5"))
        self.assertEqual(status, 422, body)
        self.assertIn("already closed", body["error"])
        self.assertEqual(self.exception.resolution, "Before")
        self.assertFalse(self._logs(state="done"))
        # the caller may send the same event id again once the cause is fixed
        self.exception.action_reopen()
        status, body = self._post(self._resolve_payload(event_id="e5"))
        self.assertEqual(status, 200, body)
        self.assertEqual(self.exception.state, "resolved")

    def test_actions_run_with_the_callers_rights(self):
        self.caller.user_id = self.consultant
        status, body = self._post(self._resolve_payload(event_id="e6"))
        self.assertEqual(status, 403, body)
        self.assertEqual(self.exception.state, "new")

    def test_token_caller(self):
        self.caller.auth_mode = "token"
        status, _body = self._post(self._resolve_payload(event_id="t1"),
                                   headers={"Authorization": "Bearer nope"})
        self.assertEqual(status, 401)
        status, body = self._post(self._resolve_payload(event_id="t1"),
                                  headers={"Authorization": f"Bearer {SECRET}"})
        self.assertEqual(status, 200, body)

    def test_only_allowlisted_methods_become_actions(self):
        with self.assertRaises(ValidationError):
            self.env["ps.webhook.action"].create({
                "name": "Delete partners", "code": "partner.unlink", "model": "res.partner",
                "method": "unlink"})
        with self.assertRaises(ValidationError):
            self.env["ps.webhook.action"].create({
                "name": "Delete exceptions", "code": "exception.unlink",
                "model": "ps.exception", "method": "unlink"})

    def test_caller_secret_is_for_administrators(self):
        finance = new_test_user(self.env, login="gov_in_finance", name="Gov In Finance",
                                groups="ps_base.group_ps_finance")
        with self.assertRaises(AccessError):
            self.caller.with_user(finance).read(["secret"])
        with self.assertRaises(AccessError):
            self.caller.with_user(finance).write({"user_id": finance.id})
        self.assertEqual(self.caller.with_user(self.admin_ps).secret, SECRET)


@tagged("post_install", "-at_install")
class TestInboundMethodsAddUp(TransactionCase):
    """Two addons extending one model each offer their methods: the lists add up."""

    def test_every_class_of_the_model_counts(self):
        class Base:
            _ps_inbound_actions = ("_ps_inbound_a",)

        class FirstAddon(Base):
            _ps_inbound_actions = ("_ps_inbound_b",)

        class SecondAddon(FirstAddon):
            _ps_inbound_actions = ("_ps_inbound_c",)

        self.assertEqual(inbound_methods(SecondAddon()),
                         {"_ps_inbound_a", "_ps_inbound_b", "_ps_inbound_c"})
        self.assertIn("_ps_inbound_resolve", inbound_methods(self.env["ps.exception"]))
        self.assertEqual(inbound_methods(self.env["res.partner"]), set())
