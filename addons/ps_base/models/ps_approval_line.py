from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_datetime

from .approver_resolver import fallback_candidates, hours_between, overdue_exception
from .ps_approval_request import DOCUMENT_FIELDS

LINE_STATES = [("waiting", "Not Yet Due"), ("pending", "To Approve"), ("approved", "Approved"),
               ("rejected", "Rejected"), ("skipped", "Not Needed"), ("cancelled", "Cancelled")]


class PsApprovalLine(models.Model):
    """One approver's part in one tier of one request. ``user_id`` is whom it waits for,
    after delegation; ``state`` and ``user_id`` are stored and indexed together so that
    'my pending approvals' is a single index scan."""

    _name = "ps.approval.line"
    _description = "Approval"
    _order = "deadline, id"
    _rec_name = "res_name"

    request_id = fields.Many2one("ps.approval.request", required=True, ondelete="cascade",
                                 index=True, readonly=True)
    tier_id = fields.Many2one("ps.approval.tier", required=True, ondelete="restrict",
                              readonly=True)
    rule_id = fields.Many2one(related="request_id.rule_id", string="Rule")
    step = fields.Integer(readonly=True)
    res_model = fields.Char("Model", readonly=True, required=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True,
                                      required=True)
    res_name = fields.Char(related="request_id.res_name", string="Document")
    requester_id = fields.Many2one("res.users", "Requested By", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", "Approver", readonly=True, required=True)
    original_user_id = fields.Many2one("res.users", "Delegated By", readonly=True,
                                       help="Set when the approval was routed to a delegate")
    is_fallback = fields.Boolean("Escalation", readonly=True)
    is_required = fields.Boolean("Required", readonly=True)
    state = fields.Selection(LINE_STATES, required=True, readonly=True, default="waiting")
    deadline = fields.Datetime(readonly=True)
    is_overdue = fields.Boolean(compute="_compute_is_overdue", search="_search_is_overdue")
    escalated = fields.Boolean(readonly=True)
    decided_at = fields.Datetime(readonly=True)
    comment = fields.Text(readonly=True)
    document_type = fields.Char("Type", compute="_compute_document_type",
                                help="The kind of document that waits for approval")
    activity_id = fields.Many2one("mail.activity", "Reminder Activity", readonly=True,
                                  ondelete="set null", index="btree_not_null")
    activity_scheduled = fields.Boolean(
        readonly=True,
        help="The approver's activity on the document was scheduled (or the document "
             "has none)")
    reminded_at = fields.Datetime("Reminder Sent", readonly=True)


    def init(self):
        # 'my pending approvals' and the escalation sweep: partial indexes on open lines;
        # documents an approver may read (record rules) and the approvals of a document
        self.env.cr.execute(SQL("""
            CREATE INDEX IF NOT EXISTS ps_approval_line_pending_user_idx
            ON ps_approval_line (user_id, deadline) WHERE state = 'pending';
            CREATE INDEX IF NOT EXISTS ps_approval_line_pending_deadline_idx
            ON ps_approval_line (deadline) WHERE state = 'pending' AND NOT escalated;
            DROP INDEX IF EXISTS ps_approval_line_record_idx;
            CREATE INDEX IF NOT EXISTS ps_approval_line_user_record_idx
            ON ps_approval_line (user_id, res_model, res_id);
            CREATE INDEX IF NOT EXISTS ps_approval_line_document_idx
            ON ps_approval_line (res_model, res_id);
        """))

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._invalidate_documents()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if {"state", "user_id", "deadline"} & vals.keys():
            self._invalidate_documents()
        if vals.get("state") and vals["state"] != "pending":
            self._ps_close_activities()
        if vals.get("user_id"):
            # delegation rerouted the approval: the reminder follows it
            self.filtered(lambda l: l.state == "pending").activity_id.sudo().with_context(
                mail_activity_quick_update=True).write({"user_id": vals["user_id"]})
        return res

    def _invalidate_documents(self):
        """The documents' approval fields computed from lines (next approvers, who may
        review, record rules on approvers) must not be served stale from the cache."""
        for model in set(self.mapped("res_model")):
            if model in self.env:
                self.env[model].invalidate_model(DOCUMENT_FIELDS)

    @api.depends("res_model")
    def _compute_document_type(self):
        IrModel = self.env["ir.model"]
        names = {model: IrModel._get(model).name for model in set(self.mapped("res_model"))
                 if model}
        for line in self:
            line.document_type = names.get(line.res_model, False)

    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for line in self:
            line.is_overdue = line.state == "pending" and line.deadline and line.deadline < now

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue approvals."))
        positive = (operator == "=") == value
        domain = [("state", "=", "pending"), ("deadline", "<", fields.Datetime.now())]
        return domain if positive else ["!", "&", *domain]

    # ------------------------------------------------------------------
    # Decisions
    # ------------------------------------------------------------------
    def action_open_record(self):
        self.ensure_one()
        return self.request_id.action_open_record()

    def action_approve(self, comment=None):
        self._decide("approved", comment)
        return True

    def action_reject(self, reason=None):
        if not (reason or "").strip():
            raise UserError(self.env._("Say why you reject: the requester needs the reason to "
                                       "fix the document."))
        self._decide("rejected", reason)
        return True

    def action_open_decision_wizard(self):
        return {
            "type": "ir.actions.act_window", "res_model": "ps.approval.decision.wizard",
            "view_mode": "form", "target": "new",
            "context": {"default_line_ids": self.ids,
                        "default_decision": self.env.context.get("ps_decision", "reject")},
        }

    def _check_can_decide(self):
        user = self.env.user
        for line in self:
            if line.state != "pending":
                raise UserError(self.env._(
                    "%(doc)s: this approval is no longer waiting for a decision (%(state)s).",
                    doc=line.res_name, state=dict(LINE_STATES)[line.state]))
            if line.user_id != user:
                raise AccessError(self.env._(
                    "%(doc)s: this approval waits for %(who)s, not for you.",
                    doc=line.res_name, who=line.user_id.name))
            request = line.request_id
            if user in (line.requester_id | request.initiator_id | request.drafter_id
                        | request.editor_id):
                raise UserError(self.env._(
                    "%s: you requested this approval, drafted the document or changed the "
                    "values it is approved for; someone else must decide (segregation of "
                    "duties).", line.res_name))
        # one person never fills two tiers of the same request
        requests = self.request_id
        others = self.sudo().search([("request_id", "in", requests.ids),
                                     ("user_id", "=", user.id), ("state", "=", "approved")])
        for line in self:
            other = others.filtered(lambda o, l=line: o.request_id == l.request_id
                                    and o.tier_id != l.tier_id)
            if other:
                raise UserError(self.env._(
                    "%(doc)s: you already approved tier '%(done)s'; another person must "
                    "approve tier '%(tier)s' (segregation of duties).",
                    doc=line.res_name, done=other[0].tier_id.name, tier=line.tier_id.name))
        tiers_in_batch = defaultdict(set)
        for line in self:
            tiers_in_batch[line.request_id.id].add(line.tier_id.id)
        for request_id, tier_ids in tiers_in_batch.items():
            if len(tier_ids) > 1:
                request = self.env["ps.approval.request"].browse(request_id)
                raise UserError(self.env._(
                    "%s: you are listed on several tiers of this request; approve one tier, "
                    "another person must approve the other (segregation of duties).",
                    request.res_name))

    def _decide(self, decision, comment):
        # two approvers deciding at the same time must see each other's decision: the
        # second waits, then fails to serialize and is retried by Odoo with fresh data
        self.env.cr.execute(SQL(
            "SELECT id FROM ps_approval_request WHERE id IN %s FOR UPDATE",
            tuple(self.request_id.ids) or (0,)))
        self._check_can_decide()
        now = fields.Datetime.now()
        lines = self.sudo()  # sudo: approvers have no write access on approval records
        lines.write({"state": decision, "decided_at": now, "comment": comment or False})
        self.env["ps.audit.log"]._log([{
            "event_type": "approval", "res_model": line.res_model, "res_id": line.res_id,
            "res_name": line.res_name, "company_id": line.company_id.id,
            "field_name": line.tier_id.name, "new_value": decision,
            "old_value": line.original_user_id.name and
            self.env._("delegated by %s", line.original_user_id.name),
            "description": (self.env._("%(tier)s approved", tier=line.tier_id.name)
                            if decision == "approved" else
                            self.env._("%(tier)s rejected: %(reason)s", tier=line.tier_id.name,
                                       reason=comment)),
        } for line in lines])
        requests = lines.request_id
        if decision == "rejected":
            requests.line_ids.filtered(lambda l: l.state in ("pending", "waiting")).write(
                {"state": "cancelled"})
            for request in requests:
                request.write({"state": "rejected", "reject_reason": comment, "decided_at": now,
                               "duration_hours": hours_between(request.requested_at, now)})
            requests._log("approval", "approval.rejected", self.env._("Approval rejected"))
            requests._records_by_model(lambda recs: recs._ps_sync_approval_state())
            requests._records_by_model(lambda recs: recs._ps_on_rejected(comment))
        else:
            requests._advance()

    # ------------------------------------------------------------------
    # Hooks and sweeps
    # ------------------------------------------------------------------
    @api.model
    def _cron_escalate_overdue(self, batch_size=500):
        """Escalate tiers whose deadline passed: the tier's fallback approver or group (or
        the default group of Settings) is added as approver; without any, an exception is
        raised for the administrators. Idempotent: escalated lines leave the domain."""
        domain = [("state", "=", "pending"), ("escalated", "=", False),
                  ("deadline", "<", fields.Datetime.now())]
        lines = self.sudo().search(domain, limit=batch_size)
        lines._escalate()
        self.env["ir.cron"]._notify_progress(done=len(lines),
                                             remaining=self.sudo().search_count(domain))
        return len(lines)

    def _without_orphans(self):
        """Lines whose document still exists. Documents deleted by a database cascade
        (their unlink never ran) leave requests behind: those are cancelled here."""
        alive = set()
        for model in set(self.mapped("res_model")):
            if model not in self.env:
                continue
            ids = self.filtered(lambda l, m=model: l.res_model == m).mapped("res_id")
            alive.update((model, rid) for rid in self.env[model].browse(ids).exists().ids)
        orphans = self.filtered(lambda l: (l.res_model, l.res_id) not in alive)
        if orphans:
            orphans.request_id._cancel(self.env._("the document was deleted"))
        return self - orphans

    def _escalate(self):
        lines = self._without_orphans()
        return lines._escalate_lines()

    def _escalate_lines(self):
        now = fields.Datetime.now()
        groups = defaultdict(self.browse)
        for line in self:
            groups[(line.request_id, line.tier_id)] |= line
        new_lines, exceptions, escalated = [], [], self.browse()
        for (request, tier), lines in groups.items():
            escalated |= lines
            if lines.filtered("is_fallback"):
                # the fallback itself is late: a person must look at it
                exceptions.append(overdue_exception(self.env, request, tier, fallback=True))
                continue
            already = request.line_ids.filtered(lambda l, t=tier: l.tier_id == t).user_id
            resolver = request._resolver(exclude=already)
            seen = set()
            fallback_lines = resolver._lines_for(
                fallback_candidates(self.env, tier, request.company_id), tier, "pending",
                now + timedelta(hours=tier._escalation_delay()), seen,
                company=request.company_id, is_fallback=True)
            if not fallback_lines:
                exceptions.append(overdue_exception(self.env, request, tier, fallback=False))
                continue
            for vals in fallback_lines:
                vals.update(request_id=request.id, step=lines[0].step,
                            res_model=request.res_model, res_id=request.res_id,
                            requester_id=request.requester_id.id,
                            company_id=request.company_id.id)
            new_lines += fallback_lines
            fallback = self.env["res.users"].browse([vals["user_id"] for vals in fallback_lines])
            self.env["ps.audit.log"]._log([{
                "event_type": "escalation", "res_model": request.res_model,
                "res_id": request.res_id, "res_name": request.res_name,
                "company_id": request.company_id.id, "field_name": tier.name,
                "old_value": ", ".join(lines.user_id.mapped("name")),
                "new_value": ", ".join(fallback.mapped("name")),
                "description": self.env._("Tier %(tier)s overdue since %(deadline)s: escalated",
                                          tier=tier.name, deadline=min(lines.mapped("deadline"))),
            }])
        escalated.write({"escalated": True})
        created = self.create(new_lines) if new_lines else self.browse()
        if exceptions:
            self.env["ps.exception"]._raise_exceptions(exceptions)
        if created:
            created.request_id._emit("approval.escalated")
        return created

    @api.model
    def _reroute_delegations(self, users=None):
        """Route pending approvals of users who are away to their delegate, and approvals
        delegated by users who are back to them. ``users``: only their lines."""
        domain = [("state", "=", "pending")]
        if users is not None:
            domain += ["|", ("user_id", "in", users.ids), ("original_user_id", "in", users.ids)]
        else:
            away = self.env["res.users"].sudo().search([("ps_delegate_id", "!=", False)])
            domain += ["|", ("user_id", "in", away.ids), ("original_user_id", "!=", False)]
        lines = self.sudo().search(domain)
        owners = lines.mapped(lambda l: l.original_user_id or l.user_id)
        routes = owners._ps_resolve_delegates()
        # who already holds a place on each tier of these requests, in one query
        held = {(l.request_id.id, l.tier_id.id, l.user_id.id) for l in self.sudo().search_fetch(
            [("request_id", "in", lines.request_id.ids), ("state", "in", ("pending", "approved"))],
            ["request_id", "tier_id", "user_id"])}
        entries = []
        for line in lines:
            owner = line.original_user_id or line.user_id
            target = routes[owner]
            if target == line.user_id:
                continue
            if line.company_id and line.company_id not in target.company_ids:
                continue  # the delegate cannot decide for this company: the owner keeps it
            request = line.request_id
            if target in (line.requester_id | request.initiator_id | request.drafter_id
                          | request.editor_id):
                continue  # never route an approval to its requester
            if (line.request_id.id, line.tier_id.id, target.id) in held:
                continue  # the delegate already holds a place on this tier: one vote each
            entries.append({
                "event_type": "delegation", "res_model": line.res_model, "res_id": line.res_id,
                "res_name": line.res_name, "company_id": line.company_id.id,
                "field_name": line.tier_id.name, "old_value": line.user_id.name,
                "new_value": target.name,
                "description": self.env._("Approval routed to %(to)s for %(owner)s",
                                          to=target.name, owner=owner.name),
            })
            held.discard((line.request_id.id, line.tier_id.id, line.user_id.id))
            held.add((line.request_id.id, line.tier_id.id, target.id))
            line.write({"user_id": target.id,
                        "original_user_id": owner.id if target != owner else False})
        self.env["ps.audit.log"]._log(entries)
        return len(entries)

    @api.model
    def _cron_reroute_delegations(self):
        count = self._reroute_delegations()
        self.env["ir.cron"]._notify_progress(done=count, remaining=0)
        return count

    # ------------------------------------------------------------------
    # Reminders as activities
    # ------------------------------------------------------------------
    # The activities are scheduled by a frequent scheduled action rather than when a line
    # becomes pending: an activity costs a dozen queries and an e-mail,
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
        hours = float(self.env["ir.config_parameter"].sudo().get_param(
            "ps_base.approval_reminder_hours", 24) or 0)
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
