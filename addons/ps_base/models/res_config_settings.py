from odoo import api, fields, models
from odoo.exceptions import ValidationError

AUDITED_PARAMS = {
    "ps_base.approval_escalation_hours": "Escalate approvals after (hours)",
    "ps_base.approval_fallback_group_id": "Default escalation group",
    "ps_base.approval_reminder_hours": "Remind approvers (hours before deadline)",
    "ps_base.audit_retention_days": "Audit retention (days)",
    "ps_base.exception_max_attempts": "Exception attempts before critical",
}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ps_approval_escalation_hours = fields.Float(
        "Escalate Approvals After (hours)", default=48.0,
        config_parameter="ps_base.approval_escalation_hours",
        help="Default deadline of an approval tier; rules and tiers may set their own.")
    ps_approval_fallback_group_id = fields.Many2one(
        "res.groups", "Default Escalation Group",
        config_parameter="ps_base.approval_fallback_group_id",
        help="Overdue tiers without a fallback approver of their own escalate to this group.")
    ps_approval_reminder_hours = fields.Float(
        "Remind Approvers (hours before deadline)", default=24.0,
        config_parameter="ps_base.approval_reminder_hours",
        help="Approvers are reminded this many hours before their approval falls due.")
    ps_audit_retention_days = fields.Integer(
        "Audit Retention (days)", default=0, config_parameter="ps_base.audit_retention_days",
        help="Audit entries older than this are purged by a scheduled action; 0 keeps "
             "everything.")
    ps_exception_max_attempts = fields.Integer(
        "Exception Attempts Before Critical", default=5,
        config_parameter="ps_base.exception_max_attempts")

    @api.constrains("ps_approval_escalation_hours", "ps_audit_retention_days",
                    "ps_exception_max_attempts", "ps_approval_reminder_hours")
    def _check_ps_base_thresholds(self):
        for settings in self:
            if settings.ps_approval_reminder_hours < 0:
                raise ValidationError(self.env._(
                    "Reminder hours cannot be negative: use 0 to remind approvers at the "
                    "deadline."))
            if settings.ps_approval_escalation_hours <= 0:
                raise ValidationError(self.env._(
                    "Approvals must escalate after a positive number of hours (e.g. 48)."))
            if settings.ps_audit_retention_days < 0:
                raise ValidationError(self.env._(
                    "Audit retention cannot be negative: use 0 to keep every entry."))
            if settings.ps_exception_max_attempts < 1:
                raise ValidationError(self.env._(
                    "Exceptions need at least one attempt before they turn critical."))

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        before = {key: params.get_param(key) or "" for key in AUDITED_PARAMS}
        result = super().set_values()
        entries = []
        for key, label in AUDITED_PARAMS.items():
            after = params.get_param(key) or ""
            if after != before[key]:
                entries.append({"event_type": "settings", "res_model": "ir.config_parameter",
                                "res_name": key, "field_name": key, "old_value": before[key],
                                "new_value": after,
                                "description": self.env._("Setting changed: %s", label)})
        self.env["ps.audit.log"]._log(entries)
        return result
