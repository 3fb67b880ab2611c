import hashlib
import hmac
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .ps_webhook_endpoint import get_param

_logger = logging.getLogger(__name__)

DELIVERY_STATES = [("pending", "Pending"), ("sent", "Delivered"), ("failed", "Failed, will retry"),
                   ("dead", "Dead letter")]
PAYLOAD_VERSION = 1
MAX_ERROR = 500
USER_AGENT = "PS-Suite-Webhook/1"
POSTPONED = object()  # outcome of a delivery not attempted: its endpoint is unreachable


def sign(secret, timestamp, body):
    """Hex HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed with ``secret`` (body: bytes)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new((secret or "").encode(), message, hashlib.sha256).hexdigest()


def payload_body(key, event_type, created, company_id, payload):
    """The small, versioned body of one delivery, as bytes."""
    try:
        data = json.loads(payload or "{}")
    except ValueError:
        data = {"raw": payload}
    body = {
        "version": PAYLOAD_VERSION,
        "id": key,
        "type": event_type,
        "created": fields.Datetime.to_string(created),
        "company_id": company_id,
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()


class EndpointPool:
    """Keep-alive HTTP connections to one endpoint, kept by the process from one batch to
    the next: a batch reuses the connections of the previous one instead of opening one
    per delivery. Proxies and CA bundle of the environment are read once, not per request;
    a webhook sender keeps no cookies."""

    def __init__(self, url, size):
        self.url = url
        self.size = size
        self.session = requests.Session()
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        # as many connections as parallel requests; no retry inside requests (a failed
        # attempt is the dispatcher's to count and back off)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=size, pool_block=True,
                              max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.settings = self.session.merge_environment_settings(url, {}, None, None, None)

    def post(self, body, headers, timeout):
        request = requests.PreparedRequest()
        request.prepare(method="POST", url=self.url, headers=headers, data=body)
        return self.session.send(request, timeout=timeout, allow_redirects=False,
                                 **self.settings)

    def close(self):
        self.session.close()


_POOLS = {}     # (process id, database, endpoint id) -> EndpointPool
_POOLS_LOCK = threading.Lock()


def endpoint_pool(dbname, endpoint_id, url, size):
    """The process's connection pool to an endpoint (a new one when its URL changed)."""
    key = (os.getpid(), dbname, endpoint_id)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None or pool.url != url or pool.size < size:
            if pool is not None:
                pool.close()
            pool = _POOLS[key] = EndpointPool(url, size)
        return pool


def values_sql(row_template, rows):
    """``VALUES`` rows as one SQL object: the same placeholder template for each row
    (a constant string), the values as parameters. One SQL per row would cost more than
    the query for a thousand rows."""
    return SQL(", ".join([row_template] * len(rows)), *[value for row in rows for value in row])


class PsWebhookDelivery(models.Model):
    """One event to one endpoint: sent, retried with exponential backoff, or dead-lettered.

    The dispatcher (scheduled action) runs in its own transaction, so it only ever reads
    events whose transaction committed. It claims due deliveries with ``FOR UPDATE SKIP
    LOCKED``: two workers never send the same delivery at the same time. Delivery is at
    least once; receivers de-duplicate on X-PS-Event-Id."""

    _name = "ps.webhook.delivery"
    _description = "Webhook Delivery"
    _order = "id desc"
    _rec_name = "event_type"

    endpoint_id = fields.Many2one("ps.webhook.endpoint", required=True, readonly=True,
                                  ondelete="cascade", index=True)
    event_id = fields.Many2one("ps.event", required=True, readonly=True, ondelete="cascade",
                               index=True)
    event_type = fields.Char(related="event_id.event_type", string="Event Type")
    idempotency_key = fields.Char(related="event_id.idempotency_key", string="Event Id")
    res_name = fields.Char(related="event_id.res_name", string="Record")
    event_date = fields.Datetime("Event Time", readonly=True,
                                 help="When the event was written (lag is measured from it)")
    company_id = fields.Many2one("res.company", readonly=True, index=True, required=True)
    state = fields.Selection(DELIVERY_STATES, default="pending", required=True, readonly=True,
                             index=True)
    attempts = fields.Integer(readonly=True, default=0)
    next_attempt = fields.Datetime(readonly=True, index=True, default=fields.Datetime.now)
    last_error = fields.Text(readonly=True)
    response_code = fields.Integer(readonly=True, aggregator=False)
    sent_at = fields.Datetime("Delivered At", readonly=True)
    lag_seconds = fields.Float("Lag (s)", readonly=True, aggregator="avg",
                               help="From the event to its successful delivery")

    _sql_constraints = [
        ("endpoint_event_uniq", "UNIQUE(endpoint_id, event_id)",
         "An event is delivered once to each endpoint."),
    ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_redeliver(self):
        """Send again (a dead letter, or a delivery the receiver lost): from attempt 0."""
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_manager")):
            raise AccessError(self.env._("Only PS administrators can redeliver webhooks."))
        if not self:
            raise UserError(self.env._("Select the deliveries to send again."))
        self.write({"state": "pending", "attempts": 0, "next_attempt": fields.Datetime.now(),
                    "last_error": False})
        self.event_id.sudo().write({"state": "pending"})
        self.env.ref("ps_governance.ir_cron_webhook_dispatch")._trigger()
        return True

    @api.model
    def _cron_purge(self, batch_size=5000):
        """Delete delivered webhooks and inbound call logs older than the retention of
        Settings (0 keeps everything), one batch a call. Dead letters stay until someone
        redelivers or deletes them; the scorecard keeps its values."""
        days = int(get_param(self.env, "webhook_retention_days", 90))
        if days <= 0:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        limit = fields.Datetime.now() - timedelta(days=days)
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(SQL("""DELETE FROM ps_webhook_delivery WHERE id IN (
                              SELECT id FROM ps_webhook_delivery
                              WHERE state = 'sent' AND sent_at < %s LIMIT %s)""",
                       limit, batch_size))
        done = cr.rowcount
        cr.execute(SQL("""DELETE FROM ps_webhook_inbound_log WHERE id IN (
                              SELECT id FROM ps_webhook_inbound_log
                              WHERE received_at < %s LIMIT %s)""", limit, batch_size))
        done += cr.rowcount
        cr.execute(SQL("""SELECT (SELECT count(*) FROM ps_webhook_delivery
                                  WHERE state = 'sent' AND sent_at < %s)
                               + (SELECT count(*) FROM ps_webhook_inbound_log
                                  WHERE received_at < %s)""", limit, limit))
        self.env["ir.cron"]._notify_progress(done=done, remaining=cr.fetchone()[0])
        self.invalidate_model()
        self.env["ps.webhook.inbound.log"].invalidate_model()
        return done

    def _ps_exception_retry(self, exceptions):  # pylint: disable=unused-argument
        """Retry from the exception queue: redeliver the dead letters it points at."""
        self.action_redeliver()
        return True

    # ------------------------------------------------------------------
    # Dispatcher
    # ------------------------------------------------------------------
    @api.model
    def _cron_dispatch(self, batch_size=None):
        """One batch: fan new outbox events out to deliveries, then send the due ones.
        Odoo's ir.cron commits after each call and calls again while work remains."""
        batch_size = batch_size or int(get_param(self.env, "webhook_batch_size", 200))
        fanned = self._fan_out(batch_size)
        deliveries = self._claim_due(batch_size)
        deliveries._send()
        cr = self.env.cr
        cr.execute(SQL(
            """SELECT (SELECT count(*) FROM ps_event WHERE ps_dispatched IS NOT TRUE)
                    + (SELECT count(*) FROM ps_webhook_delivery d
                       JOIN ps_webhook_endpoint e ON e.id = d.endpoint_id AND e.active
                       WHERE d.state IN ('pending', 'failed') AND d.next_attempt <= %s)""",
            fields.Datetime.now()))
        remaining = cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=fanned + len(deliveries),
                                             remaining=remaining)
        return len(deliveries)

    @api.model
    def _fan_out(self, batch_size):
        """Create one delivery per subscribed endpoint for the oldest events not yet fanned
        out; events no endpoint wants are marked skipped. Idempotent: unique(endpoint,
        event), and events are claimed with SKIP LOCKED."""
        cr = self.env.cr
        cr.execute(SQL("""SELECT id, event_type, company_id, create_date FROM ps_event
                          WHERE ps_dispatched IS NOT TRUE ORDER BY id LIMIT %s
                          FOR UPDATE SKIP LOCKED""", batch_size))
        events = cr.fetchall()
        if not events:
            return 0
        endpoints = self.env["ps.webhook.endpoint"].sudo().search([("active", "=", True)])
        rows, skipped, matches = [], [], {}
        for event_id, event_type, company_id, created in events:
            targets = matches.get((event_type, company_id))
            if targets is None:
                targets = matches[event_type, company_id] = [
                    ept.id for ept in endpoints if ept._ps_matches(event_type, company_id)]
            if not targets:
                skipped.append(event_id)
            rows.extend((ept_id, event_id, company_id, created) for ept_id in targets)
        now = fields.Datetime.now()
        if rows:
            cr.execute(SQL(
                """INSERT INTO ps_webhook_delivery
                       (endpoint_id, event_id, company_id, event_date, state, attempts,
                        next_attempt, create_uid, create_date, write_uid, write_date)
                   SELECT v.endpoint_id, v.event_id, v.company_id, v.event_date, 'pending', 0,
                          %s, %s, %s, %s, %s
                   FROM (VALUES %s) AS v(endpoint_id, event_id, company_id, event_date)
                   ON CONFLICT (endpoint_id, event_id) DO NOTHING""",
                now, self.env.uid, now, self.env.uid, now,
                values_sql("(%s, %s, %s, %s::timestamp)", rows)))
        cr.execute(SQL("UPDATE ps_event SET ps_dispatched = TRUE WHERE id IN %s",
                       tuple(event_id for event_id, *_rest in events)))
        if skipped:
            cr.execute(SQL("UPDATE ps_event SET state = 'skipped' WHERE id IN %s",
                           tuple(skipped)))
        self.env["ps.event"].invalidate_model(["ps_dispatched", "state"])
        return len(events)

    @api.model
    def _claim_due(self, batch_size):
        """Lock up to ``batch_size`` due deliveries of active endpoints for this
        transaction; rows another worker holds are skipped, not waited for."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL(
            """SELECT d.id FROM ps_webhook_delivery d
               JOIN ps_webhook_endpoint e ON e.id = d.endpoint_id AND e.active
               WHERE d.state IN ('pending', 'failed') AND d.next_attempt <= %s
               ORDER BY d.next_attempt, d.id LIMIT %s
               FOR UPDATE OF d SKIP LOCKED""", fields.Datetime.now(), batch_size))
        return self.sudo().browse([row[0] for row in cr.fetchall()])

    def _payload(self):
        """The small, versioned body of one delivery, as bytes."""
        event = self.event_id
        return payload_body(event.idempotency_key, event.event_type, event.create_date,
                            event.company_id.id, event.payload)

    def _send_jobs(self):
        """What sending the batch needs, read in one query (no ORM record per delivery)."""
        self.env.cr.execute(SQL(
            """SELECT d.id, d.endpoint_id, d.event_id, d.state, d.attempts, d.event_date,
                      ev.idempotency_key, ev.event_type, ev.create_date, ev.company_id,
                      ev.payload
               FROM ps_webhook_delivery d JOIN ps_event ev ON ev.id = d.event_id
               WHERE d.id IN %s ORDER BY d.next_attempt, d.id""", tuple(self.ids)))
        return [{"id": row[0], "endpoint_id": row[1], "event_id": row[2], "state": row[3],
                 "attempts": row[4], "event_date": row[5], "key": row[6],
                 "body": payload_body(row[6], row[7], row[8], row[9], row[10])}
                for row in self.env.cr.fetchall()]

    def _send(self):
        """POST each delivery, a few at a time (the work is waiting on the network) over
        the endpoint's kept-alive connections, then record every outcome in one
        statement. The deliveries stay locked by this transaction until it commits.
        An endpoint that cannot be reached (refused connection, timeout) is not tried
        again in the same batch: its other deliveries are postponed by its backoff base
        without counting an attempt, so a receiver that is down costs one timeout per
        batch, not one per delivery."""
        if not self:
            return
        self.env.flush_all()
        jobs = self._send_jobs()
        endpoints = self.env["ps.webhook.endpoint"].sudo().browse(
            sorted({job["endpoint_id"] for job in jobs}))
        refused = {}    # endpoint id -> why its URL is refused (checked once per batch)
        for endpoint in endpoints:
            try:
                endpoint._ps_check_url(resolve=True)
            except ValidationError as error:
                refused[endpoint.id] = str(error)
        workers = max(1, min(int(get_param(self.env, "webhook_workers", 8)), len(jobs)))
        targets = {endpoint.id: (endpoint_pool(self.env.cr.dbname, endpoint.id,
                                               endpoint.url, workers),
                                 (endpoint.secret or ""), endpoint.timeout)
                   for endpoint in endpoints if endpoint.id not in refused}
        unreachable = set()     # endpoint ids; shared by the threads (set.add is atomic)

        def post(job):
            endpoint_id = job["endpoint_id"]
            if endpoint_id in refused:
                return None, refused[endpoint_id]
            if endpoint_id in unreachable:
                return None, POSTPONED
            pool, secret, timeout = targets[endpoint_id]
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json", "User-Agent": USER_AGENT,
                "X-PS-Timestamp": timestamp,
                "X-PS-Signature": sign(secret, timestamp, job["body"]),
                "X-PS-Event-Id": job["key"],
            }
            try:
                response = pool.post(job["body"], headers, timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                unreachable.add(endpoint_id)
                return None, f"{type(error).__name__}: {error}"
            except requests.RequestException as error:
                return None, f"{type(error).__name__}: {error}"
            if 200 <= response.status_code < 300:
                return response.status_code, None
            return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"

        if workers == 1:
            outcomes = [post(job) for job in jobs]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                outcomes = list(pool.map(post, jobs))
        self._record_outcomes(jobs, outcomes, endpoints)

    def _record_outcomes(self, jobs, outcomes, endpoints):
        """Write each delivery's outcome (``outcomes[i]`` = (HTTP code, error) of
        ``jobs[i]``) in one UPDATE; schedule the next attempt with exponential backoff, or
        dead-letter it into the exception queue."""
        now = fields.Datetime.now()
        limits = {endpoint.id: (endpoint.max_attempts, endpoint.backoff_base)
                  for endpoint in endpoints}
        rows, dead = [], []
        for job, (code, error) in zip(jobs, outcomes, strict=True):
            attempts = job["attempts"] + 1
            max_attempts, backoff_base = limits[job["endpoint_id"]]
            if error is POSTPONED:
                rows.append((job["id"], job["state"], job["attempts"],
                             now + timedelta(seconds=backoff_base),
                             self.env._("Not attempted: the endpoint could not be reached "
                                        "earlier in the same batch."), None, None, None))
            elif error is None:
                lag = (now - job["event_date"]).total_seconds() if job["event_date"] else 0
                rows.append((job["id"], "sent", attempts, None, None, code, now, lag))
            elif attempts >= max_attempts:
                rows.append((job["id"], "dead", attempts, None, error[:MAX_ERROR], code,
                             None, None))
                dead.append(job["id"])
            else:
                delay = backoff_base * 2 ** (attempts - 1)
                rows.append((job["id"], "failed", attempts, now + timedelta(seconds=delay),
                             error[:MAX_ERROR], code, None, None))
        self.env.cr.execute(SQL(
            """UPDATE ps_webhook_delivery d SET state = v.state, attempts = v.attempts,
                   next_attempt = v.next_attempt, last_error = v.last_error,
                   response_code = v.code, sent_at = v.sent_at, lag_seconds = v.lag,
                   write_date = %s, write_uid = %s
               FROM (VALUES %s) AS v(id, state, attempts, next_attempt, last_error, code,
                                     sent_at, lag)
               WHERE d.id = v.id""",
            now, self.env.uid,
            values_sql("(%s, %s, %s, %s::timestamp, %s, %s::integer, %s::timestamp, %s::float)",
                       rows)))
        self.invalidate_recordset()
        self._update_event_states(sorted({job["event_id"] for job in jobs}))
        if dead:
            self.browse(dead)._raise_dead_letters()
        sent = [row[0] for row in rows if row[1] == "sent"]
        if sent:
            self.browse(sent)._resolve_dead_letters()

    def _update_event_states(self, event_ids=None):
        """An event is delivered when all its deliveries are, dead when one is dead,
        failed (will retry) while one is retrying."""
        events = self.env["ps.event"].browse(event_ids) if event_ids is not None \
            else self.event_id
        if not events:
            return
        self.env.cr.execute(SQL(
            """UPDATE ps_event e SET state = s.state, attempts = s.attempts,
                   last_error = s.last_error, next_attempt = s.next_attempt
               FROM (SELECT event_id,
                            CASE WHEN bool_or(state = 'dead') THEN 'dead'
                                 WHEN bool_or(state = 'failed') THEN 'failed'
                                 WHEN bool_and(state = 'sent') THEN 'sent'
                                 ELSE 'pending' END AS state,
                            max(attempts) AS attempts,
                            max(last_error) AS last_error,
                            min(next_attempt) FILTER (WHERE state IN ('pending', 'failed'))
                                AS next_attempt
                     FROM ps_webhook_delivery WHERE event_id IN %s GROUP BY event_id) s
               WHERE e.id = s.event_id""", tuple(events.ids)))
        events.invalidate_recordset(["state", "attempts", "last_error", "next_attempt"])

    def _resolve_dead_letters(self):
        """A dead letter redelivered with success closes its exception."""
        exceptions = self.env["ps.exception"].sudo().search([
            ("key", "in", [f"webhook_dead_letter:{delivery_id}" for delivery_id in self.ids]),
            ("state", "in", ("new", "in_progress"))])
        if exceptions:
            exceptions.write({"state": "resolved", "resolved_date": fields.Datetime.now(),
                              "resolution": self.env._("Delivered on a later attempt.")})

    def _raise_dead_letters(self):
        self.env["ps.exception"]._raise_exceptions([{
            "name": self.env._("Webhook to %(endpoint)s dead-lettered: %(event)s",
                               endpoint=delivery.endpoint_id.name, event=delivery.event_type),
            "key": f"webhook_dead_letter:{delivery.id}",
            "kind": "webhook_dead_letter",
            "source": "ps_governance webhook dispatcher",
            "res_model": self._name, "res_id": delivery.id,
            "res_name": f"{delivery.endpoint_id.name} / {delivery.idempotency_key}",
            "severity": "critical",
            "company_id": delivery.company_id.id,
            "attempts": delivery.attempts,
            "details": self.env._("%(attempts)s attempts failed. Last error: %(error)s",
                                  attempts=delivery.attempts, error=delivery.last_error),
        } for delivery in self])
