from collections import defaultdict
from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError

from .ps_staffing_allocation import BOOKED_STATES

# weights of the parts of a candidate's score (they add up to 1)
WEIGHTS = {"skill": 0.4, "availability": 0.3, "utilization": 0.2, "location": 0.1}
LEAVE_STATES = ("confirm", "validate1", "validate")  # pending and approved
OVERLOAD_PENALTY = 2.0  # points of utilization score lost per point above the threshold


class PsStaffingCandidate(models.Model):
    """One employee ranked for a staffing request, with the parts of their score so that
    a resource manager sees why they rank where they do."""

    _name = "ps.staffing.candidate"
    _description = "Staffing Candidate"
    _order = "request_id, rank, id"

    request_id = fields.Many2one("ps.staffing.request", required=True, ondelete="cascade",
                                 index=True)
    employee_id = fields.Many2one("hr.employee", required=True, ondelete="cascade",
                                  index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    rank = fields.Integer()
    score = fields.Float(digits=(5, 1), aggregator="max")
    skill_score = fields.Float("Skills", digits=(5, 1))
    availability_score = fields.Float("Availability", digits=(5, 1))
    utilization_score = fields.Float("Utilization", digits=(5, 1))
    location_score = fields.Float("Location", digits=(5, 1))
    work_hours = fields.Float("Working Hours", help="Hours of the working calendar over the "
                              "period, public holidays removed")
    leave_hours = fields.Float(help="Approved and pending leave in the period")
    allocated_hours = fields.Float(help="Hours of confirmed allocations in the period")
    available_hours = fields.Float()
    required_hours = fields.Float()
    current_utilization = fields.Float("Utilization Now (%)", digits=(5, 1))
    resulting_utilization = fields.Float("Utilization After (%)", digits=(5, 1))
    is_subcontractor = fields.Boolean("Subcontractor")
    explanation = fields.Text()
    allocation_id = fields.Many2one("ps.staffing.allocation", "Proposed Allocation",
                                    ondelete="set null")

    def action_propose(self):
        """A draft allocation of the candidate on the request's project."""
        self.ensure_one()
        self.request_id._check_resource_manager()
        request = self.request_id
        if request.state in ("draft", "closed"):
            raise UserError(self.env._("Submit the request before proposing someone."))
        request._check_has_project()
        vals = {"employee_id": self.employee_id.id, "project_id": request.project_id.id,
                "request_id": request.id, "date_start": request.date_start,
                "date_end": request.date_end}
        if request.load_unit == "percent":
            # the same share of the candidate's own working week
            vals.update(load_unit="percent", load_percent=request.load_percent)
        else:
            capacity = self.employee_id._ps_weekly_capacity().get(self.employee_id.id, 0.0)
            vals["hours_per_week"] = min(request.hours_per_week, capacity) \
                or request.hours_per_week
        allocation = self.env["ps.staffing.allocation"].create(vals)
        # sudo: candidates are written by the ranking only; the proposal is recorded here
        self.sudo().allocation_id = allocation
        if request.state == "submitted":
            request._set_state("proposed")
        return {"type": "ir.actions.act_window", "res_model": allocation._name,
                "res_id": allocation.id, "view_mode": "form", "target": "current"}

    # ------------------------------------------------------------------
    # Ranking
    # ------------------------------------------------------------------
    @api.model
    def _rank(self, requests):
        """Rank every active employee of each request's company. Per request, a fixed
        number of queries whatever the number of employees: one read of the employees,
        of their skills, of their leave and of their allocations, and the work intervals
        of each working calendar (not of each employee)."""
        # sudo: ranking reads everybody's skills, leave and allocations; only resource
        # managers run it (checked by the caller), and they see the scores, not the leave
        threshold = float(self.env["ir.config_parameter"].sudo().get_param(
            "ps_staffing.utilization_threshold", 85.0) or 85.0)
        for request in requests:
            request.sudo().candidate_ids.unlink()
            vals_list = self.sudo()._rank_request(request.sudo(), threshold)
            self.sudo().create(vals_list)
            request.sudo().ranked_at = fields.Datetime.now()
            if request.state == "submitted" and vals_list:
                request._set_state("proposed")
        return True

    @api.model
    def _rank_request(self, request, threshold):
        employees = self.env["hr.employee"].search_fetch(
            [("company_id", "=", request.company_id.id)],
            ["name", "resource_calendar_id", "work_location_id", "ps_is_subcontractor",
             "company_id"])
        if not employees:
            return []
        ids = employees.ids
        start, end = request.date_start, request.date_end
        days = (end - start).days + 1
        # hours asked: a share of each candidate's own working time, else the hours per week
        share = request.load_percent / 100.0 if request.load_unit == "percent" else None
        asked = request.hours_per_week * days / 7.0
        skills = self._skill_scores(request, ids)
        work, intervals = self._work_hours(request, employees)
        leave = self._leave_hours(request, employees, intervals)
        allocated = self._allocated_hours(request, ids)
        vals_list = []
        for employee in employees:
            skill_score, skill_text = skills[employee.id]
            hours = work[employee.id]
            required = hours * share if share is not None else asked
            net = max(hours - leave[employee.id], 0.0)
            booked = allocated[employee.id]
            free = max(net - booked, 0.0)
            availability = min(100.0, 100.0 * free / required) if required else 100.0
            current = 100.0 * booked / net if net else 0.0
            after = 100.0 * (booked + required) / net if net else 999.0
            utilization = max(0.0, 100.0 - max(0.0, after - threshold) * OVERLOAD_PENALTY)
            location, location_text = self._location_score(request, employee)
            score = (WEIGHTS["skill"] * skill_score + WEIGHTS["availability"] * availability
                     + WEIGHTS["utilization"] * utilization + WEIGHTS["location"] * location)
            explanation = "\n".join([
                self.env._("Skills %(score).0f/100: %(detail)s", score=skill_score,
                           detail=skill_text),
                self.env._("Availability %(score).0f/100: %(work).1f h of work - %(leave).1f h "
                           "leave - %(booked).1f h allocated = %(free).1f h free for "
                           "%(required).1f h asked", score=availability, work=hours,
                           leave=leave[employee.id], booked=booked, free=free,
                           required=required),
                self.env._("Utilization %(score).0f/100: %(now).0f%% now, %(after).0f%% "
                           "with this request (threshold %(threshold).0f%%)",
                           score=utilization, now=current, after=after, threshold=threshold),
                self.env._("Location %(score).0f/100: %(detail)s", score=location,
                           detail=location_text),
            ] + ([self.env._("Subcontractor: a procurement review applies")]
                 if employee.ps_is_subcontractor else []))
            vals_list.append({
                "request_id": request.id, "employee_id": employee.id,
                "company_id": request.company_id.id, "score": round(score, 1),
                "skill_score": round(skill_score, 1),
                "availability_score": round(availability, 1),
                "utilization_score": round(utilization, 1),
                "location_score": round(location, 1), "work_hours": round(hours, 2),
                "leave_hours": round(leave[employee.id], 2),
                "allocated_hours": round(booked, 2), "available_hours": round(free, 2),
                "required_hours": round(required, 2),
                "current_utilization": round(current, 1),
                "resulting_utilization": round(min(after, 999.0), 1),
                "is_subcontractor": employee.ps_is_subcontractor,
                "explanation": explanation,
            })
        vals_list.sort(key=lambda v: (-v["score"], -v["skill_score"], v["employee_id"]))
        for rank, vals in enumerate(vals_list, start=1):
            vals["rank"] = rank
        return vals_list

    @api.model
    def _skill_scores(self, request, employee_ids):
        """{employee id: (score 0-100, text)}: each required skill counts with a weight
        of its minimum level (a skill asked at expert level weighs more than one asked
        at beginner level); a level below the minimum counts its share of it, a missing
        skill nothing."""
        lines = request.skill_line_ids
        if not lines:
            return defaultdict(lambda: (100.0, self.env._("no skill asked")))
        held = self.env["hr.employee.skill"].search_fetch(
            [("employee_id", "in", employee_ids), ("skill_id", "in", lines.skill_id.ids)],
            ["employee_id", "skill_id", "skill_level_id"])
        held.skill_level_id.fetch(["name", "level_progress"])
        levels = {(h.employee_id.id, h.skill_id.id): h.skill_level_id for h in held}
        total_weight = sum(max(line.min_level_progress, 10) for line in lines)
        result = {}
        for employee_id in employee_ids:
            points, parts = 0.0, []
            for line in lines:
                weight = max(line.min_level_progress, 10)
                level = levels.get((employee_id, line.skill_id.id))
                needed = line.min_level_progress
                if not level:
                    parts.append(self.env._("%(skill)s missing (needs %(level)s)",
                                            skill=line.skill_id.name,
                                            level=line.min_level_id.name))
                    continue
                share = 1.0 if level.level_progress >= needed or not needed \
                    else level.level_progress / needed
                points += weight * share
                sign = ">=" if share >= 1.0 else "<"
                parts.append(f"{line.skill_id.name} {level.name} ({level.level_progress}%) "
                             f"{sign} {line.min_level_id.name} ({needed}%)")
            result[employee_id] = (100.0 * points / total_weight, "; ".join(parts))
        return result

    @api.model
    def _work_hours(self, request, employees):
        """({employee id: working hours over the period}, {calendar id: intervals}), from
        the work intervals of each calendar once (public holidays removed)."""
        by_calendar = defaultdict(list)
        for employee in employees:
            calendar = employee.resource_calendar_id or employee.company_id.resource_calendar_id
            by_calendar[calendar].append(employee.id)
        hours, intervals = {}, {}
        for calendar, employee_ids in by_calendar.items():
            if not calendar:
                total, spans = 0.0, []
            else:
                tz = pytz.timezone(calendar.tz or "UTC")
                start_dt = tz.localize(datetime.combine(request.date_start, time.min))
                end_dt = tz.localize(datetime.combine(request.date_end, time.max))
                work = calendar._work_intervals_batch(start_dt, end_dt)[False]
                spans = [(begin.astimezone(pytz.utc), stop.astimezone(pytz.utc))
                         for begin, stop, _meta in work]
                total = sum((stop - begin).total_seconds() for begin, stop in spans) / 3600.0
            intervals[calendar.id] = spans
            for employee_id in employee_ids:
                hours[employee_id] = total
        return hours, intervals

    @api.model
    def _leave_hours(self, request, employees, intervals):
        """{employee id: working hours of approved or pending leave in the period}: the
        leave of all employees in one read, intersected with their calendar's work
        intervals."""
        result = defaultdict(float)
        start = datetime.combine(request.date_start, time.min)
        end = datetime.combine(request.date_end, time.max)
        leaves = self.env["hr.leave"].search_fetch(
            [("employee_id", "in", employees.ids), ("state", "in", LEAVE_STATES),
             ("date_from", "<=", end), ("date_to", ">=", start)],
            ["employee_id", "date_from", "date_to"])
        calendar_of = {e.id: (e.resource_calendar_id or e.company_id.resource_calendar_id).id
                       for e in employees}
        for leave in leaves:
            begin = pytz.utc.localize(leave.date_from)
            stop = pytz.utc.localize(leave.date_to)
            for span_begin, span_end in intervals.get(calendar_of[leave.employee_id.id], ()):
                overlap = (min(stop, span_end) - max(begin, span_begin)).total_seconds()
                if overlap > 0:
                    result[leave.employee_id.id] += overlap / 3600.0
        return result

    @api.model
    def _allocated_hours(self, request, employee_ids):
        """{employee id: hours of their booked allocations inside the period}."""
        result = defaultdict(float)
        allocations = self.env["ps.staffing.allocation"].search_fetch(
            [("employee_id", "in", employee_ids), ("state", "in", BOOKED_STATES),
             ("date_start", "<=", request.date_end), ("date_end", ">=", request.date_start)],
            ["employee_id", "date_start", "date_end", "hours_per_week"])
        for allocation in allocations:
            days = (min(allocation.date_end, request.date_end)
                    - max(allocation.date_start, request.date_start)).days + 1
            result[allocation.employee_id.id] += allocation.hours_per_week * days / 7.0
        return result

    @api.model
    def _location_score(self, request, employee):
        if request.location_type == "remote":
            return 100.0, self.env._("remote work")
        if not request.work_location_id:
            return 100.0, self.env._("no location asked")
        if employee.work_location_id == request.work_location_id:
            return 100.0, self.env._("works at %s", request.work_location_id.name)
        partial = 50.0 if request.location_type == "hybrid" else 25.0
        return partial, self.env._("works at %(there)s, asked: %(asked)s",
                                   there=employee.work_location_id.name or "-",
                                   asked=request.work_location_id.name)
