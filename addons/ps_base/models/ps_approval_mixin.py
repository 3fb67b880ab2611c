import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_datetime

APPROVAL_STATES = [("not_required", "Not Required"), ("pending", "Waiting for Approval"),
                   ("approved", "Approved"), ("rejected", "Rejected")]


class PsApprovalMixin(models.AbstractModel):
    """Inherit this mixin to make a model approvable by the rules of the approval engine.

    - ``_ps_approval_guard``: ``{field: values}``; writing one of these values (e.g.
      ``{"state": ("sale",)}``) is refused with a UserError naming who must approve, as
      long as a rule applies to the record and has not approved it;
    - ``action_ps_request_approval`` starts the approval of the records (batch);
    - ``_ps_on_approved`` / ``_ps_on_rejected`` are the hooks called on a decision;
    - when a field watched by a rule changes after the request, the approval is reset and
      requested again (``_ps_check_watched_values``; bridges call it after changes made
      through other models, e.g. order lines).
    """

    _name = "ps.approval.mixin"
    _description = "Approvable Document"
    _ps_approvable = True
    _ps_approval_guard = {}

    ps_approval_state = fields.Selection(
        APPROVAL_STATES, "Approval", default="not_required", required=True, copy=False,
        readonly=True)
    ps_approval_request_ids = fields.One2many(
        "ps.approval.request", "res_id", "Approval Requests", readonly=True, copy=False,
        domain=lambda self: [("res_model", "=", self._name)],
        context={"active_test": False})
    ps_approval_line_ids = fields.One2many(
        "ps.approval.line", "res_id", "Approvals", readonly=True, copy=False,
        domain=lambda self: [("res_model", "=", self._name)])
    ps_approval_next_user_ids = fields.Many2many(
        "res.users", string="Waiting For", compute="_compute_ps_approval_next")
    ps_approval_deadline = fields.Datetime("Approval Due", compute="_compute_ps_approval_next")
    ps_approval_can_review = fields.Boolean(
        "Can Review", compute="_compute_ps_approval_can_review",
        search="_search_ps_approval_can_review")
    ps_approval_user_ids = fields.Many2many(
        "res.users", string="Approvers", compute="_compute_ps_approval_next",
        search="_search_ps_approval_user_ids")

    # ------------------------------------------------------------------
    def _ps_pending_lines(self):
        return self.env["ps.approval.line"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", self.ids), ("state", "=", "pending")])

    def _compute_ps_approval_next(self):
        lines = self.env["ps.approval.line"].sudo().search_fetch(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("state", "in", ("pending", "waiting", "approved", "rejected"))],
            ["res_id", "user_id", "deadline", "state"])
        by_record = defaultdict(lambda: self.env["ps.approval.line"])
        for line in lines:
            by_record[line.res_id] |= line
        for record in self:
            record_lines = by_record[record.id]
            pending = record_lines.filtered(lambda l: l.state == "pending")
            record.ps_approval_next_user_ids = pending.user_id
            record.ps_approval_deadline = min(pending.mapped("deadline"), default=False) \
                if pending else False
            record.ps_approval_user_ids = record_lines.user_id

    def _compute_ps_approval_can_review(self):
        reviewable = set(self.env["ps.approval.line"].sudo().search_fetch(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("state", "=", "pending"), ("user_id", "=", self.env.uid)], ["res_id"],
        ).mapped("res_id"))
        for record in self:
            record.ps_approval_can_review = record.id in reviewable

    def _search_ps_approval_can_review(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Can Review' with = True or = False."))
        subquery = SQL(
            "(SELECT res_id FROM ps_approval_line WHERE state = 'pending' AND user_id = %s "
            "AND res_model = %s)", self.env.uid, self._name)
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", subquery)]

    def _search_ps_approval_user_ids(self, operator, value):
        if operator not in ("in", "="):
            raise UserError(self.env._("Search approvers with 'is in' or '='."))
        user_ids = [value] if isinstance(value, int) else list(value)
        subquery = SQL(
            "(SELECT res_id FROM ps_approval_line WHERE res_model = %s AND user_id IN %s)",
            self._name, tuple(user_ids) or (0,))
        return [("id", "in", subquery)]

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ps_check_engine_fields(vals)
        records = super().create(vals_list)
        # a record born in a guarded state (e.g. a quote created confirmed) needs the
        # approval as much as one moved there
        guarded = records.browse([
            record.id for record, vals in zip(records, vals_list, strict=True)
            if any(fname in vals and vals[fname] in values
                   for fname, values in self._ps_approval_guard.items())])
        if guarded:
            guarded._ps_raise_if_not_approved()
        return records

    def write(self, vals):
        if self._ps_internal_write():
            return super().write(vals)
        self._ps_check_engine_fields(vals)
        self._ps_check_guard(vals)
        watched = self._ps_has_watched_fields()
        candidates = self.filtered(
            lambda r: r.ps_approval_state in ("pending", "approved")) if watched else self
        result = super().write(vals)
        if watched and candidates:
            candidates._ps_check_watched_values()
        return result

    def unlink(self):
        requests = self.env["ps.approval.request"].sudo().with_context(active_test=False).search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)])
        requests._cancel(self.env._("the document was deleted"))
        return super().unlink()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_ps_request_approval(self):
        requests = self.env["ps.approval.request"]._request_for(self)
        needing = self.filtered(lambda r: r.ps_approval_state == "pending")
        if requests:
            approvers = self.env["ps.approval.line"].sudo().search_fetch(
                [("request_id", "in", requests.ids), ("state", "=", "pending")], ["user_id"],
                limit=50).user_id
            message = self.env._("Approval requested from %s.",
                                 ", ".join(approvers.mapped("name")))
            kind = "success"
        elif needing:
            message = self.env._("Approval is already under way.")
            kind = "info"
        else:
            message = self.env._("No approval needed: no rule applies, or it is approved.")
            kind = "info"
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": message, "type": kind, "sticky": False,
                           "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def action_ps_approve(self):
        lines = self._ps_pending_lines().filtered(lambda l: l.user_id == self.env.user)
        if not lines:
            raise UserError(self.env._("Nothing waits for your approval on %s.",
                                       ", ".join(self.mapped("display_name"))))
        lines.with_env(self.env).action_approve()
        return True

    def action_ps_reject(self):
        lines = self._ps_pending_lines().filtered(lambda l: l.user_id == self.env.user)
        if not lines:
            raise UserError(self.env._("Nothing waits for your decision on %s.",
                                       ", ".join(self.mapped("display_name"))))
        return lines.with_env(self.env).with_context(ps_decision="reject") \
            .action_open_decision_wizard()

    def action_ps_view_approvals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_base.ps_approval_request_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {"active_test": False}
        return action

    # ------------------------------------------------------------------
    # Engine plumbing
    # ------------------------------------------------------------------
    def _ps_sync_approval_state(self):
        """Store on each record the state of its active requests, in one read and one
        write per resulting state."""
        if not self:
            return
        groups = self.env["ps.approval.request"].sudo()._read_group(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)],
            ["res_id", "state"], ["__count"])
        states = defaultdict(set)
        for res_id, state, _count in groups:
            states[res_id].add(state)
        by_state = defaultdict(list)
        for record in self:
            found = states[record.id]
            state = ("rejected" if "rejected" in found else "pending" if "pending" in found
                     else "approved" if "approved" in found else "not_required")
            if record.ps_approval_state != state:
                by_state[state].append(record.id)
        for state, ids in by_state.items():
            # sudo: the engine keeps this technical state whoever triggers it
            self.browse(ids).sudo().with_context(ps_approval_internal=True).write(
                {"ps_approval_state": state})

    def _ps_internal_write(self):
        """Writes of the engine itself: superuser code that says so. A client can put any
        key in its context, so the key alone counts for nothing."""
        return self.env.su and self.env.context.get("ps_approval_internal")

    def _ps_engine_fields(self):
        """Fields only the engine writes (readonly in views is no protection over RPC)."""
        return {"ps_approval_state"}

    def _ps_check_engine_fields(self, vals):
        if self._ps_internal_write():
            return
        touched = self._ps_engine_fields() & vals.keys()
        if touched:
            raise UserError(self.env._(
                "%s is kept by the approval engine and cannot be written directly.",
                ", ".join(self._fields[f].string for f in sorted(touched))))

    def _ps_approval_requesters(self):
        """Who requests the approval of each record: the current user by default; a model
        with a requester field of its own overrides this. Returns {record id: user}."""
        return dict.fromkeys(self.ids, self.env.user)

    def _ps_has_watched_fields(self):
        watched = self.env["ps.approval.rule"]._watched_fields_for(self._name)
        return any(watched.values())

    def _ps_reapproval_scope(self):
        """The records of ``self`` whose approval still governs what happens next. Once a
        document is past its guarded step (a confirmed order, a posted entry), later
        changes go through their own process, not through re-approval. All by default."""
        return self

    def _ps_check_watched_values(self):
        """Reset and re-request approvals whose watched values changed since they were
        requested. Compares with the snapshot kept on the request: no extra read of the
        record beyond its current values."""
        records = self._ps_reapproval_scope()
        if not records:
            return
        requests = self.env["ps.approval.request"].sudo().search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids),
             ("state", "in", ("pending", "approved"))])
        if not requests:
            return
        changed = defaultdict(list)  # request -> descriptions
        for request in requests:
            record = records.browse(request.res_id)
            before = json.loads(request.watched_values or "{}")
            now = json.loads(json.dumps(request.rule_id._watched_values(record), default=str))
            # a field watched since the request has no snapshot: it cannot have "changed"
            diffs = [name for name in now if name in before and before[name] != now[name]]
            if diffs:
                changed[request] = [
                    self.env._("%(field)s changed from %(old)s to %(new)s",
                               field=record._fields[name].string, old=before.get(name),
                               new=now[name]) for name in diffs]
        if not changed:
            return
        to_reset = self.env["ps.approval.request"].sudo()
        for request, diffs in changed.items():
            request._cancel("; ".join(diffs))
            to_reset |= request
        records = records.browse({r.res_id for r in to_reset})
        # requested again by whoever changed the values: they cannot approve it themselves
        self.env["ps.approval.request"]._request_for(records, rules=to_reset.rule_id)
        records._ps_sync_approval_state()

    def _ps_check_guard(self, vals):
        hits = [fname for fname, values in self._ps_approval_guard.items()
                if fname in vals and vals[fname] in values]
        if hits:
            self._ps_raise_if_not_approved()

    def _ps_approval_missing(self):
        """Records of ``self`` that a rule applies to without an approved active request,
        mapped to the rules missing."""
        Rule = self.env["ps.approval.rule"].sudo()
        rules = Rule.browse(Rule._rule_ids_for(self._name))
        if not rules or not self:
            return {}
        approved = set()
        in_scope = set(self._ps_reapproval_scope().ids)
        for req in self.env["ps.approval.request"].sudo().search_fetch(
                [("res_model", "=", self._name), ("res_id", "in", self.ids),
                 ("state", "=", "approved")], ["rule_id", "res_id", "watched_values"]):
            if req.res_id not in in_scope:
                approved.add((req.rule_id.id, req.res_id))
                continue
            # an approval given for other values than the record has now does not count
            before = json.loads(req.watched_values or "{}")
            now = json.loads(json.dumps(
                req.rule_id._watched_values(self.browse(req.res_id)), default=str))
            if all(before[name] == now[name] for name in now if name in before):
                approved.add((req.rule_id.id, req.res_id))
        missing = defaultdict(lambda: Rule)
        for rule in rules:
            for record in rule._filter_records(self):
                if (rule.id, record.id) not in approved:
                    missing[record.id] |= rule
        return missing

    def _ps_raise_if_not_approved(self):
        missing = self._ps_approval_missing()
        if not missing:
            return
        record = self.browse(next(iter(missing)))
        rules = missing[record.id]
        pending = record._ps_pending_lines().filtered(lambda l: l.rule_id in rules)
        if pending:
            waits = ", ".join(
                self.env._("%(who)s (%(tier)s, due %(due)s)", who=line.user_id.name,
                           tier=line.tier_id.name,
                           due=format_datetime(self.env, line.deadline) if line.deadline else "-")
                for line in pending)
            message = self.env._("%(doc)s is waiting for approval: %(who)s.",
                                 doc=record.display_name, who=waits)
        else:
            rejected = self.env["ps.approval.request"].sudo().search(
                [("res_model", "=", self._name), ("res_id", "=", record.id),
                 ("state", "=", "rejected"), ("rule_id", "in", rules.ids)], limit=1)
            if rejected:
                decider = rejected.line_ids.filtered(lambda l: l.state == "rejected")[:1]
                message = self.env._(
                    "%(doc)s was rejected by %(who)s: %(reason)s. Fix it and request approval "
                    "again.", doc=record.display_name, who=decider.user_id.name,
                    reason=rejected.reject_reason)
            else:
                message = self.env._(
                    "%(doc)s needs approval first (%(rules)s): request approval, then try again.",
                    doc=record.display_name, rules=", ".join(rules.mapped("name")))
        raise UserError(message)

    def _ps_on_approved(self):
        """Hook: the records' approval is complete."""
        if hasattr(self, "message_post"):
            for record in self:
                record.message_post(body=self.env._("Approval complete."),
                                    subtype_xmlid="mail.mt_note")
        return True

    def _ps_on_rejected(self, reason):
        """Hook: a request on the records was rejected."""
        if hasattr(self, "message_post"):
            for record in self:
                record.message_post(body=self.env._("Approval rejected: %s", reason),
                                    subtype_xmlid="mail.mt_note")
        return True
