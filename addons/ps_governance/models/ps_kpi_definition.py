import logging
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

_logger = logging.getLogger(__name__)

KINDS = [
    ("count", "Count"),
    ("avg_duration", "Average duration"),
    ("median_duration", "Median duration"),
    ("p90_duration", "90th percentile duration"),
    ("ratio", "Share matching a condition (%)"),
    ("within_ratio", "Share done within a time limit (%)"),
]
DURATION_KINDS = ("avg_duration", "median_duration", "p90_duration", "within_ratio")
UNITS = [("count", "Count"), ("percent", "%"), ("minutes", "Minutes"), ("hours", "Hours"),
         ("days", "Days")]
UNIT_SECONDS = {"minutes": 60.0, "hours": 3600.0, "days": 86400.0}
PERIODS = [("weekly", "Week"), ("monthly", "Month")]


def path_field(model, path):
    """The field at the end of ``path`` ("order_id.date_order"), through many2one fields
    only, or None."""
    names = (path or "").split(".")
    for name in names[:-1]:
        field = model._fields.get(name)
        if not field or field.type != "many2one":
            return None
        model = model.env[field.comodel_name]
    return model._fields.get(names[-1])


def path_sql(model, query, path):
    """SQL of the value at the end of ``path``, LEFT JOINing each many2one on the way."""
    alias = query.table
    names = path.split(".")
    for name in names[:-1]:
        comodel = model.env[model._fields[name].comodel_name]
        next_alias = query.make_alias(alias, name)
        query.add_join("LEFT JOIN", next_alias, comodel._table, SQL(
            "%s = %s", model._field_to_sql(alias, name, query),
            SQL.identifier(next_alias, "id")))
        model, alias = comodel, next_alias
    return model._field_to_sql(alias, names[-1], query)


def period_start(day, period):
    """First day of the week (Monday) or month holding ``day``."""
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(start, period):
    return start + (timedelta(days=7) if period == "weekly" else relativedelta(months=1))


class PsKpiDefinition(models.Model):
    """A scorecard measure, as data: which records (model, domain), which dates place
    them in a week or month, what is measured, the target and the amber band. An
    administrator adds one without code; the snapshot stores its values per period."""

    _name = "ps.kpi.definition"
    _description = "KPI Definition"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    model_name = fields.Char("Model", required=True, help="Technical name, e.g. ps.exception")
    kind = fields.Selection(KINDS, "Measure", required=True, default="count")
    date_field = fields.Char(required=True, default="create_date",
                             help="Date or datetime field that places a record in a period")
    start_field = fields.Char(help="Start of the measured duration")
    end_field = fields.Char(help="End of the measured duration")
    domain = fields.Char(default="[]", required=True, help="Records measured")
    ratio_domain = fields.Char("Condition", default="[]",
                               help="For a share: the records counted among those measured")
    threshold_hours = fields.Float("Time Limit (h)",
                                   help="For a share done within a time limit")
    groupby_field = fields.Char("Group By", help="Optional field: one value per group, e.g. "
                                                "kind or user_id")
    unit = fields.Selection(UNITS, required=True, default="count")
    target = fields.Float(required=True)
    amber_limit = fields.Float(
        help="Beyond the target but within this limit the measure is amber; beyond it red")
    direction = fields.Selection([("lower", "Lower is better"), ("higher", "Higher is better")],
                                 required=True, default="lower")
    available = fields.Boolean(compute="_compute_available",
                               help="Its model and fields are installed")
    availability_note = fields.Char("Not Measured Because", compute="_compute_available")
    value_ids = fields.One2many("ps.kpi.value", "definition_id", "Values")

    _sql_constraints = [("code_uniq", "UNIQUE(code)", "Each KPI has its own code.")]

    @api.depends("model_name", "date_field", "start_field", "end_field", "groupby_field")
    def _compute_available(self):
        for definition in self:
            missing = definition._ps_missing()
            definition.available = missing is None
            definition.availability_note = missing or False

    def _ps_missing(self):
        """What of this definition is not installed (a sentence), or None."""
        self.ensure_one()
        if self.model_name not in self.env:
            return self.env._("model %s is not installed", self.model_name)
        model = self.env[self.model_name]
        paths = list(self._ps_field_names())
        for text in (self.domain, self.ratio_domain if self.kind == "ratio" else "[]"):
            try:
                leaves = safe_eval(text or "[]")
            except Exception:  # noqa: BLE001  # pylint: disable=broad-exception-caught
                return self.env._("its domain is not valid")
            paths += [leaf[0] for leaf in leaves
                      if isinstance(leaf, (list, tuple)) and len(leaf) == 3
                      and isinstance(leaf[0], str)]
        for path in paths:
            field = path_field(model, path)
            if field is None or not (field.store or field.related):
                return self.env._("%(model)s has no stored field %(field)s",
                                  model=self.model_name, field=path)
        return None

    def _ps_field_names(self):
        names = [self.date_field]
        if self.kind in DURATION_KINDS:
            names += [self.start_field, self.end_field]
        if self.groupby_field:
            names.append(self.groupby_field)
        return names

    @api.constrains("model_name", "kind", "date_field", "start_field", "end_field",
                    "groupby_field", "domain", "ratio_domain", "threshold_hours", "unit",
                    "amber_limit", "target", "direction")
    def _check_definition(self):
        for definition in self:
            if definition.kind in DURATION_KINDS and not (
                    definition.start_field and definition.end_field):
                raise ValidationError(self.env._(
                    "KPI %s measures a duration: give its start and end fields.",
                    definition.name))
            if definition.kind == "within_ratio" and definition.threshold_hours <= 0:
                raise ValidationError(self.env._(
                    "KPI %s: give the time limit in hours.", definition.name))
            for label, text in ((self.env._("Domain"), definition.domain),
                                (self.env._("Condition"), definition.ratio_domain)):
                try:
                    value = safe_eval(text or "[]")
                except Exception as error:
                    raise ValidationError(self.env._(
                        "KPI %(name)s: %(label)s is not a valid domain: %(error)s",
                        name=definition.name, label=label, error=error)) from error
                if not isinstance(value, list):
                    raise ValidationError(self.env._(
                        "KPI %(name)s: %(label)s must be a list, e.g. [('state', '=', "
                        "'done')].", name=definition.name, label=label))
            if definition.amber_limit and (
                    (definition.direction == "lower" and definition.amber_limit < definition.target)
                    or (definition.direction == "higher"
                        and definition.amber_limit > definition.target)):
                raise ValidationError(self.env._(
                    "KPI %s: the amber limit lies beyond the target, on the bad side.",
                    definition.name))
            # a model or field not installed is no error: the definition waits for its
            # module (available, availability_note), as the shipped ones do

    # ------------------------------------------------------------------
    def _ps_status(self, value):
        """red, amber or green of ``value`` against the target and the amber band."""
        self.ensure_one()
        sign = 1 if self.direction == "lower" else -1
        if sign * (value - self.target) <= 0:
            return "green"
        if self.amber_limit and sign * (value - self.amber_limit) <= 0:
            return "amber"
        return "red"

    def _ps_measure(self, start, end, company):
        """{group key: (label, value)} of the records of ``company`` dated in [start,
        end). One aggregate query (two for a ratio), computed by PostgreSQL."""
        self.ensure_one()
        model = self.env[self.model_name].sudo().with_context(active_test=False)
        is_datetime = path_field(model, self.date_field).type == "datetime"
        domain = list(safe_eval(self.domain or "[]")) + [
            (self.date_field, ">=", datetime.combine(start, time.min) if is_datetime else start),
            (self.date_field, "<", datetime.combine(end, time.min) if is_datetime else end)]
        if "company_id" in model._fields:
            domain.append(("company_id", "in", [company.id, False]))
        if self.kind in DURATION_KINDS:
            domain += [(self.start_field, "!=", False), (self.end_field, "!=", False)]
        if self.kind == "ratio":
            total = self._ps_aggregate(model, domain, SQL("count(*)"))
            part = self._ps_aggregate(
                model, domain + list(safe_eval(self.ratio_domain or "[]")), SQL("count(*)"))
            return {key: (label, 100.0 * part.get(key, (label, 0))[1] / count)
                    for key, (label, count) in total.items() if count}
        if self.kind == "count":
            return self._ps_aggregate(model, domain, SQL("count(*)"))
        seconds = UNIT_SECONDS.get(self.unit, 3600.0)

        def duration(query):
            # never below zero: an end stamped a moment before its start in the same
            # transaction (create_date is the transaction's start) took no time
            return SQL(
                "GREATEST(EXTRACT(EPOCH FROM (%s::timestamp - %s::timestamp)), 0) / %s",
                path_sql(model, query, self.end_field),
                path_sql(model, query, self.start_field), seconds)

        aggregate = {
            "avg_duration": lambda q: SQL("avg(%s)", duration(q)),
            "median_duration": lambda q: SQL(
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)", duration(q)),
            "p90_duration": lambda q: SQL(
                "percentile_cont(0.9) WITHIN GROUP (ORDER BY %s)", duration(q)),
            "within_ratio": lambda q: SQL(
                "100.0 * count(*) FILTER (WHERE EXTRACT(EPOCH FROM (%s::timestamp - "
                "%s::timestamp)) <= %s) / NULLIF(count(*), 0)",
                path_sql(model, q, self.end_field),
                path_sql(model, q, self.start_field),
                self.threshold_hours * 3600.0),
        }[self.kind]
        return self._ps_aggregate(model, domain, aggregate)

    def _ps_aggregate(self, model, domain, aggregate):
        query = model._search(domain)
        if query.is_empty():
            return {}
        agg = aggregate(query) if callable(aggregate) else aggregate
        if self.groupby_field:
            group = path_sql(model, query, self.groupby_field)
            query.groupby = group
            rows = self.env.execute_query(query.select(group, agg))
        else:
            rows = [(None, value) for (value,) in self.env.execute_query(query.select(agg))]
        rows = [(key, value) for key, value in rows if value is not None]
        labels = self._ps_group_labels(model, [key for key, _value in rows])
        return {("" if key is None else str(key)): (labels.get(key, str(key or "")),
                                                     float(value)) for key, value in rows}

    def _ps_group_labels(self, model, keys):
        if not self.groupby_field:
            return {None: ""}
        field = path_field(model, self.groupby_field)
        if field.type == "many2one":
            records = self.env[field.comodel_name].sudo().browse(
                [key for key in keys if key]).exists()
            labels = {record.id: record.display_name for record in records}
            labels[None] = self.env._("None")
            return labels
        if field.type == "selection":
            return dict(field._description_selection(self.env))
        return {key: str(key) for key in keys}

    def action_snapshot(self):
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_manager")):
            raise AccessError(self.env._("Only PS administrators can compute the scorecard."))
        self.env["ps.kpi.value"]._ps_snapshot(self)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "ps_governance.ps_kpi_value_action_dashboard")

    def action_open_values(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_governance.ps_kpi_value_action")
        action["domain"] = [("definition_id", "=", self.id)]
        action["context"] = {"search_default_weekly": 1}
        return action

    @api.model
    def _ps_today(self):
        return fields.Date.context_today(self)

    @api.model
    def _ps_periods(self, day=None):
        """(period, start, end) of the current and the previous week and month."""
        day = day or self._ps_today()
        if isinstance(day, datetime):
            day = day.date()
        assert isinstance(day, date)
        periods = []
        for period, _label in PERIODS:
            start = period_start(day, period)
            previous = period_start(start - timedelta(days=1), period)
            periods += [(period, previous, start), (period, start, period_end(start, period))]
        return periods
