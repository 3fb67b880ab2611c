import json
from datetime import timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import GovernanceCommon, Receiver


@tagged("post_install", "-at_install")
class TestWebhookOutbound(GovernanceCommon):

    def _emit(self, records=None, event_type="approval.approved"):
        return self.env["ps.event"]._emit(event_type, records or self.partners[:1])

    def test_delivery_signed_versioned_and_verified_by_receiver(self):
        with Receiver("s3cret-key") as receiver:
            endpoint = self._endpoint(receiver.url, event_types="approval.*")
            event = self._emit()
            other = self._emit(event_type="handoff.ready")
            self.env["ps.webhook.delivery"]._cron_dispatch()
        self.assertEqual(receiver.bad_signatures, 0)
        self.assertEqual(receiver.accepted, {event.idempotency_key: 1})
        headers, body = receiver.requests[0]
        payload = json.loads(body)
        self.assertEqual(payload["version"], 1)
        self.assertEqual(payload["type"], "approval.approved")
        self.assertEqual(payload["data"]["id"], self.partners[0].id)
        self.assertLess(len(body), 1000, "payloads stay small")
        self.assertEqual(headers["X-PS-Event-Id"], event.idempotency_key)
        delivery = endpoint.delivery_ids
        self.assertEqual((delivery.state, delivery.attempts, delivery.response_code),
                         ("sent", 1, 200))
        self.assertTrue(delivery.sent_at)
        self.assertEqual(event.state, "sent")
        self.assertEqual(other.state, "skipped", "no endpoint subscribes to handoff.*")

    def test_failing_then_succeeding_receiver_gets_each_event_once(self):
        with Receiver("s3cret-key", fail_first=2) as receiver:
            endpoint = self._endpoint(receiver.url, backoff_base=60)
            events = self._emit(self.partners)
            Delivery = self.env["ps.webhook.delivery"]
            Delivery._cron_dispatch()
            deliveries = endpoint.delivery_ids
            self.assertEqual(set(deliveries.mapped("state")), {"failed"})
            self.assertEqual(set(events.mapped("state")), {"failed"})
            # not due yet: a second run sends nothing
            sent_before = len(receiver.requests)
            Delivery._cron_dispatch()
            self.assertEqual(len(receiver.requests), sent_before)
            first_retry = deliveries[0].next_attempt
            self.assertAlmostEqual(
                (first_retry - fields.Datetime.now()).total_seconds(), 60, delta=5)
            self._make_due()
            Delivery._cron_dispatch()
            self.assertAlmostEqual(
                (deliveries[0].next_attempt - fields.Datetime.now()).total_seconds(), 120,
                delta=5, msg="the backoff doubles")
            self._make_due()
            Delivery._cron_dispatch()
            self._make_due()
            Delivery._cron_dispatch()   # nothing left to send
        self.assertEqual(receiver.accepted, dict.fromkeys(events.mapped("idempotency_key"), 1))
        self.assertEqual(len(receiver.requests), 9, "3 events x (2 failures + 1 success)")
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertEqual(set(deliveries.mapped("attempts")), {3})
        self.assertEqual(set(events.mapped("state")), {"sent"})

    def test_permanently_failing_receiver_ends_in_dead_letter(self):
        with Receiver("s3cret-key", always_fail=True) as receiver:
            endpoint = self._endpoint(receiver.url, max_attempts=3)
            event = self._emit()
            for _attempt in range(4):
                self.env["ps.webhook.delivery"]._cron_dispatch()
                self._make_due()
        delivery = endpoint.delivery_ids
        self.assertEqual(len(receiver.requests), 3)
        self.assertEqual((delivery.state, delivery.attempts, delivery.response_code),
                         ("dead", 3, 503))
        self.assertIn("HTTP 503", delivery.last_error)
        self.assertEqual(event.state, "dead")
        exception = self.env["ps.exception"].search([("kind", "=", "webhook_dead_letter"),
                                                     ("res_id", "=", delivery.id)])
        self.assertEqual(len(exception), 1)
        self.assertIn("HTTP 503", exception.details)
        self.assertEqual(exception.severity, "critical")

        # a finance controller sees it but cannot redeliver; an administrator can
        with self.assertRaises(AccessError):
            delivery.with_user(self.finance).action_redeliver()
        delivery.with_user(self.admin_ps).action_redeliver()
        self.assertEqual((delivery.state, delivery.attempts), ("pending", 0))
        with Receiver("s3cret-key") as receiver:
            endpoint.url = receiver.url
            self.env["ps.webhook.delivery"]._cron_dispatch()
        self.assertEqual(receiver.accepted, {event.idempotency_key: 1})
        self.assertEqual(delivery.state, "sent")

    def test_default_backoff_retries_over_four_hours(self):
        # a closed port: connection refused at once, no real waiting
        endpoint = self._endpoint("http://127.0.0.1:9/closed")
        self.assertEqual((endpoint.max_attempts, endpoint.backoff_base), (8, 120))
        self._emit()
        start = fields.Datetime.now()
        now = start
        delivery = self.env["ps.webhook.delivery"]
        for _attempt in range(8):
            with freeze_time(now):
                self.env["ps.webhook.delivery"]._cron_dispatch()
            delivery = endpoint.delivery_ids
            if delivery.state == "dead":
                break
            now = delivery.next_attempt
        self.assertEqual((delivery.state, delivery.attempts), ("dead", 8))
        self.assertGreaterEqual(now - start, timedelta(hours=4))
        self.assertIn("ConnectionError", delivery.last_error)

    def test_unreachable_endpoint_is_tried_once_per_batch(self):
        self.env["ir.config_parameter"].sudo().set_param("ps_governance.webhook_workers", 1)
        with Receiver("s3cret-key") as receiver:
            down = self._endpoint("http://127.0.0.1:9/closed", name="Down", backoff_base=300)
            up = self._endpoint(receiver.url, name="Up")
            events = self._emit(self.partners)
            self.env["ps.webhook.delivery"]._cron_dispatch()
        self.assertEqual(receiver.accepted, dict.fromkeys(events.mapped("idempotency_key"), 1),
                         "the healthy endpoint gets everything")
        self.assertEqual(set(up.delivery_ids.mapped("state")), {"sent"})
        tried = down.delivery_ids.filtered("attempts")
        postponed = down.delivery_ids - tried
        self.assertEqual((len(tried), tried.state), (1, "failed"))
        self.assertEqual(len(postponed), 2)
        self.assertEqual(set(postponed.mapped("state")), {"pending"})
        self.assertIn("Not attempted", postponed[0].last_error)
        self.assertGreater(min(postponed.mapped("next_attempt")),
                           fields.Datetime.now() + timedelta(seconds=250))

    def test_batches_reuse_the_endpoints_kept_alive_connection(self):
        self.env["ir.config_parameter"].sudo().set_param("ps_governance.webhook_workers", 1)
        with Receiver("s3cret-key", keep_alive=True) as receiver:
            self._endpoint(receiver.url)
            events = self._emit(self.partners)
            Delivery = self.env["ps.webhook.delivery"]
            self.assertEqual(Delivery._cron_dispatch(batch_size=2), 2)
            self.assertEqual(Delivery._cron_dispatch(batch_size=2), 1)
        self.assertEqual(receiver.accepted, dict.fromkeys(events.mapped("idempotency_key"), 1))
        self.assertEqual(receiver.bad_signatures, 0)
        self.assertEqual(len(receiver.connections), 1,
                         "three deliveries in two batches over one kept-alive connection")

    def test_one_batch_applies_each_endpoints_own_limits(self):
        with Receiver("s3cret-key", always_fail=True) as failing, \
                Receiver("s3cret-key") as healthy:
            strict = self._endpoint(failing.url, name="Strict", max_attempts=1)
            patient = self._endpoint(failing.url, name="Patient", max_attempts=5,
                                     backoff_base=30)
            good = self._endpoint(healthy.url, name="Good")
            event = self._emit()
            self.assertEqual(self.env["ps.webhook.delivery"]._cron_dispatch(), 3)
        self.assertEqual(len(failing.requests), 2)
        self.assertEqual(healthy.accepted, {event.idempotency_key: 1})
        self.assertEqual((strict.delivery_ids.state, strict.delivery_ids.attempts),
                         ("dead", 1))
        retry = patient.delivery_ids
        self.assertEqual((retry.state, retry.attempts, retry.response_code),
                         ("failed", 1, 503))
        self.assertAlmostEqual((retry.next_attempt - fields.Datetime.now()).total_seconds(),
                               30, delta=5)
        self.assertEqual((good.delivery_ids.state, good.delivery_ids.response_code),
                         ("sent", 200))
        self.assertEqual(event.state, "dead", "one of its deliveries is dead")
        exceptions = self.env["ps.exception"].search([("kind", "=", "webhook_dead_letter"),
                                                      ("res_id", "in", event.ps_delivery_ids.ids)])
        self.assertEqual(exceptions.res_id, strict.delivery_ids.id)

    def test_queries_per_batch_do_not_grow_with_the_batch(self):
        def dispatch_count(count):
            partners = self.env["res.partner"].create(
                [{"name": f"Batch {count} {i}"} for i in range(count)])
            self._emit(partners)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.env["ps.webhook.delivery"]._cron_dispatch()
            return self.env.cr.sql_log_count - before

        with Receiver("s3cret-key") as receiver:
            self._endpoint(receiver.url)
            dispatch_count(1)   # caches warm (settings, endpoint)
            small = dispatch_count(3)
            large = dispatch_count(15)
        self.assertEqual(len(receiver.accepted), 19)
        self.assertEqual(small, large)

    def test_retention_purges_old_delivered_webhooks_only(self):
        endpoint = self._endpoint("http://127.0.0.1:9/closed")
        events = self._emit(self.partners)
        old = fields.Datetime.now() - timedelta(days=100)
        deliveries = self.env["ps.webhook.delivery"].create([{
            "endpoint_id": endpoint.id, "event_id": event.id, "company_id": event.company_id.id,
            "state": state, "sent_at": sent_at,
        } for event, state, sent_at in zip(events, ["sent", "sent", "dead"],
                                           [old, fields.Datetime.now(), False], strict=True)])
        self.assertEqual(self.env["ps.webhook.delivery"]._cron_purge(), 1)
        self.assertEqual(deliveries.exists(), deliveries[1:])
        self.env["ir.config_parameter"].sudo().set_param(
            "ps_governance.webhook_retention_days", 0)
        deliveries[1].sent_at = old
        self.assertEqual(self.env["ps.webhook.delivery"]._cron_purge(), 0)

    def test_inactive_endpoint_is_not_sent(self):
        with Receiver("s3cret-key") as receiver:
            endpoint = self._endpoint(receiver.url)
            self._emit()
            endpoint.active = False
            self.env["ps.webhook.delivery"]._cron_dispatch()
        self.assertFalse(receiver.requests)

    def test_fan_out_is_idempotent(self):
        endpoint = self._endpoint("http://127.0.0.1:9/closed")
        event = self._emit()
        Delivery = self.env["ps.webhook.delivery"]
        Delivery._fan_out(100)
        # a crash after the insert but before the events were marked: fanned out again
        self.env.cr.execute(SQL("UPDATE ps_event SET ps_dispatched = FALSE WHERE id = %s",
                                event.id))
        Delivery._fan_out(100)
        self.assertEqual(Delivery.search_count([("endpoint_id", "=", endpoint.id)]), 1)

    def test_url_validation(self):
        Endpoint = self.env["ps.webhook.endpoint"].with_user(self.admin_ps)
        for url in ("ftp://example.com/x", "javascript:alert(1)", "http://", "example.com"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                Endpoint.create({"name": "Bad", "url": url})
        with self.assertRaises(ValidationError):
            Endpoint.create({"name": "No timeout", "url": "https://example.com", "timeout": 0})
        self.assertTrue(Endpoint.create({"name": "Local", "url": "http://127.0.0.1:9/"}))
        self.env["ir.config_parameter"].sudo().set_param(
            "ps_governance.webhook_block_private", "True")
        for url in ("http://127.0.0.1:9/", "http://10.1.2.3/", "http://[::1]/",
                    "http://169.254.169.254/latest", "http://localhost:8069/"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                Endpoint.create({"name": "Private", "url": url})
        self.assertTrue(Endpoint.create({"name": "Public", "url": "https://93.184.215.14/"}))

    def test_private_address_refused_at_send_time(self):
        endpoint = self._endpoint("http://127.0.0.1:9/closed")
        self._emit()
        self.env["ir.config_parameter"].sudo().set_param(
            "ps_governance.webhook_block_private", "True")
        self.env["ps.webhook.delivery"]._cron_dispatch()
        self.assertEqual(endpoint.delivery_ids.state, "failed")
        self.assertIn("private", endpoint.delivery_ids.last_error)

    def test_only_administrators_edit_endpoints_and_read_secrets(self):
        endpoint = self._endpoint("https://example.com/hook")
        as_finance = endpoint.with_user(self.finance)
        self.assertEqual(as_finance.url, "https://example.com/hook")
        with self.assertRaises(AccessError):
            as_finance.read(["secret"])
        with self.assertRaises(AccessError):
            as_finance.write({"url": "https://evil.example.com/"})
        with self.assertRaises(AccessError):
            self.env["ps.webhook.endpoint"].with_user(self.finance).create(
                {"name": "Mine", "url": "https://example.com"})
        with self.assertRaises(AccessError):
            endpoint.with_user(self.pm).read(["name"])
        with self.assertRaises(AccessError):
            self.env["ps.webhook.delivery"].with_user(self.consultant).search([])
        self.assertEqual(endpoint.with_user(self.admin_ps).secret, "s3cret-key")
        endpoint.with_user(self.admin_ps).action_rotate_secret()
        self.assertNotEqual(endpoint.secret, "s3cret-key")


@tagged("post_install", "-at_install")
class TestWebhookTransactions(GovernanceCommon):
    """Real, separate transactions: what the scheduled dispatcher sees."""

    def _cursor_env(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_event_of_a_rolled_back_transaction_is_never_delivered(self):
        self.assertFalse(self.registry.in_test_mode())
        writer = self._cursor_env()
        dispatcher = self._cursor_env()
        dispatcher["ps.webhook.endpoint"].create(
            {"name": "Everything", "url": "http://127.0.0.1:9/closed"})
        partner = writer["res.partner"].search([], limit=1)
        event = writer["ps.event"]._emit("approval.approved", partner)
        key = event.idempotency_key
        writer.flush_all()
        # the writer has not committed: the dispatcher does not see its event
        dispatcher["ps.webhook.delivery"]._fan_out(10000)
        Delivery = dispatcher["ps.webhook.delivery"]
        self.assertFalse(Delivery.search([("idempotency_key", "=", key)]))
        writer.cr.rollback()
        dispatcher["ps.webhook.delivery"]._fan_out(10000)
        self.assertFalse(Delivery.search([("idempotency_key", "=", key)]))
        self.assertFalse(dispatcher["ps.event"].search([("idempotency_key", "=", key)]))
        dispatcher.cr.rollback()

    def test_batch_sent_but_not_committed_is_sent_again_with_the_same_event_id(self):
        """At least once: a worker that dies after its POSTs and before its commit leaves
        the deliveries due; the next run sends them again under the same event id, which
        is what the receiver de-duplicates on."""
        with Receiver("s3cret-key", keep_alive=True) as receiver:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                endpoint = env["ps.webhook.endpoint"].create(
                    {"name": "Crash test", "url": receiver.url, "secret": "s3cret-key"})
                event = env["ps.event"]._emit("crash.test",
                                              env["res.partner"].search([], limit=1))
                ids = {"endpoint": endpoint.id, "event": event.id,
                       "key": event.idempotency_key}

            def cleanup():
                with self.registry.cursor() as cr:
                    cr.execute(SQL("DELETE FROM ps_webhook_endpoint WHERE id = %s",
                                   ids["endpoint"]))
                    cr.execute(SQL("DELETE FROM ps_event WHERE id = %s", ids["event"]))
            self.addCleanup(cleanup)

            crashed = self._cursor_env()
            crashed["ps.webhook.delivery"]._cron_dispatch()
            crashed.cr.rollback()       # the worker died before its commit
            for _run in range(2):       # the next run sends again, the one after nothing
                worker = self._cursor_env()
                worker["ps.webhook.delivery"]._cron_dispatch()
                worker.cr.commit()
            check = self._cursor_env()
            delivery = check["ps.webhook.delivery"].search(
                [("endpoint_id", "=", ids["endpoint"])])
            self.assertEqual((delivery.state, delivery.attempts), ("sent", 1))
        sent = [headers["X-PS-Event-Id"] for headers, _body in receiver.requests]
        self.assertEqual(sent, [ids["key"], ids["key"]])
        self.assertEqual(receiver.accepted, {ids["key"]: 2},
                         "delivered twice under one id: the receiver keeps one")

    @mute_logger("odoo.sql_db")
    def test_two_workers_never_claim_the_same_delivery(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            endpoint = env["ps.webhook.endpoint"].create(
                {"name": "Claim test", "url": "http://127.0.0.1:9/closed"})
            event = env["ps.event"]._emit("claim.test", env["res.partner"].search([], limit=1))
            cr.execute(SQL(
                """INSERT INTO ps_webhook_delivery (endpoint_id, event_id, company_id, state,
                       attempts, next_attempt)
                   VALUES (%s, %s, %s, 'pending', 0, now() at time zone 'utc'
                           - interval '1 minute') RETURNING id""",
                endpoint.id, event.id, event.company_id.id))
            delivery_id = cr.fetchone()[0]
            cr.execute(SQL("UPDATE ps_event SET ps_dispatched = TRUE WHERE id = %s", event.id))
            ids = {"endpoint": endpoint.id, "event": event.id}

        def cleanup():
            with self.registry.cursor() as cr:
                cr.execute(SQL("DELETE FROM ps_webhook_endpoint WHERE id = %s", ids["endpoint"]))
                cr.execute(SQL("DELETE FROM ps_event WHERE id = %s", ids["event"]))
        self.addCleanup(cleanup)

        first, second = self._cursor_env(), self._cursor_env()
        claimed_first = first["ps.webhook.delivery"]._claim_due(1000)
        self.assertIn(delivery_id, claimed_first.ids)
        claimed_second = second["ps.webhook.delivery"]._claim_due(1000)
        self.assertNotIn(delivery_id, claimed_second.ids,
                         "a delivery locked by one worker is skipped by the other")
        first.cr.rollback()
        claimed_again = second["ps.webhook.delivery"]._claim_due(1000)
        self.assertIn(delivery_id, claimed_again.ids, "released by the first worker")
        second.cr.rollback()
