from datetime import date, datetime, time, timedelta

import pytz

from odoo import api, fields, models, modules
from odoo.exceptions import ValidationError

DELEGATION_FIELDS = ["ps_delegate_id", "ps_delegation_date_from", "ps_delegation_date_to"]


class ResUsers(models.Model):
    _inherit = "res.users"

    ps_delegate_id = fields.Many2one(
        "res.users", "Approvals Delegated To", index="btree_not_null",
        domain="[('share', '=', False), ('id', '!=', id)]",
        help="While you are away, approvals routed to you go to this person.")
    ps_delegation_date_from = fields.Date("Away From")
    ps_delegation_date_to = fields.Date("Away Until", help="Leave empty for an open-ended absence")
    ps_pending_approval_count = fields.Integer(compute="_compute_ps_pending_approval_count")
    ps_digest_sent_on = fields.Date("Approval Digest Sent On", readonly=True, copy=False)
    ps_digest_line_ids = fields.Many2many(
        "ps.approval.line", string="Approvals Waiting", compute="_compute_ps_digest_line_ids",
        help="What waits for this user's decision, for the daily digest")

    def _compute_ps_digest_line_ids(self):
        lines = self.env["ps.approval.line"].sudo().search(
            [("user_id", "in", self.ids), ("state", "=", "pending")], order="deadline, id")
        for user in self:
            user.ps_digest_line_ids = lines.filtered(lambda l, u=user: l.user_id == u)


    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + DELEGATION_FIELDS + ["ps_pending_approval_count"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + DELEGATION_FIELDS

    def _compute_ps_pending_approval_count(self):
        counts = dict(self.env["ps.approval.line"].sudo()._read_group(
            [("user_id", "in", self.ids), ("state", "=", "pending")], ["user_id"], ["__count"]))
        for user in self:
            user.ps_pending_approval_count = counts.get(user, 0)

    @api.constrains(*DELEGATION_FIELDS)
    def _check_ps_delegation(self):
        for user in self.filtered("ps_delegate_id"):
            if user.ps_delegate_id.share or not user.ps_delegate_id.active:
                raise ValidationError(self.env._(
                    "%(user)s: approvals can only be delegated to an active internal user, "
                    "not to %(delegate)s.", user=user.name, delegate=user.ps_delegate_id.name))
            if user.ps_delegate_id == user:
                raise ValidationError(self.env._("%s cannot delegate approvals to themselves.",
                                                 user.name))
            if user.ps_delegation_date_to and user.ps_delegation_date_from \
                    and user.ps_delegation_date_to < user.ps_delegation_date_from:
                raise ValidationError(self.env._(
                    "%s: the end of the absence is before its start.", user.name))
            loop = user._ps_delegation_loop()
            if loop:
                raise ValidationError(self.env._(
                    "This delegation would loop: %s. Choose a delegate who is not away at "
                    "the same time, or shorten one of the absences.",
                    " → ".join(loop.mapped("name") + [loop[0].name])))

    def _ps_delegation_loop(self):
        """Follow the chain of delegations whose periods overlap with this one. Returns
        the users of the loop, in order, or an empty recordset."""
        self.ensure_one()
        start = self.ps_delegation_date_from or date.min
        end = self.ps_delegation_date_to or date.max
        chain = [self]
        current = self
        while current.ps_delegate_id:
            nxt = current.ps_delegate_id
            if nxt in chain:
                return self.browse([u.id for u in chain[chain.index(nxt):]])
            if not nxt.ps_delegate_id:
                break
            start = max(start, nxt.ps_delegation_date_from or date.min)
            end = min(end, nxt.ps_delegation_date_to or date.max)
            if start > end:  # the next person is away at another time: no loop
                break
            chain.append(nxt)
            current = nxt
        return self.browse()

    def _ps_is_away(self, day):
        self.ensure_one()
        return bool(self.ps_delegate_id) \
            and (not self.ps_delegation_date_from or self.ps_delegation_date_from <= day) \
            and (not self.ps_delegation_date_to or day <= self.ps_delegation_date_to)

    def _ps_resolve_delegates(self, day=None):
        """Map each user of ``self`` to whom their approvals go on ``day``: themselves,
        or the end of their chain of active delegations."""
        day = day or fields.Date.context_today(self)
        result = {}
        for user in self:
            target, seen = user, {user.id}
            while target._ps_is_away(day) and target.ps_delegate_id.id not in seen:
                target = target.ps_delegate_id
                seen.add(target.id)
            result[user] = target
        return result

    def write(self, vals):
        changed = set(DELEGATION_FIELDS) & vals.keys()
        if changed:
            old = {user.id: (user.ps_delegate_id.name or "", user.ps_delegation_date_from,
                             user.ps_delegation_date_to) for user in self}
        res = super().write(vals)
        if changed:
            entries = []
            for user in self:
                new = (user.ps_delegate_id.name or "", user.ps_delegation_date_from,
                       user.ps_delegation_date_to)
                if new != old[user.id]:
                    entries.append({
                        "event_type": "delegation", "res_model": "res.users",
                        "res_id": user.id, "res_name": user.name,
                        "old_value": self._ps_delegation_text(*old[user.id]),
                        "new_value": self._ps_delegation_text(*new),
                        "description": self.env._("Approval delegation of %s changed", user.name),
                    })
            self.env["ps.audit.log"]._log(entries)
            # route pending approvals of these users to their delegate, or back
            self.env["ps.approval.line"].sudo()._reroute_delegations(self)
        return res

    def _ps_delegation_text(self, delegate, date_from, date_to):
        if not delegate:
            return self.env._("no delegation")
        return self.env._("to %(delegate)s from %(start)s until %(end)s", delegate=delegate,
                          start=date_from or "now", end=date_to or "further notice")

    def _compute_ps_digest_line_ids(self):
        lines = self.env["ps.approval.line"].sudo().search(
            [("user_id", "in", self.ids), ("state", "=", "pending")], order="deadline, id")
        for user in self:
            user.ps_digest_line_ids = lines.filtered(lambda l, u=user: l.user_id == u)

    @api.model
    def _cron_send_approval_digest(self, batch_size=100):
        """E-mail each approver, once a day, the list of what waits for them. Idempotent
        per day: a rerun after a crash skips the approvers already served."""
        template = self.env.ref("ps_base.mail_template_approval_digest",
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
