import contextlib
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import TransactionCase, new_test_user


class Receiver:  # pylint: disable=too-many-instance-attributes
    """A webhook receiver on 127.0.0.1 (ephemeral port), in a thread. It checks each
    request's signature with ``secret``, answers ``fail_first`` failures per event id
    (or always with ``always_fail``), and records what it accepted, by event id. With
    ``keep_alive`` it speaks HTTP/1.1 and keeps connections open; ``connections`` holds
    the client address of each connection it was sent requests on."""

    def __init__(self, secret, fail_first=0, always_fail=False, keep_alive=False):
        self.secret = secret
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.requests = []          # every request: (headers, body)
        self.accepted = {}          # event id -> number of times accepted
        self.connections = set()    # (host, port) of the clients' connections
        self.sockets = set()        # their sockets, closed on exit
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.connections.add(self.client_address)
                    receiver.sockets.add(self.connection)
                status = receiver.handle(dict(self.headers), body)
                answer = b"ok" if status == 200 else b"nope"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        # kept-alive connections end with the receiver, as when a real server goes away
        for sock in self.sockets:
            with contextlib.suppress(OSError):     # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)

    def handle(self, headers, body):
        with self.lock:
            self.requests.append((headers, body))
            expected = hmac.new(self.secret.encode(),
                                headers["X-PS-Timestamp"].encode() + b"." + body,
                                hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, headers.get("X-PS-Signature", "")):
                self.bad_signatures += 1
                return 401
            event_id = headers["X-PS-Event-Id"]
            if json.loads(body)["id"] != event_id:
                return 400
            tries = sum(1 for h, _b in self.requests if h["X-PS-Event-Id"] == event_id)
            if self.always_fail or tries <= self.fail_first:
                return 503
            # a receiver de-duplicates on the event id: count what it accepted
            self.accepted[event_id] = self.accepted.get(event_id, 0) + 1
            return 200


class GovernanceCommon(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.admin_ps = new_test_user(cls.env, login="gov_admin", name="Gov Admin",
                                     groups="ps_base.group_ps_manager,base.group_system")
        cls.finance = new_test_user(cls.env, login="gov_finance", name="Gov Finance",
                                    groups="ps_base.group_ps_finance")
        cls.pm = new_test_user(cls.env, login="gov_pm", name="Gov PM",
                               groups="ps_base.group_ps_project_manager")
        cls.consultant = new_test_user(cls.env, login="gov_consultant", name="Gov Consultant",
                                       groups="ps_base.group_ps_user")
        # the outbox of the database is not what these tests are about
        cls.env.cr.execute("UPDATE ps_event SET ps_dispatched = TRUE")
        cls.env["ps.webhook.endpoint"].search([]).write({"active": False})
        cls.env["ir.config_parameter"].sudo().set_param(
            "ps_governance.webhook_block_private", False)
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Webhook subject {i}"} for i in range(3)])

    def _endpoint(self, url, **vals):
        return self.env["ps.webhook.endpoint"].with_user(self.admin_ps).create(
            {"name": "Test receiver", "url": url, "secret": "s3cret-key", **vals}).sudo()

    def _make_due(self):
        """Move every retry's next attempt to now: backoff time passes without sleeping."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ps_webhook_delivery SET next_attempt = now() at time zone 'utc' "
            "- interval '1 second' WHERE state IN ('pending', 'failed')")
        self.env["ps.webhook.delivery"].invalidate_model(["next_attempt"])
