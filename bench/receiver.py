"""A webhook receiver for the benchmark, run as its own process on 127.0.0.1 (as n8n or any
real receiver would be: it does not share the sender's interpreter).

It speaks HTTP/1.1 with keep-alive, checks each request's X-PS-Signature (HMAC-SHA256 of
"timestamp.body" keyed with --secret) and counts what it accepted by X-PS-Event-Id, the
idempotency key. GET /stats answers {"requests", "accepted", "bad_signatures", "counts"}.

    python3 bench/receiver.py --port 8899 --secret KEY

Receiver (below) starts and stops it from a scenario; stopping it is a receiver that is
down: connections are refused.
"""
import argparse
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256    # a real server's backlog, not http.server's 5


def serve(port, secret):
    secret = secret.encode()
    lock = threading.Lock()
    state = {"requests": 0, "bad_signatures": 0, "counts": {}}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive, as real receivers
        # one send per answer, without Nagle: http.server's default (headers and body in
        # two small writes) waits for the client's delayed ACK, 40 ms per request
        wbufsize = 65536
        disable_nagle_algorithm = True

        def _answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            timestamp = self.headers.get("X-PS-Timestamp", "")
            expected = hmac.new(secret, timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
            key = self.headers.get("X-PS-Event-Id", "")
            good = hmac.compare_digest(expected, self.headers.get("X-PS-Signature", ""))
            with lock:
                state["requests"] += 1
                if good:
                    state["counts"][key] = state["counts"].get(key, 0) + 1
                else:
                    state["bad_signatures"] += 1
            self._answer(200 if good else 401, b'{"ok":true}' if good else b'{"ok":false}')

        def do_GET(self):  # noqa: N802
            with lock:
                data = dict(state, accepted=len(state["counts"]),
                            counts=dict(state["counts"]))
            self._answer(200, json.dumps(data).encode())

        def log_message(self, *args):  # quiet
            pass

    server = _Server(("127.0.0.1", port), Handler)
    server.serve_forever()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """The receiver process on ``port``: start() brings it up, stop() takes it down (its
    counts go with it)."""

    def __init__(self, secret, port=None):
        self.secret = secret
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.process = None

    def start(self, wait=10.0):
        # the process outlives this call: stop() ends it  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [sys.executable, __file__, "--port", str(self.port), "--secret", self.secret])
        deadline = time.monotonic() + wait
        while True:
            try:
                requests.get(f"http://127.0.0.1:{self.port}/stats", timeout=1)
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(
                        f"the receiver did not start on port {self.port}") from None
                time.sleep(0.05)

    def stats(self):
        return requests.get(f"http://127.0.0.1:{self.port}/stats", timeout=30).json()

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    options = parser.parse_args()
    serve(options.port, options.secret)
