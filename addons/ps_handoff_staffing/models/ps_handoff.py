import math
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

HOURS_PER_WEEK = 40.0


def _skill_names(line):
    """Skills written on a staffing assumption ("Odoo accounting, French")."""
    return [name.strip() for name in (line.skills or "").split(",") if name.strip()]


class PsHandoff(models.Model):
    _inherit = "ps.handoff"

    def _ps_staffing_needs(self):
        """The staffing assumptions of each complete handoff become draft staffing
        requests on its project, once (ps.staffing.request._ps_create_from_needs is
        idempotent on the assumption). A request that cannot be made (dates, hours) never
        stops the handoff: it becomes an exception for the resource managers."""
        result = super()._ps_staffing_needs()
        Request = self.env["ps.staffing.request"].sudo()
        handoffs = self.sudo().filtered(lambda h: h.project_id and h.staffing_line_ids)
        # the skills Odoo knows, in one search for every assumption
        known = set(self.env["hr.skill"].sudo().search_fetch(
            [("name", "in", list({name for line in handoffs.staffing_line_ids
                                   for name in _skill_names(line)}))],
            ["name"]).mapped("name"))
        for handoff in handoffs:
            needs = [handoff._ps_staffing_need(line, known)
                     for line in handoff.staffing_line_ids]
            try:
                with self.env.cr.savepoint():
                    Request._ps_create_from_needs(needs)
            except (UserError, ValidationError) as error:
                self.env["ps.exception"]._raise_exceptions([{
                    "name": self.env._("Staffing requests of %s could not be created",
                                       handoff.name),
                    "key": f"handoff-staffing:{handoff.id}", "kind": "staffing_request_failed",
                    "source": "ps_handoff_staffing", "res_model": handoff._name,
                    "res_id": handoff.id, "res_name": handoff.name, "severity": "warning",
                    "company_id": handoff.company_id.id, "details": str(error),
                }])
        return result

    def _ps_staffing_need(self, line, known):
        """One staffing assumption as a need: its dates, else the handoff's, else as many
        weeks from today as the hours take at full time; skills known to Odoo are asked
        for, the others are written in the request's note."""
        self.ensure_one()
        start = line.date_from or self.date_start or fields.Date.context_today(self)
        end = line.date_to or self.date_end
        if not end or end < start:
            weeks = max(1, math.ceil(line.hours / HOURS_PER_WEEK))
            end = start + timedelta(weeks=weeks, days=-1)
        weeks = max(((end - start).days + 1) / 7.0, 1.0)
        names = _skill_names(line)
        note = Markup("<p>%s</p>") % self.env._(
            "From handoff %(handoff)s: %(hours)s hours in all.", handoff=self.name,
            hours=line.hours)
        unknown = [name for name in names if name not in known]
        if unknown:
            note += Markup("<p>%s %s</p>") % (self.env._("Skills asked:"),
                                              escape(", ".join(unknown)))
        return {
            "project_id": self.project_id.id, "role": line.role,
            "hours_per_week": round(min(line.hours / weeks, HOURS_PER_WEEK), 2),
            "date_start": start, "date_end": end,
            "skill_names": [name for name in names if name in known],
            "source_model": line._name, "source_id": line.id, "note": note,
        }
