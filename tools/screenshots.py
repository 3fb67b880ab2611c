#!/usr/bin/env python3
"""Screenshots of the screens each role opens every morning, from the running demo.

    make run                      # in another terminal: the demo on http://localhost:8069
    python3 tools/screenshots.py  # writes docs/screenshots/*.png

Each screen is opened in headless Chromium as the demo user of its role (logins and
passwords of the demo data), through Odoo's own URLs (/odoo/action-<xmlid>), and captured
once the web client has rendered the view. A screen whose action does not exist (its addon
is not installed) is skipped with a message. Uses the Chrome DevTools protocol over
websocket-client, the package Odoo's own browser tests use.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

REPO_ROOT = Path(__file__).resolve().parent.parent

# (file name, login, password, path after the base URL, what it shows[, JS run before
# the capture])
SCREENS = [
    ("handoffs.png", "nora", "nora", "/odoo/action-ps_handoff.ps_handoff_action",
     "Project manager: handoffs by state, with what is missing"),
    ("handoff_form.png", "nora", "nora",
     "/odoo/action-ps_handoff.ps_handoff_action/"
     "{first:ps.handoff|[[\"state\", \"!=\", \"started\"]]}",
     "Project manager: a handoff's checklist"),
    ("timesheet_approval.png", "nora", "nora",
     "/odoo/action-ps_billing_readiness.account_analytic_line_action_approval",
     "Project manager: time to approve, by employee and week"),
    ("capacity_demand.png", "ravi", "ravi", "/odoo/action-ps_handoff.ps_capacity_need_action",
     "Resource manager: provisional demand by role and month"),
    ("staffing_requests.png", "ravi", "ravi",
     "/odoo/action-ps_staffing.ps_staffing_request_action",
     "Resource manager: staffing requests"),
    ("candidates.png", "ravi", "ravi",
     "/odoo/action-ps_staffing.ps_staffing_request_action/"
     "{first:ps.staffing.request|[[\"candidate_ids\", \"!=\", false]]}",
     "Resource manager: a request's ranked candidates, each score with its parts",
     "[...document.querySelectorAll('.o_notebook .nav-link')]"
     ".find(a => a.textContent.trim() === 'Candidates')?.click()"),
    ("billing_readiness.png", "farah", "farah",
     "/odoo/action-ps_billing_readiness.ps_billing_readiness_action",
     "Controller: orders ready, partially ready or blocked"),
    ("readiness_form.png", "farah", "farah",
     "/odoo/action-ps_billing_readiness.ps_billing_readiness_action/"
     "{first:ps.billing.readiness|[[\"state\", \"=\", \"blocked\"]]}",
     "Controller: a blocked order's blockers, what to do and who"),
    ("my_approvals.png", "farah", "farah", "/odoo/action-ps_base.ps_approval_line_action_my",
     "Approver: My Approvals"),
    ("scorecard.png", "admin", "admin", "/odoo/action-ps_governance.ps_kpi_value_action_dashboard",
     "Administrator: the scorecard"),
    ("settings.png", "admin", "admin", "/odoo/action-ps_base.res_config_settings_action",
     "Administrator: every threshold in Settings"),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One headless Chromium page driven over the DevTools protocol."""

    def __init__(self, executable, width, height):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="ps_screenshots_")
        self.process = subprocess.Popen([
            executable, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--hide-scrollbars", f"--window-size={width},{height}",
            f"--remote-debugging-port={self.port}", f"--user-data-dir={self.profile}",
            "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.socket = websocket.create_connection(self._page_url(), timeout=60)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Network.enable")

    def _page_url(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                targets = requests.get(f"http://127.0.0.1:{self.port}/json", timeout=2).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("Chromium did not open its DevTools port")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


READY = """(() => {
    const manager = document.querySelector('.o_action_manager');
    if (!manager || document.querySelector('.o_loading_indicator, .o_blockUI')) return false;
    return !!manager.querySelector('.o_view_controller, .o_form_view, .o_setting_container');
})()"""


def session_id(base_url, db, login, password):
    response = requests.post(f"{base_url}/web/session/authenticate", timeout=30, json={
        "jsonrpc": "2.0", "method": "call",
        "params": {"db": db, "login": login, "password": password}})
    response.raise_for_status()
    if response.json().get("error") or "session_id" not in response.cookies:
        raise RuntimeError(f"cannot log in as {login}: {response.json().get('error')}")
    return response.cookies["session_id"]


def first_record(base_url, session, model):
    """The first record of ``model`` the user reads; ``model|<JSON domain>`` narrows it."""
    model, _sep, domain = model.partition("|")
    response = requests.post(f"{base_url}/web/dataset/call_kw", timeout=30,
                             cookies={"session_id": session}, json={
        "jsonrpc": "2.0", "method": "call", "params": {
            "model": model, "method": "search", "args": [json.loads(domain or "[]")],
            "kwargs": {"limit": 1}}})
    ids = response.json().get("result") or []
    return ids[0] if ids else None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("ODOO_URL", "http://localhost:8069"))
    parser.add_argument("--db", default=os.environ.get("ODOO_DEMO_DB", "ps_demo"))
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium")
                        or shutil.which("chromium-browser") or shutil.which("google-chrome"))
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("Chromium is needed (Debian: apt-get install chromium).")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    browser = Browser(args.chromium, args.width, args.height)
    taken = 0
    try:
        for name, login, password, path, what, *then in SCREENS:
            session = session_id(args.url, args.db, login, password)
            if "{first:" in path:
                model = path.split("{first:")[1].rstrip("}")
                record = first_record(args.url, session, model)
                if not record:
                    print(f"skipped {name}: no {model} record")
                    continue
                path = path.split("{first:")[0] + str(record)
            browser.call("Network.setCookie", name="session_id", value=session,
                         url=args.url, path="/")
            browser.call("Page.navigate", url=args.url + path)
            deadline = time.time() + 60
            while time.time() < deadline and not browser.evaluate(READY):
                time.sleep(0.5)
            if not browser.evaluate(READY):
                print(f"skipped {name}: {path} did not render (is its addon installed?)")
                continue
            if browser.evaluate("!!document.querySelector('.o_error_dialog')"):
                print(f"skipped {name}: {path} shows an error")
                continue
            if then:  # e.g. open a tab of the form
                browser.evaluate(then[0])
            time.sleep(1.0)  # charts and avatars
            # a notice of the demo server ("page out of date": no websocket without
            # workers) is not part of the screen
            browser.evaluate("document.querySelectorAll('.o_notification_manager')"
                             ".forEach(n => n.remove())")
            shot = browser.call("Page.captureScreenshot", format="png")
            (out / name).write_bytes(base64.b64decode(shot["data"]))
            taken += 1
            print(f"{out / name}: {what} ({login})")
    finally:
        browser.close()
    if not taken:
        sys.exit("no screenshot taken: is the demo running (make run)?")


if __name__ == "__main__":
    main()
