from odoo import api, fields, models
from odoo.tools import SQL

from .ps_kpi_definition import PERIODS, UNITS

STATUSES = [("green", "On target"), ("amber", "Watch"), ("red", "Off target")]


class PsKpiValue(models.Model):
    """A KPI's value for one week or month and company (and group), stored by the
    snapshot so trends survive later changes of the data."""

    _name = "ps.kpi.value"
    _description = "KPI Value"
    _order = "period_start desc, sequence, id"
    _rec_name = "definition_id"

    definition_id = fields.Many2one("ps.kpi.definition", "KPI", required=True,
                                    ondelete="cascade", index=True, readonly=True)
    code = fields.Char(related="definition_id.code")
    sequence = fields.Integer(related="definition_id.sequence", store=True)
    period = fields.Selection(PERIODS, required=True, readonly=True, index=True)
    period_start = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    group_key = fields.Char(readonly=True, default="")
    group_label = fields.Char("Group", readonly=True)
    value = fields.Float(readonly=True, aggregator="avg")
    target = fields.Float(readonly=True, aggregator="avg", digits=(16, 2))
    unit = fields.Selection(UNITS, readonly=True)
    status = fields.Selection(STATUSES, readonly=True, index=True)
    is_latest = fields.Boolean("Latest", readonly=True, index=True)
    computed_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("period_uniq", "UNIQUE(definition_id, period, period_start, company_id, group_key)",
         "A KPI has one value per period, company and group."),
    ]

    @api.model
    def _cron_snapshot(self):
        definitions = self.env["ps.kpi.definition"].search([("active", "=", True)])
        self._ps_snapshot(definitions)
        self.env["ir.cron"]._notify_progress(done=len(definitions), remaining=0)

    @api.model
    def _ps_snapshot(self, definitions, day=None):
        """Store the values of ``definitions`` for the current and previous week and month
        of every company: created once, updated on later runs (idempotent)."""
        definitions = definitions.filtered("available")
        periods = self.env["ps.kpi.definition"]._ps_periods(day)
        companies = self.env["res.company"].sudo().search([("active", "=", True)])
        existing = {
            (v.definition_id.id, v.period, v.period_start, v.company_id.id, v.group_key): v
            for v in self.sudo().search([
                ("definition_id", "in", definitions.ids),
                ("period_start", "in", list({start for _p, start, _e in periods}))])
        }
        now = fields.Datetime.now()
        to_create = []
        for definition in definitions:
            for period, start, end in periods:
                for company in companies:
                    measures = definition._ps_measure(start, end, company)
                    for key, (label, value) in measures.items():
                        vals = {"value": value, "target": definition.target,
                                "unit": definition.unit, "group_label": label,
                                "status": definition._ps_status(value), "computed_at": now}
                        found = existing.get((definition.id, period, start, company.id, key))
                        if found:
                            found.write(vals)
                        else:
                            to_create.append(dict(
                                vals, definition_id=definition.id, period=period,
                                period_start=start, company_id=company.id, group_key=key))
        self.sudo().create(to_create)
        self._ps_mark_latest()

    @api.model
    def _ps_mark_latest(self):
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            UPDATE ps_kpi_value v SET is_latest = (v.period_start = m.latest)
            FROM (SELECT definition_id, period, company_id, group_key,
                         max(period_start) AS latest
                  FROM ps_kpi_value GROUP BY definition_id, period, company_id, group_key) m
            WHERE m.definition_id = v.definition_id AND m.period = v.period
              AND m.company_id = v.company_id AND m.group_key IS NOT DISTINCT FROM v.group_key
              AND v.is_latest IS DISTINCT FROM (v.period_start = m.latest)
        """))
        self.invalidate_model(["is_latest"])
