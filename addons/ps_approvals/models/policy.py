"""Thresholds of the firm's policies kept as system parameters (Settings writes them; the
policies read them at every check, so that a change applies at once)."""
import logging

_logger = logging.getLogger(__name__)

POLICY_PARAMS = {
    "ps_approvals.quote_discount_threshold": 15.0,
    "ps_approvals.quote_margin_floor": 20.0,
    "ps_approvals.expense_receipt_threshold": 0.0,
    "ps_approvals.direct_change_amount": 1000.0,
    "ps_approvals.direct_change_percent": 10.0,
}


def policy_value(env, key):
    """Current value of a policy threshold of Settings, as a float; the default while the
    parameter is missing, empty or not a number."""
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        return float(value) if value not in (None, False, "") else POLICY_PARAMS[key]
    except ValueError:
        _logger.warning("System parameter %s is not a number (%r): using %s", key, value,
                        POLICY_PARAMS[key])
        return POLICY_PARAMS[key]
