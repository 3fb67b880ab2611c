from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestAdvisories(BillingCommon):
    """Hour spikes, rate deviations and invoice outliers: stored with their inputs,
    found once, decided by finance (audited), never changing anything by themselves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Advisory = cls.env["ps.billing.advisory"]

    def _advisories(self, kind):
        return self.Advisory.sudo().search([("kind", "=", kind)])

    def test_hour_spike_against_the_consultant_s_own_history(self):
        monday = date(2026, 11, 9)  # last week, seen from the 18th
        for weeks_before in range(1, 5):
            day = monday - timedelta(weeks=weeks_before)
            self._timesheet(40.0, date=day)
            self._timesheet(40.0, user=self.consultant_2, employee=self.employee_2, date=day)
        self._timesheet(70.0, date=monday)
        self._timesheet(44.0, user=self.consultant_2, employee=self.employee_2, date=monday)
        with freeze_time("2026-11-18 08:00:00"):
            self.Advisory._cron_advisories()
            self.Advisory._cron_advisories()  # a rerun finds nothing new
        spike = self._advisories("hour_spike")
        self.assertEqual(len(spike), 1, "44 h is within Carl's usual 40 h + 2σ")
        self.assertEqual(spike.employee_id, self.employee)
        self.assertEqual((spike.observed_value, spike.expected_value), (70.0, 40.0))
        self.assertEqual(spike.limit_value, 48.0, "σ at least a tenth of the mean, k = 2")
        self.assertIn("40, 40, 40, 40", spike.inputs)
        # nothing was changed by the finding
        self.assertEqual(set(self.env["account.analytic.line"].search(
            [("employee_id", "=", self.employee.id)]).mapped("ps_timesheet_state")), {"draft"})
        # k from Settings: a wider band, no new finding for Carl either way
        self.env["ir.config_parameter"].set_param("ps_billing_readiness.spike_stddev", "10")
        with freeze_time("2026-11-18 08:00:00"):
            self.assertFalse(self.Advisory._advise_hour_spikes())

    def test_too_short_a_history_advises_nothing(self):
        monday = date(2026, 11, 9)
        self._timesheet(8.0, date=monday - timedelta(weeks=1))
        self._timesheet(8.0, date=monday - timedelta(weeks=2))
        self._timesheet(60.0, date=monday)
        with freeze_time("2026-11-18 08:00:00"):
            self.assertFalse(self.Advisory._advise_hour_spikes())

    def test_rate_deviation_from_the_pricelist(self):
        cheap = self._order([(self.service_tm, 10.0)], confirm=False)
        cheap.order_line.price_unit = 70.0  # list 100: 30% off, allowed 15%
        cheap.action_confirm()
        close = self._order([(self.service_tm, 10.0)], confirm=False)
        close.order_line.price_unit = 95.0
        close.action_confirm()
        self.Advisory._cron_advisories()
        self.Advisory._cron_advisories()
        advisory = self._advisories("rate_deviation")
        self.assertEqual(advisory.order_id, cheap)
        self.assertEqual(advisory.sale_line_id, cheap.order_line)
        self.assertEqual((advisory.observed_value, advisory.expected_value), (70.0, 100.0))
        self.assertIn("allowed 15.0%", advisory.inputs)
        self.assertEqual(cheap.order_line.price_unit, 70.0, "never corrected by itself")
        # finance dismisses it (an agreed discount); the decision is journaled
        with self.assertRaises(AccessError):
            advisory.with_user(self.pm).action_dismiss()
        advisory.with_user(self.finance).write({"decision_note": "Agreed discount"})
        advisory.with_user(self.finance).action_dismiss()
        log = self.env["ps.audit.log"].sudo().search([
            ("res_model", "=", advisory._name), ("res_id", "=", advisory.id),
            ("field_name", "=", "state")])
        self.assertEqual((log.new_value, log.user_id), ("dismissed", self.finance))
        self.Advisory._cron_advisories()
        self.assertEqual(len(self._advisories("rate_deviation")), 1, "decided: not again")

    def test_invoice_far_from_the_order_s_history(self):
        # other addons' invoice policies are not this test's subject
        self.env["ps.approval.rule"].search([("model_name", "=", "account.move")]) \
            .active = False
        order = self.order
        for hours, day in ((10.0, date(2026, 6, 30)), (10.0, date(2026, 7, 31)),
                           (12.0, date(2026, 8, 31))):
            self._timesheet(hours, date=day - timedelta(days=3))
            invoice = order._create_invoices()
            invoice.invoice_date = day
            invoice.action_post()
        self._timesheet(40.0)
        outlier = order._create_invoices()
        self.Advisory._cron_advisories()
        self.Advisory._cron_advisories()
        advisory = self._advisories("invoice_outlier")
        self.assertEqual(advisory.move_id, outlier)
        self.assertEqual(advisory.order_id, order)
        self.assertEqual(advisory.observed_value, 4000.0)
        self.assertAlmostEqual(advisory.expected_value, 1066.67, places=2)
        self.assertIn("1000, 1000, 1200", advisory.inputs)
        self.assertEqual(outlier.state, "draft", "the invoice is not held by an advisory")
        # a usual amount is not advised
        outlier.button_cancel()
        self._timesheet(-29.0)  # correction: 11 h left to invoice
        usual = order._create_invoices()
        self.assertEqual(usual.amount_untaxed, 1100.0)
        self.Advisory._cron_advisories()
        self.assertFalse(self.Advisory.sudo().search([("move_id", "=", usual.id)]))

    def test_advisory_settings_are_checked(self):
        for vals in ({"ps_spike_stddev": 0.0}, {"ps_spike_history_weeks": 2},
                     {"ps_rate_deviation": -1.0}, {"ps_invoice_history_count": 1}):
            with self.assertRaises(ValidationError, msg=str(vals)):
                self.env["res.config.settings"].create(vals)
        self.env["res.config.settings"].create({"ps_spike_stddev": 3.0}).execute()
        self.assertEqual(self.env["ir.config_parameter"].get_param(
            "ps_billing_readiness.spike_stddev"), "3.0")

    def test_advisories_are_decided_with_accept_or_dismiss_only(self):
        cheap = self._order([(self.service_tm, 1.0)], confirm=False)
        cheap.order_line.price_unit = 50.0
        cheap.action_confirm()
        advisory = self.Advisory._advise_rate_deviations()
        self.assertEqual(len(advisory), 1)
        for vals in ({"observed_value": 100.0}, {"inputs": "forged"}, {"state": "accepted"}):
            with self.assertRaises(UserError, msg=str(vals)):
                advisory.with_user(self.finance).write(vals)
        with self.assertRaises(AccessError):
            advisory.with_user(self.consultant).read(["name"])
        advisory.with_user(self.finance).action_accept()
        self.assertEqual(advisory.state, "accepted")

    def _spiking_employees(self, count):
        employees = self.env["hr.employee"].create([
            {"name": f"Spiky {index}"} for index in range(count)])
        monday = date(2026, 11, 9)
        self.env["account.analytic.line"].create([{
            "name": "work", "project_id": self.project.id, "employee_id": employee.id,
            "unit_amount": 70.0 if weeks == 0 else 40.0,
            "date": monday - timedelta(weeks=weeks)}
            for employee in employees for weeks in range(5)])
        return employees

    def test_advisory_sweep_query_count_is_flat(self):
        with freeze_time("2026-11-18 08:00:00"):
            self._spiking_employees(2)
            self.Advisory._advise_hour_spikes()  # warm the caches
            self._spiking_employees(5)
            self.env.flush_all()
            self.env.cr.flush()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.assertEqual(len(self.Advisory._advise_hour_spikes()), 5)
            self.env.flush_all()  # as assertQueryCount does (the audit trail included)
            self.env.cr.flush()
            count_5 = self.env.cr.sql_log_count - before
            self.assertLess(count_5, 12)
            self._spiking_employees(20)
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(count_5):
                self.assertEqual(len(self.Advisory._advise_hour_spikes()), 20)
