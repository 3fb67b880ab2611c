from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

TIMESHEET_STATES = [("draft", "To Submit"), ("submitted", "Submitted"),
                    ("approved", "Approved"), ("rejected", "Rejected")]
# what the approval of a timesheet is given for: locked once approved
LOCKED_FIELDS = ("unit_amount", "date", "name", "project_id", "task_id", "employee_id",
                 "user_id", "so_line", "product_uom_id")
# kept by the approval actions below only
REVIEW_FIELDS = ("ps_timesheet_state", "ps_reject_reason", "ps_reviewed_by_id",
                 "ps_reviewed_at")
# marks the writes of the approval actions; an object, so no JSON context can carry it
_REVIEW = object()


class AccountAnalyticLine(models.Model):
    """Timesheets are the raw material of billing: every change to hours, description,
    date, project, task or employee is journaled in the hash-chained audit trail, with old
    and new values, so that a disputed invoice can be traced to who changed what.

    Each timesheet (a line with a project) has an approval state: the consultant submits
    it, the project manager (or finance) approves or rejects it, by week and in bulk.
    Approved time is locked for the consultant; a reviewer may reset it."""

    _name = "account.analytic.line"
    _inherit = ["account.analytic.line", "ps.audit.mixin"]
    _ps_audit_fields = ("unit_amount", "name", "date", "project_id", "task_id", "employee_id",
                        "ps_timesheet_state")

    ps_timesheet_state = fields.Selection(
        TIMESHEET_STATES, "Approval Status", default="draft", required=True, copy=False,
        readonly=True, index=True)
    ps_reject_reason = fields.Text("Rejection Reason", readonly=True, copy=False)
    ps_reviewed_by_id = fields.Many2one("res.users", "Reviewed By", readonly=True, copy=False)
    ps_reviewed_at = fields.Datetime("Reviewed On", readonly=True, copy=False)
    ps_can_review = fields.Boolean("Can Review", compute="_compute_ps_can_review")

    @api.depends_context("uid")
    def _compute_ps_can_review(self):
        reviewable = self._ps_reviewable()
        for line in self:
            line.ps_can_review = line in reviewable

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("ps_timesheet_state", "draft") != "draft" \
                    or any(vals.get(f) for f in REVIEW_FIELDS[1:]):
                raise UserError(self.env._(
                    "A timesheet is created to submit; its approval is given by its "
                    "project manager."))
        return super().create(vals_list)

    def write(self, vals):
        if self.env.context.get("ps_timesheet_review") is not _REVIEW:
            touched = set(REVIEW_FIELDS) & vals.keys()
            if touched:
                raise UserError(self.env._(
                    "The approval of a timesheet changes with Submit, Approve, Reject and "
                    "Reset to Draft only (%s).",
                    ", ".join(self._fields[f].string for f in sorted(touched))))
            if not self.env.su and set(LOCKED_FIELDS) & vals.keys():
                self._ps_check_locked()
                # a submitted timesheet changed goes back to its author for submission
                changed = self.sudo().filtered(
                    lambda l: l.ps_timesheet_state == "submitted").with_env(self.env)
                if changed:
                    changed._ps_review_write({"ps_timesheet_state": "draft"})
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self._ps_check_locked()
        return super().unlink()

    def _ps_audit_records(self):
        # timesheets only, not every analytic line of accounting
        return self.filtered("project_id")

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_ps_submit_timesheets(self):
        """The consultant sends their time for approval."""
        lines = self._ps_timesheets()
        lines.check_access("write")
        others = lines.filtered(lambda l: l.user_id != self.env.user
                                and l.employee_id.user_id != self.env.user)
        if others and not self._ps_is_finance():
            raise AccessError(self.env._("You submit your own time only."))
        todo = lines.filtered(lambda l: l.ps_timesheet_state in ("draft", "rejected"))
        todo._ps_review_write({"ps_timesheet_state": "submitted", "ps_reject_reason": False})
        return True

    def action_ps_approve_timesheets(self):
        lines = self._ps_check_reviewer()
        todo = lines.filtered(lambda l: l.ps_timesheet_state in ("draft", "submitted"))
        todo._ps_review_write({"ps_timesheet_state": "approved", "ps_reject_reason": False,
                               "ps_reviewed_by_id": self.env.uid,
                               "ps_reviewed_at": fields.Datetime.now()})
        return True

    def action_ps_reject_timesheets(self, reason=None):
        lines = self._ps_check_reviewer()
        if not reason:
            return {
                "type": "ir.actions.act_window", "res_model": "ps.timesheet.reject.wizard",
                "view_mode": "form", "target": "new",
                "context": {"default_line_ids": lines.ids},
            }
        approved = lines.filtered(lambda l: l.ps_timesheet_state == "approved")
        if approved:
            raise UserError(self.env._(
                "Reset approved time to draft before rejecting it: %s",
                ", ".join(approved.mapped("name"))))
        lines._ps_review_write({"ps_timesheet_state": "rejected", "ps_reject_reason": reason,
                                "ps_reviewed_by_id": self.env.uid,
                                "ps_reviewed_at": fields.Datetime.now()})
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        activity_vals = [{
            "res_model_id": self.env["ir.model"]._get_id("hr.employee"),
            "res_id": employee.id, "user_id": employee.user_id.id,
            "activity_type_id": todo.id if todo else False,
            "summary": self.env._("Timesheets rejected"),
            "note": reason,
        } for employee in lines.employee_id if employee.user_id]
        # sudo: the reviewer returns the time to its author, whatever their own rights on
        # the author's activities
        self.env["mail.activity"].sudo().create(activity_vals)
        return True

    def action_ps_reset_timesheets(self):
        """Unlock approved (or rejected) time: reviewers only."""
        lines = self._ps_check_reviewer()
        lines.filtered(lambda l: l.ps_timesheet_state != "draft")._ps_review_write(
            {"ps_timesheet_state": "draft", "ps_reviewed_by_id": self.env.uid,
             "ps_reviewed_at": fields.Datetime.now()})
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _ps_timesheets(self):
        return self.filtered("project_id")

    def _ps_is_finance(self):
        return self.env.su or self.env.user.has_group("ps_base.group_ps_finance")

    def _ps_reviewable(self):
        """Timesheets of ``self`` the current user may approve, reject or unlock: those of
        the projects they manage (finance: all), never their own."""
        user = self.env.user
        lines = self._ps_timesheets().sudo()
        if not self._ps_is_finance():
            lines = lines.filtered(lambda l: l.project_id.user_id == user)
        return lines.filtered(lambda l: l.user_id != user and l.employee_id.user_id != user) \
            .with_env(self.env)

    def _ps_check_reviewer(self):
        self.check_access("read")
        lines = self._ps_timesheets()
        if not lines:
            raise UserError(self.env._("Select timesheets (lines with a project)."))
        refused = lines - lines._ps_reviewable()
        if refused:
            raise AccessError(self.env._(
                "Only the project manager of a project (or finance) approves its time, and "
                "nobody approves or unlocks their own: %s",
                ", ".join(sorted(set(refused.mapped("name"))))[:500]))
        return lines

    def _ps_check_locked(self):
        """Approved time is locked for everyone but its reviewers."""
        # sudo: the state of the lines being written, read once with the row Odoo's write
        # reads anyway, not through the record rules again (write checks the access)
        approved = self.sudo().filtered(lambda l: l.ps_timesheet_state == "approved") \
            .with_env(self.env)
        locked = approved - approved._ps_reviewable()
        if locked:
            locked.check_access("write")  # who may not write them learns nothing of them
            raise UserError(self.env._(
                "Approved time cannot be changed or deleted (%s, %s h on %s). Ask the "
                "project manager to reset it to draft first.",
                locked[0].name, locked[0].unit_amount, locked[0].date))

    def _ps_review_write(self, vals):
        """The writes of the approval actions, after their checks: whoever may review a
        timesheet may change its approval, whatever their rights on the line itself."""
        if self:
            self.sudo().with_context(ps_timesheet_review=_REVIEW).write(vals)
