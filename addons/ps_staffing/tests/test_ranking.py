from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import MONDAY, StaffingCommon


@tagged("post_install", "-at_install")
class TestRanking(StaffingCommon):

    @classmethod
    def _firm(cls, name, size=0):
        """A company of its own with a 40-hour calendar, a project, a resource manager."""
        company = cls.env["res.company"].create({"name": name})
        calendar = cls.env["resource.calendar"].create(
            {"name": f"{name} 40h", "tz": "UTC", "company_id": company.id})
        project = cls.env["project.project"].create(
            {"name": f"{name} project", "company_id": company.id})
        rm = new_test_user(cls.env, login=f"rm_{name.lower().replace(' ', '_')}",
                           groups="ps_base.group_ps_resource_manager", company_id=company.id,
                           company_ids=[Command.set(company.ids)])
        # pending leave (approved by HR) counts as much as approved leave in the ranking
        leave_type = cls.env["hr.leave.type"].create({
            "name": f"{name} holidays", "requires_allocation": "no", "company_id": company.id,
            "leave_validation_type": "hr", "request_unit": "day"})
        # a mixed team: every second one skilled and busy, every third one on leave
        employees = cls.env["hr.employee"].create([cls._employee_vals(
            f"{name} {index}", company=company, calendar=calendar,
            skills=[(cls.orm, cls.expert)] if index % 2 else []) for index in range(size)])
        busy = cls.env["ps.staffing.allocation"].create([{
            "employee_id": employee.id, "project_id": project.id, "date_start": MONDAY,
            "date_end": MONDAY + timedelta(days=25), "hours_per_week": 20,
        } for employee in employees[1::2]])
        busy.action_confirm()
        assert set(busy.mapped("state")) <= {"confirmed"}
        cls.env["hr.leave"].sudo().create([{
            "employee_id": employee.id, "holiday_status_id": leave_type.id,
            "request_date_from": MONDAY, "request_date_to": MONDAY,
        } for employee in employees[::3]])
        return company, calendar, project, rm, leave_type

    @classmethod
    def _request(cls, project, user, **vals):
        return cls.env["ps.staffing.request"].with_user(user).create({
            "project_id": project.id, "role": "Odoo developer", "hours_per_week": 20,
            "date_start": MONDAY, "date_end": MONDAY + timedelta(days=25),
            "skill_line_ids": [
                Command.create({"skill_type_id": cls.skill_type.id, "skill_id": cls.orm.id,
                                "min_level_id": cls.advanced.id}),
                Command.create({"skill_type_id": cls.skill_type.id, "skill_id": cls.pg.id,
                                "min_level_id": cls.beginner.id})],
            **vals})

    def test_ranking_order_and_score_parts_on_a_constructed_team(self):
        company, calendar, project, rm, leave_type = self._firm("Rank Firm")
        full = [(self.orm, self.expert), (self.pg, self.advanced)]
        ada = self._employee("Ada", company=company, calendar=calendar, skills=full)
        ben = self._employee("Ben", company=company, calendar=calendar,
                             skills=[(self.orm, self.advanced)])  # PostgreSQL missing
        cleo = self._employee("Cleo", company=company, calendar=calendar, skills=full)
        dora = self._employee("Dora", company=company, calendar=calendar, skills=full)
        for busy in (cleo, dora):
            self._allocation(employee=busy, project=project, hours=30, user=self.env.user,
                             confirm=True)
        self.env["hr.leave"].sudo().create({  # two weeks off for Cleo (pending)
            "employee_id": cleo.id, "holiday_status_id": leave_type.id,
            "request_date_from": MONDAY, "request_date_to": MONDAY + timedelta(days=11)})
        request = self._request(project, rm)
        request.with_user(rm).action_submit()
        request.with_user(rm).action_rank_candidates()
        self.assertEqual(request.state, "proposed")
        candidates = request.candidate_ids.sorted("rank")
        self.assertEqual(candidates.employee_id, ada | ben | dora | cleo)
        self.assertEqual(candidates.mapped("employee_id.name"), ["Ada", "Ben", "Dora", "Cleo"])
        by_name = {c.employee_id.name: c for c in candidates}
        ada_c, ben_c, cleo_c, dora_c = (by_name[n] for n in ("Ada", "Ben", "Cleo", "Dora"))
        # Ada: every skill at level, free, remote
        self.assertEqual((ada_c.skill_score, ada_c.availability_score,
                          ada_c.utilization_score, ada_c.location_score, ada_c.score),
                         (100.0, 100.0, 100.0, 100.0, 100.0))
        self.assertEqual(ada_c.work_hours, 160.0)  # 20 working days of 8 hours
        # Ben: PostgreSQL (weight 25) missing of 75 + 25
        self.assertEqual(ben_c.skill_score, 75.0)
        self.assertIn("PostgreSQL missing", ben_c.explanation)
        self.assertEqual(ben_c.score, 90.0)
        # Dora: 30 h/week booked over 26 days leaves 48.6 of the 74.3 hours asked
        self.assertAlmostEqual(dora_c.allocated_hours, 111.43, places=2)
        self.assertAlmostEqual(dora_c.availability_score, 65.4, places=1)
        self.assertAlmostEqual(dora_c.resulting_utilization, 116.1, places=1)
        self.assertAlmostEqual(dora_c.utilization_score, 37.9, places=1)
        self.assertAlmostEqual(dora_c.current_utilization, 69.6, places=1)
        # Cleo: two weeks of leave (80 working hours) and the same load: nothing free
        self.assertEqual(cleo_c.leave_hours, 80.0)
        self.assertEqual(cleo_c.availability_score, 0.0)
        self.assertEqual(cleo_c.utilization_score, 0.0)
        self.assertEqual(cleo_c.score, 50.0)
        self.assertIn("80.0 h leave", cleo_c.explanation)
        # only this company's people are ranked
        self.assertNotIn(self.employee, request.candidate_ids.employee_id)

        # ranking again replaces the shortlist; proposing makes a draft allocation
        request.with_user(rm).action_rank_candidates()
        self.assertEqual(len(request.candidate_ids), 4)
        top = request.candidate_ids.sorted("rank")[:1]
        top.with_user(rm).action_propose()
        allocation = top.allocation_id
        self.assertEqual((allocation.employee_id, allocation.project_id, allocation.state,
                          allocation.hours_per_week), (ada, project, "draft", 20.0))
        self.assertEqual(allocation.request_id, request)
        allocation.with_user(rm).action_confirm()
        self.assertEqual(allocation.state, "confirmed")
        self.assertEqual(request.state, "filled")

    def test_pending_leave_counts_against_availability(self):
        company, calendar, project, rm, _leave_type = self._firm("Pending Firm")
        eve = self._employee("Eve", company=company, calendar=calendar)
        pending_type = self.env["hr.leave.type"].create({
            "name": "Pending holidays", "requires_allocation": "no", "company_id": company.id,
            "leave_validation_type": "hr", "request_unit": "day"})
        leave = self.env["hr.leave"].sudo().create({
            "employee_id": eve.id, "holiday_status_id": pending_type.id,
            "request_date_from": MONDAY, "request_date_to": MONDAY + timedelta(days=4)})
        self.assertEqual(leave.state, "confirm")
        request = self._request(project, rm, skill_line_ids=[])
        request.with_user(rm).action_submit()
        request.with_user(rm).action_rank_candidates()
        self.assertEqual(request.candidate_ids.leave_hours, 40.0)
        self.assertEqual(request.candidate_ids.skill_score, 100.0)

    def test_query_count_does_not_grow_with_the_team(self):
        counts = []
        for size in (10, 50):
            _company, _calendar, project, rm, _type = self._firm(f"Size {size}", size=size)
            request = self._request(project, rm)
            request.with_user(rm).action_submit()
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            request.with_user(rm).action_rank_candidates()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(len(request.candidate_ids), size)
        self.assertEqual(counts[0], counts[1], f"queries for 10 and 50 employees: {counts}")

    def test_only_resource_managers_rank(self):
        request = self._request(self.project, self.pm)
        request.with_user(self.pm).action_submit()
        with self.assertRaises(UserError):
            request.with_user(self.pm).action_rank_candidates()

    def test_request_bad_input(self):
        count = self.env["ps.staffing.request"].search_count([])
        other_type = self.env["hr.skill.type"].create({
            "name": "Languages (test)",
            "skill_ids": [Command.create({"name": "Esperanto"})],
            "skill_level_ids": [Command.create({"name": "Fluent", "level_progress": 100})]})
        for vals, message in (
                ({"date_end": MONDAY - timedelta(days=1)}, "before it starts"),
                ({"hours_per_week": 0}, "above 0"),
                ({"skill_line_ids": [Command.create({
                    "skill_type_id": self.skill_type.id, "skill_id": self.orm.id,
                    "min_level_id": other_type.skill_level_ids.id})]}, "out of range")):
            with self.subTest(vals=vals), self.assertRaises(ValidationError) as caught:
                self._request(self.project, self.pm, **vals)
            self.assertIn(message, str(caught.exception))
        self.assertEqual(self.env["ps.staffing.request"].search_count([]), count)

    def test_create_from_needs_is_idempotent(self):
        needs = [
            {"project_id": self.project.id, "role": "Architect", "hours_per_week": 16,
             "date_start": MONDAY, "date_end": MONDAY + timedelta(days=30),
             "skill_names": ["Odoo ORM"], "source_model": "ps.handoff", "source_id": 7},
            {"project_id": self.project.id, "role": "Developer", "hours_per_week": 40,
             "date_start": MONDAY, "date_end": MONDAY + timedelta(days=60),
             "skill_ids": [self.pg.id], "source_model": "ps.handoff", "source_id": 7},
        ]
        Request = self.env["ps.staffing.request"].with_user(self.pm)
        first = Request._ps_create_from_needs(needs)
        self.assertEqual(first.mapped("role"), ["Architect", "Developer"])
        self.assertEqual(first[0].skill_line_ids.skill_id, self.orm)
        self.assertEqual(first[0].skill_line_ids.min_level_id, self.advanced,
                         "the type's default level")
        self.assertEqual(first[1].skill_line_ids.skill_id, self.pg)
        again = Request._ps_create_from_needs(list(reversed(needs)))
        self.assertEqual(again, first[1] | first[0])
        self.assertEqual(Request.search_count([("source_model", "=", "ps.handoff"),
                                               ("source_id", "=", 7)]), 2)
        with self.assertRaises(ValidationError):
            Request._ps_create_from_needs([{**needs[0], "role": "Other",
                                            "skill_names": ["Cobol"]}])
