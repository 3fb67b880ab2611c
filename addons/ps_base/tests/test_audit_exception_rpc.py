from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestAuditExceptionRpc(HttpCase):
    """What the web client and a hostile client get over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(cls.env, login="rpc_finance",
                                    groups="ps_base.group_ps_finance")
        cls.consultant = new_test_user(cls.env, login="rpc_consultant",
                                       groups="ps_base.group_ps_user")
        cls.portal = new_test_user(cls.env, login="rpc_portal", groups="base.group_portal")
        request = cls.env["ps.request"].create({"title": "RPC licence", "amount": 100})
        request.write({"amount": 200})
        cls.request = request
        cls.exception = cls.env["ps.exception"]._raise_exceptions([{
            "name": "Timesheet missing", "key": "rpc-k1", "kind": "missing_time"}])

    def _call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def test_audit_trail_list_loads_in_the_web_client(self):
        self.authenticate("rpc_finance", "rpc_finance")
        spec = {name: {} for name in ("chain_seq", "logged_at", "event_type", "res_name",
                                      "field_name", "old_value", "new_value", "description",
                                      "origin", "hash")}
        spec["user_id"] = {"fields": {"display_name": {}}}
        page = self._call("ps.audit.log", "web_search_read",
                          domain=[("res_model", "=", "ps.request"),
                                  ("res_id", "=", self.request.id)],
                          specification=spec, limit=80)
        self.assertEqual({row["field_name"] for row in page["records"]}, {False, "amount"})

    @mute_logger("odoo.http")
    def test_chain_verification_is_refused_to_portal_and_consultants(self):
        for login in ("rpc_portal", "rpc_consultant", "rpc_finance"):
            self.authenticate(login, login)
            with self.assertRaisesRegex(JsonRpcException, "AccessError", msg=login):
                self._call("ps.audit.log", "action_verify_chain")

    @mute_logger("odoo.http")
    def test_consultant_cannot_close_an_unassigned_exception_over_rpc(self):
        self.authenticate("rpc_consultant", "rpc_consultant")
        ids = self.exception.ids
        for method in ("action_ignore", "action_resolve"):
            with self.assertRaisesRegex(JsonRpcException, "AccessError", msg=method):
                self._call("ps.exception", method, ids)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("ps.exception", "web_save", ids, {"state": "ignored"},
                       specification={"state": {}})
        self.assertEqual(self.exception.state, "new")
        self._call("ps.exception", "action_take", ids)
        self._call("ps.exception", "web_save", ids, {"resolution": "Hours logged"},
                   specification={"state": {}})
        self._call("ps.exception", "action_resolve", ids)
        self.exception.invalidate_recordset()
        self.assertEqual((self.exception.state, self.exception.owner_id),
                         ("resolved", self.consultant))
