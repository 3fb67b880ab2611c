from odoo import fields, models


class PsTimesheetRejectWizard(models.TransientModel):
    _name = "ps.timesheet.reject.wizard"
    _description = "Reject Timesheets"

    line_ids = fields.Many2many("account.analytic.line", string="Timesheets")
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.line_ids.action_ps_reject_timesheets(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
