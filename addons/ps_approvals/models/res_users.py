from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models, modules


class ResUsers(models.Model):
    _inherit = "res.users"

    ps_digest_sent_on = fields.Date("Approval Digest Sent On", readonly=True, copy=False)
    ps_digest_line_ids = fields.Many2many(
        "ps.approval.line", string="Approvals Waiting", compute="_compute_ps_digest_line_ids",
        help="What waits for this user's decision, for the daily digest")

    def _compute_ps_digest_line_ids(self):
        lines = self.env["ps.approval.line"].sudo().search(
            [("user_id", "in", self.ids), ("state", "=", "pending")], order="deadline, id")
        for user in self:
            user.ps_digest_line_ids = lines.filtered(lambda l, u=user: l.user_id == u)

    @api.model
    def _cron_send_approval_digest(self, batch_size=100):
        """E-mail each approver, once a day, the list of what waits for them. Idempotent
        per day: a rerun after a crash skips the approvers already served."""
        template = self.env.ref("ps_approvals.mail_template_approval_digest",
                                raise_if_not_found=False)
        if not template:
            return 0
        today = fields.Date.context_today(self)
        waiting = [user.id for [user] in self.env["ps.approval.line"].sudo()._read_group(
            [("state", "=", "pending")], ["user_id"])]
        domain = [("id", "in", waiting), ("email", "!=", False),
                  "|", ("ps_digest_sent_on", "=", False), ("ps_digest_sent_on", "<", today)]
        users = self.sudo().search(domain, limit=batch_size)
        if users:
            template.sudo().send_mail_batch(users.ids)
            users.write({"ps_digest_sent_on": today})
        self.env["ir.cron"]._notify_progress(done=len(users),
                                             remaining=self.sudo().search_count(domain))
        return len(users)

    @api.model
    def _get_activity_groups(self):
        """My Approvals in the activity menu of the systray, with late / due today /
        future counts; a click opens the inbox."""
        groups = super()._get_activity_groups()
        Line = self.env["ps.approval.line"].sudo()
        domain = [("user_id", "=", self.env.uid), ("state", "=", "pending")]
        total = Line.search_count(domain)
        if not total:
            return groups
        now = fields.Datetime.now()
        tz = pytz.timezone(self.env.user.tz or "UTC")
        tomorrow = tz.localize(datetime.combine(
            pytz.UTC.localize(now).astimezone(tz).date() + timedelta(days=1), time.min)
        ).astimezone(pytz.UTC)
        overdue = Line.search_count(domain + [("deadline", "<", now)])
        today = Line.search_count(domain + [("deadline", ">=", now),
                                            ("deadline", "<", tomorrow.replace(tzinfo=None))])
        groups.insert(0, {
            "id": self.env["ir.model"]._get_id("ps.approval.line"),
            "name": self.env._("My Approvals"),
            "model": "ps.approval.line",
            "type": "activity",
            "icon": modules.module.get_module_icon("ps_base"),
            "total_count": overdue + today,
            "overdue_count": overdue,
            "today_count": today,
            "planned_count": total - overdue - today,
            "view_type": "list",
        })
        return groups
