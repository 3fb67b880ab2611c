"""Governance (ps_governance): signed outbound webhooks to a loopback receiver, a separate
process on 127.0.0.1 speaking HTTP/1.1 with keep-alive and checking every signature
(bench/receiver.py).

1. Throughput: N = 200 and 2,000 events (quick 20 and 200, large 20,000) written to the
   outbox, then the dispatcher cron is called batch after batch, committing after each (as
   ir.cron does: fan-out, SKIP LOCKED claim, signed POSTs, outcomes in one UPDATE) until
   every delivery is done. Target (issue 11): at least 200 deliveries per second, i.e.
   <= 5 ms per delivery. Floor: the same number of POSTs of the same size sent straight
   with requests and 8 threads over one keep-alive session (no Odoo), to the same receiver.
2. Outage: 10,000 events (quick 1,000) written in 20 waves while the dispatcher runs as the
   cron would; the receiver is down (connection refused) for the first 10 waves and up for
   the rest; backoff base 1 s for the bench. Then the dispatcher drains. The receiver counts
   what it accepted by idempotency key: an event never accepted is lost, an event accepted
   twice is duplicated. Either makes the row FAIL (and `make bench` exit non-zero)."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from benchlib import Skip, Target, measure
from receiver import Receiver

TITLE = "webhook delivery to a loopback receiver: throughput, and an outage"
SECRET = "bench-webhook-secret"
THROUGHPUT_TARGET = Target("per_item", 5.0, "issue 11: >= 200 deliveries/s on 2 cores")


def run(ctx):
    with ctx.env("suite") as env:
        ctx.require(env, "ps.webhook.delivery:_cron_dispatch", "ps.webhook.endpoint",
                    "ps.event:_emit_rows")
        env["ir.config_parameter"].set_param("ps_governance.webhook_block_private", "")
        env.cr.execute("UPDATE ps_event SET ps_dispatched = TRUE WHERE ps_dispatched IS NOT TRUE")
        env.cr.commit()
        try:
            throughput(ctx, env, ctx.size((20, 200), (200, 2000), (2000, 20000)))
            outage(ctx, env, ctx.size(1000, 10000))
        finally:
            env.cr.rollback()
            env["ps.webhook.endpoint"].search([("name", "=", "Bench receiver")]).write(
                {"active": False})
            env.cr.commit()


def _endpoint(env, url, **vals):
    env["ps.webhook.endpoint"].search([]).write({"active": False})
    endpoint = env["ps.webhook.endpoint"].create({"name": "Bench receiver", "url": url,
                                                  "event_types": "*", "secret": SECRET,
                                                  **vals})
    env.cr.commit()
    return endpoint


def _emit(env, count, label):
    partner = env.ref("base.main_partner")
    events = env["ps.event"]._emit_rows("bench.event", [{
        "res_model": "res.partner", "res_id": partner.id, "res_name": f"{label} {i}",
        "company_id": env.company.id, "payload": {"n": i, "amount": 100 + i}}
        for i in range(count)])
    keys = events.mapped("idempotency_key")
    env.cr.commit()
    return keys


def _cron_run(env, calls=10):
    """One run of the scheduled action as Odoo's ir.cron does it: the method is called and
    committed again while it reports work remaining, at most 10 times. Returns the number
    of deliveries claimed."""
    claimed = 0
    Delivery = env["ps.webhook.delivery"]
    for _call in range(calls):
        claimed += Delivery._cron_dispatch()
        env.cr.commit()
        if not _remaining(env):
            break
    return claimed


def _remaining(env):
    env.cr.execute("""SELECT (SELECT count(*) FROM ps_event WHERE ps_dispatched IS NOT TRUE)
                           + (SELECT count(*) FROM ps_webhook_delivery d
                              JOIN ps_webhook_endpoint e ON e.id = d.endpoint_id AND e.active
                              WHERE d.state IN ('pending', 'failed')
                                AND d.next_attempt <= now() at time zone 'utc')""")
    return env.cr.fetchone()[0]


def _unfinished(env, endpoint):
    env.cr.execute("""SELECT (SELECT count(*) FROM ps_event WHERE ps_dispatched IS NOT TRUE)
                           + (SELECT count(*) FROM ps_webhook_delivery
                              WHERE endpoint_id = %s AND state IN ('pending', 'failed'))""",
                   (endpoint.id,))
    return env.cr.fetchone()[0]


def throughput(ctx, env, sizes):
    with Receiver(SECRET) as receiver:
        endpoint = _endpoint(env, receiver.url)
        for size in sizes:
            keys = _emit(env, size, "Bench")
            before = receiver.stats()["counts"]

            def dispatch(size=size):
                for _batch in range(size):  # bounded
                    _cron_run(env)
                    if not _unfinished(env, endpoint):
                        break

            seconds, queries = measure(dispatch)
            counts = receiver.stats()["counts"]
            received = sum(1 for key in keys if counts.get(key, 0) > before.get(key, 0))
            if received < size:
                raise Skip(f"only {received} of {size} deliveries reached the receiver")
            bodies = [json.dumps({"version": 1, "id": key, "type": "bench.event",
                                  "data": {"n": i, "amount": 100 + i}}).encode()
                      for i, key in enumerate(keys)]

            def floor(bodies=bodies):
                with requests.Session() as session, ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda body: session.post(
                        receiver.url, data=body, timeout=10,
                        headers={"Content-Type": "application/json"}), bodies))

            floor_s = measure(floor)[0]
            ctx.results.add("webhook delivery (outbox -> signed POST -> outcome)", size,
                            seconds, queries, floor=floor_s, target=THROUGHPUT_TARGET,
                            note=f"{size / seconds:.0f} deliveries/s; floor: raw POSTs, "
                                 f"{size / floor_s:.0f}/s")


def outage(ctx, env, total, waves=20):
    receiver = Receiver(SECRET)
    # a short backoff for the bench (production default 120 s): retries within seconds
    endpoint = _endpoint(env, receiver.url, backoff_base=1, max_attempts=12, timeout=5)
    per_wave = total // waves
    keys = []
    state = {}

    def run_outage():
        started = time.perf_counter()
        try:
            for wave in range(waves):
                if wave == waves // 2:
                    receiver.start()
                    state["up_at"] = time.perf_counter() - started
                keys.extend(_emit(env, per_wave, f"Outage {wave}"))
                _cron_run(env)
                if wave < waves // 2:
                    time.sleep(0.25)    # the receiver stays down a few seconds
            deadline = time.perf_counter() + 600
            while _unfinished(env, endpoint) and time.perf_counter() < deadline:
                if not _cron_run(env):
                    time.sleep(0.2)     # nothing due yet: wait for the next retry
            state["stats"] = receiver.stats()
        finally:
            receiver.stop()

    seconds, queries = measure(run_outage)
    counts = state["stats"]["counts"]
    lost = sum(1 for key in keys if key not in counts)
    duplicated = sum(1 for key in keys if counts.get(key, 0) > 1)
    env.cr.execute("""SELECT count(*) FILTER (WHERE state = 'dead'),
                             count(*) FILTER (WHERE state <> 'sent'), max(attempts)
                      FROM ps_webhook_delivery WHERE endpoint_id = %s""", (endpoint.id,))
    dead, unsent, max_attempts = env.cr.fetchone()
    check = (lost == 0 and duplicated == 0 and state["stats"]["bad_signatures"] == 0,
             f"lost {lost}, duplicated {duplicated} of {len(keys):,} events at the receiver "
             f"(bad signatures {state['stats']['bad_signatures']}; dead letters {dead}, "
             f"not delivered {unsent})")
    ctx.results.add(f"webhook outage: receiver down for the first {waves // 2} of {waves} "
                    "waves", len(keys), seconds, queries, check=check,
                    note=f"receiver up after {state['up_at']:.1f} s; {state['stats']['requests']:,}"
                         f" requests for {len(keys):,} events; at most {max_attempts} attempts "
                         "per delivery; backoff base 1 s")
