from odoo import api, fields, models
from odoo.exceptions import UserError

OPERATIONS = [("assign", "Assign"), ("retry", "Retry"), ("resolve", "Resolve"),
              ("ignore", "Ignore")]


class PsExceptionBulkWizard(models.TransientModel):
    _name = "ps.exception.bulk.wizard"
    _description = "Act on Several Exceptions"

    exception_ids = fields.Many2many("ps.exception", string="Exceptions", required=True)
    operation = fields.Selection(OPERATIONS, required=True, default="assign")
    owner_id = fields.Many2one("res.users", "New Owner", domain=[("share", "=", False)])
    reason = fields.Text(help="Kept as the resolution of each exception")
    count = fields.Integer(compute="_compute_count")

    @api.depends("exception_ids")
    def _compute_count(self):
        for wizard in self:
            wizard.count = len(wizard.exception_ids)

    @api.model
    def action_open(self, exceptions, operation):
        """Open the wizard on the selected exceptions (from the server actions)."""
        if not exceptions:
            raise UserError(self.env._("Select the exceptions first."))
        if operation == "retry":
            exceptions._ps_bulk_retry()
            return {"type": "ir.actions.client", "tag": "display_notification",
                    "params": {"type": "success", "next": {"type": "ir.actions.act_window_close"},
                               "message": self.env._("%s exceptions sent to retry.",
                                                     len(exceptions))}}
        wizard = self.create({"exception_ids": [fields.Command.set(exceptions.ids)],
                              "operation": operation})
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": wizard.id,
                "view_mode": "form", "target": "new",
                "name": dict(OPERATIONS)[operation]}

    def action_apply(self):
        self.ensure_one()
        exceptions = self.exception_ids
        if self.operation == "assign":
            if not self.owner_id:
                raise UserError(self.env._("Choose who gets these exceptions."))
            exceptions._ps_bulk_assign(self.owner_id)
        elif self.operation == "retry":
            exceptions._ps_bulk_retry()
        else:
            exceptions._ps_bulk_close(self.reason, resolve=self.operation == "resolve")
        return {"type": "ir.actions.act_window_close"}
