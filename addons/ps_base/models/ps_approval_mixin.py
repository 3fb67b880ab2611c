from collections import defaultdict
from contextvars import ContextVar

from lxml import etree
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError
from odoo.tools import SQL, format_datetime

APPROVAL_STATES = [("not_required", "Not Required"), ("pending", "Waiting for Approval"),
                   ("approved", "Approved"), ("rejected", "Rejected")]
# the engine's own fields on every approvable document: written by the engine only
ENGINE_FIELDS = ("ps_approval_state", "ps_approval_deferred_user_id",
                 "ps_approval_deferred_action", "ps_approval_editor_id")
# line states that give an approver read access to the document: all but cancelled
LIVE_LINE_STATES = ("pending", "waiting", "approved", "rejected", "skipped")
# (model, id) of the documents whose gate has just decided, on facts recomputed from
# their sources, that nothing is missing: while the gated action they passed runs, its own
# state write does not decide again. Held by the running gate only, for the time of its
# call, in the server's memory: no client can set it (a context key could be forged).
_GATE_PASSED = ContextVar("ps_approval_gate_passed", default=frozenset())


def followed_to_sources(field):
    """Whether the engine follows ``field`` to what it is computed from: computed and
    not editable (not stored, or stored read-only); an editable computed field is a
    source itself."""
    return bool(field.compute) and (not field.store or field.readonly)


class PsApprovalMixin(models.AbstractModel):
    """Inherit this mixin to make a model approvable by the rules of the approval engine,
    by declaration:

    - ``_ps_state_field``: the document's own state field, e.g. ``"state"``;
    - ``_ps_gated_actions``: ``{method: state it leads to}``, e.g.
      ``{"action_confirm": "sale"}``. The method starts the approval where a rule applies
      and no approval is given; clicking it counts as the decision of an approver who may
      decide; it completes by itself, in the name of whoever asked, on the last
      approval. Writing the state it leads to is refused without the approval, whatever
      the door (another method, RPC, import);
    - ``_ps_requester_field``: path to the user who asks for the approval (they never
      approve it), e.g. ``"user_id"``; the current user when unset;
    - ``_ps_state_on_approved`` / ``_ps_state_on_rejected``: states the document takes
      when its approval completes / is rejected (for documents whose approval is a step
      of their own life, like an internal request);
    - ``_ps_fact_fields``: stored computed fields the firm's policies read on top of
      those the rules name; like those, nobody writes them, and the engine recomputes
      them from their sources whenever it decides;
    - ``_ps_watched_fields``: fields an approval is always bound to: when they change,
      the approval is reset and asked again.

    The approval buttons, the status and the Approvals page are added to the document's
    form view (``_get_view``); hooks: ``_ps_on_approved``, ``_ps_on_rejected``,
    ``_prepare_request_vals``, ``_prepare_line_vals``, ``_ps_before_gate``.
    """

    _name = "ps.approval.mixin"
    _description = "Approvable Document"
    _ps_approvable = True
    _ps_state_field = None
    _ps_gated_actions = {}
    _ps_requester_field = None
    _ps_state_on_approved = None
    _ps_state_on_rejected = None
    _ps_fact_fields = ()
    _ps_watched_fields = ()
    _ps_approval_guard = None  # derived from the declarations when None
    # form: an extra condition hiding the injected Approve button, e.g. where the
    # document's own button already decides ("can_approve")
    _ps_form_approve_invisible = None

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
    ps_approval_required = fields.Boolean(
        "Needs Approval", compute="_compute_ps_approval_required",
        help="A policy applies to this document and has not approved it yet")
    ps_approval_deferred_user_id = fields.Many2one(
        "res.users", "Completes on Approval For", copy=False, readonly=True,
        help="This person asked for the action that waits for the approval; it runs in "
             "their name as soon as the last approver decides.")
    ps_approval_deferred_action = fields.Char(
        "Action Waiting for Approval", copy=False, readonly=True)
    ps_approval_editor_id = fields.Many2one(
        "res.users", "Approved Values Changed By", copy=False, readonly=True,
        help="Who last changed the values an approval is given for; they never approve it")

    # ------------------------------------------------------------------
    # Declarations
    # ------------------------------------------------------------------
    @classmethod
    def _ps_guard(cls):
        """``{field: states}`` whose writing needs the approval."""
        if cls._ps_approval_guard is not None:
            return cls._ps_approval_guard
        states = set(cls._ps_gated_actions.values())
        if cls._ps_state_on_approved:
            states.add(cls._ps_state_on_approved)
        return {cls._ps_state_field: tuple(states)} if cls._ps_state_field and states else {}

    def _register_hook(self):
        """Route the declared actions of each approvable model through the gate, as
        base_automation patches the methods its rules watch."""
        result = super()._register_hook()
        cls = type(self)
        if self._abstract or not self._ps_gated_actions \
                or cls.__dict__.get("_ps_gates_installed"):
            return result
        for name in self._ps_gated_actions:
            origin = getattr(cls, name)

            def gated(record, *args, __origin=origin, __name=name, **kwargs):
                return record._ps_run_gated(__name, __origin, args, kwargs)

            gated.origin = origin
            setattr(cls, name, gated)
        cls._ps_gates_installed = True
        return result

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    def _ps_pending_lines(self):
        return self.env["ps.approval.line"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", self.ids), ("state", "=", "pending")])

    def _compute_ps_approval_next(self):
        lines = self.env["ps.approval.line"].sudo().search_fetch(
            [("res_model", "=", self._name), ("res_id", "in", self.ids),
             ("state", "in", LIVE_LINE_STATES)],
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
        """Documents on which these users have a live approval: the approver's read rule
        (``_ps_approver_rule_domain``). Cancelled approvals give nothing."""
        if operator not in ("in", "="):
            raise UserError(self.env._("Search approvers with 'is in' or '='."))
        user_ids = [value] if isinstance(value, int) else list(value)
        subquery = SQL(
            "(SELECT res_id FROM ps_approval_line WHERE res_model = %s AND user_id IN %s "
            "AND state IN %s)", self._name, tuple(user_ids) or (0,), LIVE_LINE_STATES)
        return [("id", "in", subquery)]

    def _compute_ps_approval_required(self):
        # shown on the form: read on the facts as stored, without recomputing (and writing)
        # them in what may be a read-only transaction; every decision recomputes them
        saved = self.filtered(lambda r: isinstance(r.id, int))
        missing = saved._ps_approval_missing(refresh=False) if saved else {}
        for record in self:
            record.ps_approval_required = record.id in missing

    @api.model
    def _ps_approver_rule_domain(self):
        """Domain of a record rule letting approvers read the documents routed to them:
        ``[('ps_approval_user_ids', 'in', [user.id])]`` in a rule's ``domain_force``."""
        return "[('ps_approval_user_ids', 'in', [user.id])]"

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self._ps_internal_write():
            for vals in vals_list:
                self._ps_check_engine_fields(vals, creating=True)
        records = super().create(vals_list)
        # a record born in a guarded state (e.g. a quote created confirmed) needs the
        # approval as much as one moved there
        guard = self._ps_guard()
        guarded = records.browse([
            record.id for record, vals in zip(records, vals_list, strict=True)
            if any(fname in vals and vals[fname] in values for fname, values in guard.items())])
        if guarded and not self._ps_internal_write() and not self._ps_loading_data():
            guarded._ps_raise_if_not_approved()
        return records

    def write(self, vals):
        if self._ps_internal_write() or self._ps_loading_data():
            return super().write(vals)
        self._ps_check_engine_fields(vals)
        self._ps_check_fact_fields(vals)
        guard_hit = self._ps_guard_hit(vals)
        # lines written through the document (x2many commands) may carry forged values of
        # what the facts are computed from: then everything is decided again after the write
        nested = any(self._fields[f].type in ("one2many", "many2many")
                     for f in vals if f in self._fields)
        # the documents whose gated action is running were just decided on recomputed facts
        to_check = self if nested else self._ps_gate_pending()
        if guard_hit and to_check:
            to_check._ps_raise_if_not_approved()  # as the document is, then as it will be
        watched = self._ps_watched_names()
        # the approval is judged on the state *before* this write: moving past the gate
        # in the same call as changing the approved values must not escape re-approval
        in_scope = self._ps_reapproval_scope()
        # lines edited through the document count as changing its values
        if not self.env.su and (watched & vals.keys() or any(
                self._fields[f].type == "one2many" for f in vals if f in self._fields)):
            self._ps_mark_edited()
        result = super().write(vals)
        if watched and in_scope and (nested or self._ps_may_change(vals, watched)):
            in_scope._ps_check_watched_values(scope=in_scope)
        if guard_hit and to_check:
            to_check._ps_raise_if_not_approved(scope=in_scope)
        return result

    def _ps_gate_pending(self):
        """The records of ``self`` the running gate has not just let through."""
        passed = _GATE_PASSED.get()
        if not passed:
            return self
        return self.browse([rid for rid in self.ids if (self._name, rid) not in passed])

    @api.model
    def _ps_may_change(self, vals, names):
        """Whether writing ``vals`` may change the values of fields ``names`` of the
        document: they are written, or computed (on this model) from a field written."""
        written = set(vals)
        if written & names:
            return True
        # {(model, watched fields): fields they are computed from}, per registry (databases
        # served by one process may have other modules, so other dependencies)
        cache = self.pool.__dict__.setdefault("_ps_watch_sources", {})
        key = (self._name, frozenset(names))
        sources = cache.get(key)
        if sources is None:
            sources, todo = set(), list(names)
            while todo:
                field = self._fields.get(todo.pop())
                if field is None or field.name in sources:
                    continue
                sources.add(field.name)
                for path in self.pool.field_depends.get(field, ()):
                    todo.append(path.split(".")[0])
            cache[key] = sources
        return bool(written & sources)

    def copy_data(self, default=None):
        # engine fields never travel with a copy (copy=False), nor through a default
        default = dict(default or {})
        for fname in ENGINE_FIELDS:
            default.pop(fname, None)
        return super().copy_data(default=default)

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
                                 ", ".join(approvers.mapped("name")) or "-")
            kind = "success"
        elif needing:
            message = self.env._("Approval is already under way.")
            kind = "info"
        else:
            message = self.env._("No approval needed: no rule applies, or it is approved.")
            kind = "info"
        return self._ps_notification(message, kind)

    def action_ps_approve(self):
        lines = self._ps_own_decidable_lines()
        if not lines:
            raise UserError(self.env._("Nothing waits for your approval on %s.",
                                       ", ".join(self.mapped("display_name"))))
        lines.action_approve()
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
    # The gate of a declared action
    # ------------------------------------------------------------------
    def _ps_run_gated(self, action, origin, args, kwargs):
        if not self or self._ps_internal_write():
            return origin(self, *args, **kwargs)
        # documents already past the gate (Odoo's bill-to-PO wizard confirms a confirmed
        # purchase again) run as in Odoo: their approval governed the way past it, and their
        # facts are not recomputed under Odoo's feet; writing a guarded state still decides
        past = self - self._ps_reapproval_scope()
        if past:
            result = origin(past, *args, **kwargs)
            if past == self:
                return result
            return (self - past)._ps_run_gated(action, origin, args, kwargs)
        ready, waiting = self._ps_gate(action)
        result = True
        if ready:
            token = _GATE_PASSED.set(_GATE_PASSED.get() | {(ready._name, rid) for rid in ready.ids})
            try:
                result = origin(ready, *args, **kwargs)
            finally:
                _GATE_PASSED.reset(token)
        if waiting:
            return waiting._ps_waiting_notification(action)
        return result

    def _ps_before_gate(self, action):  # pylint: disable=unused-argument
        """Hook: checks that must pass before an action is sent for approval (a quote
        without lines is refused, not approved), on the records a rule holds; the others
        run the action itself, which makes its own checks."""
        return True

    def _ps_gate(self, action):
        """Split ``self`` before its gated action into ``(ready, waiting)``.

        Where a rule applies without approval, the approval is requested (idempotent),
        the current user's own pending decision is recorded (clicking the action is
        approving), and the records still waiting remember who asked for which action,
        so that it completes when the approval does."""
        missing = self._ps_approval_missing()
        waiting = self.browse()
        if missing:
            blocked = self.browse(list(missing))
            blocked._ps_before_gate(action)
            self.env["ps.approval.request"]._request_for(blocked)
            own = blocked._ps_own_decidable_lines()
            if own:
                own.with_context(ps_approval_gate=True).action_approve()
            waiting = self.browse(list(blocked._ps_approval_missing()))
        # the action runs now for the others: an earlier request to run it is fulfilled
        (self - waiting).filtered("ps_approval_deferred_user_id")._ps_engine_write(
            {"ps_approval_deferred_user_id": False, "ps_approval_deferred_action": False})
        if waiting:
            if self.env.su or self.env.user.share:
                # a customer signing online, a payment, a technical call: the action
                # completes in the name of the document's requester
                requesters = waiting._ps_approval_requesters()
                for record in waiting:
                    record._ps_engine_write({"ps_approval_deferred_user_id":
                                             requesters[record.id].id,
                                             "ps_approval_deferred_action": action})
            else:
                waiting._ps_engine_write({"ps_approval_deferred_user_id": self.env.uid,
                                          "ps_approval_deferred_action": action})
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
        excluded = lines.request_id.filtered(
            lambda r: user in (r.requester_id | r.initiator_id | r.drafter_id | r.editor_id))
        picked = lines.browse()
        for request in lines.request_id - excluded - decided.request_id:
            request_lines = lines.filtered(lambda l, r=request: l.request_id == r)
            tier = request_lines[:1].tier_id
            picked |= request_lines.filtered(lambda l, t=tier: l.tier_id == t)
        return picked.with_env(self.env)

    def _ps_waiting_notification(self, action):
        """Client notification for records whose action waits for an approval."""
        lines = self._ps_pending_lines()
        who = ", ".join(sorted(set(lines.user_id.mapped("name")))) \
            or self.env._("the administrators (no approver could be found)")
        label = self._ps_action_label(action)
        message = self.env._(
            "%(action)s of %(docs)s waits for approval by %(who)s; it completes by itself "
            "when they approve.", action=label,
            docs=", ".join(self.mapped("display_name")), who=who)
        return self._ps_notification(message, "warning", title=self.env._("Sent for approval"))

    def _ps_action_label(self, action):
        """How the waiting action is named to the user; models may say it better."""
        return action.removeprefix("action_").replace("_", " ").capitalize()

    def _ps_notification(self, message, kind, title=None):
        params = {"message": message, "type": kind, "sticky": False,
                  "next": {"type": "ir.actions.client", "tag": "soft_reload"}}
        if title:
            params["title"] = title
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}

    # ------------------------------------------------------------------
    # Engine plumbing
    # ------------------------------------------------------------------
    def _ps_engine_write(self, vals):
        """The engine's own writes on the document (its technical fields, the states the
        declarations name): superuser code, whatever the rights of whoever triggers it."""
        if self:
            self.sudo().with_context(ps_approval_internal=True).write(vals)

    def _ps_sync_approval_state(self):
        """Store on each record the state of its active requests, in one read and one
        write per resulting state. The one writer of ``ps_approval_state``."""
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
            self.browse(ids)._ps_engine_write({"ps_approval_state": state})

    def _ps_internal_write(self):
        """Writes of the engine itself: superuser code that says so. A client can put any
        key in its context, so the key alone counts for nothing."""
        return self.env.su and self.env.context.get("ps_approval_internal")

    def _ps_loading_data(self):
        """Data files of modules being installed or updated (Odoo's own demo orders, an
        import shipped with a module): superuser code while the registry loads, before
        the gated actions are patched (_register_hook). Odoo's own flows, never held; no
        request of a user is served by a registry that is not ready."""
        return self.env.su and not self.pool.ready

    def _ps_check_engine_fields(self, vals, creating=False):
        if self._ps_internal_write():
            return
        touched = set(ENGINE_FIELDS) & vals.keys()
        if creating:
            # a delegating model (_inherits) or a default passes the default value along:
            # harmless, and dropped so that nothing else is written
            for fname in list(touched):
                default = "not_required" if fname == "ps_approval_state" else False
                if vals[fname] in (default, None):
                    vals.pop(fname)
                    touched.discard(fname)
        if touched:
            raise UserError(self.env._(
                "%s is kept by the approval engine and cannot be written directly.",
                ", ".join(self._fields[f].string for f in sorted(touched))))

    @api.model
    def _ps_declared_facts(self):
        """``_ps_fact_fields`` of every addon extending the model: two addons declaring
        facts on one model (e.g. on account.move) add up instead of overwriting."""
        return {name for cls in type(self).__mro__
                for name in cls.__dict__.get("_ps_fact_fields", ())}

    @api.model
    def _ps_fact_names(self):
        """Stored computed fields of this model that approval rules read (condition,
        amount, watched fields) or that the model declares: the facts of its policies."""
        names = self._ps_declared_facts()
        for paths in self.env["ps.approval.rule"]._fact_paths_for(self._name).values():
            names.update(path.split(".", 1)[0] for path in paths)
        return {name for name in names if name in self._fields
                and self._fields[name].compute and self._fields[name].store
                and self._fields[name].readonly}

    def _ps_check_fact_fields(self, vals):
        """Nobody writes the facts a policy reads: they are computed from their sources."""
        forged = self._ps_fact_names() & vals.keys()
        if forged and not self.env.su:
            raise UserError(self.env._(
                "%s is computed from the document and read by an approval policy: it cannot "
                "be written directly. Change the values it is computed from instead.",
                ", ".join(self._fields[f].string for f in sorted(forged))))

    def _ps_refresh_facts(self, paths):
        """Make the stored computed fields read through ``paths`` what their sources
        say, so that a decision never rests on a value someone wrote over RPC:
        - the facts a model declares (``_ps_fact_fields``: values read from other
          records, like the utilization an allocation leads to) are recomputed every time;
        - the others are what the ORM keeps up to date (nobody writes the facts rules
          read, ``_ps_check_fact_fields``), unless a value they are computed from was
          written by hand (a computed read-only field written over RPC, at creation or
          later: ps.fact.taint, recorded by this addon's ORM hooks): then everything read
          through ``paths`` is recomputed, and those records forgotten.
        Editable computed fields are sources: kept."""
        records = self.sudo().with_context(active_test=False)
        Taint = self.env["ps.fact.taint"].sudo()
        if records and Taint._any_for(self._name):
            todo, sources = self._ps_fact_todo(records, paths)
            if todo and Taint._take(todo):
                self._ps_recompute_facts(records.env, todo, sources)
                return
        read = {path.split(".", 1)[0] for path in paths}
        declared = [name for name in self._ps_declared_facts() & read
                    if name in self._fields and self._fields[name].compute
                    and self._fields[name].store]
        if declared and records:
            env = records.env
            for name in declared:
                env.add_to_compute(records._fields[name], records)
            records._recompute_recordset(declared)
            env.flush_all()

    @api.model
    def _ps_fact_todo(self, records, paths):
        """({(model, field): ids} of the stored computed read-only fields read through
        ``paths`` on ``records`` and what they are computed from; {model: (ids, stored
        fields read)})."""
        todo = defaultdict(set)
        sources = defaultdict(lambda: (set(), set()))  # model: (ids, stored fields read)

        def visit(records, path, depth):
            if not records or depth > 8:
                return
            name, _sep, rest = path.partition(".")
            field = records._fields.get(name)
            if field is None:
                return
            if field.store:
                ids, fnames = sources[records._name]
                ids.update(records.ids)
                fnames.add(name)
            if followed_to_sources(field):
                new = records
                if field.store:
                    new = records.browse(set(records.ids) - todo[(records._name, name)])
                    todo[(records._name, name)].update(new.ids)
                for dep in records.pool.field_depends[field]:
                    visit(new, dep, depth + 1)
            if rest and field.relational:
                visit(records.mapped(name), rest, depth + 1)

        for path in paths:
            visit(records, path, 0)
        return {key: ids for key, ids in todo.items() if ids}, sources

    @api.model
    def _ps_recompute_facts(self, env, todo, sources):
        """Recompute ``todo`` ({(model, field): ids}) after reading ``sources`` ({model:
        (ids, stored fields)}) in one go."""
        # one query per model for what still exists, one per model to read the stored
        # values the computes start from (not one per document as each compute fetches)
        by_model = defaultdict(set)
        for (model, _fname), ids in todo.items():
            by_model[model].update(ids)
        existing = {model: set(env[model].browse(ids).exists().ids)
                    for model, ids in by_model.items()}
        for model, (ids, fnames) in sources.items():
            recs = env[model].browse(ids & existing[model] if model in existing else ids)
            if recs and fnames:
                # with every field Odoo prefetches, as reading one of them would: the computes
                # that follow read other fields of the same records, document by document
                prefetched = [f for f in fnames if recs._fields[f].prefetch is True]
                if prefetched:
                    recs._fetch_field(recs._fields[prefetched[0]])
                recs.fetch(list(fnames))
        todo = {(model, fname): [rid for rid in ids if rid in existing[model]]
                for (model, fname), ids in todo.items()}
        for (model, fname), ids in todo.items():
            recs = env[model].browse(ids)
            env.add_to_compute(recs._fields[fname], recs)
        # reading a field marked to compute recomputes it, what it depends on first
        for (model, fname), ids in todo.items():
            env[model].browse(ids)._recompute_recordset([fname])
        env.flush_all()

    def _ps_mark_edited(self):
        """Remember who changed values an approval is bound to: they never approve it."""
        self.filtered(lambda r: r.ps_approval_editor_id.id != self.env.uid)._ps_engine_write(
            {"ps_approval_editor_id": self.env.uid})

    def _ps_approval_requesters(self):
        """Who requests the approval of each record: the user of ``_ps_requester_field``,
        else the current user. Returns {record id: user}."""
        if not self._ps_requester_field:
            return dict.fromkeys(self.ids, self.env.user)
        return {record.id: record.sudo().mapped(self._ps_requester_field)[:1] or self.env.user
                for record in self}

    def _ps_approval_authors(self):
        """{record id: (who drafted it, who last changed its approved values)}: like the
        requester, they never approve it. A document drafted by a technical user has no
        drafter."""
        root = self.env.ref("base.user_root").id
        result = {}
        for record in self.sudo():
            drafter = record.create_uid if record.create_uid.id not in (root, False) \
                else self.env["res.users"]
            drafter = drafter if not drafter.share else self.env["res.users"]
            result[record.id] = (drafter, record.ps_approval_editor_id)
        return result

    def _prepare_request_vals(self, rule):  # pylint: disable=unused-argument
        """Hook: extra values of the approval request of ``self`` under ``rule`` (fields
        an extending addon adds to ps.approval.request)."""
        return {}

    @api.model
    def _prepare_line_vals(self, vals):  # pylint: disable=unused-argument
        """Hook: extra values of an approver line (fields an extending addon adds to
        ps.approval.line), given its values."""
        return {}

    @api.model
    def _ps_watched_names(self):
        watched = self.env["ps.approval.rule"]._watched_fields_for(self._name)
        return set().union(*watched.values()) if watched else set()

    def _ps_reapproval_scope(self):
        """The records of ``self`` whose approval still governs what happens next: those
        not yet past a guarded state. Once a document is past it (a confirmed order, a
        posted entry), later changes go through their own process."""
        guard = self._ps_guard()
        if not guard:
            return self
        return self.filtered(lambda r: all(r[fname] not in values
                                           for fname, values in guard.items()))

    def _ps_check_watched_values(self, scope=None):
        """Reset and re-request approvals whose watched values changed since they were
        requested. Compares with the snapshot kept on the request."""
        records = self._ps_reapproval_scope() if scope is None else scope
        if not records:
            return
        requests = self.env["ps.approval.request"].sudo().search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids),
             ("state", "in", ("pending", "approved"))])
        if not requests:
            return
        records._ps_refresh_facts(self._ps_watched_names())
        changed = {}
        for request in requests:
            diffs = request._changed_values(records.browse(request.res_id))
            if diffs:
                changed[request] = diffs
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

    def _ps_guard_hit(self, vals):
        return any(fname in vals and vals[fname] in values
                   for fname, values in self._ps_guard().items())

    def _ps_approval_missing(self, scope=None, refresh=True):
        """Records of ``self`` that a rule applies to without an approved active request
        for the values they have now, mapped to the rules missing. ``scope``: the records
        whose approval is bound to their values (default: the re-approval scope).
        ``refresh=False`` (display only, never a decision) reads the facts as stored."""
        Rule = self.env["ps.approval.rule"].sudo()
        if not self or not Rule._rule_ids_for(self._name):
            return {}
        matches = Rule._matching(self, refresh=refresh)
        if not any(matches.values()):
            return {}
        in_scope = set((self._ps_reapproval_scope() if scope is None else scope).ids)
        approved = set()
        for req in self.env["ps.approval.request"].sudo().search_fetch(
                [("res_model", "=", self._name), ("res_id", "in", self.ids),
                 ("state", "=", "approved")], ["rule_id", "res_id", "watched_values"]):
            # an approval given for other values than the record has now does not count
            if req.res_id not in in_scope or not req._changed_values(self.browse(req.res_id)):
                approved.add((req.rule_id.id, req.res_id))
        missing = defaultdict(lambda: Rule)
        for rule, records in matches.items():
            for record in records:
                if (rule.id, record.id) not in approved:
                    missing[record.id] |= rule
        return missing

    def _ps_raise_if_not_approved(self, scope=None):
        missing = self._ps_approval_missing(scope=scope)
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

    # ------------------------------------------------------------------
    # Decisions
    # ------------------------------------------------------------------
    def _ps_on_approved(self):
        """The records' approval is complete: the declared state, then the action that
        waited for it, in the name of whoever asked for it."""
        if hasattr(self, "message_post"):
            for record in self:
                record.message_post(body=self.env._("Approval complete."),
                                    subtype_xmlid="mail.mt_note")
        approved = self.filtered(lambda r: r.ps_approval_state == "approved")
        state_field, target = self._ps_state_field, self._ps_state_on_approved
        if state_field and target:
            approved.filtered(lambda r: r[state_field] not in self._ps_guard()[state_field]) \
                ._ps_engine_write({state_field: target})
        if self.env.context.get("ps_approval_gate"):
            return True  # the approver's own click runs the action right after
        for record in approved.filtered("ps_approval_deferred_user_id"):
            user = record.ps_approval_deferred_user_id
            action = record.ps_approval_deferred_action
            record._ps_engine_write({"ps_approval_deferred_user_id": False,
                                     "ps_approval_deferred_action": False})
            if not action or action not in self._ps_gated_actions:
                continue
            try:
                with self.env.cr.savepoint():
                    getattr(record.with_user(user), action)()
            except (UserError, RedirectWarning) as error:
                record._ps_report_deferred_failure(user, error)
        return True

    def _ps_on_rejected(self, reason):
        """A request on the records was rejected: the declared state, and the document
        goes back to its requester with the reason, as an activity."""
        if hasattr(self, "message_post"):
            for record in self:
                record.message_post(body=self.env._("Approval rejected: %s", reason),
                                    subtype_xmlid="mail.mt_note")
        self.filtered("ps_approval_deferred_user_id")._ps_engine_write(
            {"ps_approval_deferred_user_id": False, "ps_approval_deferred_action": False})
        state_field, target = self._ps_state_field, self._ps_state_on_rejected
        if state_field and target:
            self._ps_engine_write({state_field: target})
        if "activity_ids" not in self._fields:
            return True
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
        } for record in self if requesters.get(record.id)
            and not requesters[record.id].share]
        # sudo: the approver returns the document to its requester, whatever their rights
        # on the requester's activities (the requester is notified of it)
        self.env["mail.activity"].sudo().create(vals_list)
        return True

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

    # ------------------------------------------------------------------
    # The form: approval buttons, status and history, added to every approvable form
    # ------------------------------------------------------------------
    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form" and not self._abstract \
                and not arch.xpath("//*[@name='ps_approval_status']"):
            self._ps_inject_approval_ui(arch)
        return arch, view

    @api.model
    def _ps_inject_approval_ui(self, arch):
        """Approve / Reject / Request Approval in the header, the approval status above
        the sheet's content and the Approvals page in its notebook. A form that lays out
        one of these itself keeps its own (no second copy)."""
        _ = self.env._
        guard = self._ps_guard()
        past_gate = " or ".join(f"{fname} in {list(states)!r}" for fname, states in guard.items())
        past_gate = f" or {past_gate}" if past_gate else ""
        sheet = (arch.xpath("//sheet") or [arch])[0]
        header = (arch.xpath("//header") or [None])[0]
        if header is None:
            header = etree.Element("header")
            arch.insert(0, header)
        hide_approve = f" or {self._ps_form_approve_invisible}" \
            if self._ps_form_approve_invisible else ""
        if not arch.xpath("//button[@name='action_ps_approve']"):
            buttons = etree.fromstring(f"""<div>
                <button name="action_ps_approve" type="object" string="{escape(_("Approve"))}"
                        class="btn-primary" invisible="not ps_approval_can_review{hide_approve}"
                        data-hotkey="shift+a"/>
                <button name="action_ps_reject" type="object" string="{escape(_("Reject"))}"
                        invisible="not ps_approval_can_review"/>
                <button name="action_ps_request_approval" type="object"
                        string="{escape(_("Request Approval"))}"
                        invisible="not ps_approval_required or ps_approval_state == 'pending'{past_gate}"/>
            </div>""")
            if not self._ps_gated_actions:
                buttons.remove(buttons[-1])
            for position, button in enumerate(buttons):
                header.insert(position, button)
        if not arch.xpath("//field[@name='ps_approval_next_user_ids']"):
            sheet.insert(0, etree.fromstring(f"""
            <div name="ps_approval_status">
                <field name="ps_approval_state" invisible="1"/>
                <field name="ps_approval_can_review" invisible="1"/>
                <field name="ps_approval_required" invisible="1"/>
                <div class="alert alert-warning d-flex flex-wrap align-items-center gap-2 mb-2"
                     role="status" invisible="ps_approval_state != 'pending'">
                    <strong>{escape(_("Waiting for approval:"))}</strong>
                    <field name="ps_approval_next_user_ids" widget="many2many_avatar_user"
                           readonly="1"/>
                    <span invisible="not ps_approval_deadline">{escape(_("due"))}</span>
                    <field name="ps_approval_deadline" widget="remaining_days" readonly="1"
                           invisible="not ps_approval_deadline"/>
                    <span invisible="ps_approval_next_user_ids">{escape(_(
                        "nobody could be found to decide: the administrators were told."))}</span>
                </div>
                <div class="alert alert-info mb-2" role="status"
                     invisible="not ps_approval_required or ps_approval_state in ('pending', 'rejected'){past_gate}">
                    {escape(_("An approval policy applies to this document: going on sends it "
                              "for approval first. The Approvals tab says who decides."))}
                </div>
                <div class="alert alert-danger mb-2" role="alert"
                     invisible="ps_approval_state != 'rejected'">
                    {escape(_("Approval rejected: the reason is in the Approvals tab and the "
                              "chatter. Fix the document and ask again."))}
                </div>
            </div>"""))
        if arch.xpath("//field[@name='ps_approval_line_ids']"):
            return
        notebook = (sheet.xpath(".//notebook") or [None])[0]
        if notebook is None:
            notebook = etree.SubElement(sheet, "notebook")
        notebook.append(etree.fromstring(f"""
            <page string="{escape(_("Approvals"))}" name="ps_approvals"
                  invisible="not ps_approval_line_ids">
                <group invisible="not ps_approval_deferred_user_id">
                    <field name="ps_approval_deferred_user_id"/>
                </group>
                <field name="ps_approval_line_ids" readonly="1">
                    <list create="0" delete="0" decoration-success="state == 'approved'"
                          decoration-danger="state == 'rejected'"
                          decoration-muted="state in ('skipped', 'cancelled', 'waiting')">
                        <field name="rule_id"/>
                        <field name="step" optional="hide"/>
                        <field name="tier_id"/>
                        <field name="user_id" widget="many2one_avatar_user"/>
                        <field name="original_user_id" string="{escape(_("On Behalf Of"))}"
                               optional="show"/>
                        <field name="deadline"/>
                        <field name="decided_at"/>
                        <field name="comment"/>
                        <field name="state" widget="badge"/>
                    </list>
                </field>
                <button name="action_ps_view_approvals" type="object" class="btn-link"
                        string="{escape(_("All approval cycles"))}"/>
            </page>"""))
