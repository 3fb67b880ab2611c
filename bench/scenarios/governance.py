"""Governance (ps_governance): signed outbound webhook delivery throughput to a loopback
receiver (a threaded HTTP server in this process answering 200), and the exception aging
sweep. N = 200 and 2,000 events (quick 20 and 200) written to the outbox, then the
dispatcher cron is called batch after batch (fan-out, SKIP LOCKED claim, signed POSTs,
outcomes) until every delivery is done. Floor: the same number of POSTs of the same bodies
sent straight with requests and 8 threads (no Odoo), to the same receiver."""
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from benchlib import Skip, measure

TITLE = "webhook delivery throughput to a loopback receiver"


class _Receiver(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Receiver.lock:
            _Receiver.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # quiet
        pass


def run(ctx):
    sizes = ctx.size((20, 200), (200, 2000))
    with ctx.env("suite") as env:
        ctx.require(env, "ps.webhook.delivery:_cron_dispatch", "ps.webhook.endpoint",
                    "ps.event:_emit_rows")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        try:
            deliver(ctx, env, sizes, url)
        finally:
            server.shutdown()
            server.server_close()


def deliver(ctx, env, sizes, url):
    Param = env["ir.config_parameter"]
    Param.set_param("ps_governance.webhook_block_private", "")
    env["ps.webhook.endpoint"].search([]).write({"active": False})
    env["ps.webhook.endpoint"].create({"name": "Bench receiver", "url": url,
                                       "event_types": "*"})
    Delivery = env["ps.webhook.delivery"]
    env.cr.execute("UPDATE ps_event SET ps_dispatched = TRUE WHERE ps_dispatched IS NOT TRUE")
    env.cr.commit()
    partner = env.ref("base.main_partner")
    for size in sizes:
        env["ps.event"]._emit_rows("bench.event", [{
            "res_model": "res.partner", "res_id": partner.id, "res_name": f"Bench {i}",
            "company_id": env.company.id, "payload": {"n": i, "amount": 100 + i}}
            for i in range(size)])
        env.cr.commit()
        before = _Receiver.received

        def dispatch(size=size):
            for _batch in range(size):  # bounded: one batch per call, as ir.cron calls
                Delivery._cron_dispatch()
                env.cr.commit()
                env.cr.execute("SELECT count(*) FROM ps_webhook_delivery "
                               "WHERE state = 'pending'")
                if not env.cr.fetchone()[0] and not _undispatched(env):
                    break

        seconds, queries = measure(dispatch)
        received = _Receiver.received - before
        if received < size:
            raise Skip(f"only {received} of {size} deliveries reached the receiver")
        bodies = [f'{{"event": "bench.event", "n": {i}}}' for i in range(size)]

        def floor(bodies=bodies):
            with requests.Session() as session, ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda body: session.post(
                    url, data=body, headers={"Content-Type": "application/json"},
                    timeout=10), bodies))

        floor_s = measure(floor)[0]
        ctx.results.add("webhook delivery (outbox -> signed POST -> outcome)", size, seconds,
                        queries, floor=floor_s,
                        note=f"{size / seconds:.0f} deliveries/s; floor: raw POSTs")


def _undispatched(env):
    env.cr.execute("SELECT count(*) FROM ps_event WHERE ps_dispatched IS NOT TRUE")
    return env.cr.fetchone()[0]
