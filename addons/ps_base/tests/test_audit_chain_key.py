import hashlib
import json
from contextlib import closing
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL, config

from ..models.ps_audit_log import V1_COLUMNS, V2_COLUMNS, _entry_digest
from .common import PsBaseCommon

KEY = "test-chain-key-kept-in-odoo.conf"


@tagged("post_install", "-at_install")
class TestAuditChainKey(PsBaseCommon):
    """The chain keyed with odoo.conf's ps_audit_chain_key, seen by an attacker who can
    write to the database but has not got the key."""

    def _with_key(self, key=KEY):
        return patch.dict(config.options, {"ps_audit_chain_key": key})

    def _entries(self, request):
        self._flush_audit()
        return self.env["ps.audit.log"].search(
            [("res_model", "=", "ps.request"), ("res_id", "=", request.id)], order="chain_seq")

    def _row(self, entry):
        self.env.cr.execute(SQL("SELECT * FROM ps_audit_log WHERE id = %s", entry.id))
        return self.env.cr.dictfetchall()[0]

    def _write_request(self, amounts=(200, 300)):
        request = self._new_request(amount=100)
        for amount in amounts:
            request.write({"amount": amount})
        return request, self._entries(request)

    def _verify(self):
        self.env.invalidate_all()
        return self.env["ps.audit.log"]._verify_chain()

    def _rehash_from(self, seq, scheme, new_value):
        """Give the entry at position ``seq`` another ``new_value``, rehash it and every
        later entry with ``scheme`` and no key, and move the head row: what a database-only
        attacker can do."""
        cr = self.env.cr
        cr.execute(SQL("SELECT * FROM ps_audit_log WHERE chain_seq >= %s ORDER BY chain_seq",
                       seq))
        rows = cr.dictfetchall()
        prev_hash = rows[0]["prev_hash"]
        rows[0]["new_value"] = new_value
        for row in rows:
            payload = json.dumps([scheme, prev_hash, *[
                str(row[c]) if c == "logged_at" else row[c] for c in V2_COLUMNS]],
                separators=(",", ":"), ensure_ascii=False, default=str)
            digest = hashlib.sha256(payload.encode()).hexdigest()
            cr.execute(SQL(
                "UPDATE ps_audit_log SET new_value = %s, hash_scheme = %s, prev_hash = %s, "
                "hash = %s WHERE id = %s",
                row["new_value"], scheme, prev_hash, digest, row["id"]))
            prev_hash = digest
        cr.execute(SQL("UPDATE ps_audit_chain_head SET hash = %s", prev_hash))

    def _attempt(self):
        """A savepoint rolled back at the end, whatever happens inside."""
        return closing(self.env.cr.savepoint(flush=False))

    def test_keyed_entries_verify_after_unkeyed_ones(self):
        _plain_request, plain = self._write_request()
        self.assertEqual(set(plain.mapped("hash_scheme")), {"v2"})
        with self._with_key():
            _request, keyed = self._write_request()
            self.assertEqual(set(keyed.mapped("hash_scheme")), {"v2-hmac"})
            result = self._verify()
            self.assertTrue(result["ok"], result)
            self.assertEqual(result["unkeyed_seq"], plain[-1].chain_seq)
            self.assertEqual(result["last_seq"], keyed[-1].chain_seq)
            action = self.env["ps.audit.log"].with_user(self.admin_ps).action_verify_chain()
            self.assertIn(f"Entries up to position {plain[-1].chain_seq} are not keyed",
                          action["params"]["message"])
        # the hash is an HMAC: the same content hashed without the key does not match it
        row = self._row(keyed[0])
        self.assertNotEqual(_entry_digest(row["prev_hash"], row, "v2"), row["hash"])
        # a server without the key cannot vouch for the keyed entries
        result = self._verify()
        self.assertFalse(result["ok"])
        self.assertEqual(result["broken_id"], keyed[0].id)
        self.assertIn("ps_audit_chain_key", result["reason"])

    def test_record_name_is_hashed(self):
        with self._with_key():
            _request, entries = self._write_request()
            target = entries[1]
            self.env.cr.execute(SQL("UPDATE ps_audit_log SET res_name = 'Someone else' "
                                    "WHERE id = %s", target.id))
            result = self._verify()
        self.assertFalse(result["ok"])
        self.assertEqual((result["broken_id"], result["broken_seq"]),
                         (target.id, target.chain_seq))
        self.assertIn(f"the content of entry {target.chain_seq} was altered", result["reason"])

    def test_rehashing_without_the_key_is_detected(self):
        with self._with_key():
            _request, entries = self._write_request((200, 300, 400))
            self.assertTrue(self._verify()["ok"])
            # the attacker alters an entry and recomputes every hash from there with the
            # published algorithm, head of the chain included, but without the key
            target = entries[1]
            for scheme in ("v2-hmac", "v2"):
                with self._attempt():
                    self._rehash_from(target.chain_seq, scheme, new_value="1.0")
                    result = self._verify()
                    self.assertFalse(result["ok"], scheme)
                    self.assertEqual(result["broken_id"], target.id, scheme)
                    self.assertIn("altered" if scheme == "v2-hmac" else "weaker scheme",
                                  result["reason"])
            # not even from the first keyed entry on: the head is sealed with the key
            self.env.cr.execute(SQL(
                "SELECT min(chain_seq) FROM ps_audit_log WHERE hash_scheme = 'v2-hmac'"))
            first_keyed = self.env.cr.fetchone()[0]
            with self._attempt():
                self._rehash_from(first_keyed, "v2", new_value="1.0")
                result = self._verify()
                self.assertFalse(result["ok"])
                self.assertIn("not sealed with the chain key", result["reason"])
                # unless the seal goes too: then no entry is keyed any more, which is what
                # the chain looked like before the key was configured (readme/AUDIT.md);
                # the verification says where the unkeyed entries end
                self.env.cr.execute(SQL("UPDATE ps_audit_chain_head SET seal = NULL"))
                result = self._verify()
                self.assertTrue(result["ok"], result)
                self.assertEqual(result["unkeyed_seq"], result["last_seq"])

    def test_removing_the_newest_entries_with_the_head(self):
        def drop_newest():
            # delete the newest entry and move the head of the chain back onto the one
            # before: the chain itself stays consistent
            cr = self.env.cr
            cr.execute(SQL("DELETE FROM ps_audit_log WHERE chain_seq = "
                           "(SELECT max(chain_seq) FROM ps_audit_log)"))
            cr.execute(SQL("""UPDATE ps_audit_chain_head SET (chain_seq, hash) =
                              (SELECT chain_seq, hash FROM ps_audit_log
                               ORDER BY chain_seq DESC LIMIT 1)"""))

        self._write_request()
        with self._attempt():
            drop_newest()
            # without the key nothing tells: only an exported head would (readme/AUDIT.md)
            self.assertTrue(self._verify()["ok"])
        with self._with_key():
            self._write_request()
            drop_newest()
            result = self._verify()
        self.assertFalse(result["ok"])
        self.assertIn("not sealed with the chain key", result["reason"])

    def test_a_server_without_the_key_cannot_extend_a_keyed_chain(self):
        with self._with_key():
            self._write_request()
        _request, unkeyed = self._write_request()
        with self._with_key():
            result = self._verify()
        self.assertFalse(result["ok"])
        self.assertEqual(result["broken_id"], unkeyed[0].id)
        self.assertIn("weaker scheme", result["reason"])

    def test_entries_of_the_first_scheme_still_verify(self):
        # entries written before hash_scheme existed: no scheme, no record name in the
        # hash. Rewrite the whole chain as that version wrote it, then go on with keys.
        cr = self.env.cr
        self._write_request()
        cr.execute(SQL("SELECT * FROM ps_audit_log ORDER BY chain_seq"))
        prev_hash = None
        for row in cr.dictfetchall():
            prev_hash = row["prev_hash"] if prev_hash is None else prev_hash
            payload = [row[c] for c in V1_COLUMNS]
            payload[1] = str(payload[1])
            digest = hashlib.sha256(json.dumps(
                [prev_hash, *payload], separators=(",", ":"), ensure_ascii=False,
                default=str).encode()).hexdigest()
            cr.execute(SQL("UPDATE ps_audit_log SET hash_scheme = NULL, prev_hash = %s, "
                           "hash = %s WHERE id = %s", prev_hash, digest, row["id"]))
            prev_hash = digest
        cr.execute(SQL("UPDATE ps_audit_chain_head SET hash = %s", prev_hash))
        result = self._verify()
        self.assertTrue(result["ok"], result)
        with self._with_key():
            _request, keyed = self._write_request()
            self.assertEqual(keyed[0].prev_hash, prev_hash)
            result = self._verify()
            self.assertTrue(result["ok"], result)
            # in a legacy entry the record name is not covered, the rest is
            legacy = self.env["ps.audit.log"].search([("hash_scheme", "=", False)], limit=1)
            cr.execute(SQL("UPDATE ps_audit_log SET res_name = 'renamed' WHERE id = %s",
                           legacy.id))
            self.assertTrue(self._verify()["ok"])
            cr.execute(SQL("UPDATE ps_audit_log SET description = 'edited' WHERE id = %s",
                           legacy.id))
            result = self._verify()
        self.assertEqual((result["ok"], result["broken_id"]), (False, legacy.id))
