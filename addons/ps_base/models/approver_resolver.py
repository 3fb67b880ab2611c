"""Who may decide a tier: one resolution of approvers and of fallback approvers, used when
a request is made, when a later step opens, on retry and on escalation."""
from datetime import timedelta


def company_of(record, env):
    company = record["company_id"] if "company_id" in record._fields else False
    return company or env.company


def eligible(users, company):
    """Users who may decide for a document of ``company``: active, internal, and members
    of that company (portal users and other tenants never approve)."""
    return users.filtered(lambda u: u.active and not u.share and company in u.company_ids)


def default_fallback_group(env):
    """The default escalation group of Settings, if any."""
    group_id = env["ir.config_parameter"].sudo().get_param("ps_base.approval_fallback_group_id")
    try:
        return env["res.groups"].sudo().browse(int(group_id or 0)).exists()
    except ValueError:
        return env["res.groups"]


def fallback_candidates(env, tier, company):
    """The tier's fallback approver and group, or the default group of Settings when the
    tier names none."""
    users = tier.fallback_user_id | tier.fallback_group_id.users
    if not (tier.fallback_user_id or tier.fallback_group_id):
        users = default_fallback_group(env).users
    return eligible(users, company)


class ApproverResolver:
    """Resolves the approvers of tiers for one requester, caching what is shared by all
    the records of a batch (groups, the requester's manager, delegations).

    ``exclude``: people who never decide this request (segregation of duties: whoever
    started the cycle, drafted the document or last changed the values it is approved
    for), on top of the requester."""

    def __init__(self, env, requester, exclude=None):
        self.env = env
        self.requester = requester
        self.exclude = exclude or env["res.users"]
        self.routes = {}
        self._manager = None
        self._cache = {}

    def _route(self, users, company=None):
        """(owner, who decides for them): their delegate while they are away, unless the
        delegate cannot decide for the document's company; then the owner keeps it."""
        missing = users.filtered(lambda u: u not in self.routes)
        if missing:
            self.routes.update(missing._ps_resolve_delegates())
        return [(user, self.routes[user] if company is None
                 or company in self.routes[user].company_ids else user) for user in users]

    def _manager_of_requester(self):
        """The requester's manager, unless the requester chose that manager themselves
        (self-editing of HR data): then nobody, and the tier's fallback decides."""
        if self._manager is None:
            employee = self.requester.sudo().employee_ids[:1]
            trusted = employee and not employee.ps_manager_self_set
            self._manager = (employee.parent_id.user_id if trusted else None) \
                or self.env["res.users"]
        return self._manager

    def _candidates(self, tier, record):
        kind = tier.approver_type
        if kind == "user":
            users = tier.user_ids
        elif kind == "group":
            users = tier.group_id.users
        elif kind == "manager":
            users = self._manager_of_requester()
        else:
            users = record.mapped(tier.field_path) if tier.field_path else self.env["res.users"]
        return eligible(users | tier.required_user_ids, company_of(record, self.env))

    def _lines_for(self, users, tier, state, deadline, seen, company=None, **extra):
        lines = []
        required = tier.required_user_ids
        for owner, target in self._route(users, company):
            if target == self.requester or target.id in seen or target in self.exclude:
                continue  # segregation of duties: nobody approves their own request
            if target.share or not target.active:
                continue  # a delegate who left or became a portal user
            seen.add(target.id)
            lines.append({
                "tier_id": tier.id, "step": tier.step, "user_id": target.id,
                "original_user_id": owner.id if owner != target else False,
                "is_required": owner in required, "state": state, "deadline": deadline,
                **extra,
            })
        return lines

    def tier_lines(self, tier, record, first_step, now, taken=()):
        """Line values of ``tier`` for ``record``, and whether enough people can decide it.
        ``taken``: ids of people who already hold a place on the tier. Tiers whose
        approvers do not depend on the record are resolved once per batch."""
        if tier.approver_type == "field" or taken:
            return self._tier_lines(tier, record, first_step, now, taken)
        key = (tier.id, first_step, company_of(record, self.env).id)
        if key not in self._cache:
            self._cache[key] = self._tier_lines(tier, record, first_step, now, taken)
        lines, enough = self._cache[key]
        return [dict(vals) for vals in lines], enough

    def _tier_lines(self, tier, record, first_step, now, taken):
        state = "pending" if tier.step == first_step else "waiting"
        deadline = now + timedelta(hours=tier._escalation_delay()) if state == "pending" \
            else False
        seen = set(taken)
        company = company_of(record, self.env)
        lines = self._lines_for(self._candidates(tier, record), tier, state, deadline, seen,
                                company=company)
        regular = len(lines) + len(taken)
        needed = tier.quorum or regular
        if regular and regular >= needed:
            return lines, True
        # too few regular approvers for the quorum: the fallback decides from the start
        fallback = fallback_candidates(self.env, tier, company_of(record, self.env))
        lines += self._lines_for(fallback, tier, state, deadline, seen, company=company,
                                 is_fallback=True)
        return lines, len(lines) + len(taken) >= max(needed, 1)

    def describe(self, tier):
        """Who the tier names, for the message of an unresolvable tier."""
        who = {"user": tier.user_ids.mapped("name"), "group": [tier.group_id.name],
               "manager": [self.env._("the requester's manager")],
               "field": [tier.field_path]}[tier.approver_type]
        return ", ".join(filter(None, who)) or "-"


def tier_complete(tier, lines):
    """Whether the tier is decided: its required approvers approved, and as many people
    as its quorum (all of its regular approvers when the quorum is 0). Fallback approvers
    count as votes, one person one vote; they do not lower the quorum."""
    if lines.filtered(lambda l: l.is_required and l.state != "approved"):
        return False
    approvers = lines.filtered(lambda l: l.state == "approved").user_id
    regular = lines.filtered(lambda l: not l.is_fallback and l.state != "cancelled").user_id
    needed = tier.quorum or len(regular) or 1
    return len(approvers) >= needed


def hours_between(start, end):
    return round((end - start).total_seconds() / 3600.0, 2) if start and end else 0.0


def overdue_exception(env, request, tier, fallback):
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
