from odoo import api, models
from odoo.exceptions import UserError


class PsException(models.Model):
    _inherit = "ps.exception"

    # methods inbound webhooks may call (ps.webhook.action), with the caller's user
    _ps_inbound_actions = ("_ps_inbound_resolve",)

    @api.model
    def _ps_inbound_resolve(self, params):
        """Resolve an exception from an outside tool: params ``id`` or ``key``, and
        ``resolution``. Runs with the caller's user: its rights decide."""
        resolution = params.get("resolution")
        if not resolution or not isinstance(resolution, str):
            raise UserError(self.env._("Say how the problem was solved in 'resolution'."))
        if params.get("id"):
            exception = self.browse(int(params["id"])).exists()
        elif params.get("key"):
            exception = self.search([("key", "=", str(params["key"])),
                                     ("state", "in", ("new", "in_progress"))], limit=1)
        else:
            raise UserError(self.env._("Give the exception's 'id' or 'key'."))
        if not exception:
            raise UserError(self.env._("No such open exception."))
        exception.write({"resolution": resolution})
        exception.action_resolve()
        return {"id": exception.id, "state": exception.state}
