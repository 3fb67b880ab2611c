import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import GovernanceCommon


class FakeAI:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 that records what it was sent."""

    def __init__(self):
        self.bodies = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                fake.bodies.append(json.loads(self.rfile.read(
                    int(self.headers["Content-Length"]))))
                answer = json.dumps({"choices": [{"message": {
                    "content": "Check the new sweep: it raised more exceptions."}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestAdvisory(GovernanceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Advice Co"})
        cls.definition = cls.env.ref("ps_governance.kpi_exception_volume")
        cls.zscore = cls.env.ref("ps_governance.ps_advisor_zscore")
        start = date(2020, 1, 6)
        history = {"po_missing": [10, 11, 9, 10, 11, 30], "rate_card": [5, 6, 5, 6, 5, 5.5]}
        cls.values = cls.env["ps.kpi.value"]
        for group, series in history.items():
            cls.values |= cls.env["ps.kpi.value"].create([{
                "definition_id": cls.definition.id, "period": "weekly",
                "period_start": start + timedelta(weeks=week), "company_id": cls.company.id,
                "group_key": group, "group_label": group, "value": value,
                "target": cls.definition.target, "unit": "count", "status": "green",
            } for week, value in enumerate(series)])
        cls.env["ps.kpi.value"]._ps_mark_latest()
        cls.env.flush_all()

    def _advisories(self, advisor=None):
        return self.env["ps.advisory"].search([("advisor_id", "=", (advisor or self.zscore).id),
                                               ("company_id", "=", self.company.id)])

    def test_zscore_flags_the_unusual_week_only_once_and_writes_nothing(self):
        written = {value.id: value.write_date for value in self.values}
        self.zscore._ps_run()
        advisory = self._advisories()
        self.assertEqual(len(advisory), 1, "rate_card's 5.5 is within its usual range")
        latest = self.values.filtered(lambda v: v.group_key == "po_missing" and v.is_latest)
        history = [10, 11, 9, 10, 11]
        mean = sum(history) / 5
        spread = (sum((h - mean) ** 2 for h in history) / 5) ** 0.5
        self.assertAlmostEqual(advisory.score, (30 - mean) / spread)
        self.assertEqual((advisory.res_model, advisory.res_id), ("ps.kpi.value", latest.id))
        self.assertEqual(advisory.severity, "warning", "more exceptions is worse")
        self.assertEqual(len(json.loads(advisory.inputs)), 6)
        self.assertEqual(advisory.state, "proposed")
        self.zscore._ps_run()
        self.assertEqual(self._advisories(), advisory, "advice is given once")
        self.env.flush_all()
        self.values.invalidate_recordset()
        self.assertEqual({value.id: value.write_date for value in self.values}, written,
                         "advisors never change a record")

    def test_accept_and_dismiss_are_audited(self):
        self.env["ir.config_parameter"].sudo().set_param("ps_governance.advisor_zscore", 0.1)
        self.zscore._ps_run()
        first, second = self._advisories()[:2]
        self.pm.company_ids = [(4, self.company.id)]
        as_pm = self.env["ps.advisory"].with_user(self.pm).with_context(
            allowed_company_ids=[self.company.id, self.pm.company_id.id])
        as_pm.browse(first.id).decision_note = "Known: new sweep"
        with self.assertRaises(AccessError):
            as_pm.browse(first.id).write({"state": "accepted"})
        as_pm.browse(first.id).action_accept()
        as_pm.browse(second.id).action_dismiss()
        self.assertEqual((first.state, first.decided_by_id), ("accepted", self.pm))
        self.assertEqual(second.state, "dismissed")
        with self.assertRaises(UserError):
            as_pm.browse(first.id).action_dismiss()
        with self.assertRaises(AccessError):
            first.with_user(self.consultant).action_accept()
        logs = self.env["ps.audit.log"].search([("res_model", "=", "ps.advisory"),
                                                ("res_id", "in", (first | second).ids)])
        self.assertEqual(sorted(logs.mapped("new_value")), ["accepted", "dismissed"])
        self.assertEqual(logs.user_id, self.pm)

    def test_requests_classified_by_rules_without_changing_them(self):
        advisor = self.env.ref("ps_governance.ps_advisor_rules")
        equipment = self.env["ps.request.category"].create({"name": "Advice equipment"})
        training = self.env["ps.request.category"].create({"name": "Advice training"})
        advisor.rule_ids = [
            (0, 0, {"name": "Hardware", "keywords": "laptop, monitor",
                    "category_id": equipment.id, "sequence": 1}),
            (0, 0, {"name": "Courses", "keywords": "course", "category_id": training.id}),
        ]
        laptop, course, other = self.env["ps.request"].with_user(self.consultant).create([
            {"title": "New LAPTOP for the Berlin project"},
            {"title": "Odoo course"}, {"title": "Something else"}])
        advisor._ps_run()
        advisor._ps_run()
        advisories = self.env["ps.advisory"].search([("advisor_id", "=", advisor.id),
                                                     ("res_model", "=", "ps.request")])
        proposed = {a.res_id: a for a in advisories}
        self.assertEqual(set(proposed), {laptop.id, course.id})
        self.assertIn("laptop", proposed[laptop.id].body)
        self.assertIn("Advice equipment", proposed[laptop.id].name)
        self.assertFalse((laptop | course | other).category_id, "advice only")
        with self.assertRaises(ValidationError):
            advisor.rule_ids[0].keywords = " , "

    def test_external_ai_is_off_by_default_and_sends_only_allowed_fields(self):
        openai = self.env.ref("ps_governance.ps_advisor_openai")
        self.assertFalse(openai.active)
        fake = FakeAI()
        try:
            params = self.env["ir.config_parameter"].sudo()
            params.set_param("ps_governance.ai_base_url", fake.url)
            openai._ps_run()
            self.assertFalse(fake.bodies, "nothing leaves the database while switched off")
            params.set_param("ps_governance.ai_enabled", "True")
            params.set_param("ps_governance.ai_allowed_fields", "ps.kpi.value.value")
            openai._ps_run()
        finally:
            fake.close()
        self.assertTrue(fake.bodies)
        sent = [json.loads(body["messages"][1]["content"]) for body in fake.bodies]
        self.assertTrue(all(set(point) == {"value"} for data in sent for point in data))
        advisory = self._advisories(openai)
        self.assertIn("new sweep", advisory.body)
        self.assertEqual(advisory.state, "proposed")
