from odoo import api, fields, models
from odoo.exceptions import UserError

AMENDMENT_STATES = [("draft", "Draft"), ("submitted", "Submitted"), ("applied", "Applied"),
                    ("rejected", "Rejected"), ("cancelled", "Cancelled")]


class PsAmendmentMixin(models.AbstractModel):
    """The life of a proposed change to something already agreed (a confirmed order, a
    project's budget): drafted, submitted for approval, applied once approved (or at once
    when no policy applies), rejected with the reason, cancelled. Models define
    ``_ps_sequence_code``, ``_ps_apply`` (the effect) and may add checks to
    ``_ps_check_can_submit``."""

    _name = "ps.amendment.mixin"
    _description = "Approved Amendment"
    _inherit = ["mail.thread", "mail.activity.mixin", "ps.approval.document.mixin",
                "ps.audit.mixin"]
    _order = "id desc"
    _ps_approval_guard = {"state": ("applied",)}
    _ps_sequence_code = None

    name = fields.Char("Reference", required=True, readonly=True, copy=False, default="/")
    requester_id = fields.Many2one("res.users", "Requested By", required=True, tracking=True,
                                   default=lambda self: self.env.user,
                                   domain=[("share", "=", False)])
    reason = fields.Text(required=True, tracking=True)
    state = fields.Selection(AMENDMENT_STATES, default="draft", required=True,
                             tracking=True, index=True, copy=False)
    applied_date = fields.Datetime("Applied On", readonly=True, copy=False)
    reject_reason = fields.Text("Rejection Reason", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code(self._ps_sequence_code) \
                    or "/"
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        if self.filtered(lambda c: c.state not in ("draft", "cancelled")):
            raise UserError(self.env._("Only draft or cancelled %s can be deleted; cancel the "
                                       "others.", self._description.lower() + "s"))

    # ------------------------------------------------------------------
    def action_submit(self):
        for change in self:
            change._ps_check_can_submit()
        self._ps_before_submit()
        self.write({"state": "submitted", "reject_reason": False})
        self.env["ps.approval.request"]._request_for(self)
        self.filtered(lambda c: c.ps_approval_state == "not_required")._ps_apply()
        return True

    def action_apply(self):
        """Apply approved amendments whose automatic application failed."""
        if self.filtered(lambda c: c.state != "submitted"):
            raise UserError(self.env._("Only submitted %s can be applied.",
                                       self._description.lower() + "s"))
        self._ps_apply()
        return True

    def action_draft(self):
        if self.filtered(lambda c: c.state not in ("rejected", "cancelled")):
            raise UserError(self.env._("Only rejected or cancelled %s go back to draft.",
                                       self._description.lower() + "s"))
        self.write({"state": "draft"})
        return True

    def action_cancel(self):
        if self.filtered(lambda c: c.state == "applied"):
            raise UserError(self.env._(
                "An applied %s cannot be cancelled: draft a new one.",
                self._description.lower()))
        self.ps_approval_request_ids._cancel(self.env._("%s cancelled", self._description))
        self.write({"state": "cancelled"})
        self._ps_sync_approval_state()
        return True

    # ------------------------------------------------------------------
    def _ps_check_can_submit(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("%s is not a draft.", self.name))

    def _ps_before_submit(self):
        """Hook: bring the amendments up to date just before they are submitted."""
        return True

    def _ps_apply(self):
        raise NotImplementedError

    def _ps_reapproval_scope(self):
        return self.filtered(lambda c: c.state in ("draft", "submitted"))

    def _ps_approval_requesters(self):
        return {change.id: change.requester_id for change in self}

    def _ps_on_approved(self):
        result = super()._ps_on_approved()
        for change in self.filtered(lambda c: c.state == "submitted"
                                    and c.ps_approval_state == "approved"):
            try:
                with self.env.cr.savepoint():
                    change._ps_apply()
            except UserError as error:
                change._ps_report_deferred_failure(change.requester_id, error)
        return result

    def _ps_on_rejected(self, reason):
        result = super()._ps_on_rejected(reason)
        self.filtered(lambda c: c.state == "submitted").write(
            {"state": "rejected", "reject_reason": reason})
        return result
