import json
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .bulk import bulk_insert

REQUEST_STATES = [("pending", "Waiting"), ("approved", "Approved"), ("rejected", "Rejected"),
                  ("cancelled", "Cancelled")]
BATCH = 1000
DOCUMENT_FIELDS = ["ps_approval_next_user_ids", "ps_approval_deadline", "ps_approval_can_review",
                   "ps_approval_user_ids", "ps_approval_line_ids"]
LINE_STATES = [("waiting", "Not Yet Due"), ("pending", "To Approve"), ("approved", "Approved"),
               ("rejected", "Rejected"), ("skipped", "Not Needed"), ("cancelled", "Cancelled")]


class PsApprovalRequest(models.Model):
    """One approval cycle of one record under one rule. Its lines hold one approver each,
    tier by tier; the record is approved when every active request on it is."""

    _name = "ps.approval.request"
    _description = "Approval Request"
    _order = "id desc"
    _rec_name = "res_name"

    rule_id = fields.Many2one("ps.approval.rule", required=True, ondelete="restrict",
                              index=True, readonly=True)
    res_model = fields.Char("Model", required=True, index=True, readonly=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", required=True,
                                      readonly=True)
    res_name = fields.Char("Document", readonly=True)
    requester_id = fields.Many2one("res.users", "Requested By", required=True, readonly=True,
                                   index=True)
    initiator_id = fields.Many2one(
        "res.users", "Started By", readonly=True,
        help="Who started this approval cycle (asked for it, or changed an approved value); "
             "like the requester, they cannot approve it")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    state = fields.Selection(REQUEST_STATES, default="pending", required=True, index=True,
                             readonly=True)
    active = fields.Boolean(default=True, readonly=True,
                            help="Archived requests belong to an earlier approval cycle")
    current_step = fields.Integer(readonly=True)
    line_ids = fields.One2many("ps.approval.line", "request_id", "Approvers", readonly=True)
    requested_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    decided_at = fields.Datetime(readonly=True)
    duration_hours = fields.Float("Decision Time (h)", readonly=True, aggregator="avg")
    reject_reason = fields.Text(readonly=True)
    cancel_reason = fields.Text(readonly=True)
    watched_values = fields.Text(readonly=True, help="Values the approval was given for (JSON)")
    next_user_ids = fields.Many2many("res.users", compute="_compute_next", string="Waiting For")
    deadline = fields.Datetime(compute="_compute_next")

    def init(self):
        self.env.cr.execute(SQL("""
            CREATE INDEX IF NOT EXISTS ps_approval_request_record_idx
            ON ps_approval_request (res_model, res_id) WHERE active
        """))

    @api.depends("line_ids.state", "line_ids.user_id", "line_ids.deadline")
    def _compute_next(self):
        for request in self:
            pending = request.line_ids.filtered(lambda line: line.state == "pending")
            request.next_user_ids = pending.user_id
            request.deadline = min(pending.mapped("deadline"), default=False) if pending else False

    def action_open_record(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": self.res_model,
                "res_id": self.res_id, "view_mode": "form", "target": "current"}

    # ------------------------------------------------------------------
    # Creating requests
    # ------------------------------------------------------------------
    @api.model
    def _request_for(self, records, rules=None):
        """Start an approval cycle on ``records`` for every applicable rule (or ``rules``).

        Everything is resolved first and written after, in one create per model, so that
        a record whose approvers cannot be found stops the whole call with a UserError
        and nothing half-written. Records with an active pending or approved request for
        a rule get no new one (idempotent). Returns the new requests.
        """
        if len(records) > BATCH:
            # a thousand documents at a time, each with its own prefetch set: the ORM's
            # per-record access stays constant however many documents are sent at once
            requests = self.browse()
            for start in range(0, len(records), BATCH):
                requests |= self._request_for(
                    records.browse(records.ids[start:start + BATCH]), rules=rules)
            return requests
        Rule = self.env["ps.approval.rule"].sudo()
        if rules is None:
            rules = Rule.browse(Rule._rule_ids_for(records._name))
        rules = rules.sudo().filtered(lambda r: r.active and r.model_name == records._name)
        requesters = records._ps_approval_requesters()
        # whoever starts the cycle cannot approve it either, whatever requester a record
        # names (a requester field is only as trustworthy as whoever can edit it)
        initiator = self.env.user if not self.env.su else self.env["res.users"]
        records = records.sudo()
        matches = {rule: rule._filter_records(records) for rule in rules}
        matched = records.browse({rid for recs in matches.values() for rid in recs.ids})

        # active cycles: pending/approved ones are kept, finished ones are archived
        existing = self.sudo().search([("res_model", "=", records._name),
                                       ("res_id", "in", matched.ids)]) if matched else self.sudo()
        keep = {(req.rule_id.id, req.res_id) for req in existing
                if req.state in ("pending", "approved")}
        stale = existing.filtered(lambda r: r.state in ("rejected", "cancelled"))

        resolvers = {}
        now = fields.Datetime.now()
        request_vals, line_groups = [], []
        for rule, recs in matches.items():
            recs = recs.filtered(lambda rec, rule=rule: (rule.id, rec.id) not in keep)
            if not recs:
                continue
            first_step = min(rule.tier_ids.mapped("step"))
            for record in recs:
                requester = requesters[record.id]
                resolver = resolvers.get(requester)
                if resolver is None:
                    resolver = resolvers[requester] = _ApproverResolver(
                        self.env, requester, exclude=initiator)
                lines = []
                for tier in rule.tier_ids:
                    # every tier is resolved now, so that a request nobody could finish is
                    # refused at once; only the first step's approvers are written: the
                    # later steps are resolved again when they open (delegations, group
                    # members and managers as they are then)
                    tier_lines = resolver.tier_lines(tier, record, first_step, now)
                    if tier.step == first_step:
                        lines += tier_lines
                request_vals.append({
                    "rule_id": rule.id, "res_model": record._name, "res_id": record.id,
                    "res_name": record.display_name, "requester_id": requester.id,
                    "initiator_id": initiator.id or False,
                    "company_id": _company_of(record, self.env).id, "current_step": first_step,
                    "requested_at": now,
                    "watched_values": json.dumps(rule._watched_values(record), default=str),
                })
                line_groups.append(lines)
        if stale:
            stale.write({"active": False})
        if not request_vals:
            records._ps_sync_approval_state()
            return self.browse()
        # bulk insert (see bulk.py): the requester starts the cycle but has no right to
        # write approval records, and the ORM's create would cost more than the budget
        for vals in request_vals:
            vals.update(state="pending", active=True)
        request_ids = bulk_insert(self.env, "ps.approval.request", request_vals)
        line_vals = []
        for request_id, vals, lines in zip(request_ids, request_vals, line_groups, strict=True):
            for line in lines:
                line.update(request_id=request_id, res_model=vals["res_model"],
                            res_id=vals["res_id"], requester_id=vals["requester_id"],
                            company_id=vals["company_id"], escalated=False)
                line.setdefault("is_fallback", False)
                line.setdefault("is_required", False)
                line_vals.append(line)
        line_ids = bulk_insert(self.env, "ps.approval.line", line_vals)
        requests = self.sudo().browse(request_ids)
        lines = self.env["ps.approval.line"].sudo().browse(line_ids)
        self.env["ps.approval.request"].invalidate_model(["line_ids"])
        records.invalidate_model(DOCUMENT_FIELDS + ["ps_approval_request_ids"])
        records._ps_sync_approval_state()
        requests._log("approval", "approval.requested", self.env._("Approval requested"))
        pending_ids = [line_id for line_id, vals in zip(line_ids, line_vals, strict=True)
                       if vals["state"] == "pending"]
        lines.browse(pending_ids)._on_activated()
        return requests.with_env(self.env)

    # ------------------------------------------------------------------
    # Progress
    # ------------------------------------------------------------------
    def _advance(self):
        """Re-evaluate the current step of each request after decisions: close finished
        tiers, open the next step, or approve the request."""
        now = fields.Datetime.now()
        approved = self.browse()
        activated = self.env["ps.approval.line"]
        to_skip = self.env["ps.approval.line"]
        for request in self.filtered(lambda r: r.state == "pending"):
            while True:
                step = request.current_step
                step_lines = request.line_ids.filtered(lambda l, s=step: l.step == s)
                tiers = step_lines.tier_id
                done = True
                for tier in tiers:
                    tier_lines = step_lines.filtered(lambda l, t=tier: l.tier_id == t)
                    if _tier_complete(tier, tier_lines):
                        to_skip |= tier_lines.filtered(lambda l: l.state in ("pending", "waiting"))
                    else:
                        done = False
                if not done:
                    break
                later = request.rule_id.tier_ids.filtered(
                    lambda t, r=request: t.step > r.current_step)
                if not later:
                    approved |= request
                    break
                next_step = min(later.mapped("step"))
                request.current_step = next_step
                opened = request._open_step(later.filtered(lambda t, s=next_step: t.step == s),
                                            now)
                if not opened:
                    break  # nobody can approve the step: an exception was raised
                activated |= opened
        to_skip.write({"state": "skipped"})
        for request in approved:
            request.write({"state": "approved", "decided_at": now,
                           "duration_hours": _hours(request.requested_at, now)})
        if approved:
            approved._log("approval", "approval.approved", self.env._("Approval granted"))
        self._records_by_model(lambda recs: recs._ps_sync_approval_state())
        if approved:
            approved._records_by_model(lambda recs: recs._ps_on_approved())
        activated._on_activated()
        return approved

    def _open_step(self, tiers, now):
        """Create the approvers of ``tiers`` (the step that opens now). People who
        approved an earlier step of this request are left out: one person never fills
        two tiers. When nobody can approve, an exception is raised for the
        administrators and the request waits (``action_retry_step`` after a fix)."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            return self.env["ps.approval.line"]
        previous = self.line_ids.filtered(lambda l: l.state == "approved").user_id
        resolver = _ApproverResolver(self.env, self.requester_id,
                                     exclude=previous | self.initiator_id)
        try:
            vals_list = []
            for tier in tiers:
                vals_list += resolver.tier_lines(tier, record, tiers[0].step, now)
        except UserError as error:
            self.env["ps.exception"]._raise_exceptions([{
                "name": self.env._("Nobody can approve %(doc)s at step %(step)s",
                                   doc=self.res_name, step=tiers[0].step),
                "key": f"approval-unresolvable:{self.id}:{tiers[0].step}",
                "kind": "approval_unresolvable", "source": "ps_base approval engine",
                "res_model": self.res_model, "res_id": self.res_id, "res_name": self.res_name,
                "severity": "critical", "company_id": self.company_id.id,
                "details": str(error),
            }])
            return self.env["ps.approval.line"]
        for vals in vals_list:
            vals.update(request_id=self.id, res_model=self.res_model, res_id=self.res_id,
                        requester_id=self.requester_id.id, company_id=self.company_id.id)
        return self.env["ps.approval.line"].sudo().create(vals_list)

    def action_retry_step(self):
        """Open the current step again after the configuration was fixed."""
        if not self.env.user.has_group("ps_base.group_ps_manager"):
            raise AccessError(self.env._("Only administrators can retry an approval step."))
        now = fields.Datetime.now()
        for request in self.sudo().filtered(lambda r: r.state == "pending"):
            if request.line_ids.filtered(lambda l: l.state == "pending"):
                continue
            tiers = request.rule_id.tier_ids.filtered(
                lambda t, r=request: t.step == r.current_step)
            request._open_step(tiers, now)._on_activated()
            request._advance()
        return True

    def _cancel(self, reason):
        """Cancel pending/approved requests (values changed, record reset, ...)."""
        now = fields.Datetime.now()
        # sudo: whoever may reset the document resets its approval cycle
        requests = self.sudo().filtered(lambda r: r.state in ("pending", "approved"))
        if not requests:
            return
        requests.line_ids.filtered(lambda l: l.state in ("pending", "waiting")).write(
            {"state": "cancelled"})
        requests.write({"state": "cancelled", "cancel_reason": reason, "decided_at": now,
                        "active": False})
        requests._log("approval", "approval.reset",
                      self.env._("Approval reset: %s", reason))

    def _records_by_model(self, callback):
        by_model = defaultdict(list)
        for request in self:
            by_model[request.res_model].append(request.res_id)
        for model, ids in by_model.items():
            callback(self.env[model].browse(ids).exists())

    def _log(self, audit_type, event_type, description):
        self.env["ps.audit.log"]._log([{
            "event_type": audit_type, "res_model": request.res_model, "res_id": request.res_id,
            "res_name": request.res_name, "company_id": request.company_id.id,
            "new_value": request.state,
            "description": f"{description} ({request.rule_id.name})",
        } for request in self])
        self._emit(event_type)

    def _emit(self, event_type):
        """One outbox row per request, from the values the request already holds."""
        self.env["ps.event"]._emit_rows(event_type, [{
            "res_model": request.res_model, "res_id": request.res_id,
            "res_name": request.res_name, "company_id": request.company_id.id,
            "payload": {"rule": request.rule_id.name, "state": request.state,
                        "request_id": request.id},
        } for request in self])


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
    is_delegated = fields.Boolean(compute="_compute_is_delegated")
    is_fallback = fields.Boolean("Escalation", readonly=True)
    is_required = fields.Boolean("Required", readonly=True)
    state = fields.Selection(LINE_STATES, required=True, readonly=True, default="waiting")
    deadline = fields.Datetime(readonly=True)
    is_overdue = fields.Boolean(compute="_compute_is_overdue", search="_search_is_overdue")
    escalated = fields.Boolean(readonly=True)
    decided_at = fields.Datetime(readonly=True)
    comment = fields.Text(readonly=True)

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
        return res

    def _invalidate_documents(self):
        """The documents' approval fields computed from lines (next approvers, who may
        review, record rules on approvers) must not be served stale from the cache."""
        for model in set(self.mapped("res_model")):
            if model in self.env:
                self.env[model].invalidate_model(DOCUMENT_FIELDS)

    @api.depends("original_user_id")
    def _compute_is_delegated(self):
        for line in self:
            line.is_delegated = bool(line.original_user_id)

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
            if user in (line.requester_id | line.request_id.initiator_id):
                raise UserError(self.env._(
                    "%s: you requested this approval; someone else must decide "
                    "(segregation of duties).", line.res_name))
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
                               "duration_hours": _hours(request.requested_at, now)})
            requests._log("approval", "approval.rejected", self.env._("Approval rejected"))
            requests._records_by_model(lambda recs: recs._ps_sync_approval_state())
            requests._records_by_model(lambda recs: recs._ps_on_rejected(comment))
        else:
            requests._advance()

    # ------------------------------------------------------------------
    # Hooks and sweeps
    # ------------------------------------------------------------------
    def _on_activated(self):
        """Lines that just became pending. Workflow addons hook notifications here."""
        return True

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
        default_group = self.env["res.groups"].sudo().browse(int(
            self.env["ir.config_parameter"].sudo().get_param(
                "ps_base.approval_fallback_group_id", 0) or 0)).exists()
        groups = defaultdict(self.browse)
        for line in self:
            groups[(line.request_id, line.tier_id)] |= line
        new_lines, exceptions, escalated = [], [], self.browse()
        for (request, tier), lines in groups.items():
            escalated |= lines
            if lines.filtered("is_fallback"):
                # the fallback itself is late: a person must look at it
                exceptions.append(_overdue_exception(self.env, request, tier, fallback=True))
                continue
            candidates = tier.fallback_user_id | tier.fallback_group_id.users \
                | (default_group.users if not (tier.fallback_user_id or tier.fallback_group_id)
                   else self.env["res.users"])
            routes = candidates.filtered(lambda u: not u.share and u.active)._ps_resolve_delegates()
            already = request.line_ids.filtered(lambda l, t=tier: l.tier_id == t).user_id
            fallback = self.env["res.users"].browse(
                {u.id for u in routes.values()}) - request.requester_id - already
            if not fallback:
                exceptions.append(_overdue_exception(self.env, request, tier, fallback=False))
                continue
            deadline = now + timedelta(hours=tier._escalation_delay())
            for user in fallback:
                new_lines.append({
                    "request_id": request.id, "tier_id": tier.id, "step": lines[0].step,
                    "res_model": request.res_model, "res_id": request.res_id,
                    "requester_id": request.requester_id.id, "company_id": request.company_id.id,
                    "user_id": user.id, "is_fallback": True, "state": "pending",
                    "deadline": deadline,
                })
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
            requests = created.request_id
            requests._emit("approval.escalated")
            created._on_activated()
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
            if target in (line.requester_id | line.request_id.initiator_id):
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


class _ApproverResolver:
    """Resolves the approvers of tiers for one requester, caching what is shared by all
    the records of a batch (groups, the requester's manager, delegations)."""

    def __init__(self, env, requester, exclude=None):
        self.env = env
        self.requester = requester
        self.exclude = exclude or env["res.users"]
        self.routes = {}
        self._manager = None
        self._cache = {}

    def _route(self, users):
        missing = users.filtered(lambda u: u not in self.routes)
        if missing:
            self.routes.update(missing._ps_resolve_delegates())
        return [(user, self.routes[user]) for user in users]

    def _manager_of_requester(self):
        if self._manager is None:
            employee = self.requester.employee_ids[:1]
            self._manager = employee.parent_id.user_id or self.env["res.users"]
        return self._manager

    def _candidates(self, tier, record):
        Users = self.env["res.users"]
        kind = tier.approver_type
        if kind == "user":
            users = tier.user_ids
        elif kind == "group":
            users = tier.group_id.users
        elif kind == "manager":
            users = self._manager_of_requester()
        else:
            users = record.mapped(tier.field_path) if tier.field_path else Users
        users |= tier.required_user_ids
        company = _company_of(record, self.env)
        return users.filtered(lambda u: u.active and not u.share and company in u.company_ids)

    def tier_lines(self, tier, record, first_step, now):
        """Line values of ``tier`` for ``record``. Tiers whose approvers do not depend on
        the record are resolved once per batch."""
        if tier.approver_type == "field":
            return self._tier_lines(tier, record, first_step, now)
        key = (tier.id, first_step)
        if key not in self._cache:
            self._cache[key] = self._tier_lines(tier, record, first_step, now)
        return [dict(vals) for vals in self._cache[key]]

    def _tier_lines(self, tier, record, first_step, now):
        state = "pending" if tier.step == first_step else "waiting"
        deadline = now + timedelta(hours=tier._escalation_delay()) if state == "pending" else False
        required = tier.required_user_ids
        lines, seen = [], set()
        for owner, target in self._route(self._candidates(tier, record)):
            if target == self.requester or target.id in seen or target in self.exclude:
                continue  # segregation of duties: nobody approves their own request
            seen.add(target.id)
            lines.append({
                "tier_id": tier.id, "step": tier.step, "user_id": target.id,
                "original_user_id": owner.id if owner != target else False,
                "is_required": owner in required, "state": state, "deadline": deadline,
            })
        needed = tier.quorum or len(lines)
        fallback = tier.fallback_user_id | tier.fallback_group_id.users
        if (not lines or len(lines) < needed) and not fallback:
            who = {"user": tier.user_ids.mapped("name"), "group": [tier.group_id.name],
                   "manager": [self.env._("the requester's manager")],
                   "field": [tier.field_path]}[tier.approver_type]
            raise UserError(self.env._(
                "%(doc)s cannot be sent for approval: tier '%(tier)s' of rule '%(rule)s' needs "
                "%(n)s approval(s) but only %(m)s person(s) can give it (approvers: %(who)s; "
                "you cannot approve your own request). Ask an administrator to add approvers "
                "or a fallback approver to the tier.",
                doc=record.display_name, tier=tier.name, rule=tier.rule_id.name,
                n=max(needed, 1), m=len(lines), who=", ".join(filter(None, who)) or "-"))
        if len(lines) < needed or not lines:
            # too few regular approvers for the quorum: the fallback can decide from the start
            company = _company_of(record, self.env)
            fallback = fallback.filtered(lambda u: u.active and company in u.company_ids)
            for owner, target in self._route(fallback):
                if target == self.requester or target.id in seen or target in self.exclude:
                    continue
                seen.add(target.id)
                lines.append({"tier_id": tier.id, "step": tier.step, "user_id": target.id,
                              "original_user_id": owner.id if owner != target else False,
                              "is_fallback": True, "state": state, "deadline": deadline})
            if not any(line.get("is_fallback") for line in lines) and len(lines) < needed:
                raise UserError(self.env._(
                    "%(doc)s cannot be sent for approval: nobody but you can approve tier "
                    "'%(tier)s' of rule '%(rule)s'.",
                    doc=record.display_name, tier=tier.name, rule=tier.rule_id.name))
        return lines


def _tier_complete(tier, lines):
    approved = lines.filtered(lambda l: l.state == "approved")
    approvers = approved.user_id  # people, not lines: one person is one vote
    if approved.filtered("is_fallback"):
        return True
    regular = lines.filtered(lambda l: not l.is_fallback)
    if not regular:
        return False
    if lines.filtered(lambda l: l.is_required and l.state != "approved"):
        return False
    return len(approvers) >= (tier.quorum or len(regular.user_id))


def _company_of(record, env):
    company = record["company_id"] if "company_id" in record._fields else False
    return company or env.company


def _hours(start, end):
    return round((end - start).total_seconds() / 3600.0, 2) if start and end else 0.0


def _overdue_exception(env, request, tier, fallback):
    return {
        "name": env._("Approval of %(doc)s is overdue at tier %(tier)s", doc=request.res_name,
                      tier=tier.name),
        "key": f"approval-overdue:{request.id}:{tier.id}:{'fallback' if fallback else 'tier'}",
        "kind": "approval_overdue",
        "source": "ps_base.ir_cron_escalate_approvals",
        "res_model": request.res_model, "res_id": request.res_id, "res_name": request.res_name,
        "severity": "critical" if fallback else "warning",
        "company_id": request.company_id.id,
        "details": (env._("The fallback approvers did not decide in time either.") if fallback
                    else env._("No fallback approver is configured on the tier nor in Settings.")),
    }
