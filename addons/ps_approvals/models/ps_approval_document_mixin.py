import logging

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError

_logger = logging.getLogger(__name__)

# Thresholds kept as system parameters (Settings writes them; the policy fields read them
# at every check, so a change applies at once). The default is used while a parameter is
# missing or empty.
POLICY_PARAMS = {
    "ps_approvals.quote_discount_threshold": 15.0,
    "ps_approvals.quote_margin_floor": 20.0,
    "ps_approvals.expense_receipt_threshold": 0.0,
    "ps_approvals.reminder_hours": 24.0,
}


def policy_value(env, key):
    """Current value of a policy threshold of Settings, as a float."""
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        return float(value) if value not in (None, False, "") else POLICY_PARAMS[key]
    except ValueError:
        _logger.warning("System parameter %s is not a number (%r): using %s", key, value,
                        POLICY_PARAMS[key])
        return POLICY_PARAMS[key]


class PsApprovalDocumentMixin(models.AbstractModel):
    """A standard document governed by an approval policy of the firm.

    On top of the engine's mixin, it lets the document's own action (confirm a quote,
    approve an expense report, post a credit note) go through the approval: the action
    starts the approval where a rule applies, counts as the decision of an approver who
    clicks it, and completes by itself when the last approver decides
    (``_ps_run_deferred_action``). A rejection returns the document to its requester with
    the reason, as an activity.
    """

    _name = "ps.approval.document.mixin"
    _inherit = ["ps.approval.mixin"]
    _description = "Document under an Approval Policy"

    ps_approval_required = fields.Boolean(
        "Needs Approval", compute="_compute_ps_approval_required",
        help="A policy applies to this document and has not approved it yet")
    ps_approval_deferred_user_id = fields.Many2one(
        "res.users", "Completes on Approval For", copy=False, readonly=True,
        help="This person asked for the action that waits for the approval; it runs in "
             "their name as soon as the last approver decides.")

    def _ps_engine_fields(self):
        return super()._ps_engine_fields() | {"ps_approval_deferred_user_id"}

    def _compute_ps_approval_required(self):
        saved = self.filtered(lambda r: isinstance(r.id, int))
        missing = saved._ps_approval_missing() if saved else {}
        for record in self:
            record.ps_approval_required = record.id in missing

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_ps_approve(self):
        lines = self._ps_own_decidable_lines()
        if not lines:
            raise UserError(self.env._("Nothing waits for your approval on %s.",
                                       ", ".join(self.mapped("display_name"))))
        lines.action_approve()
        return True

    # ------------------------------------------------------------------
    # The gate of the document's own action
    # ------------------------------------------------------------------
    def _ps_gate(self):
        """Split ``self`` before its gated action into ``(ready, waiting)``.

        Where a rule applies without approval, the approval is requested (idempotent),
        the current user's own pending decision is recorded (clicking the action is
        approving), and the records still waiting remember who asked for the action, so
        that it completes when the approval does."""
        missing = self._ps_approval_missing()
        waiting = self.browse()
        if missing:
            blocked = self.browse(list(missing))
            self.env["ps.approval.request"]._request_for(blocked)
            own = blocked._ps_own_decidable_lines()
            if own:
                own.with_context(ps_approval_gate=True).action_approve()
            waiting = self.browse(list(blocked._ps_approval_missing()))
        # sudo: a technical marker; whoever may run the action may ask for it. The action
        # runs now for the others: an earlier request to run it is fulfilled.
        (self - waiting).filtered("ps_approval_deferred_user_id").sudo().with_context(
            ps_approval_internal=True).write({"ps_approval_deferred_user_id": False})
        if waiting:
            user = self.env.user
            if self.env.su or user.share:
                # a customer signing online, a payment, a technical call: the action
                # completes in the name of the document's requester
                requesters = waiting._ps_approval_requesters()
                for record in waiting:
                    record.sudo().with_context(ps_approval_internal=True).write(
                        {"ps_approval_deferred_user_id": requesters[record.id].id})
            else:
                waiting.sudo().with_context(ps_approval_internal=True).write(
                    {"ps_approval_deferred_user_id": user.id})
        return self - waiting, waiting

    def _ps_own_decidable_lines(self):
        """The current user's pending approvals on ``self`` that they may decide in one
        go: one tier per request, none in a request where they approved another tier
        (segregation of duties)."""
        user = self.env.user
        lines = self._ps_pending_lines().filtered(lambda l: l.user_id == user)
        if not lines:
            return lines.with_env(self.env)
        decided = self.env["ps.approval.line"].sudo().search([
            ("request_id", "in", lines.request_id.ids), ("user_id", "=", user.id),
            ("state", "=", "approved")])
        picked = lines.browse()
        for request in lines.request_id:
            if decided.filtered(lambda l, r=request: l.request_id == r):
                continue
            request_lines = lines.filtered(lambda l, r=request: l.request_id == r)
            tier = request_lines[:1].tier_id
            picked |= request_lines.filtered(lambda l, t=tier: l.tier_id == t)
        return picked.with_env(self.env)

    def _ps_waiting_notification(self, action_label):
        """Client notification for records whose action waits for an approval."""
        lines = self._ps_pending_lines()
        who = ", ".join(sorted(set(lines.user_id.mapped("name")))) or "-"
        message = self.env._(
            "%(action)s of %(docs)s waits for approval by %(who)s; it completes by itself "
            "when they approve.", action=action_label,
            docs=", ".join(self.mapped("display_name")), who=who)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": self.env._("Sent for approval"), "message": message,
                           "type": "warning", "sticky": False,
                           "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def _ps_run_deferred_action(self):
        """Hook: run the document's gated action (confirm, approve, post) for ``self``,
        in the name of the user who asked for it."""
        return True

    # ------------------------------------------------------------------
    # Engine hooks
    # ------------------------------------------------------------------
    def _ps_on_approved(self):
        result = super()._ps_on_approved()
        if self.env.context.get("ps_approval_gate"):
            return result  # the approver's own click runs the action right after
        ready = self.filtered(lambda r: r.ps_approval_deferred_user_id
                              and r.ps_approval_state == "approved")
        for record in ready:
            user = record.ps_approval_deferred_user_id
            record.sudo().with_context(ps_approval_internal=True).write(
                {"ps_approval_deferred_user_id": False})
            try:
                with self.env.cr.savepoint():
                    record.with_user(user)._ps_run_deferred_action()
            except (UserError, RedirectWarning) as error:
                record._ps_report_deferred_failure(user, error)
        return result

    def _ps_on_rejected(self, reason):
        result = super()._ps_on_rejected(reason)
        self.filtered("ps_approval_deferred_user_id").sudo().with_context(
            ps_approval_internal=True).write({"ps_approval_deferred_user_id": False})
        if "activity_ids" not in self._fields:
            return result
        rejected = self.env["ps.approval.request"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("state", "=", "rejected")], order="id")
        requesters = {request.res_id: request.requester_id for request in rejected}
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        vals_list = [{
            "res_model_id": self.env["ir.model"]._get_id(self._name),
            "res_id": record.id,
            "activity_type_id": todo.id if todo else False,
            "user_id": requesters[record.id].id,
            "summary": self.env._("Approval rejected by %s", self.env.user.name),
            "note": reason,
        } for record in self if requesters.get(record.id)]
        # sudo: the approver returns the document to its requester, whatever their rights
        # on the requester's activities (the requester is notified of it)
        self.env["mail.activity"].sudo().create(vals_list)
        return result

    def _ps_report_deferred_failure(self, user, error):
        self.ensure_one()
        message = self.env._("Approved, but the action could not complete: %s. Do it again "
                             "from the document.", error.args[0] if error.args else error)
        if hasattr(self, "message_post"):
            self.sudo().message_post(body=message, subtype_xmlid="mail.mt_note")
        if "activity_ids" in self._fields:
            self.sudo().activity_schedule("mail.mail_activity_data_todo", user_id=user.id,
                                          summary=self.env._("Complete after approval"),
                                          note=message)

    @api.model
    def _ps_policy_rule(self, xmlid):
        """A shipped policy rule, or an empty recordset if an administrator deleted it."""
        return self.env.ref(xmlid, raise_if_not_found=False) or self.env["ps.approval.rule"]
