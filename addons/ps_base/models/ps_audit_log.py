import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request as http_request
from odoo.tools import SQL, config

_logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
BUFFER_KEY = "ps_audit.buffer"
INSERT_CHUNK = 1000

EVENT_TYPES = [
    ("create", "Record created"),
    ("write", "Field changed"),
    ("unlink", "Record deleted"),
    ("approval", "Approval"),
    ("escalation", "Escalation"),
    ("delegation", "Delegation"),
    ("rule_change", "Rule change"),
    ("settings", "Settings change"),
    ("event", "Business event"),
    ("retention", "Retention purge"),
]
ORIGINS = [("ui", "Web client"), ("rpc", "External RPC"), ("cron", "Scheduled action"),
           ("system", "System")]
# Columns that enter the hash, in this order, for each hashing scheme. A scheme never changes
# once entries use it (that would break every chain): a new column or algorithm is a new
# scheme, and every entry is verified with the scheme it was written with.
V1_COLUMNS = ("chain_seq", "logged_at", "user_id", "company_id", "event_type", "res_model",
              "res_id", "field_name", "old_value", "new_value", "origin", "description")
V2_COLUMNS = ("chain_seq", "logged_at", "user_id", "company_id", "event_type", "res_model",
              "res_id", "res_name", "field_name", "old_value", "new_value", "origin",
              "description")
HASH_SCHEMES = [
    ("v1", "SHA-256 (before the record name was hashed)"),
    ("v2", "SHA-256"),
    ("v2-hmac", "HMAC-SHA256 keyed with ps_audit_chain_key"),
]
# scheme: (columns, keyed, rank). Along the chain the rank never goes down: an entry weaker
# than the one before it was downgraded (or written by a server without the key).
SCHEME_SPECS = {
    "v1": (V1_COLUMNS, False, 0),
    "v2": (V2_COLUMNS, False, 1),
    "v2-hmac": (V2_COLUMNS, True, 2),
}
# the column of the entries written before hash_scheme existed is empty
LEGACY_SCHEME = "v1"
ALL_HASHED_COLUMNS = V2_COLUMNS
CHAIN_KEY_OPTION = "ps_audit_chain_key"


def _chain_key():
    """The key of the chain, from odoo.conf (never from the database), as bytes or None."""
    key = config.get(CHAIN_KEY_OPTION)
    return key.encode() if key else None


def _entry_digest(prev_hash, entry, scheme, key=None):
    columns, keyed, _rank = SCHEME_SPECS[scheme]
    payload = [entry.get(col) for col in columns]
    payload[1] = str(payload[1])  # logged_at
    head = [prev_hash] if scheme == "v1" else [scheme, prev_hash]
    blob = json.dumps([*head, *payload], separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()
    if keyed:
        return hmac.new(key, blob, hashlib.sha256).hexdigest()
    return hashlib.sha256(blob).hexdigest()


def _head_seal(key, seq, digest):
    """HMAC of the head of the chain: without the key, nobody can move the head back
    (remove the newest entries) and seal it again."""
    blob = json.dumps(["head", seq, digest], separators=(",", ":")).encode()
    return hmac.new(key, blob, hashlib.sha256).hexdigest()


class PsAuditLog(models.Model):
    """Append-only, hash-chained journal of business events and field changes.

    Entries are buffered for the transaction and inserted in one batch just before
    commit (or before any search on the log), each carrying the SHA-256 of its content
    and of the previous entry, as Odoo's accounting does for posted entries; with the
    ``ps_audit_chain_key`` option of odoo.conf, an HMAC-SHA256 keyed with it instead.
    Nobody can write or delete entries through the ORM; the retention purge removes the
    oldest entries only, so what remains is still one unbroken chain. See readme/AUDIT.md
    for what the chain does and does not protect against.
    """

    _name = "ps.audit.log"
    _description = "Audit Log Entry"
    _order = "chain_seq desc"
    _rec_name = "description"
    _log_access = False

    chain_seq = fields.Integer("Sequence", readonly=True, index=True, aggregator=False)
    logged_at = fields.Datetime("Time", readonly=True, index=True)
    user_id = fields.Many2one("res.users", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True)
    event_type = fields.Selection(EVENT_TYPES, "Event", readonly=True, index=True)
    res_model = fields.Char("Model", readonly=True, index=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True)
    res_name = fields.Char("Record", readonly=True)
    field_name = fields.Char("Field", readonly=True)
    old_value = fields.Text(readonly=True)
    new_value = fields.Text(readonly=True)
    origin = fields.Selection(ORIGINS, readonly=True)
    description = fields.Char(readonly=True)
    prev_hash = fields.Char("Previous Hash", readonly=True)
    hash = fields.Char(readonly=True)
    # how ``hash`` was computed; empty on the entries written before the column existed (v1)
    hash_scheme = fields.Selection(HASH_SCHEMES, readonly=True)

    _sql_constraints = [
        ("chain_seq_unique", "UNIQUE(chain_seq)", "Two audit entries cannot share a position."),
    ]

    # ------------------------------------------------------------------
    # ORM guards: the journal is append-only for everybody
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        # Entries are only born through _log(), which chains them; a forged create
        # through the ORM (RPC, import, sudo) would bypass the chain.
        raise UserError(self.env._("Audit entries are written by the system only."))

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._(
            "Audit entries cannot be changed, not even by an administrator."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._(  # pylint: disable=no-raise-unlink
            "Audit entries cannot be deleted; set a retention period in Settings instead."))

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # entries buffered by this transaction are part of what a search must see
        self._flush_buffer()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------
    @api.model
    def _ps_request_origin(self):
        """Where the current change comes from: ui, rpc, cron or system. (Not ``_origin``,
        which is the ORM's own property on every recordset.)"""
        try:
            path = http_request.httprequest.path if http_request else None
        except RuntimeError:  # outside of a request context
            path = None
        if not path:
            # XML-RPC and JSON-RPC calls run with the request taken off the stack
            # (odoo.http.borrow_request); the thread still knows the URL it serves
            url = getattr(threading.current_thread(), "url", None)
            path = urlsplit(url).path if url else None
        if path:
            # a client cannot pass for a scheduled action by setting cron_id in its context
            return "rpc" if path.startswith(("/xmlrpc", "/jsonrpc")) else "ui"
        return "cron" if self.env.context.get("cron_id") else "system"

    @api.model
    def _log(self, entries):
        """Queue entries for this transaction; they are chained and inserted in one batch
        before commit. ``entries`` is a list of dicts with the keys event_type, res_model,
        res_id, res_name, field_name, old_value, new_value, description (all optional but
        event_type)."""
        if not entries:
            return
        cr = self.env.cr
        buffer = cr.precommit.data.get(BUFFER_KEY)
        if buffer is None:
            buffer = cr.precommit.data[BUFFER_KEY] = []
            # bind the flush to a superuser env on the same cursor: whoever ends the
            # transaction, the entries are written.
            cr.precommit.add(self.env(su=True)["ps.audit.log"]._flush_buffer)
        now = fields.Datetime.now()
        user_id = self.env.uid
        company_id = self.env.company.id
        origin = self._ps_request_origin()
        def text(value, size=None):
            # the hash covers what the database will return: no False for empty text
            if value is None or value is False or value == "":
                return None
            value = str(value)
            return value[:size] if size else value

        for entry in entries:
            buffer.append({
                "logged_at": now,
                "user_id": user_id,
                "company_id": entry.get("company_id") or company_id,
                "event_type": entry["event_type"],
                "res_model": text(entry.get("res_model")),
                "res_id": entry.get("res_id") or None,
                "res_name": text(entry.get("res_name"), 256),
                "field_name": text(entry.get("field_name")),
                "old_value": text(entry.get("old_value")),
                "new_value": text(entry.get("new_value")),
                "origin": entry.get("origin", origin),
                "description": text(entry.get("description"), 512),
            })

    @api.model
    def init(self):
        # The head of the chain: its last position and hash, in one row that every writer
        # locks. Under REPEATABLE READ, a writer whose snapshot predates another writer's
        # commit gets a serialization failure on this row, which Odoo retries, instead of
        # chaining onto a stale head. It also survives the retention purge. With the chain
        # key, ``seal`` is the HMAC of the head: the newest entries cannot be removed
        # without the key.
        self.env.cr.execute(SQL("""
            CREATE TABLE IF NOT EXISTS ps_audit_chain_head (
                id integer PRIMARY KEY CHECK (id = 1),
                chain_seq integer NOT NULL,
                hash varchar NOT NULL
            );
            ALTER TABLE ps_audit_chain_head ADD COLUMN IF NOT EXISTS seal varchar;
            INSERT INTO ps_audit_chain_head (id, chain_seq, hash)
            SELECT 1, COALESCE(
                       (SELECT chain_seq FROM ps_audit_log ORDER BY chain_seq DESC LIMIT 1), 0),
                   COALESCE(
                       (SELECT hash FROM ps_audit_log ORDER BY chain_seq DESC LIMIT 1), %s)
            ON CONFLICT (id) DO NOTHING
        """, GENESIS_HASH))

    @api.model
    def _flush_buffer(self):
        """Chain and insert the buffered entries, after the head of the chain, which is
        locked until the transaction ends: concurrent writers append one after the other.

        Under REPEATABLE READ, a writer whose transaction started before another writer
        committed gets a serialization failure on the head row. Raised here, it is inside
        Odoo's retry loop (``odoo.service.model.retrying`` flushes the cursor, precommit
        hooks included, before it commits), and the request is replayed after the other.
        """
        cr = self.env.cr
        buffer = cr.precommit.data.get(BUFFER_KEY)
        if not buffer:
            return
        entries = list(buffer)
        buffer.clear()
        key = _chain_key()
        scheme = "v2-hmac" if key else "v2"
        cr.execute(SQL("SELECT chain_seq, hash FROM ps_audit_chain_head WHERE id = 1 FOR UPDATE"))
        seq, prev_hash = cr.fetchone()
        rows = []
        for entry in entries:
            seq += 1
            entry["chain_seq"] = seq
            digest = _entry_digest(prev_hash, entry, scheme, key)
            rows.append((seq, entry["logged_at"], entry["user_id"], entry["company_id"],
                         entry["event_type"], entry["res_model"], entry["res_id"],
                         entry["res_name"], entry["field_name"], entry["old_value"],
                         entry["new_value"], entry["origin"], entry["description"],
                         scheme, prev_hash, digest))
            prev_hash = digest
        seal = _head_seal(key, seq, prev_hash) if key else None
        cr.execute(SQL(
            "UPDATE ps_audit_chain_head SET chain_seq = %s, hash = %s, seal = %s WHERE id = 1",
            seq, prev_hash, seal))
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            cr.execute(SQL(
                """INSERT INTO ps_audit_log
                       (chain_seq, logged_at, user_id, company_id, event_type, res_model,
                        res_id, res_name, field_name, old_value, new_value, origin,
                        description, hash_scheme, prev_hash, hash)
                   VALUES %s""",
                SQL(", ").join(SQL("%s", row) for row in chunk),
            ))

    # ------------------------------------------------------------------
    # Verification
    # ------------------------------------------------------------------
    @api.model
    def _verify_chain(self, batch_size=5000, company_ids=None):
        """Recompute every link, oldest first, each entry with the scheme it was written
        with. Reads ``batch_size`` entries per query and holds one batch at a time.

        Returns a dict with ``ok``, ``checked`` (entries found intact), ``last_seq`` (the
        last position found intact), ``unkeyed_seq`` (the last entry not keyed with the
        chain key, 0 if none), ``checked_company`` (entries found intact that belong to
        ``company_ids`` or to no company), and for a break ``broken_id``, ``broken_seq`` and
        ``reason``. The oldest entry left by the retention purge anchors the chain.
        """
        self._flush_buffer()
        cr = self.env.cr
        key = _chain_key()
        companies = set(company_ids or ())
        columns = SQL(", ").join(SQL.identifier(c) for c in (
            "id", *ALL_HASHED_COLUMNS, "hash_scheme", "prev_hash", "hash"))
        result = {"ok": True, "checked": 0, "checked_company": 0, "last_seq": 0,
                  "unkeyed_seq": 0}
        last_seq = expected_prev = None
        rank = 0
        keyed = False
        while True:
            cr.execute(SQL(
                "SELECT %s FROM ps_audit_log WHERE chain_seq > %s ORDER BY chain_seq LIMIT %s",
                columns, last_seq or 0, batch_size))
            rows = cr.dictfetchall()
            if not rows:
                break
            for row in rows:
                reason = self._entry_break(row, last_seq, expected_prev, rank, key)
                if reason:
                    return dict(result, ok=False, broken_id=row["id"],
                                broken_seq=row["chain_seq"], reason=reason)
                _columns, keyed, rank = SCHEME_SPECS[row["hash_scheme"] or LEGACY_SCHEME]
                last_seq = row["chain_seq"]
                expected_prev = row["hash"]
                result["checked"] += 1
                result["last_seq"] = last_seq
                if not keyed:
                    result["unkeyed_seq"] = last_seq
                if not row["company_id"] or row["company_id"] in companies:
                    result["checked_company"] += 1
            if len(rows) < batch_size:
                break
        reason = self._head_break(result["last_seq"], expected_prev, keyed, key)
        if reason:
            return dict(result, ok=False, broken_id=False, broken_seq=result["last_seq"],
                        reason=reason)
        return result

    @api.model
    def _entry_break(self, row, last_seq, expected_prev, min_rank, key):
        """Why the entry ``row`` breaks the chain, or None."""
        seq = row["chain_seq"]
        scheme = row["hash_scheme"] or LEGACY_SCHEME
        _columns, keyed, rank = SCHEME_SPECS.get(scheme, ((), False, None))
        if last_seq is not None and seq != last_seq + 1:
            reason = self.env._(
                "entries between positions %(prev)s and %(seq)s are missing",
                prev=last_seq, seq=seq)
        elif expected_prev is not None and row["prev_hash"] != expected_prev:
            reason = self.env._(
                "entry %(seq)s does not point to the hash of the entry before it", seq=seq)
        elif rank is None:
            reason = self.env._(
                "entry %(seq)s names an unknown hashing scheme (%(scheme)s)",
                seq=seq, scheme=scheme)
        elif rank < min_rank:
            reason = self.env._(
                "entry %(seq)s is hashed with a weaker scheme (%(scheme)s) than the entry "
                "before it: it was rewritten, or written by a server without the chain key",
                seq=seq, scheme=scheme)
        elif keyed and not key:
            reason = self.env._(
                "entry %(seq)s is keyed with the chain key, and this server's configuration "
                "does not set %(option)s", seq=seq, option=CHAIN_KEY_OPTION)
        elif _entry_digest(row["prev_hash"], row, scheme, key) != row["hash"]:
            reason = self.env._(
                "the content of entry %(seq)s was altered after it was written", seq=seq)
        else:
            reason = None
        return reason

    @api.model
    def _head_break(self, last_seq, last_hash, last_keyed, key):
        """Why the head row contradicts the last entry, or None. The head remembers the
        last link, so removing the newest entries shows; with the chain key, the head's
        seal shows it even when the head row was moved back along with them."""
        cr = self.env.cr
        cr.execute(SQL("SELECT chain_seq, hash, seal FROM ps_audit_chain_head WHERE id = 1"))
        head_seq, head_hash, seal = cr.fetchone()
        if head_seq != last_seq or (last_seq and head_hash != last_hash):
            return self.env._("the newest entries after position %(seq)s were removed (the "
                              "chain ends at %(head)s)", seq=last_seq, head=head_seq)
        if key and (seal or last_keyed) and not hmac.compare_digest(
                seal or "", _head_seal(key, head_seq, head_hash)):
            return self.env._(
                "the head of the chain (position %(seq)s) is not sealed with the chain key: "
                "the newest entries were removed or rewritten", seq=head_seq)
        return None

    @api.model
    def action_verify_chain(self):
        """Verify the whole chain and report on it for the user's companies. Reserved to
        administrators: it rehashes every entry, of every company."""
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_manager")):
            raise AccessError(self.env._("Only administrators can verify the audit chain."))
        result = self._verify_chain(company_ids=self.env.companies.ids)
        if result["ok"]:
            message = self.env._(
                "%(count)s entries of your companies verified; the chain is intact up to "
                "position %(seq)s.", count=result["checked_company"], seq=result["last_seq"])
            kind = "success"
        else:
            message = self.env._(
                "The audit chain is broken at position %(seq)s: %(reason)s. Before it, "
                "%(count)s entries of your companies verified intact, up to position "
                "%(last)s.", seq=result["broken_seq"], reason=result["reason"],
                count=result["checked_company"], last=result["last_seq"])
            kind = "danger"
        if _chain_key() and result["unkeyed_seq"]:
            message += " " + self.env._(
                "Entries up to position %(seq)s are not keyed with the chain key (written "
                "before it was configured).", seq=result["unkeyed_seq"])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("Audit chain verification"), "message": message,
                       "type": kind, "sticky": not result["ok"]},
        }

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------
    @api.model
    def _cron_purge(self, batch_size=10000):
        """Delete entries older than the retention period (Settings; 0 keeps everything),
        oldest first, one batch per call. Oldest-first keeps the rest one chain."""
        days = int(self.env["ir.config_parameter"].sudo().get_param(
            "ps_base.audit_retention_days", 0) or 0)
        if days <= 0:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        limit_date = fields.Datetime.now() - timedelta(days=days)
        cr = self.env.cr
        self._flush_buffer()
        # only ever a prefix of the chain: entries are chained at commit, so the time
        # they were logged may be a little out of chain order
        cr.execute(SQL(
            """DELETE FROM ps_audit_log WHERE id IN (
                   SELECT id FROM ps_audit_log
                   WHERE chain_seq < COALESCE(
                       (SELECT min(chain_seq) FROM ps_audit_log WHERE logged_at >= %s),
                       (SELECT max(chain_seq) + 1 FROM ps_audit_log))
                   ORDER BY chain_seq LIMIT %s)
               RETURNING chain_seq""", limit_date, batch_size))
        deleted = cr.fetchall()
        cr.execute(SQL(
            """SELECT count(*) FROM ps_audit_log WHERE chain_seq < COALESCE(
                   (SELECT min(chain_seq) FROM ps_audit_log WHERE logged_at >= %s),
                   (SELECT max(chain_seq) + 1 FROM ps_audit_log))""", limit_date))
        remaining = cr.fetchone()[0]
        if deleted:
            self._log([{
                "event_type": "retention",
                "description": self.env._("Retention purge removed %(count)s entries up to "
                                          "position %(seq)s (older than %(days)s days)",
                                          count=len(deleted), seq=max(d[0] for d in deleted),
                                          days=days),
            }])
        self.env["ir.cron"]._notify_progress(done=len(deleted), remaining=remaining)
        return len(deleted)
