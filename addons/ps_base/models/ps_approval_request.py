import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .approver_resolver import ApproverResolver, company_of, hours_between, tier_complete
from .bulk import bulk_insert

REQUEST_STATES = [("pending", "Waiting"), ("approved", "Approved"), ("rejected", "Rejected"),
                  ("cancelled", "Cancelled")]
BATCH = 1000
DOCUMENT_FIELDS = ["ps_approval_next_user_ids", "ps_approval_deadline", "ps_approval_can_review",
                   "ps_approval_user_ids", "ps_approval_line_ids", "ps_approval_required"]


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
    drafter_id = fields.Many2one(
        "res.users", "Drafted By", readonly=True,
        help="Who created the document; like the requester, they cannot approve it")
    editor_id = fields.Many2one(
        "res.users", "Values Changed By", readonly=True,
        help="Who last changed the values this approval is for; like the requester, they "
             "cannot approve it")
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

        Records with an active pending or approved request for a rule get no new one
        (idempotent). The first step's approvers are resolved now, the later steps when
        they open. Where too few people can decide, the request is made all the same and
        the document waits: an exception tells the administrators, whose *Retry* routes
        it once approvers are added. Returns the new requests.
        """
        if len(records) > BATCH:
            # a thousand documents at a time, each with its own prefetch set: the ORM's
            # per-record access stays constant however many documents are sent at once
            requests = self.browse()
            for start in range(0, len(records), BATCH):
                requests |= self._request_for(
                    records.browse(records.ids[start:start + BATCH]), rules=rules)
            return requests
        records = records.sudo()
        matches = self.env["ps.approval.rule"]._matching(records, rules)
        plans = self._plan_requests(records, matches)
        if not plans:
            records._ps_sync_approval_state()
            return self.browse()
        requests, _lines = self._insert_requests(plans)
        records.invalidate_model(DOCUMENT_FIELDS + ["ps_approval_request_ids"])
        records._ps_sync_approval_state()
        requests._log("approval", "approval.requested", self.env._("Approval requested"))
        requests._raise_unresolvable([plan["unresolved"] for plan in plans])
        return requests.with_env(self.env)

    def _plan_requests(self, records, matches):
        """Values of the requests to create and of their first approvers, for the
        (rule, records) pairs of ``matches`` without an active cycle."""
        matched = records.browse({rid for recs in matches.values() for rid in recs.ids})
        if not matched:
            return []
        # active cycles: pending/approved ones are kept, finished ones are archived
        existing = self.sudo().search([("res_model", "=", records._name),
                                       ("res_id", "in", matched.ids)])
        keep = {(req.rule_id.id, req.res_id) for req in existing
                if req.state in ("pending", "approved")}
        existing.filtered(lambda r: r.state in ("rejected", "cancelled")).write(
            {"active": False})
        requesters = matched._ps_approval_requesters()
        authors = matched._ps_approval_authors()
        # whoever starts the cycle cannot approve it either, whatever requester a record
        # names (a requester field is only as trustworthy as whoever can edit it)
        initiator = self.env.user if not self.env.su else self.env["res.users"]
        resolvers, plans = {}, []
        now = fields.Datetime.now()
        for rule, recs in matches.items():
            first_step = min(rule.tier_ids.mapped("step"))
            first_tiers = rule.tier_ids.filtered(lambda t, s=first_step: t.step == s)
            for record in recs.filtered(lambda rec, r=rule: (r.id, rec.id) not in keep):
                requester = requesters[record.id]
                drafter, editor = authors[record.id]
                key = (requester, drafter, editor)
                if key not in resolvers:
                    resolvers[key] = ApproverResolver(
                        self.env, requester, exclude=initiator | drafter | editor)
                lines, unresolved = [], []
                for tier in first_tiers:
                    tier_lines, enough = resolvers[key].tier_lines(tier, record, first_step, now)
                    lines += tier_lines
                    if not enough:
                        unresolved.append((tier, resolvers[key].describe(tier)))
                plans.append({"lines": lines, "unresolved": unresolved, "vals": {
                    "rule_id": rule.id, "res_model": record._name, "res_id": record.id,
                    "res_name": record.display_name, "requester_id": requester.id,
                    "initiator_id": initiator.id or False, "drafter_id": drafter.id or False,
                    "editor_id": editor.id or False,
                    "company_id": company_of(record, self.env).id, "current_step": first_step,
                    "requested_at": now, "state": "pending", "active": True,
                    "watched_values": json.dumps(rule._watched_values(record), default=str),
                    **record._prepare_request_vals(rule),
                }})
        return plans

    def _insert_requests(self, plans):
        # bulk insert (see bulk.py): the requester starts the cycle but has no right to
        # write approval records, and the ORM's create would cost more than the budget
        request_ids = bulk_insert(self.env, "ps.approval.request",
                                  [plan["vals"] for plan in plans])
        line_vals = []
        for request_id, plan in zip(request_ids, plans, strict=True):
            vals = plan["vals"]
            for line in plan["lines"]:
                line.update(request_id=request_id, res_model=vals["res_model"],
                            res_id=vals["res_id"], requester_id=vals["requester_id"],
                            company_id=vals["company_id"], escalated=False)
                line.setdefault("is_fallback", False)
                line.setdefault("is_required", False)
                line_vals.append(line)
        records = self.env[plans[0]["vals"]["res_model"]]
        line_vals = [{**vals, **records._prepare_line_vals(vals)} for vals in line_vals]
        line_ids = bulk_insert(self.env, "ps.approval.line", line_vals)
        self.env["ps.approval.request"].invalidate_model(["line_ids"])
        return (self.sudo().browse(request_ids),
                self.env["ps.approval.line"].sudo().browse(line_ids))

    def _raise_unresolvable(self, unresolved_per_request):
        """An exception for the administrators per request and step too few people can
        decide; the document waits until *Retry* routes it."""
        vals_list = []
        for request, unresolved in zip(self, unresolved_per_request, strict=True):
            if not unresolved:
                continue
            tiers = "; ".join(
                self.env._("tier '%(tier)s' (approvers: %(who)s)", tier=tier.name, who=who)
                for tier, who in unresolved)
            vals_list.append({
                "name": self.env._("Nobody can approve %(doc)s at step %(step)s",
                                   doc=request.res_name, step=request.current_step),
                "key": f"approval-unresolvable:{request.id}:{request.current_step}",
                "kind": "approval_unresolvable", "source": "ps_base approval engine",
                "res_model": request.res_model, "res_id": request.res_id,
                "res_name": request.res_name, "severity": "critical",
                "company_id": request.company_id.id,
                "owner_id": False,
                "details": self.env._(
                    "Rule '%(rule)s': %(tiers)s. Too few people other than the requester, "
                    "whoever started the approval, drafted or last changed the document can "
                    "decide. Add approvers or a fallback approver to the tier (or a default "
                    "escalation group in Settings), then press Retry on the approval request.",
                    rule=request.rule_id.name, tiers=tiers),
            })
        if vals_list:
            self.env["ps.exception"]._raise_exceptions(vals_list)

    # ------------------------------------------------------------------
    # Progress
    # ------------------------------------------------------------------
    def _advance(self):
        """Re-evaluate the current step of each request after decisions: close finished
        tiers, open the next step, or approve the request."""
        now = fields.Datetime.now()
        approved = self.browse()
        to_skip = self.env["ps.approval.line"]
        for request in self.filtered(lambda r: r.state == "pending"):
            while True:
                step = request.current_step
                step_lines = request.line_ids.filtered(lambda l, s=step: l.step == s)
                # the rule's tiers, not the lines': a tier nobody could be found for
                # keeps its step open
                tiers = request.rule_id.tier_ids.filtered(lambda t, s=step: t.step == s)
                done = True
                for tier in tiers:
                    tier_lines = step_lines.filtered(lambda l, t=tier: l.tier_id == t)
                    if tier_complete(tier, tier_lines):
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
                request._open_step(later.filtered(lambda t, s=next_step: t.step == s), now)
                break
        to_skip.write({"state": "skipped"})
        for request in approved:
            request.write({"state": "approved", "decided_at": now,
                           "duration_hours": hours_between(request.requested_at, now)})
        if approved:
            approved._log("approval", "approval.approved", self.env._("Approval granted"))
        self._records_by_model(lambda recs: recs._ps_sync_approval_state())
        if approved:
            approved._records_by_model(lambda recs: recs._ps_on_approved())
        return approved

    def _resolver(self, exclude=None):
        self.ensure_one()
        return ApproverResolver(
            self.env, self.requester_id,
            exclude=(exclude or self.env["res.users"]) | self.initiator_id | self.drafter_id
            | self.editor_id)

    def _open_step(self, tiers, now):
        """Create the approvers of ``tiers`` (the step that opens now, or the current one
        on retry). People who approved an earlier step of this request are left out: one
        person never fills two tiers. Where too few people can decide, the lines that can
        be made are, and an exception asks the administrators for approvers."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            return self.env["ps.approval.line"]
        active = self.line_ids.filtered(lambda l: l.state not in ("cancelled", "skipped"))
        resolver = self._resolver(
            exclude=active.filtered(lambda l: l.state == "approved" and l.tier_id not in tiers)
            .user_id)
        vals_list, unresolved = [], []
        for tier in tiers:
            taken = tuple(active.filtered(lambda l, t=tier: l.tier_id == t).user_id.ids)
            if tier_complete(tier, active.filtered(lambda l, t=tier: l.tier_id == t)):
                continue
            lines, enough = resolver.tier_lines(tier, record, tiers[0].step, now, taken=taken)
            vals_list += lines
            if not enough:
                unresolved.append((tier, resolver.describe(tier)))
        for vals in vals_list:
            vals.update(request_id=self.id, res_model=self.res_model, res_id=self.res_id,
                        requester_id=self.requester_id.id, company_id=self.company_id.id,
                        **record._prepare_line_vals(vals))
        self._raise_unresolvable([unresolved])
        return self.env["ps.approval.line"].sudo().create(vals_list)

    def action_retry_step(self):
        """Route the current step again after approvers were added."""
        if not self.env.user.has_group("ps_base.group_ps_manager"):
            raise AccessError(self.env._("Only administrators can retry an approval step."))
        now = fields.Datetime.now()
        for request in self.sudo().filtered(lambda r: r.state == "pending"):
            tiers = request.rule_id.tier_ids.filtered(
                lambda t, r=request: t.step == r.current_step)
            request._open_step(tiers, now)
            request._advance()
            if request.state != "pending" or request.line_ids.filtered(
                    lambda l: l.state == "pending"):
                # routed: the exception that asked for approvers is settled
                self.env["ps.exception"].sudo().search([
                    ("key", "like", f"approval-unresolvable:{request.id}:"),
                    ("state", "in", ("new", "in_progress"))]).write({
                        "state": "resolved", "resolved_by_id": self.env.uid,
                        "resolved_date": now,
                        "resolution": self.env._("Routed to approvers after a retry")})
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
        # the documents' approval state follows: its one writer is the engine's sync
        requests._records_by_model(lambda recs: recs._ps_sync_approval_state())

    def _changed_values(self, record):
        """What changed on ``record`` since this approval was requested, among the values
        it was given for: a description per changed field."""
        self.ensure_one()
        before = json.loads(self.watched_values or "{}")
        now = json.loads(json.dumps(self.rule_id._watched_values(record), default=str))
        # a field watched since the request has no snapshot: it cannot have "changed"
        return [self.env._("%(field)s changed from %(old)s to %(new)s",
                           field=record._fields[name].string, old=before[name], new=now[name])
                for name in now if name in before and before[name] != now[name]]

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
