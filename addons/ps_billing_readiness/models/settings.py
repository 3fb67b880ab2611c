"""Thresholds of the billing policies, kept as system parameters: Settings writes them,
the checks read them every time, so that a change applies at once."""
import logging

_logger = logging.getLogger(__name__)

PARAMS = {
    "ps_billing_readiness.approved_time_only": False,
    "ps_billing_readiness.readiness_advisory_only": False,
    "ps_billing_readiness.price_tolerance": 10.0,
    "ps_billing_readiness.release_amount": 10000.0,
    "ps_billing_readiness.release_margin_floor": 20.0,
    "ps_billing_readiness.expected_weekly_hours": 40.0,
    "ps_billing_readiness.missing_time_ratio": 80.0,
    "ps_billing_readiness.stale_wip_days": 30.0,
    "ps_billing_readiness.expiry_notice_days": 14.0,
    "ps_billing_readiness.retainer_alert_ratio": 80.0,
    "ps_billing_readiness.spike_stddev": 2.0,
    "ps_billing_readiness.spike_history_weeks": 8.0,
    "ps_billing_readiness.rate_deviation": 15.0,
    "ps_billing_readiness.invoice_stddev": 2.0,
    "ps_billing_readiness.invoice_history_count": 6.0,
}


def param(env, key):
    """Current value of a billing setting (float or bool), the default while the
    parameter is missing, empty or malformed."""
    default = PARAMS[key]
    value = env["ir.config_parameter"].sudo().get_param(key)
    if value in (None, False, ""):
        return default
    if isinstance(default, bool):
        return value not in ("0", "False", "false")
    try:
        return float(value)
    except ValueError:
        _logger.warning("System parameter %s is not a number (%r): using %s", key, value,
                        default)
        return default
