from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ps_approved_time_only = fields.Boolean(
        "Only Approved Time Is Billable",
        config_parameter="ps_billing_readiness.approved_time_only",
        help="Delivered quantities of orders invoiced on timesheets count approved "
             "timesheets only (off: every timesheet counts, as in plain Odoo)")
    ps_readiness_advisory_only = fields.Boolean(
        "Readiness Advisory Only",
        config_parameter="ps_billing_readiness.readiness_advisory_only",
        help="Off (default): Create Invoice on an order with a blocking blocker (price off "
             "the pricelist, customer PO expired or exhausted, contract ended) stops with the "
             "blockers, and a finance controller may override. On: readiness is shown, "
             "never enforced.")
    ps_price_tolerance = fields.Float(
        "Price Tolerance (%)", default=10.0,
        config_parameter="ps_billing_readiness.price_tolerance",
        help="An order line priced further than this from the customer's pricelist blocks "
             "invoicing")
    ps_release_amount = fields.Float(
        "Invoice Release Above", default=10000.0,
        config_parameter="ps_billing_readiness.release_amount",
        help="Customer invoices above this total (company currency) need release approval")
    ps_release_margin_floor = fields.Float(
        "Invoice Margin Floor (%)", default=20.0,
        config_parameter="ps_billing_readiness.release_margin_floor",
        help="Customer invoices with a margin on cost below this need release approval")
    ps_expected_weekly_hours = fields.Float(
        "Expected Hours per Week", default=40.0,
        config_parameter="ps_billing_readiness.expected_weekly_hours")
    ps_missing_time_ratio = fields.Float(
        "Missing Time Below (%)", default=80.0,
        config_parameter="ps_billing_readiness.missing_time_ratio",
        help="An employee who logged less than this share of the expected hours last "
             "week gets a reminder; two weeks in a row, their manager too")
    ps_stale_wip_days = fields.Integer(
        "Stale WIP After (days)", default=30,
        config_parameter="ps_billing_readiness.stale_wip_days",
        help="Approved time not invoiced after this many days is reported")
    ps_expiry_notice_days = fields.Integer(
        "PO / Contract Expiry Notice (days)", default=14,
        config_parameter="ps_billing_readiness.expiry_notice_days")
    ps_retainer_alert_ratio = fields.Float(
        "Retainer Alert Above (%)", default=80.0,
        config_parameter="ps_billing_readiness.retainer_alert_ratio",
        help="A prepaid block of hours (retainer) consumed above this share alerts its "
             "account manager; above 100%, the overage is reported as critical")

    ps_spike_stddev = fields.Float(
        "Hour Spike Above (std. dev.)", default=2.0,
        config_parameter="ps_billing_readiness.spike_stddev",
        help="A consultant's week is advised when its hours exceed the mean of their own "
             "past weeks by more than this many standard deviations (k in mean + k·σ)")
    ps_spike_history_weeks = fields.Integer(
        "Hour History (weeks)", default=8,
        config_parameter="ps_billing_readiness.spike_history_weeks",
        help="How many past weeks of a consultant's time make their history (at least 3 "
             "weeks with time are needed before a spike is advised)")
    ps_rate_deviation = fields.Float(
        "Rate Deviation Above (%)", default=15.0,
        config_parameter="ps_billing_readiness.rate_deviation",
        help="An hourly rate of a confirmed order further than this from the customer's "
             "pricelist is advised (an advisory for finance, invoicing is not stopped)")
    ps_invoice_stddev = fields.Float(
        "Invoice Outlier Above (std. dev.)", default=2.0,
        config_parameter="ps_billing_readiness.invoice_stddev",
        help="A customer invoice whose untaxed total is further than this many standard "
             "deviations from the order's earlier invoices is advised")
    ps_invoice_history_count = fields.Integer(
        "Invoice History (invoices)", default=6,
        config_parameter="ps_billing_readiness.invoice_history_count",
        help="How many earlier posted invoices of the order make its billing history (at "
             "least 3 are needed before an outlier is advised)")

    @api.constrains("ps_price_tolerance", "ps_release_amount", "ps_release_margin_floor",
                    "ps_expected_weekly_hours", "ps_missing_time_ratio", "ps_stale_wip_days",
                    "ps_expiry_notice_days", "ps_retainer_alert_ratio", "ps_spike_stddev",
                    "ps_spike_history_weeks", "ps_rate_deviation", "ps_invoice_stddev",
                    "ps_invoice_history_count")
    def _check_ps_billing_settings(self):
        for settings in self:
            if min(settings.ps_price_tolerance, settings.ps_release_amount,
                   settings.ps_expected_weekly_hours, settings.ps_missing_time_ratio,
                   settings.ps_retainer_alert_ratio) < 0 \
                    or settings.ps_stale_wip_days < 1 or settings.ps_expiry_notice_days < 0:
                raise ValidationError(self.env._(
                    "Billing thresholds cannot be negative, and stale WIP needs at least one "
                    "day."))
            if settings.ps_spike_stddev <= 0 or settings.ps_invoice_stddev <= 0 \
                    or settings.ps_rate_deviation <= 0:
                raise ValidationError(self.env._(
                    "Advisory thresholds (standard deviations, rate deviation) must be above "
                    "0."))
            if settings.ps_spike_history_weeks < 3 or settings.ps_invoice_history_count < 3:
                raise ValidationError(self.env._(
                    "The hour and invoice histories need at least 3 weeks / invoices."))
            if not 0 <= settings.ps_release_margin_floor <= 100:
                raise ValidationError(self.env._(
                    "The invoice margin floor is a percentage between 0 and 100."))
