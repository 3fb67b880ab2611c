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
        (self.sudo() - handoffs)._ps_take_over_early_requests()
        for handoff in handoffs:
            needs = [handoff._ps_staffing_need(line, known)
                     for line in handoff.staffing_line_ids]
            try:
                with self.env.cr.savepoint():
                    needs = handoff._ps_take_over_early_requests(needs=needs)
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

    def _ps_take_over_early_requests(self, needs=None):
        """The requests created early from the opportunity's capacity needs become the
        project's instead of being duplicated, by this rule:

        - the handoff has staffing assumptions: an early request whose role is an
          assumption's (case and spaces aside) takes that assumption's project, period,
          hours and skills and is re-sourced to it (so it is never created twice); early
          requests whose role the sold scope does not ask for are closed;
        - the handoff has no staffing assumptions: the early requests are the only
          estimate, they get the handoff's project as they are.

        ``needs``: the staffing needs of this handoff's assumptions; returns those still to
        create. Without ``needs``, handles handoffs without assumptions."""
        Request = self.env["ps.staffing.request"].sudo()
        handoffs = self.sudo().filtered(lambda h: h.project_id and h.opportunity_id)
        if not handoffs:
            return needs or []
        early = Request.search(Request._ps_early_request_domain() + [
            ("capacity_need_id.lead_id", "in", handoffs.opportunity_id.ids)], order="id")
        if needs is None:
            for handoff in handoffs:
                mine = early.filtered(lambda r, h=handoff: r.opportunity_id == h.opportunity_id)
                mine.write({"project_id": handoff.project_id.id, "is_provisional": False})
                for request in mine:
                    request.message_post(body=self.env._(
                        "The deal is won: staffed on %s (the handoff has no staffing "
                        "assumptions).", handoff.project_id.display_name),
                        subtype_xmlid="mail.mt_note")
            return []
        self.ensure_one()
        remaining, taken = [], Request.browse()
        for need in needs:
            role = " ".join(need["role"].split()).casefold()
            request = (early - taken).filtered(
                lambda r, role=role: " ".join(r.role.split()).casefold() == role)[:1]
            if not request:
                remaining.append(need)
                continue
            taken |= request
            request._ps_take_over(need)
        rest = (early - taken).filtered(lambda r: r.opportunity_id == self.opportunity_id)
        if rest:
            Request._ps_close_early_requests(
                rest.capacity_need_id,
                self.env._("the won deal's handoff %s does not ask for this role", self.name))
        return remaining

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
