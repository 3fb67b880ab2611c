import hashlib
import hmac
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

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
        rows, skipped = [], []
        for event_id, event_type, company_id, created in events:
            targets = [ept.id for ept in endpoints if ept._ps_matches(event_type, company_id)]
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
        try:
            data = json.loads(event.payload or "{}")
        except ValueError:
            data = {"raw": event.payload}
        body = {
            "version": PAYLOAD_VERSION,
            "id": event.idempotency_key,
            "type": event.event_type,
            "created": fields.Datetime.to_string(event.create_date),
            "company_id": event.company_id.id,
            "data": data,
        }
        return json.dumps(body, separators=(",", ":"), default=str).encode()

    def _send(self):
        """POST each delivery (a few at a time: the work is waiting on the network), then
        record every outcome in one statement. An endpoint that cannot be reached (refused
        connection, timeout) is not tried again in the same batch: its other deliveries are
        postponed by its backoff base without counting an attempt, so a receiver that is
        down costs one timeout per batch, not one per delivery."""
        if not self:
            return
        jobs = []
        for delivery in self:
            endpoint = delivery.endpoint_id
            jobs.append({"id": delivery.id, "url": endpoint.url, "secret": endpoint.secret,
                         "timeout": endpoint.timeout, "body": delivery._payload(),
                         "key": delivery.idempotency_key, "endpoint": endpoint,
                         "endpoint_id": endpoint.id})
        refused = {}
        for job in jobs:
            try:
                job["endpoint"]._ps_check_url(resolve=True)
            except ValidationError as error:
                refused[job["id"]] = str(error)
        workers = max(1, min(int(get_param(self.env, "webhook_workers", 8)), len(jobs)))
        unreachable = set()     # endpoint ids; shared by the threads (set.add is atomic)
        with requests.Session() as session:
            def post(job):
                if job["id"] in refused:
                    return job["id"], None, refused[job["id"]]
                if job["endpoint_id"] in unreachable:
                    return job["id"], None, POSTPONED
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json", "User-Agent": USER_AGENT,
                    "X-PS-Timestamp": timestamp,
                    "X-PS-Signature": sign(job["secret"], timestamp, job["body"]),
                    "X-PS-Event-Id": job["key"],
                }
                try:
                    response = session.post(job["url"], data=job["body"], headers=headers,
                                            timeout=job["timeout"], allow_redirects=False)
                except (requests.ConnectionError, requests.Timeout) as error:
                    unreachable.add(job["endpoint_id"])
                    return job["id"], None, f"{type(error).__name__}: {error}"
                except requests.RequestException as error:
                    return job["id"], None, f"{type(error).__name__}: {error}"
                if 200 <= response.status_code < 300:
                    return job["id"], response.status_code, None
                return job["id"], response.status_code, \
                    f"HTTP {response.status_code}: {response.text[:200]}"

            if workers == 1:
                outcomes = [post(job) for job in jobs]
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    outcomes = list(pool.map(post, jobs))
        self._record_outcomes({delivery_id: (code, error)
                               for delivery_id, code, error in outcomes})

    def _record_outcomes(self, outcomes):
        """Write each delivery's outcome; schedule the next attempt with exponential
        backoff, or dead-letter it into the exception queue."""
        now = fields.Datetime.now()
        rows, dead = [], self.browse()
        for delivery in self:
            code, error = outcomes[delivery.id]
            attempts = delivery.attempts + 1
            endpoint = delivery.endpoint_id
            if error is POSTPONED:
                rows.append((delivery.id, delivery.state, delivery.attempts,
                             now + timedelta(seconds=endpoint.backoff_base),
                             self.env._("Not attempted: the endpoint could not be reached "
                                        "earlier in the same batch."), None, None, None))
            elif error is None:
                lag = (now - delivery.event_date).total_seconds() if delivery.event_date else 0
                rows.append((delivery.id, "sent", attempts, None, None, code, now, lag))
            elif attempts >= endpoint.max_attempts:
                rows.append((delivery.id, "dead", attempts, None, error[:MAX_ERROR], code,
                             None, None))
                dead |= delivery
            else:
                delay = endpoint.backoff_base * 2 ** (attempts - 1)
                rows.append((delivery.id, "failed", attempts, now + timedelta(seconds=delay),
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
        self._update_event_states()
        if dead:
            dead._raise_dead_letters()
        sent = [row[0] for row in rows if row[1] == "sent"]
        if sent:
            self.browse(sent)._resolve_dead_letters()

    def _update_event_states(self):
        """An event is delivered when all its deliveries are, dead when one is dead,
        failed (will retry) while one is retrying."""
        events = self.event_id
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
