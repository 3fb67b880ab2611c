import json

from odoo import SUPERUSER_ID, api, http
from odoo.http import request


class PsInboundWebhook(http.Controller):

    @http.route("/ps/webhook/in/<string:code>", type="http", auth="none", methods=["POST"],
                csrf=False, save_session=False, readonly=False)
    def ps_inbound(self, code, **_kwargs):
        """Thin: the caller's record authenticates, de-duplicates and runs the call."""
        if not request.db:
            return request.make_response(
                json.dumps({"ok": False, "error": "no database: pass ?db=<name>"}),
                status=404, headers=[("Content-Type", "application/json")])
        env = api.Environment(request.env.cr, SUPERUSER_ID, {})
        status, body = env["ps.webhook.caller"]._ps_handle_inbound(
            code, dict(request.httprequest.headers), request.httprequest.get_data())
        return request.make_response(json.dumps(body), status=status,
                                     headers=[("Content-Type", "application/json")])
