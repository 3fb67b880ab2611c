import uuid

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from .concurrency import run_blocked_then_commit_first


@tagged("post_install", "-at_install")
class TestLastVoteConcurrency(TransactionCase):
    """Two approvers decide the last vote of a tier at the same moment, each in a
    transaction of their own: the request is approved once, its completion runs once.

    This test commits its fixtures and removes them afterwards (and puts the audit chain
    back as it found it), like the audit chain's concurrency tests."""

    def setUp(self):
        super().setUp()
        self.assertFalse(self.registry.in_test_mode(), "the approvers need real cursors")
        tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute(SQL("SELECT chain_seq, hash, seal FROM ps_audit_chain_head WHERE id = 1"))
            self.head_before = cr.fetchone()
            users = env["res.users"].create([{
                "name": f"Concurrent {who} {tag}", "login": f"ps_conc_{who}_{tag}",
                "groups_id": [Command.set(env.ref("ps_base.group_ps_user").ids)],
            } for who in ("requester", "approver_a", "approver_b")])
            env["ps.approval.rule"].search([("model_name", "=", "ps.request")]).write(
                {"active": False})
            rule = env["ps.approval.rule"].create({
                "name": f"One of two {tag}", "model_id": env["ir.model"]._get_id("ps.request"),
                "tier_ids": [Command.create({"name": "Either", "approver_type": "user",
                                             "user_ids": [Command.set(users[1:].ids)],
                                             "quorum": 1})]})
            request = env["ps.request"].with_user(users[0]).create(
                {"title": f"Race {tag}", "amount": 10.0})
            request.action_submit()
            self.ids = {"users": users.ids, "rule": rule.id, "request": request.id}
        self.addCleanup(self._remove_fixtures)

    def _remove_fixtures(self):
        seq, digest, seal = self.head_before
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            rid = self.ids["request"]
            cr.execute(SQL("DELETE FROM ps_approval_request WHERE res_model = 'ps.request' "
                           "AND res_id = %s", rid))
            cr.execute(SQL("DELETE FROM ps_event WHERE res_model = 'ps.request' AND res_id = %s",
                           rid))
            cr.execute(SQL("DELETE FROM ps_exception WHERE res_model = 'ps.request' "
                           "AND res_id = %s", rid))
            cr.execute(SQL("DELETE FROM ps_request WHERE id = %s", rid))
            cr.execute(SQL("DELETE FROM ps_approval_rule WHERE id = %s", self.ids["rule"]))
            cr.execute(SQL("DELETE FROM ps_audit_log WHERE chain_seq > %s", seq))
            cr.execute(SQL("UPDATE ps_audit_chain_head SET chain_seq = %s, hash = %s, "
                           "seal = %s WHERE id = 1", seq, digest, seal))
            env["ps.approval.rule"].with_context(active_test=False).search(
                [("model_name", "=", "ps.request")]).write({"active": True})
            env["res.users"].browse(self.ids["users"]).write({"active": False})

    def _approver(self, index):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        env = api.Environment(cr, self.ids["users"][index], {})
        request = env["ps.request"].browse(self.ids["request"])
        return env, request

    def _final_state(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            request = env["ps.request"].browse(self.ids["request"])
            approved_events = env["ps.event"].search_count([
                ("res_model", "=", "ps.request"), ("res_id", "=", request.id),
                ("event_type", "=", "approval.approved")])
            completions = env["mail.message"].search_count([
                ("model", "=", "ps.request"), ("res_id", "=", request.id),
                ("body", "ilike", "Approval complete")])
            return (request.state, request.ps_approval_state,
                    request.ps_approval_line_ids.mapped("state"), approved_events, completions)

    def test_two_last_votes_at_once_complete_once(self):
        (env_a, request_a), (env_b, request_b) = self._approver(1), self._approver(2)
        env_b.cr.execute(SQL("SET LOCAL lock_timeout = '30s'; SELECT 1"))  # B's snapshot
        request_a.action_ps_approve()  # A locks the request and decides
        error = run_blocked_then_commit_first(self, env_b.cr, request_b.action_ps_approve,
                                              env_a.cr)
        # B waited for A, then could not decide on what A changed: Odoo retries it
        self.assertIsInstance(error, SerializationFailure)
        env_b.cr.rollback()
        replay = []

        def decide_b_again():
            replay.append(1)
            env_b["ps.request"].browse(self.ids["request"]).action_ps_approve()

        with self.assertRaisesRegex(UserError, "Nothing waits for your approval"), \
                mute_logger("odoo.sql_db", "odoo.service.model"):
            retrying(decide_b_again, env_b)
        state, approval, lines, events, completions = self._final_state()
        self.assertEqual((state, approval), ("approved", "approved"))
        self.assertEqual(sorted(lines), ["approved", "skipped"])
        self.assertEqual(events, 1, "one approval event for the outbox")
        self.assertEqual(completions, 1, "the completion ran once")
