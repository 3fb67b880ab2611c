from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import MONDAY, StaffingCommon


def _calendar(env, name, days, hours, company=None):
    """A calendar of ``days`` working days (Monday first) of ``hours`` hours, from 8:00."""
    attendances = []
    for day in range(days):
        morning = min(hours, 4)
        attendances.append(Command.create({
            "name": f"{name} {day} morning", "dayofweek": str(day), "hour_from": 8,
            "hour_to": 8 + morning, "day_period": "morning"}))
        if hours > 4:
            attendances.append(Command.create({
                "name": f"{name} {day} afternoon", "dayofweek": str(day), "hour_from": 13,
                "hour_to": 13 + hours - 4, "day_period": "afternoon"}))
    return env["resource.calendar"].create({
        "name": name, "tz": "UTC", "attendance_ids": attendances,
        "company_id": company.id if company else False})


@tagged("post_install", "-at_install")
class TestPercentage(StaffingCommon):
    """A request or an allocation expressed as a share of a working week."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # a firm whose default calendar is four days of eight hours (32 h a week)
        cls.firm = env["res.company"].create({"name": "Four Day Firm"})
        cls.firm.resource_calendar_id = _calendar(env, "Firm 4x8", 4, 8, cls.firm)
        cls.firm_project = env["project.project"].create(
            {"name": "Four day project", "company_id": cls.firm.id})
        cls.firm_rm = new_test_user(
            env, login="st_pct_rm", groups="ps_base.group_ps_resource_manager",
            company_id=cls.firm.id, company_ids=[Command.set(cls.firm.ids)])
        cls.firm_pm = new_test_user(
            env, login="st_pct_pm", groups="ps_base.group_ps_project_manager",
            company_id=cls.firm.id, company_ids=[Command.set(cls.firm.ids)])
        cls.firm_project.user_id = cls.firm_pm
        cls.half_calendar = _calendar(env, "Half days", 5, 4, cls.firm)
        cls.full_calendar = _calendar(env, "Full weeks", 5, 8, cls.firm)
        cls.part_timer = cls._employee("Pia Parttime", company=cls.firm,
                                       calendar=cls.half_calendar)
        cls.full_timer = cls._employee("Finn Fulltime", company=cls.firm,
                                       calendar=cls.full_calendar)

    def _request(self, user=None, **vals):
        return self.env["ps.staffing.request"].with_user(user or self.firm_rm).create({
            "project_id": self.firm_project.id, "role": "Analyst", "date_start": MONDAY,
            "date_end": MONDAY + timedelta(days=13), **vals})

    def _percent_allocation(self, percent):
        return self.env["ps.staffing.allocation"].with_user(self.firm_pm).create({
            "employee_id": self.part_timer.id, "project_id": self.firm_project.id,
            "date_start": MONDAY, "date_end": MONDAY + timedelta(days=11),
            "load_unit": "percent", "load_percent": percent})

    def test_request_hours_derive_from_the_company_calendar(self):
        request = self._request(load_unit="percent", load_percent=50.0)
        self.assertEqual(request.hours_per_week, 16.0, "half of the firm's 32-hour week")
        # as hours, the share follows the hours
        request.with_user(self.firm_rm).write({"load_unit": "hours", "hours_per_week": 24.0})
        self.assertEqual(request.load_percent, 75.0)
        self.assertEqual(request.hours_per_week, 24.0)
        # back to a share: the hours follow it
        request.with_user(self.firm_rm).write({"load_unit": "percent", "load_percent": 25.0})
        self.assertEqual(request.hours_per_week, 8.0)

    def test_request_form_switches_between_hours_and_share(self):
        form = Form(self.env["ps.staffing.request"].with_user(self.firm_rm))
        form.project_id = self.firm_project
        form.role = "Tester"
        form.date_start = MONDAY
        form.date_end = MONDAY + timedelta(days=4)
        form.load_unit = "percent"
        form.load_percent = 62.5
        self.assertEqual(form.hours_per_week, 20.0)
        request = form.save()
        self.assertEqual((request.load_unit, request.load_percent, request.hours_per_week),
                         ("percent", 62.5, 20.0))

    def test_share_must_be_of_one_working_week(self):
        for percent in (0.0, -10.0, 120.0):
            with self.assertRaisesRegex(ValidationError, "at most 100"):
                self._request(load_unit="percent", load_percent=percent)
        with self.assertRaisesRegex(ValidationError, "at most 100"):
            self.env["ps.staffing.allocation"].with_user(self.firm_pm).create({
                "employee_id": self.part_timer.id, "project_id": self.firm_project.id,
                "date_start": MONDAY, "date_end": MONDAY + timedelta(days=4),
                "load_unit": "percent", "load_percent": 101.0})

    def test_a_request_without_hours_asks_for_a_full_week(self):
        self.assertEqual(self._request().hours_per_week, 32.0)

    def test_request_without_project_is_refused_unless_provisional(self):
        with self.assertRaisesRegex(ValidationError, "pick the project"):
            self.env["ps.staffing.request"].with_user(self.firm_rm).create({
                "role": "Analyst", "company_id": self.firm.id, "date_start": MONDAY,
                "date_end": MONDAY + timedelta(days=4), "hours_per_week": 10})

    def test_allocation_share_is_of_the_employee_s_own_calendar(self):
        Allocation = self.env["ps.staffing.allocation"].with_user(self.firm_pm)
        vals = {"project_id": self.firm_project.id, "date_start": MONDAY,
                "date_end": MONDAY + timedelta(days=11), "load_unit": "percent",
                "load_percent": 50.0}
        part, full = Allocation.create([dict(vals, employee_id=self.part_timer.id),
                                        dict(vals, employee_id=self.full_timer.id)])
        self.assertEqual((part.hours_per_week, part.weekly_capacity), (10.0, 20.0))
        self.assertEqual((full.hours_per_week, full.weekly_capacity), (20.0, 40.0))
        self.assertEqual(part.utilization_after, 50.0, "utilization reads the hours")
        # the share of someone else's week when the employee changes
        part.write({"employee_id": self.full_timer.id})
        self.assertEqual(part.hours_per_week, 20.0)
        # hours entered: the share is derived
        hours = Allocation.create({
            "employee_id": self.part_timer.id, "project_id": self.firm_project.id,
            "date_start": MONDAY, "date_end": MONDAY + timedelta(days=4),
            "hours_per_week": 5.0})
        self.assertEqual(hours.load_percent, 25.0)

    def test_utilization_counts_the_derived_hours(self):
        allocation = self._percent_allocation(40.0)
        allocation.sudo().action_confirm()
        self.assertEqual(allocation.hours_per_week, 8.0)
        self.env.flush_all()
        weeks = self.env["ps.staffing.utilization"].search(
            [("employee_id", "=", self.part_timer.id)])
        self.assertTrue(weeks)
        self.assertEqual(set(weeks.mapped("planned_hours")), {8.0})
        self.assertEqual(set(weeks.mapped("planned_utilization")), {40.0})

    def test_changing_the_share_asks_for_approval_again(self):
        allocation = self._percent_allocation(90.0)
        allocation.with_user(self.firm_pm).action_confirm()
        self.assertEqual(allocation.ps_approval_state, "pending", "90% is above 85%")
        allocation.with_user(self.firm_rm).action_ps_approve()
        self.assertEqual(allocation.state, "confirmed")
        allocation.with_user(self.firm_pm).action_cancel()
        allocation.with_user(self.firm_pm).action_reset_draft()
        allocation.with_user(self.firm_pm).write({"load_percent": 95.0})
        self.assertEqual(allocation.hours_per_week, 19.0)
        allocation.with_user(self.firm_pm).action_confirm()
        self.assertEqual(allocation.state, "draft", "approved for 90%, not 95%")

    def test_ranking_and_proposal_read_each_candidate_s_own_week(self):
        request = self._request(load_unit="percent", load_percent=50.0)
        request.with_user(self.firm_rm).action_submit()
        request.with_user(self.firm_rm).action_rank_candidates()
        candidates = {c.employee_id: c for c in request.candidate_ids}
        part, full = candidates[self.part_timer], candidates[self.full_timer]
        # two weeks: 40 h of work for the part-timer, 80 h for the full-timer
        self.assertEqual((part.work_hours, part.required_hours), (40.0, 20.0))
        self.assertEqual((full.work_hours, full.required_hours), (80.0, 40.0))
        self.assertEqual(part.resulting_utilization, 50.0)
        self.assertEqual(full.resulting_utilization, 50.0)
        part.with_user(self.firm_rm).action_propose()
        allocation = part.allocation_id
        self.assertEqual((allocation.load_unit, allocation.load_percent,
                          allocation.hours_per_week), ("percent", 50.0, 10.0))

    def test_hours_requests_rank_as_before(self):
        request = self._request(hours_per_week=16.0)
        self.assertEqual((request.load_unit, request.load_percent), ("hours", 50.0))
        request.with_user(self.firm_rm).action_submit()
        request.with_user(self.firm_rm).action_rank_candidates()
        self.assertEqual(set(request.candidate_ids.mapped("required_hours")), {32.0},
                         "16 hours a week for two weeks, whoever the candidate")

    def test_a_provisional_request_is_ranked_not_staffed(self):
        request = self.env["ps.staffing.request"].sudo().create({
            "role": "Analyst", "company_id": self.firm.id, "is_provisional": True,
            "date_start": MONDAY, "date_end": MONDAY + timedelta(days=4),
            "hours_per_week": 16})
        request = request.with_user(self.firm_rm)
        request.action_submit()
        request.action_rank_candidates()
        self.assertTrue(request.candidate_ids)
        with self.assertRaisesRegex(UserError, "no project yet"):
            request.candidate_ids[:1].action_propose()
        with self.assertRaisesRegex(UserError, "no project yet"):
            request.action_approve()
        request.write({"project_id": self.firm_project.id})
        self.assertFalse(request.is_provisional, "a project makes it real")
        request.action_approve()
        self.assertEqual(request.state, "approved")
