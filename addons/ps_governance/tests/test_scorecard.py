from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import GovernanceCommon

DAY = date(2020, 1, 8)                 # a Wednesday: week of 2020-01-06
DECIDED = datetime(2020, 1, 7, 12, 0)  # in that week
PREVIOUS_WEEK = datetime(2019, 12, 31, 12, 0)


def percentile(values, q):
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    values = sorted(values)
    rank = q * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (rank - low) * (values[high] - values[low])


@tagged("post_install", "-at_install")
class TestScorecard(GovernanceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Scorecard Co"})
        cls.rules = cls.env["ps.approval.rule"].create([{
            "name": f"Scorecard policy {name}", "active": False,
            "model_id": cls.env["ir.model"]._get_id("ps.request"),
            "tier_ids": [Command.create({"name": "Approver", "approver_type": "user",
                                        "user_ids": [Command.set(cls.admin_ps.ids)]})],
        } for name in ("A", "B")])
        cls.Value = cls.env["ps.kpi.value"]

    def _requests(self, rule, hours, decided=DECIDED, state="approved"):
        """Decided approval requests with the given latencies, written as the engine
        leaves them (the engine itself is ps_base's, tested there)."""
        for latency in hours:
            self.env.cr.execute(SQL(
                """INSERT INTO ps_approval_request (rule_id, res_model, res_id, res_name,
                       requester_id, company_id, state, active, requested_at, decided_at)
                   VALUES (%s, 'ps.request', 1, 'Scorecard doc', %s, %s, %s, TRUE, %s, %s)""",
                rule.id, self.consultant.id, self.company.id, state,
                decided - timedelta(hours=latency), decided if state != "pending" else None))

    def _values(self, code, period="weekly", start=date(2020, 1, 6)):
        return self.Value.search([("code", "=", code), ("period", "=", period),
                                  ("period_start", "=", start),
                                  ("company_id", "=", self.company.id)])

    def _snapshot(self, *codes):
        definitions = self.env["ps.kpi.definition"].search([("code", "in", codes)])
        self.Value._ps_snapshot(definitions, day=DAY)

    def test_known_latencies_give_known_median_and_p90(self):
        hours_a = [float(h) for h in range(1, 11)]
        hours_b = [90.0, 150.0]
        self._requests(self.rules[0], hours_a)
        self._requests(self.rules[1], hours_b)
        self._requests(self.rules[0], [100.0], decided=PREVIOUS_WEEK)
        self._requests(self.rules[0], [500.0], state="pending")
        self._snapshot("approval_latency_median", "approval_latency_p90",
                       "approval_latency_p90_policy")
        everything = hours_a + hours_b
        median = self._values("approval_latency_median")
        self.assertAlmostEqual(median.value, percentile(everything, 0.5))
        self.assertAlmostEqual(median.value, 6.5)      # 12 values: (6 + 7) / 2
        self.assertEqual((median.status, median.target, median.unit), ("green", 24, "hours"))
        p90 = self._values("approval_latency_p90")
        self.assertAlmostEqual(p90.value, percentile(everything, 0.9))
        self.assertEqual(p90.status, "amber", "between the target (48) and amber (96)")
        by_policy = {v.group_label: v for v in self._values("approval_latency_p90_policy")}
        self.assertAlmostEqual(by_policy["Scorecard policy A"].value, 9.1)
        self.assertAlmostEqual(by_policy["Scorecard policy B"].value, 144.0)
        self.assertEqual(by_policy["Scorecard policy B"].status, "red")
        previous = self._values("approval_latency_median", start=date(2019, 12, 30))
        self.assertAlmostEqual(previous.value, 100.0)
        self.assertTrue(median.is_latest)
        self.assertFalse(previous.is_latest)
        monthly = self._values("approval_latency_median", "monthly", date(2020, 1, 1))
        self.assertAlmostEqual(monthly.value, percentile(everything, 0.5))

    def test_snapshot_is_idempotent_and_follows_the_data(self):
        self._requests(self.rules[0], [2.0, 4.0])
        self._snapshot("approval_latency_median")
        self._snapshot("approval_latency_median")
        value = self._values("approval_latency_median")
        self.assertEqual(len(value), 1)
        self.assertAlmostEqual(value.value, 3.0)
        self._requests(self.rules[0], [30.0])
        self.env["ps.kpi.value"]._ps_snapshot(
            self.env["ps.kpi.definition"].search([("code", "=", "approval_latency_median")]),
            day=DAY)
        self.assertEqual(self._values("approval_latency_median"), value)
        self.assertAlmostEqual(value.value, 4.0)

    def test_counts_by_kind_and_success_ratio(self):
        exceptions = self.env["ps.exception"].create([
            {"name": f"E{i}", "kind": kind, "company_id": self.company.id}
            for i, kind in enumerate(["po_missing"] * 3 + ["rate_card"])])
        self.env.cr.execute(SQL("UPDATE ps_exception SET create_date = %s WHERE id IN %s",
                                DECIDED, tuple(exceptions.ids)))
        endpoint = self._endpoint("http://127.0.0.1:9/closed")
        partners = self.env["res.partner"].create([{"name": f"P{i}"} for i in range(4)])
        events = self.env["ps.event"]._emit("test.kpi", partners)
        deliveries = self.env["ps.webhook.delivery"].create([{
            "endpoint_id": endpoint.id, "event_id": event.id, "company_id": self.company.id,
            "state": state, "event_date": DECIDED,
            "sent_at": DECIDED + timedelta(minutes=minutes) if state == "sent" else False,
        } for event, state, minutes in zip(events, ["sent", "sent", "sent", "dead"],
                                           [1, 2, 10, 0], strict=True)])
        self.env.cr.execute(SQL("UPDATE ps_webhook_delivery SET create_date = %s "
                                "WHERE id IN %s", DECIDED, tuple(deliveries.ids)))
        self.env.cr.execute(SQL("UPDATE ps_event SET create_date = %s WHERE id IN %s",
                                DECIDED, tuple(events.ids)))
        # a path through a many2one: from the event's own time
        self.env["ps.kpi.definition"].create({
            "name": "Lag from the event", "code": "test_event_lag",
            "model_name": "ps.webhook.delivery", "kind": "avg_duration",
            "date_field": "event_id.create_date", "start_field": "event_id.create_date",
            "end_field": "sent_at", "domain": "[('state', '=', 'sent')]", "unit": "minutes",
            "target": 5})
        self._snapshot("exception_volume", "webhook_success", "webhook_lag_p90",
                       "test_event_lag")
        self.assertAlmostEqual(self._values("test_event_lag").value, (1 + 2 + 10) / 3)
        volume = {v.group_key: v.value for v in self._values("exception_volume")}
        self.assertEqual(volume, {"po_missing": 3.0, "rate_card": 1.0})
        success = self._values("webhook_success")
        self.assertAlmostEqual(success.value, 75.0)
        self.assertEqual(success.status, "red")
        lag = self._values("webhook_lag_p90")
        self.assertAlmostEqual(lag.value, percentile([1, 2, 10], 0.9))
        self.assertEqual(lag.unit, "minutes")

    def test_a_duration_is_never_negative(self):
        endpoint = self._endpoint("http://127.0.0.1:9/closed")
        partners = self.env["res.partner"].create([{"name": f"Q{i}"} for i in range(2)])
        events = self.env["ps.event"]._emit("test.kpi.skew", partners)
        self.env.cr.execute(SQL("UPDATE ps_event SET create_date = %s WHERE id IN %s",
                                DECIDED, tuple(events.ids)))
        # one sent a second "before" its event (clock of the transaction), one 4 minutes after
        self.env["ps.webhook.delivery"].create([{
            "endpoint_id": endpoint.id, "event_id": event.id, "company_id": self.company.id,
            "state": "sent", "event_date": DECIDED, "sent_at": DECIDED + delta,
        } for event, delta in zip(events, [timedelta(seconds=-1), timedelta(minutes=4)],
                                  strict=True)])
        self.env["ps.kpi.definition"].create({
            "name": "Skewed lag", "code": "test_skewed_lag",
            "model_name": "ps.webhook.delivery", "kind": "avg_duration",
            "date_field": "event_id.create_date", "start_field": "event_id.create_date",
            "end_field": "sent_at",
            "domain": "[('event_id.event_type', '=', 'test.kpi.skew')]",
            "unit": "minutes", "target": 5})
        self._snapshot("test_skewed_lag")
        self.assertAlmostEqual(self._values("test_skewed_lag").value, 2.0)

    def test_timesheet_compliance_when_timesheets_are_installed(self):
        if "account.analytic.line" not in self.env or \
                "project_id" not in self.env["account.analytic.line"]._fields:
            self.skipTest("hr_timesheet is not installed")
        lines = self.env["account.analytic.line"]
        project = self.env["project.project"].create({"name": "Scorecard project",
                                                      "company_id": self.company.id})
        employee = self.env["hr.employee"].create({"name": "Timesheeter",
                                                   "company_id": self.company.id})
        lines = lines.create([{
            "name": f"Work {i}", "project_id": project.id, "employee_id": employee.id,
            "date": date(2020, 1, 6), "unit_amount": 1.0, "company_id": self.company.id,
        } for i in range(4)])
        for line, delay in zip(lines, [1, 2, 3, 10], strict=True):
            self.env.cr.execute(SQL(
                "UPDATE account_analytic_line SET create_date = %s WHERE id = %s",
                datetime(2020, 1, 6) + timedelta(days=delay), line.id))
        self._snapshot("timesheet_compliance")
        self.assertAlmostEqual(self._values("timesheet_compliance").value, 75.0)

    def test_workflow_kpis_wait_for_their_addon(self):
        handoff = self.env.ref("ps_governance.kpi_handoff_lead_time")
        self.assertEqual(handoff.available, "ps.handoff" in self.env)
        billing = self.env.ref("ps_governance.kpi_billing_lag")
        lines = self.env["account.analytic.line"]._fields \
            if "account.analytic.line" in self.env else {}
        self.assertEqual(billing.available,
                         "ps_reviewed_at" in lines and "timesheet_invoice_id" in lines)
        self.assertEqual(self.env.ref("ps_governance.kpi_timesheet_compliance").available,
                         "project_id" in lines)
        # the snapshot measures them or skips them, without failing either way
        self.Value._ps_snapshot(handoff | billing, day=DAY)

    def test_definitions_are_validated_and_wait_for_their_module(self):
        Definition = self.env["ps.kpi.definition"].with_user(self.admin_ps)
        base = {"name": "Custom", "code": "custom", "model_name": "ps.exception",
                "target": 1}
        with self.assertRaises(ValidationError):
            Definition.create(dict(base, domain="[('state', '=' "))
        with self.assertRaises(ValidationError):
            Definition.create(dict(base, kind="median_duration"))
        typo = Definition.create(dict(base, code="c1", date_field="no_such_field"))
        self.assertFalse(typo.available)
        self.assertIn("no_such_field", typo.availability_note)
        self.assertFalse(Definition.create(dict(base, code="c2", domain="[('nope', '=', 1)]"))
                         .available)
        with self.assertRaises(ValidationError):
            Definition.create(dict(base, direction="lower", target=10, amber_limit=5))
        waiting = Definition.create(dict(base, code="c3", model_name="x.not.installed"))
        self.assertFalse(waiting.available)
        self.Value._ps_snapshot(waiting, day=DAY)
        self.assertFalse(waiting.value_ids)

    def test_who_sees_the_scorecard(self):
        self._requests(self.rules[0], [1.0])
        self._snapshot("approval_latency_median")
        value = self._values("approval_latency_median")
        self.pm.company_ids = [Command.link(self.company.id)]
        self.assertTrue(value.with_user(self.pm).with_context(
            allowed_company_ids=[self.company.id]).value)
        with self.assertRaises(AccessError):
            value.with_user(self.consultant).read(["value"])
        with self.assertRaises(AccessError):
            value.definition_id.with_user(self.pm).write({"target": 1000})
        with self.assertRaises(AccessError):
            value.definition_id.with_user(self.pm).action_snapshot()
        action = value.definition_id.with_user(self.admin_ps).action_snapshot()
        self.assertEqual(action["res_model"], "ps.kpi.value")
