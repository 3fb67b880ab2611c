from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from .concurrency import run_blocked_then_commit_first

MARK = "ps.audit.concurrency.test"


@tagged("post_install", "-at_install")
class TestAuditChainConcurrency(TransactionCase):
    """Two transactions append to the chain at the same time, each on a cursor of its own.

    These tests commit: they delete what they committed and put the head of the chain back
    as they found it, so that the chain later tests verify is still valid. They do not use
    PsBaseCommon, whose fixtures would lock the head of the chain in the test's own
    transaction and block the two writers.
    """

    def setUp(self):
        super().setUp()
        self.assertFalse(self.registry.in_test_mode(), "the writers need real cursors")
        with self.registry.cursor() as cr:
            cr.execute(SQL("SELECT chain_seq, hash, seal FROM ps_audit_chain_head WHERE id = 1"))
            self.head_before = cr.fetchone()
        self.addCleanup(self._restore_chain)

    def _restore_chain(self):
        seq, digest, seal = self.head_before
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM ps_audit_log WHERE chain_seq > %s", seq))
            cr.execute(SQL("UPDATE ps_audit_chain_head SET chain_seq = %s, hash = %s, "
                           "seal = %s WHERE id = 1", seq, digest, seal))

    def _writer(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)  # before _restore_chain: closing rolls back, unlocks
        return api.Environment(cr, SUPERUSER_ID, {})

    def _log(self, env, writer):
        env["ps.audit.log"]._log([{"event_type": "event", "res_model": MARK,
                                   "description": f"{writer} {i}"} for i in range(2)])

    def _assert_one_chain(self, descriptions):
        """The entries committed since the test began are ``descriptions``, in this order,
        one after the other on the chain as it was: no position twice, no fork."""
        first_seq, prev_hash, _seal = self.head_before
        with self.registry.cursor() as cr:
            cr.execute(SQL("SELECT chain_seq, prev_hash, hash, description FROM ps_audit_log "
                           "WHERE chain_seq > %s ORDER BY chain_seq", first_seq))
            rows = cr.dictfetchall()
            self.assertEqual([row["description"] for row in rows], descriptions)
            self.assertEqual([row["chain_seq"] for row in rows],
                             list(range(first_seq + 1, first_seq + 1 + len(rows))))
            for row in rows:
                self.assertEqual(row["prev_hash"], prev_hash, row)
                prev_hash = row["hash"]
            result = api.Environment(cr, SUPERUSER_ID, {})["ps.audit.log"]._verify_chain()
            self.assertTrue(result["ok"], result)

    def test_second_writer_waits_then_fails_to_serialize(self):
        first, second = self._writer(), self._writer()
        # the second transaction is under way (REPEATABLE READ: its snapshot is taken)
        second.cr.execute(SQL("SET LOCAL lock_timeout = '30s'; SELECT 1"))
        self._log(first, "A")
        first.cr.flush()  # the first writer chains its entries and holds the head
        self._log(second, "B")
        error = run_blocked_then_commit_first(self, second.cr, second.cr.flush, first.cr)
        # it did not chain onto the head it had seen: Odoo rolls back and retries on this
        self.assertIsInstance(error, SerializationFailure)
        second.cr.rollback()
        self._assert_one_chain(["A 0", "A 1"])
        # replayed in a transaction that starts after the first writer's commit
        self._log(second, "B")
        second.cr.commit()
        self._assert_one_chain(["A 0", "A 1", "B 0", "B 1"])

    def test_odoo_retry_chains_the_second_writer_after_the_first(self):
        first, second = self._writer(), self._writer()
        second.cr.execute(SQL("SELECT 1"))  # the second transaction starts first
        attempts = []

        def second_request():
            attempts.append(len(attempts) + 1)
            if len(attempts) == 1:
                # meanwhile, the first writer commits
                self._log(first, "A")
                first.cr.commit()
            self._log(second, "B")

        # what the RPC and HTTP layers do with a request: odoo.service.model.retrying
        with mute_logger("odoo.sql_db", "odoo.service.model"):
            retrying(second_request, second)
        self.assertEqual(len(attempts), 2, "one serialization failure, then one replay")
        self._assert_one_chain(["A 0", "A 1", "B 0", "B 1"])
