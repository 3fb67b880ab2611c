from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval

APPROVER_TYPES = [
    ("user", "Specific users"),
    ("group", "Members of a group"),
    ("manager", "Requester's manager"),
    ("field", "User on the record"),
]
NUMERIC_TYPES = ("float", "monetary", "integer")


class PsApprovalRule(models.Model):
    """When a record of ``model_id`` matches ``domain`` and its ``amount_field_id`` exceeds
    ``amount_threshold``, it needs the approval of the rule's tiers. Tiers with the same
    step decide in parallel; steps follow each other in ascending order."""

    _name = "ps.approval.rule"
    _description = "Approval Rule"
    _inherit = ["mail.thread", "ps.audit.mixin"]
    _order = "model_name, sequence, id"
    _ps_audit_fields = ("name", "active", "model_id", "domain", "amount_field_id",
                        "amount_threshold", "watched_field_ids", "escalation_hours",
                        "company_id")
    _ps_audit_event_type = "rule_change"

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    model_id = fields.Many2one(
        "ir.model", "Applies To", required=True, ondelete="cascade",
        domain=lambda self: [("model", "in", self._approvable_models())])
    model_name = fields.Char(related="model_id.model", store=True, index=True, string="Model Name")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company,
                                 help="Leave empty to apply in every company")
    domain = fields.Char(
        "Condition", default="[]", required=True, tracking=True,
        help="Records this rule applies to, as an Odoo domain, e.g. "
             "[('partner_id.country_id.code', '=', 'US')]")
    amount_field_id = fields.Many2one(
        "ir.model.fields", ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('float', 'monetary', 'integer'))]",
        help="Numeric field compared with the threshold; leave empty to use the condition only")
    amount_threshold = fields.Float(
        "Threshold", tracking=True,
        help="The rule applies when the amount field is above this value")
    watched_field_ids = fields.Many2many(
        "ir.model.fields", string="Re-approve When Changed",
        domain="[('model_id', '=', model_id), ('store', '=', True)]",
        help="When one of these fields changes after the request, the approval is reset and "
             "requested again. The amount field is always watched.")
    escalation_hours = fields.Float(
        "Escalate After (hours)",
        help="Default deadline of each tier; 0 uses the default of Settings")
    tier_ids = fields.One2many("ps.approval.tier", "rule_id", "Tiers", copy=True)
    note = fields.Html("Guidance for Approvers", translate=True)
    request_count = fields.Integer(compute="_compute_request_count")

    # ------------------------------------------------------------------
    @api.model
    def _approvable_models(self):
        return [name for name, model in self.env.items()
                if getattr(model, "_ps_approvable", False) and not model._abstract]

    def _compute_request_count(self):
        counts = dict(self.env["ps.approval.request"]._read_group(
            [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]))
        for rule in self:
            rule.request_count = counts.get(rule, 0)

    # ------------------------------------------------------------------
    @api.constrains("model_id")
    def _check_model_id(self):
        approvable = set(self._approvable_models())
        for rule in self:
            if rule.model_id.model not in approvable:
                raise ValidationError(self.env._(
                    "%(model)s cannot be approved: only documents that inherit the approval "
                    "mixin can have approval rules (%(list)s).",
                    model=rule.model_id.name, list=", ".join(sorted(approvable))))

    @api.constrains("domain", "model_id")
    def _check_domain(self):
        for rule in self:
            try:
                domain = rule._get_domain()
                model = self.env[rule.model_name]
                expression.expression(domain, model.sudo())
            except Exception as e:  # noqa: BLE001 - any parse/field error is the user's to fix
                raise ValidationError(self.env._(
                    "The condition of rule '%(rule)s' is not a valid domain for %(model)s: "
                    "%(error)s. Write it as a list of conditions, e.g. "
                    "[('amount_total', '>', 1000)].",
                    rule=rule.name, model=rule.model_id.name, error=e)) from e

    @api.constrains("amount_threshold", "escalation_hours")
    def _check_threshold(self):
        for rule in self:
            if rule.amount_threshold < 0:
                raise ValidationError(self.env._(
                    "The threshold of rule '%s' cannot be negative.", rule.name))
            if rule.escalation_hours < 0:
                raise ValidationError(self.env._(
                    "The escalation delay of rule '%s' cannot be negative.", rule.name))

    @api.constrains("amount_field_id", "watched_field_ids", "model_id")
    def _check_fields(self):
        for rule in self:
            if rule.amount_field_id and (rule.amount_field_id.model_id != rule.model_id
                                         or rule.amount_field_id.ttype not in NUMERIC_TYPES):
                raise ValidationError(self.env._(
                    "The amount field of rule '%s' must be a number field of the same model.",
                    rule.name))
            if rule.watched_field_ids.model_id - rule.model_id:
                raise ValidationError(self.env._(
                    "Rule '%s' can only watch fields of the model it applies to.", rule.name))

    @api.constrains("tier_ids", "active")
    def _check_tiers(self):
        for rule in self.filtered("active"):
            if not rule.tier_ids:
                raise ValidationError(self.env._(
                    "Rule '%s' has no approvers: add at least one tier.", rule.name))

    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()  # _rules_for / _watched_fields caches
        return rules

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = self.env["ps.approval.request"].sudo().with_context(active_test=False).search(
            [("rule_id", "in", self.ids)], limit=1)
        if used:
            raise UserError(self.env._(
                "Rule '%s' has approval requests: they are the approval history of its "
                "documents. Archive the rule instead of deleting it.", used.rule_id.name))

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    # ------------------------------------------------------------------
    def _get_domain(self):
        self.ensure_one()
        # ids only: a record in the context would let whoever edits a rule call its
        # methods (user.sudo().write(...)) when the condition is evaluated
        context = {"uid": self.env.uid, "company_id": self.env.company.id,
                   "company_ids": self.env.companies.ids, "datetime": safe_datetime,
                   "context_today": safe_datetime.datetime.today}
        domain = safe_eval(self.domain or "[]", context)
        if not isinstance(domain, (list, tuple)):
            raise ValueError(self.env._("a domain is a list, not %s", type(domain).__name__))
        return list(domain)

    @api.model
    @tools.ormcache("model_name")
    def _rule_ids_for(self, model_name):
        """Active rules of a model. The cache is keyed by model only: whatever the
        caller's context (active_test=False included), only active rules are cached."""
        return tuple(self.sudo().with_context(active_test=True).search(
            [("model_name", "=", model_name), ("active", "=", True)]).ids)

    @api.model
    @tools.ormcache("model_name")
    def _watched_fields_for(self, model_name):
        """Names of fields whose change resets approvals, by rule id: the rule's watched
        fields, its amount field and the fields the model binds every approval to."""
        always = set(getattr(self.env[model_name], "_ps_watched_fields", ()))
        result = {}
        for rule in self.sudo().browse(self._rule_ids_for(model_name)):
            names = set(rule.watched_field_ids.mapped("name")) | always
            if rule.amount_field_id:
                names.add(rule.amount_field_id.name)
            result[rule.id] = frozenset(names)
        return result

    @api.model
    @tools.ormcache("model_name")
    def _fact_paths_for(self, model_name):
        """Field paths each rule reads on its documents (condition, amount, watched
        fields), by rule id: the facts the engine recomputes before deciding."""
        watched = self._watched_fields_for(model_name)
        result = {}
        for rule in self.sudo().browse(self._rule_ids_for(model_name)):
            paths = set(watched.get(rule.id, ()))
            for leaf in _domain_leaves(rule._get_domain()):
                paths.add(leaf)
            result[rule.id] = frozenset(paths)
        return result

    @api.model
    def _matching(self, records, rules=None, refresh=True):
        """{rule: records it applies to} for the active rules of the records' model (or
        ``rules``), on facts made what their sources say now (``_ps_refresh_facts``;
        ``refresh=False``: as stored, for display only)."""
        Rule = self.sudo()
        if rules is None:
            rules = Rule.browse(Rule._rule_ids_for(records._name))
        rules = rules.sudo().filtered(lambda r: r.active and r.model_name == records._name)
        if not rules or not records:
            return {}
        if refresh:
            paths = self._fact_paths_for(records._name)
            records._ps_refresh_facts(set().union(*(paths.get(rule.id, ()) for rule in rules))
                                      | records._ps_declared_facts()
                                      | records._ps_fact_names())
        return {rule: rule._filter_records(records) for rule in rules}

    def _filter_records(self, records):
        """Records (of the rule's model) the rule applies to, in one query per rule."""
        self.ensure_one()
        records = records.sudo()
        if self.company_id and "company_id" in records._fields:
            records = records.filtered(lambda r: r.company_id in (self.company_id, False)
                                       or not r.company_id)
        domain = self._get_domain()
        if domain and _stored_domain(records, domain):
            records = records.with_context(active_test=False).search(
                expression.AND([[("id", "in", records.ids)], domain]))
        elif domain:
            # a condition on computed values is evaluated on values computed now, not
            # through a search method that reads stored approximations
            records = records.with_context(active_test=False).filtered_domain(domain)
        if self.amount_field_id:
            fname = self.amount_field_id.name
            records = records.filtered(lambda r: (r[fname] or 0.0) > self.amount_threshold)
        return records

    def _watched_values(self, record):
        """Snapshot of the values this rule watches on ``record``, for re-approval."""
        names = self._watched_fields_for(self.model_name).get(self.id, ())
        return {name: _snapshot_value(record, name) for name in sorted(names)}

    def action_view_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ps_base.ps_approval_request_action")
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {"active_test": False}
        return action


def _stored_domain(records, domain):
    """Whether every field a domain reads is stored, along every path."""
    for path in _domain_leaves(domain):
        model = records
        for name in path.split("."):
            field = model._fields.get(name)
            if field is None or not field.store:
                return False
            if field.relational:
                model = model.env[field.comodel_name]
    return True


def _domain_leaves(domain):
    """Field paths of a domain's conditions, sub-domains of 'any'/'not any' included."""
    for leaf in domain:
        if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and isinstance(leaf[0], str):
            yield leaf[0]
            if leaf[1] in ("any", "not any") and isinstance(leaf[2], (list, tuple)):
                yield from (f"{leaf[0]}.{sub}" for sub in _domain_leaves(leaf[2]))


def _snapshot_value(record, fname):
    value = record[fname]
    field = record._fields[fname]
    if field.type == "many2one":
        return value.id or False
    if field.type in ("one2many", "many2many"):
        return sorted(value.ids)
    if field.type in ("float", "monetary"):
        return round(value or 0.0, 6)
    if field.type in ("date", "datetime"):
        return str(value) if value else False
    return value


class PsApprovalTier(models.Model):
    _name = "ps.approval.tier"
    _description = "Approval Tier"
    _inherit = ["ps.audit.mixin"]
    _order = "step, sequence, id"
    _ps_audit_fields = ("name", "step", "approver_type", "user_ids", "group_id", "field_path",
                        "quorum", "required_user_ids", "escalation_hours", "fallback_user_id",
                        "fallback_group_id")
    _ps_audit_event_type = "rule_change"

    rule_id = fields.Many2one("ps.approval.rule", required=True, ondelete="cascade", index=True)
    model_id = fields.Many2one(related="rule_id.model_id")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    step = fields.Integer(
        default=1, required=True,
        help="Tiers with the same step decide in parallel; a step starts when the one before "
             "it is approved")
    approver_type = fields.Selection(APPROVER_TYPES, "Approvers", required=True, default="user")
    user_ids = fields.Many2many("res.users", "ps_approval_tier_user_rel", "tier_id", "user_id",
                                "Users", domain=[("share", "=", False)])
    group_id = fields.Many2one("res.groups")
    field_path = fields.Char(
        "User Field",
        help="Path from the record to the approving user, e.g. user_id or project_id.user_id")
    quorum = fields.Integer(
        "Approvals Needed", default=1,
        help="How many of the tier's approvers must approve (N of M); 0 means all of them")
    required_user_ids = fields.Many2many(
        "res.users", "ps_approval_tier_required_user_rel", "tier_id", "user_id",
        "Required Approvers", domain=[("share", "=", False)],
        help="These people must approve in any case (they count toward the quorum)")
    escalation_hours = fields.Float(
        "Escalate After (hours)", help="0 uses the rule's delay, then the default of Settings")
    fallback_user_id = fields.Many2one("res.users", "Fallback Approver",
                                       domain=[("share", "=", False)])
    fallback_group_id = fields.Many2one("res.groups")

    @api.constrains("approver_type", "user_ids", "group_id", "field_path", "required_user_ids")
    def _check_approvers(self):
        for tier in self:
            label = f"{tier.rule_id.name} / {tier.name}"
            kind = tier.approver_type
            if kind == "user" and not (tier.user_ids or tier.required_user_ids):
                raise ValidationError(self.env._("Tier '%s' needs at least one user.", label))
            if kind == "group" and not tier.group_id:
                raise ValidationError(self.env._("Tier '%s' needs a group.", label))
            if kind == "field":
                tier._check_field_path(label)

    def _check_field_path(self, label):
        if not self.field_path:
            raise ValidationError(self.env._("Tier '%s' needs the path of a user field.", label))
        model = self.env[self.rule_id.model_name]
        for part in self.field_path.split("."):
            field = model._fields.get(part)
            if field is None or field.type not in ("many2one", "many2many", "one2many"):
                raise ValidationError(self.env._(
                    "Tier '%(tier)s': '%(path)s' is not a path of relational fields of "
                    "%(model)s ('%(part)s' is not one).",
                    tier=label, path=self.field_path, model=self.rule_id.model_id.name, part=part))
            model = self.env[field.comodel_name]
        if model._name != "res.users":
            raise ValidationError(self.env._(
                "Tier '%(tier)s': '%(path)s' leads to %(model)s, not to users.",
                tier=label, path=self.field_path, model=model._description))

    @api.constrains("quorum", "step", "escalation_hours", "user_ids", "approver_type")
    def _check_numbers(self):
        for tier in self:
            label = f"{tier.rule_id.name} / {tier.name}"
            if tier.quorum < 0:
                raise ValidationError(self.env._(
                    "Tier '%s': the number of approvals needed cannot be negative.", label))
            if tier.step < 1:
                raise ValidationError(self.env._("Tier '%s': steps start at 1.", label))
            if tier.escalation_hours < 0:
                raise ValidationError(self.env._(
                    "Tier '%s': the escalation delay cannot be negative.", label))
            if tier.approver_type == "user":
                available = len(tier.user_ids | tier.required_user_ids)
                if tier.quorum > available:
                    raise ValidationError(self.env._(
                        "Tier '%(tier)s' asks for %(n)s approvals but lists only %(m)s approvers.",
                        tier=label, n=tier.quorum, m=available))

    @api.model_create_multi
    def create(self, vals_list):
        tiers = super().create(vals_list)
        self.env.registry.clear_cache()
        return tiers

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = self.env["ps.approval.line"].sudo().search([("tier_id", "in", self.ids)], limit=1)
        if used:
            raise UserError(self.env._(
                "Tier '%(tier)s' of rule '%(rule)s' has approvals on record: they are the "
                "history of its documents. Archive the rule and create a new one instead.",
                tier=used.tier_id.name, rule=used.tier_id.rule_id.name))

    def _escalation_delay(self):
        self.ensure_one()
        hours = self.escalation_hours or self.rule_id.escalation_hours
        if not hours:
            hours = float(self.env["ir.config_parameter"].sudo().get_param(
                "ps_base.approval_escalation_hours", 48) or 0)
        return hours
