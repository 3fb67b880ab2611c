import json
import logging
import math
import statistics

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .ps_webhook_endpoint import get_param

_logger = logging.getLogger(__name__)

PROVIDERS = [("zscore", "Built-in: KPI anomalies (z-score)"),
             ("rules", "Built-in: classify internal requests by keyword rules"),
             ("openai", "OpenAI-compatible HTTP service")]


class PsAdvisor(models.Model):
    """A source of advice. Each provider is a method ``_ps_advise_<provider>`` that
    returns advisory values (title, body, score, key, subject, inputs); another addon adds
    a provider with ``selection_add`` and its method. Advisors only ever create
    ``ps.advisory`` rows: a person accepts or dismisses each, and nothing else changes."""

    _name = "ps.advisor"
    _description = "Advisor"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    provider = fields.Selection(PROVIDERS, required=True, default="zscore")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    advisory_count = fields.Integer(compute="_compute_advisory_count")
    rule_ids = fields.One2many("ps.advisor.rule", "advisor_id", "Classification Rules")

    def _compute_advisory_count(self):
        counts = dict(self.env["ps.advisory"]._read_group(
            [("advisor_id", "in", self.ids)], ["advisor_id"], ["__count"]))
        for advisor in self:
            advisor.advisory_count = counts.get(advisor, 0)

    @api.model
    def _cron_advise(self):
        advisors = self.search([("active", "=", True)])
        created = advisors._ps_run()
        self.env["ir.cron"]._notify_progress(done=len(created), remaining=0)

    def action_run(self):
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_manager")):
            raise AccessError(self.env._("Only PS administrators run advisors by hand."))
        self._ps_run()
        return self.env["ir.actions.act_window"]._for_xml_id("ps_governance.ps_advisory_action")

    def _ps_run(self):
        """Ask each advisor, store what is new (one advisory per advisor and key)."""
        Advisory = self.env["ps.advisory"].sudo()
        created = Advisory
        for advisor in self:
            proposals = getattr(advisor, f"_ps_advise_{advisor.provider}")()
            keys = [vals["key"] for vals in proposals]
            known = set(Advisory.with_context(active_test=False).search(
                [("advisor_id", "=", advisor.id), ("key", "in", keys)]).mapped("key"))
            created |= Advisory.create([
                dict(vals, advisor_id=advisor.id, inputs=json.dumps(vals.get("inputs", [])))
                for vals in proposals if vals["key"] not in known])
        return created

    # ------------------------------------------------------------------
    # Built-in, offline, deterministic: anomalies of the scorecard
    # ------------------------------------------------------------------
    def _ps_advise_zscore(self):
        """The latest weekly value of each KPI (per company and group) far from its own
        history: |z| at or above the Settings' threshold, over at least the Settings'
        number of earlier weeks."""
        threshold = float(get_param(self.env, "advisor_zscore", 3.0))
        min_weeks = int(get_param(self.env, "advisor_min_weeks", 4))
        values = self.env["ps.kpi.value"].sudo().search_fetch(
            [("period", "=", "weekly")],
            ["definition_id", "company_id", "group_key", "group_label", "period_start",
             "value", "is_latest", "unit"], order="period_start")
        series = {}
        for value in values:
            series.setdefault((value.definition_id, value.company_id, value.group_key),
                              []).append(value)
        proposals = []
        for (definition, company, _group), points in series.items():
            latest = points[-1]
            history = [point.value for point in points[:-1]]
            if not latest.is_latest or len(history) < min_weeks:
                continue
            mean = statistics.fmean(history)
            spread = statistics.pstdev(history)
            if spread == 0:
                if latest.value == mean:
                    continue
                z = math.copysign(math.inf, latest.value - mean)
            else:
                z = (latest.value - mean) / spread
            if abs(z) < threshold:
                continue
            worse = (z > 0) == (definition.direction == "lower")
            label = f" ({latest.group_label})" if latest.group_label else ""
            proposals.append({
                "key": f"zscore:{latest.id}",
                "name": self.env._("%(kpi)s%(group)s is unusually %(way)s",
                                   kpi=definition.name, group=label,
                                   way=self.env._("high") if z > 0 else self.env._("low")),
                "body": self.env._(
                    "Week of %(week)s: %(value).2f %(unit)s against a mean of %(mean).2f "
                    "over the %(weeks)s weeks before (standard deviation %(spread).2f, z = "
                    "%(z).1f). %(judgement)s",
                    week=latest.period_start, value=latest.value, unit=latest.unit or "",
                    mean=mean, weeks=len(history), spread=spread, z=z,
                    judgement=self.env._("This is worse than usual: look for the cause.")
                    if worse else self.env._("This is better than usual.")),
                "score": min(abs(z), 99.0),
                "severity": "warning" if worse else "info",
                "res_model": "ps.kpi.value", "res_id": latest.id,
                "company_id": company.id,
                "inputs": [f"ps.kpi.value,{point.id}" for point in points],
            })
        return proposals

    # ------------------------------------------------------------------
    # Built-in, offline, deterministic: internal requests classified by keyword rules
    # ------------------------------------------------------------------
    def _ps_advise_rules(self):
        """Propose a category for each open internal request without one, from the first
        rule (by sequence) whose keyword appears in its title. The person applies it."""
        rules = self.rule_ids.filtered("active").sorted("sequence")
        if not rules:
            return []
        requests_ = self.env["ps.request"].sudo().search_fetch(
            [("category_id", "=", False), ("state", "in", ("draft", "submitted"))],
            ["title", "name", "company_id"])
        proposals = []
        for request in requests_:
            title = (request.title or "").lower()
            for rule in rules:
                keyword = next((word for word in rule._ps_keywords() if word in title), None)
                if keyword:
                    proposals.append({
                        "key": f"classify:{request.id}:{rule.category_id.id}",
                        "name": self.env._("%(request)s looks like %(category)s",
                                           request=request.display_name,
                                           category=rule.category_id.display_name),
                        "body": self.env._(
                            "Its title mentions '%(keyword)s' (rule: %(rule)s). Set the "
                            "category on the request if you agree; this advice changes "
                            "nothing by itself.", keyword=keyword, rule=rule.name),
                        "score": 1.0, "severity": "info",
                        "res_model": "ps.request", "res_id": request.id,
                        "company_id": request.company_id.id,
                        "inputs": [f"ps.request,{request.id}", f"ps.advisor.rule,{rule.id}"],
                    })
                    break
        return proposals

    # ------------------------------------------------------------------
    # Optional: an OpenAI-compatible service explains the built-in anomalies
    # ------------------------------------------------------------------
    def _ps_advise_openai(self):
        """Off unless Settings enable it. Sends only the fields listed in Settings
        (``model.field``) of the anomalies' KPI values, and stores the answer as advice."""
        if not get_param(self.env, "ai_enabled"):
            return []
        url = get_param(self.env, "ai_base_url")
        if not url:
            raise UserError(self.env._("Set the AI service URL in Settings first."))
        allowed = self._ps_allowed_fields()
        anomalies = self._ps_advise_zscore()
        proposals = []
        for anomaly in anomalies:
            records = [self.env[model].sudo().browse(int(res_id)) for model, res_id in
                       (ref.split(",") for ref in anomaly["inputs"])]
            data = [self._ps_outgoing(record, allowed) for record in records]
            answer = self._ps_ask(url, data)
            proposals.append(dict(anomaly, key=f"openai:{anomaly['key']}", body=answer,
                                  name=self.env._("AI: %s", anomaly["name"])))
        return proposals

    @api.model
    def _ps_allowed_fields(self):
        text = get_param(self.env, "ai_allowed_fields", "") or ""
        return {item.strip() for item in text.replace("\n", ",").split(",") if item.strip()}

    @api.model
    def _ps_outgoing(self, record, allowed):
        """What of ``record`` may leave the database: the allowed fields only."""
        out = {}
        for fname, field in record._fields.items():
            if f"{record._name}.{fname}" not in allowed:
                continue
            value = record[fname]
            out[fname] = value.display_name if field.type == "many2one" else value
        return out

    @api.model
    def _ps_ask(self, url, data):
        key = get_param(self.env, "ai_api_key", "")
        timeout = float(get_param(self.env, "ai_timeout", 30))
        body = {
            "model": get_param(self.env, "ai_model", "gpt-4o-mini"),
            "messages": [
                {"role": "system", "content": "You advise a professional-services firm on "
                 "its workflow KPIs. Answer in three sentences; suggest, never decide."},
                {"role": "user", "content": json.dumps(data, default=str)},
            ],
        }
        try:
            response = requests.post(
                url.rstrip("/") + "/chat/completions", json=body, timeout=timeout,
                headers={"Authorization": f"Bearer {key}"} if key else {})
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"]
        except (requests.RequestException, ValueError, KeyError, IndexError) as error:
            raise UserError(self.env._("The AI service failed: %s", error)) from error


class PsAdvisorRule(models.Model):
    _name = "ps.advisor.rule"
    _description = "Classification Rule"
    _order = "sequence, id"

    advisor_id = fields.Many2one("ps.advisor", required=True, ondelete="cascade", index=True)
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    keywords = fields.Char(required=True, help="Comma-separated words looked for in the title")
    category_id = fields.Many2one("ps.request.category", required=True, ondelete="cascade")

    @api.constrains("keywords")
    def _check_keywords(self):
        for rule in self:
            if not rule._ps_keywords():
                raise ValidationError(self.env._(
                    "Rule %s needs at least one keyword.", rule.name))

    def _ps_keywords(self):
        return [word.strip().lower() for word in (self.keywords or "").split(",")
                if word.strip()]


class PsAdvisory(models.Model):
    """One piece of advice, with the references of what it was computed from, waiting
    for a person to accept or dismiss it. The decision is audited."""

    _name = "ps.advisory"
    _description = "Advisory"
    _inherit = ["mail.thread"]
    _order = "state_sequence, score desc, id desc"

    advisor_id = fields.Many2one("ps.advisor", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    key = fields.Char(readonly=True, index=True, required=True)
    name = fields.Char("Advice", required=True, readonly=True)
    body = fields.Text(readonly=True)
    score = fields.Float(readonly=True, aggregator="max")
    severity = fields.Selection([("info", "Info"), ("warning", "Warning")], readonly=True,
                                default="info")
    res_model = fields.Char("Model", readonly=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True)
    inputs = fields.Text(readonly=True,
                         help="References (model,id) of the records the advice was computed "
                              "from")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    state = fields.Selection([("proposed", "To Review"), ("accepted", "Accepted"),
                              ("dismissed", "Dismissed")], default="proposed", required=True,
                             readonly=True, index=True, tracking=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_at = fields.Datetime(readonly=True)
    decision_note = fields.Text("Note")

    _sql_constraints = [("advisor_key_uniq", "UNIQUE(advisor_id, key)",
                         "An advisor gives each piece of advice once.")]

    @api.depends("state")
    def _compute_state_sequence(self):
        for advisory in self:
            advisory.state_sequence = 0 if advisory.state == "proposed" else 1

    def write(self, vals):
        # the advice itself is the advisor's; people write their note, the actions decide
        if not self.env.su and set(vals) - {"decision_note"} - set(
                self.env["mail.thread"]._fields):
            raise AccessError(self.env._(
                "Advisories are decided with Accept or Dismiss; only the note can be "
                "edited."))
        return super().write(vals)

    def action_accept(self):
        return self._ps_decide("accepted")

    def action_dismiss(self):
        return self._ps_decide("dismissed")

    def _ps_decide(self, state):
        self.check_access("write")
        undecided = self.filtered(lambda a: a.state == "proposed")
        if undecided != self:
            raise UserError(self.env._("These advisories are already decided: %s",
                                       ", ".join((self - undecided).mapped("name"))))
        # sudo: state and decider are kept by this action only; rights checked above
        self.sudo().write({"state": state, "decided_by_id": self.env.uid,
                           "decided_at": fields.Datetime.now()})
        self.env["ps.audit.log"]._log([{
            "event_type": "event", "res_model": self._name, "res_id": advisory.id,
            "res_name": advisory.name, "field_name": "state", "old_value": "proposed",
            "new_value": state, "company_id": advisory.company_id.id,
            "description": self.env._("Advisory %(state)s: %(name)s", state=state,
                                      name=advisory.name),
        } for advisory in self])
        return True

    def action_open_subject(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(self.env._("This advisory is not about one record."))
        return {"type": "ir.actions.act_window", "res_model": self.res_model,
                "res_id": self.res_id, "view_mode": "form", "target": "current"}

    @api.constrains("inputs")
    def _check_inputs(self):
        for advisory in self:
            try:
                refs = json.loads(advisory.inputs or "[]")
            except ValueError as error:
                raise ValidationError(self.env._("Inputs must be a JSON list.")) from error
            if not isinstance(refs, list):
                raise ValidationError(self.env._("Inputs must be a JSON list."))
