from odoo import models


class AccountAnalyticLine(models.Model):
    """Timesheets are the raw material of billing: every change to hours, description,
    date, project, task or employee is journaled in the hash-chained audit trail, with old
    and new values, so that a disputed invoice can be traced to who changed what."""

    _name = "account.analytic.line"
    _inherit = ["account.analytic.line", "ps.audit.mixin"]
    _ps_audit_fields = ("unit_amount", "name", "date", "project_id", "task_id", "employee_id")

    def _ps_audit_records(self):
        # timesheets only, not every analytic line of accounting
        return self.filtered("project_id")
