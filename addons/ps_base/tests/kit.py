"""The approval engine's contract, as reusable tests.

A workflow addon makes its document approvable by declaration, then runs these tests on
it with one class:

    @tagged("post_install", "-at_install")
    class TestMyDocumentContract(ApprovableContract, MyCommon):
        def _kit_document(self):          # a document a rule applies to, not yet approved
        def _kit_submit(self, document):  # the gated action, as the requester would call it
        kit_requester, kit_approver, kit_outsider  # users (set in setUpClass)
        kit_forged = {}   # optional: {field: value} facts a hostile user would forge
        kit_forged_sources = ()  # optional: (relation, field, value): a computed read-only
                                 # value the facts are computed from, on the document's
                                 # related records (relation "" for the document itself)

Every call goes through ``odoo.api.call_kw``, the door JSON-RPC and XML-RPC use.
"""
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError


class ApprovableContract:
    kit_forged = {}
    kit_forged_sources = ()

    def _kit_document(self):
        raise NotImplementedError

    def _kit_submit(self, document):
        raise NotImplementedError

    # ------------------------------------------------------------------
    def _rpc(self, user, document, method, *args, **kwargs):
        env = document.env(user=user)
        return call_kw(env[document._name], method, [document.ids, *args], kwargs)

    def _kit_guard(self):
        document = self._kit_document()
        return document, document._ps_guard()

    def test_kit_guard_refuses_the_state_without_approval(self):
        document, guard = self._kit_guard()
        for fname, states in guard.items():
            for state in states:
                with self.assertRaises(UserError, msg=f"{fname}={state} without approval"):
                    self._rpc(self.kit_requester, document, "write", {fname: state})

    def test_kit_engine_fields_are_the_engine_s(self):
        document = self._kit_document()
        for vals in ({"ps_approval_state": "approved"},
                     {"ps_approval_deferred_user_id": self.kit_requester.id},
                     {"ps_approval_deferred_action": "unlink"},
                     {"ps_approval_editor_id": False}):
            with self.assertRaises(UserError, msg=str(vals)):
                self._rpc(self.kit_requester, document, "write", vals)

    def test_kit_forged_facts_are_refused(self):
        if not self.kit_forged:
            self.skipTest(f"{type(self).__name__} declares no computed fact (kit_forged)")
        document = self._kit_document()
        for fname, value in self.kit_forged.items():
            with self.assertRaises(UserError, msg=f"forging {fname}"):
                self._rpc(self.kit_requester, document, "write", {fname: value})

    def test_kit_forged_sources_do_not_pass_the_gate(self):
        """A value the facts are computed from, written by hand over RPC before the
        gated action, is recomputed when the gate decides: the document waits for its
        approval as it would have without the forged value."""
        if not self.kit_forged_sources:
            self.skipTest(f"{type(self).__name__} declares no computed source of its facts "
                          "(kit_forged_sources)")
        for relation, fname, value in self.kit_forged_sources:
            document = self._kit_document()
            records = document.sudo().mapped(relation) if relation else document.sudo()
            self.assertTrue(records, f"{relation}: records to forge")
            try:
                self._rpc(self.kit_requester, records.with_env(document.env), "write",
                          {fname: value})
            except (UserError, AccessError):
                continue  # refused: nothing forged
            # written: the engine knows it was written by hand
            self.assertTrue(document.env["ps.fact.taint"].sudo().search_count([
                ("res_model", "=", records._name), ("res_id", "in", records.ids),
                ("field_name", "=", fname)]), f"{relation}.{fname} recorded as written by hand")
            self._kit_submit(document.with_user(self.kit_requester))
            self.assertEqual(document.ps_approval_state, "pending",
                             f"{relation}.{fname} forged to {value!r}")

    def test_kit_context_keys_open_no_door(self):
        document, guard = self._kit_guard()
        env = document.env(user=self.kit_requester)
        for fname, states in guard.items():
            with self.assertRaises(UserError):
                call_kw(env[document._name], "write", [document.ids, {fname: states[0]}],
                        {"context": {"ps_approval_internal": True,
                                     "ps_approval_gate": True}})

    def test_kit_approve_reject_and_sod(self):
        document = self._kit_document()
        self._kit_submit(document.with_user(self.kit_requester))
        self.assertEqual(document.ps_approval_state, "pending")
        # the requester never decides, an outsider neither
        with self.assertRaises(UserError):
            self._rpc(self.kit_requester, document, "action_ps_approve")
        with self.assertRaises(UserError):  # AccessError included
            self._rpc(self.kit_outsider, document, "action_ps_approve")
        # the approver reads the document routed to them
        self.assertTrue(document.with_user(self.kit_approver).read(["display_name"]))
        lines = document._ps_pending_lines().filtered(lambda l: l.user_id == self.kit_approver)
        self.assertTrue(lines, "the approver is asked")
        lines.with_user(self.kit_approver).action_reject("Not like this")
        self.assertEqual(document.ps_approval_state, "rejected")
        # cancelled approvals give no read access any more
        self.assertFalse(document._ps_pending_lines())

    def test_kit_cancel_resets_the_state(self):
        document = self._kit_document()
        self._kit_submit(document.with_user(self.kit_requester))
        self.assertEqual(document.ps_approval_state, "pending")
        document.ps_approval_request_ids._cancel("test: the document was withdrawn")
        self.assertEqual(document.ps_approval_state, "not_required")
