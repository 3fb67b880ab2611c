from odoo import api, fields, models
from odoo.exceptions import AccessError

from .ps_webhook_endpoint import get_param


class PsAuditVerification(models.Model):
    """The result of one verification of the audit chain, kept so that auditors see
    when the chain was last found intact."""

    _name = "ps.audit.verification"
    _description = "Audit Chain Verification"
    _order = "id desc"
    _rec_name = "verified_at"

    verified_at = fields.Datetime(required=True, readonly=True,
                                  default=fields.Datetime.now)
    ok = fields.Boolean("Intact", readonly=True)
    checked_count = fields.Integer("Entries Checked", readonly=True)
    last_seq = fields.Integer("Intact Up To", readonly=True, aggregator=False)
    broken_id = fields.Integer("First Broken Entry (id)", readonly=True, aggregator=False)
    broken_seq = fields.Integer("First Broken Position", readonly=True, aggregator=False)
    reason = fields.Text(readonly=True)
    origin = fields.Selection([("cron", "Scheduled"), ("manual", "On demand")],
                              readonly=True, default="manual")
    user_id = fields.Many2one("res.users", "Run By", readonly=True,
                              default=lambda self: self.env.user)
    exception_id = fields.Many2one("ps.exception", readonly=True)

    @api.model
    def _cron_verify(self):
        self._ps_verify("cron")
        self.env["ir.cron"]._notify_progress(done=1, remaining=0)

    @api.model
    def action_verify_now(self):
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_manager")):
            raise AccessError(self.env._("Only administrators can verify the audit chain."))
        verification = self._ps_verify("manual")
        return {"type": "ir.actions.act_window", "res_model": self._name,
                "res_id": verification.id, "view_mode": "form", "target": "current"}

    @api.model
    def _ps_verify(self, origin):
        """Rehash the whole chain (read ``audit_verify_batch`` entries per query), store
        the result and raise a critical exception on a break (one per broken position)."""
        batch = int(get_param(self.env, "audit_verify_batch", 5000))
        # sudo: the chain spans every company; only its verdict is stored
        result = self.env["ps.audit.log"].sudo()._verify_chain(batch_size=batch)
        vals = {"ok": result["ok"], "checked_count": result["checked"],
                "last_seq": result["last_seq"], "broken_id": result.get("broken_id") or 0,
                "broken_seq": result.get("broken_seq") or 0,
                "reason": result.get("reason") or False, "origin": origin}
        if not result["ok"]:
            exception = self.env["ps.exception"]._raise_exceptions([{
                "name": self.env._("Audit chain broken at position %s", vals["broken_seq"]),
                "key": f"audit_chain_break:{vals['broken_seq']}",
                "kind": "audit_chain_break", "source": "ps_governance audit verification",
                "res_model": "ps.audit.log", "res_id": vals["broken_id"] or False,
                "severity": "critical", "details": vals["reason"],
            }])
            vals["exception_id"] = exception[:1].id
        return self.sudo().create(vals).with_env(self.env)
