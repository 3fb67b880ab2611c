import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

AMENDMENT_STATES = [("draft", "Draft"), ("submitted", "Submitted"), ("applied", "Applied"),
                    ("rejected", "Rejected"), ("cancelled", "Cancelled")]


class PsAmendmentMixin(models.AbstractModel):
    """The life of a proposed change to something already agreed (a confirmed order, a
    project's budget): drafted, submitted for approval, applied once approved (or at once
    when no policy applies), rejected with the reason, cancelled. Models define
    ``_ps_sequence_code``, ``_ps_apply`` (the effect), ``_ps_content`` (what an approval
    is given for) and may add checks to ``_ps_check_can_submit``.

    The state changes through the actions only, and an approval binds to the content
    that was approved: an amendment edited after its approval is approved again."""

    _name = "ps.amendment.mixin"
    _description = "Approved Amendment"
    _inherit = ["mail.thread", "mail.activity.mixin", "ps.approval.mixin", "ps.audit.mixin"]
    _order = "id desc"
    _ps_state_field = "state"
    _ps_approval_guard = {"state": ("applied",)}
    _ps_requester_field = "requester_id"
    _ps_watched_fields = ("ps_content_digest",)
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
    ps_content_digest = fields.Char(
        "Content Fingerprint", compute="_compute_ps_content_digest",
        help="Fingerprint of what the amendment changes; an approval is given for it")

    def _compute_ps_content_digest(self):
        for change in self:
            blob = json.dumps(change.sudo()._ps_content(), sort_keys=True, default=str)
            change.ps_content_digest = hashlib.sha256(blob.encode()).hexdigest()

    def _ps_content(self):
        """What the amendment changes, as JSON-able data: an approval binds to it."""
        self.ensure_one()
        return {}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code(self._ps_sequence_code) \
                    or "/"
        if not self._ps_internal_write():
            for vals in vals_list:
                if vals.get("state", "draft") != "draft":
                    raise UserError(self.env._(
                        "A new %s starts as a draft; submit it to have it approved.",
                        self._description.lower()))
        return super().create(vals_list)

    def write(self, vals):
        if "state" in vals and not self._ps_internal_write():
            raise UserError(self.env._(
                "The status of a %s changes through its buttons (Submit, Cancel, Back to "
                "Draft) only.", self._description.lower()))
        return super().write(vals)

    def _ps_set_state(self, state, **values):
        """The one way the state changes, for users who may edit the amendments."""
        self.check_access("write")
        self._ps_engine_write({"state": state, **values})

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
        self._ps_set_state("submitted", reject_reason=False)
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
        self._ps_set_state("draft")
        return True

    def action_cancel(self):
        if self.filtered(lambda c: c.state == "applied"):
            raise UserError(self.env._(
                "An applied %s cannot be cancelled: draft a new one.",
                self._description.lower()))
        self.check_access("write")
        self.sudo().ps_approval_request_ids._cancel(
            self.env._("%s cancelled", self._description))
        self._ps_set_state("cancelled")
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
        """Apply the approved amendments to what they amend, then mark them applied
        (``_ps_mark_applied``)."""
        raise NotImplementedError

    def _ps_mark_applied(self):
        self._ps_raise_if_not_approved()
        self._ps_engine_write({"state": "applied", "applied_date": fields.Datetime.now()})

    def _ps_reapproval_scope(self):
        return self.filtered(lambda c: c.state in ("draft", "submitted"))

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
        self.filtered(lambda c: c.state == "submitted")._ps_engine_write(
            {"state": "rejected", "reject_reason": reason})
        return result
