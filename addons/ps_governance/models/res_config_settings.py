from odoo import api, fields, models
from odoo.exceptions import ValidationError

# settings whose changes enter the audit trail (the AI key's value is never logged)
AUDITED_PARAMS = {
    "ps_governance.webhook_block_private": "Refuse private webhook addresses",
    "ps_governance.inbound_replay_window": "Inbound replay window",
    "ps_governance.webhook_max_attempts": "Default delivery attempts",
    "ps_governance.ai_enabled": "External AI advisor",
    "ps_governance.ai_base_url": "AI service URL",
    "ps_governance.ai_allowed_fields": "Fields that may leave the database",
    "ps_governance.ai_api_key": "AI API key",
}
SECRET_PARAMS = {"ps_governance.ai_api_key"}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ps_webhook_block_private = fields.Boolean(
        "Refuse Private Webhook Addresses", config_parameter="ps_governance.webhook_block_private",
        help="Refuse webhook URLs on loopback, private and link-local addresses (production)")
    ps_webhook_timeout = fields.Float(
        "Default Webhook Timeout (s)", default=10.0,
        config_parameter="ps_governance.webhook_timeout")
    ps_webhook_max_attempts = fields.Integer(
        "Default Delivery Attempts", default=8,
        config_parameter="ps_governance.webhook_max_attempts")
    ps_webhook_backoff = fields.Integer(
        "Default Backoff Base (s)", default=120, config_parameter="ps_governance.webhook_backoff")
    ps_webhook_batch_size = fields.Integer(
        "Deliveries per Batch", default=200, config_parameter="ps_governance.webhook_batch_size")
    ps_webhook_workers = fields.Integer(
        "Parallel Requests", default=8, config_parameter="ps_governance.webhook_workers")
    ps_webhook_retention_days = fields.Integer(
        "Webhook Log Retention (days)", default=90,
        config_parameter="ps_governance.webhook_retention_days",
        help="Delivered webhooks and inbound call logs older than this are deleted; 0 keeps "
             "them all")
    ps_inbound_replay_window = fields.Integer(
        "Inbound Replay Window (s)", default=300,
        config_parameter="ps_governance.inbound_replay_window")
    ps_exception_aging_days = fields.Integer(
        "Exception Aging Alert (days)", default=3,
        config_parameter="ps_governance.exception_aging_days")
    ps_audit_verify_batch = fields.Integer(
        "Audit Verification Batch", default=5000,
        config_parameter="ps_governance.audit_verify_batch")

    ps_advisor_zscore = fields.Float(
        "Anomaly Threshold (z)", default=3.0, config_parameter="ps_governance.advisor_zscore",
        help="A KPI's latest week is an anomaly this many standard deviations from its "
             "history")
    ps_advisor_min_weeks = fields.Integer(
        "Anomaly History (weeks)", default=4, config_parameter="ps_governance.advisor_min_weeks")
    ps_ai_enabled = fields.Boolean(
        "External AI Advisor", config_parameter="ps_governance.ai_enabled",
        help="Off by default: nothing leaves the database")
    ps_ai_base_url = fields.Char("AI Service URL", config_parameter="ps_governance.ai_base_url",
                                 help="OpenAI-compatible, e.g. https://api.openai.com/v1")
    ps_ai_model = fields.Char("AI Model", default="gpt-4o-mini",
                              config_parameter="ps_governance.ai_model")
    ps_ai_api_key = fields.Char("AI API Key", config_parameter="ps_governance.ai_api_key")
    ps_ai_allowed_fields = fields.Char(
        "Fields That May Leave", config_parameter="ps_governance.ai_allowed_fields",
        default="ps.kpi.value.value,ps.kpi.value.period_start,ps.kpi.value.definition_id",
        help="Comma-separated model.field list: only these are sent to the AI service")

    @api.constrains("ps_webhook_timeout", "ps_webhook_max_attempts", "ps_webhook_backoff",
                    "ps_webhook_batch_size", "ps_webhook_workers", "ps_inbound_replay_window",
                    "ps_exception_aging_days", "ps_audit_verify_batch")
    def _check_ps_governance_thresholds(self):
        for settings in self:
            if settings.ps_webhook_timeout <= 0:
                raise ValidationError(self.env._(
                    "Webhook requests need a timeout of more than 0 seconds (e.g. 10)."))
            positive = {
                "ps_webhook_max_attempts": self.env._("Default delivery attempts"),
                "ps_webhook_backoff": self.env._("Default backoff base"),
                "ps_webhook_batch_size": self.env._("Deliveries per batch"),
                "ps_webhook_workers": self.env._("Parallel requests"),
                "ps_inbound_replay_window": self.env._("Inbound replay window"),
                "ps_exception_aging_days": self.env._("Exception aging alert"),
                "ps_audit_verify_batch": self.env._("Audit verification batch"),
            }
            if settings.ps_advisor_zscore <= 0 or settings.ps_advisor_min_weeks < 2:
                raise ValidationError(self.env._(
                    "The anomaly threshold must be positive and the history at least 2 "
                    "weeks."))
            if settings.ps_webhook_retention_days < 0:
                raise ValidationError(self.env._(
                    "Webhook log retention cannot be negative: use 0 to keep everything."))
            for fname, label in positive.items():
                if settings[fname] < 1:
                    raise ValidationError(self.env._("%s must be at least 1.", label))

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        before = {key: params.get_param(key) or "" for key in AUDITED_PARAMS}
        result = super().set_values()
        entries = []
        for key, label in AUDITED_PARAMS.items():
            after = params.get_param(key) or ""
            if after != before[key]:
                hide = key in SECRET_PARAMS
                entries.append({
                    "event_type": "settings", "res_model": "ir.config_parameter",
                    "res_name": key, "field_name": key,
                    "old_value": "***" if hide and before[key] else before[key],
                    "new_value": "***" if hide and after else after,
                    "description": self.env._("Setting changed: %s", label)})
        self.env["ps.audit.log"]._log(entries)
        return result
