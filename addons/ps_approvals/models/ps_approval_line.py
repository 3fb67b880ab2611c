from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_datetime

from .ps_approval_document_mixin import policy_value


class PsApprovalLine(models.Model):
    _inherit = "ps.approval.line"

    document_type = fields.Char("Type", compute="_compute_document_type",
                                help="The kind of document that waits for approval")
    activity_id = fields.Many2one("mail.activity", "Reminder Activity", readonly=True,
                                  ondelete="set null", index="btree_not_null")
    activity_scheduled = fields.Boolean(
        readonly=True,
        help="The approver's activity on the document was scheduled (or the document "
             "has none)")
    reminded_at = fields.Datetime("Reminder Sent", readonly=True)

    @api.depends("res_model")
    def _compute_document_type(self):
        IrModel = self.env["ir.model"]
        names = {model: IrModel._get(model).name for model in set(self.mapped("res_model"))
                 if model}
        for line in self:
            line.document_type = names.get(line.res_model, False)

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") and vals["state"] != "pending":
            self._ps_close_activities()
        if vals.get("user_id"):
            # delegation rerouted the approval: the reminder follows it
            self.filtered(lambda l: l.state == "pending").activity_id.sudo().with_context(
                mail_activity_quick_update=True).write({"user_id": vals["user_id"]})
        return result

    # ------------------------------------------------------------------
    # Reminders as activities
    # ------------------------------------------------------------------
    # The activities are scheduled by a frequent scheduled action rather than when a line
    # becomes pending (_on_activated): an activity costs a dozen queries and an e-mail,
    # which would make requesting approval grow with the number of approvers, where the
    # engine keeps it flat (ps_base's query budget).
    @api.model
    def _cron_schedule_activities(self, batch_size=500):
        """Give each approver whose approval just became due an activity on the document,
        due on the approval's deadline. Idempotent: processed lines leave the domain."""
        domain = [("state", "=", "pending"), ("activity_scheduled", "=", False)]
        lines = self.sudo().search(domain, limit=batch_size, order="id")
        lines._ps_schedule_activities()
        lines.write({"activity_scheduled": True})
        self.env["ir.cron"]._notify_progress(done=len(lines),
                                             remaining=self.sudo().search_count(domain))
        return len(lines)

    def _ps_schedule_activities(self):
        """One activity per approver and document, due on the earliest deadline; the
        approver's lines on the document share it."""
        activity_type = self.env.ref("ps_base.mail_activity_type_approval",
                                     raise_if_not_found=False)
        lines = self._without_orphans().filtered(
            lambda l: l.state == "pending" and not l.activity_id
            and "activity_ids" in self.env[l.res_model]._fields)
        if not lines:
            return
        groups = defaultdict(self.browse)
        for line in lines:
            groups[(line.res_model, line.res_id, line.user_id)] |= line
        # an activity already open for the same approver and document is reused
        open_lines = self.sudo().search([
            ("state", "=", "pending"), ("activity_id", "!=", False),
            ("res_id", "in", list({key[1] for key in groups})),
            ("user_id", "in", lines.user_id.ids), ("id", "not in", lines.ids)])
        existing = {(l.res_model, l.res_id, l.user_id): l.activity_id for l in open_lines}
        keys, vals_list = [], []
        for key, key_lines in groups.items():
            if key in existing:
                key_lines.sudo().activity_id = existing[key]
                continue
            keys.append(key)
            vals_list.append(key_lines._ps_activity_vals(activity_type))
        # sudo: the engine assigns approvals to people who may not write on the document
        activities = self.env["mail.activity"].sudo().create(vals_list)
        for key, activity in zip(keys, activities, strict=True):
            groups[key].sudo().activity_id = activity

    def _ps_activity_vals(self, activity_type):
        """Values of the activity of one approver (``self``: their lines on one
        document)."""
        user = self.user_id[:1]
        local = self.with_context(tz=user.tz)
        deadlines = [d for d in self.mapped("deadline") if d]
        return {
            "res_model_id": self.env["ir.model"]._get_id(self[:1].res_model),
            "res_id": self[:1].res_id,
            "activity_type_id": activity_type.id if activity_type else False,
            "user_id": user.id,
            "date_deadline": fields.Date.context_today(local, min(deadlines)) if deadlines
            else fields.Date.context_today(local),
            "summary": self.env._("Approve: %s", ", ".join(
                f"{line.tier_id.name} ({line.rule_id.name})" for line in self)),
            "note": self[:1].rule_id.note or False,
        }

    def _ps_close_activities(self):
        """Close the approvers' activities of lines that left 'pending', unless another of
        their lines on the document still waits: approved or rejected ones are marked
        done with the decision, the others removed."""
        lines = self.filtered("activity_id")
        if not lines:
            return
        still_open = set(self.sudo().search([
            ("activity_id", "in", lines.activity_id.ids), ("state", "=", "pending"),
            ("id", "not in", lines.ids)]).activity_id.ids)
        for activity in lines.activity_id:
            if activity.id in still_open:
                continue
            decided = lines.filtered(lambda l, a=activity: l.activity_id == a
                                     and l.state in ("approved", "rejected"))[:1]
            # sudo: closing the engine's own reminder
            if not decided:
                activity.sudo().unlink()
                continue
            if decided.state == "approved":
                feedback = (self.env._("Approved: %s", decided.comment) if decided.comment
                            else self.env._("Approved"))
            else:
                feedback = self.env._("Rejected: %s", decided.comment or "")
            activity.sudo().action_feedback(feedback=feedback)

    @api.model
    def _cron_remind_before_deadline(self, batch_size=500):
        """Remind approvers whose approval falls due within the lead time of Settings:
        the activity is (re)scheduled and the approver notified, once per approval."""
        hours = policy_value(self.env, "ps_approvals.reminder_hours")
        limit = fields.Datetime.now() + timedelta(hours=hours)
        domain = [("state", "=", "pending"), ("reminded_at", "=", False),
                  ("deadline", "!=", False), ("deadline", "<=", limit)]
        lines = self.sudo().search(domain, limit=batch_size)
        lines._ps_send_reminders()
        self.env["ir.cron"]._notify_progress(done=len(lines),
                                             remaining=self.sudo().search_count(domain))
        return len(lines)

    def _ps_send_reminders(self):
        if not self:
            return
        self._ps_schedule_activities()
        for line in self:
            record = self.env[line.res_model].browse(line.res_id).exists()
            if not record or not hasattr(record, "message_notify"):
                continue
            user = line.user_id
            due = format_datetime(self.env, line.deadline, tz=user.tz)
            record.message_notify(
                partner_ids=user.partner_id.ids,
                subject=self.env._("Reminder: %(doc)s waits for your approval", doc=line.res_name),
                body=Markup("<p>%s</p>") % self.env._(
                    "%(doc)s waits for your approval (%(tier)s, %(rule)s), due %(due)s.",
                    doc=line.res_name, tier=line.tier_id.name, rule=line.rule_id.name, due=due),
                email_layout_xmlid="mail.mail_notification_light",
            )
        self.write({"reminded_at": fields.Datetime.now()})
