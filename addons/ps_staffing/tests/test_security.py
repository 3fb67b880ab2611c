from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import MONDAY, StaffingCommon


@tagged("post_install", "-at_install")
class TestStaffingSecurity(StaffingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own = cls._allocation(hours=20, confirm=True, hourly_rate=80.0)
        cls.others = cls._allocation(employee=cls.employee_2, hours=20, confirm=True,
                                     hourly_rate=120.0, project=cls.other_project,
                                     user=cls.admin_ps)
        Request = cls.env["ps.staffing.request"]
        values = {"role": "Developer", "hours_per_week": 20, "date_start": MONDAY,
                  "date_end": MONDAY + timedelta(days=20)}
        cls.staffed_request = Request.with_user(cls.pm).create(
            {**values, "project_id": cls.project.id})
        cls.own.sudo().request_id = cls.staffed_request
        cls.pipeline_request = Request.with_user(cls.admin_ps).create(
            {**values, "project_id": cls.other_project.id, "role": "Architect"})

    def test_consultant_sees_own_allocations_but_not_others(self):
        Allocation = self.env["ps.staffing.allocation"].with_user(self.consultant)
        self.assertEqual(Allocation.search([]), self.own)
        self.assertEqual(self.own.with_user(self.consultant).hours_per_week, 20.0)
        with self.assertRaises(AccessError):
            self.others.with_user(self.consultant).read(["hours_per_week"])
        with self.assertRaises(AccessError):
            self.own.with_user(self.consultant).write({"hours_per_week": 10})

    def test_consultant_sees_no_rates(self):
        with self.assertRaises(AccessError):
            self.own.with_user(self.consultant).read(["hourly_rate"])
        self.assertEqual(self.own.with_user(self.pm).hourly_rate, 80.0)
        self.assertEqual(self.others.with_user(self.rm).hourly_rate, 120.0)

    def test_consultant_does_not_see_the_pipeline(self):
        Request = self.env["ps.staffing.request"].with_user(self.consultant)
        self.assertEqual(Request.search([]), self.staffed_request)
        with self.assertRaises(AccessError):
            self.pipeline_request.with_user(self.consultant).read(["role"])
        with self.assertRaises(AccessError):
            Request.create({"project_id": self.project.id, "role": "Me", "date_start": MONDAY,
                            "date_end": MONDAY, "hours_per_week": 8})
        # nor the candidates of a request
        with self.assertRaises(AccessError):
            self.env["ps.staffing.candidate"].with_user(self.consultant).search([])

    def test_delivery_lead_sees_own_projects_resource_manager_everything(self):
        self.assertEqual(self.env["ps.staffing.request"].with_user(self.pm).search([]),
                         self.staffed_request)
        rm_requests = self.env["ps.staffing.request"].with_user(self.rm).search([])
        self.assertIn(self.pipeline_request, rm_requests)
        self.assertIn(self.staffed_request, rm_requests)
        rm_allocations = self.env["ps.staffing.allocation"].with_user(self.rm).search([])
        self.assertIn(self.others, rm_allocations)
        self.others.with_user(self.rm).write({"hourly_rate": 125.0})
        with self.assertRaises(UserError):
            self.others.with_user(self.rm).unlink()

    def test_consultant_utilization_is_their_own(self):
        rows = self.env["ps.staffing.utilization"].with_user(self.consultant).search([])
        self.assertTrue(rows)
        self.assertEqual(rows.employee_id, self.employee)
        all_rows = self.env["ps.staffing.utilization"].with_user(self.rm).search(
            [("employee_id", "in", (self.employee | self.employee_2).ids)])
        self.assertEqual(all_rows.employee_id, self.employee | self.employee_2)

    def test_multi_company_isolation(self):
        company = self.env["res.company"].create({"name": "Staffing Other Co"})
        rm_other = new_test_user(self.env, login="st_rm_other", company_id=company.id,
                                 company_ids=[Command.set(company.ids)],
                                 groups="ps_base.group_ps_resource_manager")
        project = self.env["project.project"].create({"name": "Other co project",
                                                      "company_id": company.id})
        employee = self._employee("Otto Other", company=company)
        theirs = self._allocation(employee=employee, project=project, hours=10,
                                  user=self.env.user)
        self.assertEqual(theirs.company_id, company)
        Allocation = self.env["ps.staffing.allocation"]
        self.assertEqual(Allocation.with_user(rm_other).search([]), theirs)
        self.assertNotIn(theirs, Allocation.with_user(self.rm).search([]))
        with self.assertRaises(AccessError):
            self.own.with_user(rm_other).read(["hours_per_week"])
        self.assertFalse(self.env["ps.staffing.request"].with_user(rm_other).search([]))
        self.assertFalse(self.env["ps.staffing.utilization"].with_user(rm_other).search(
            [("employee_id", "=", self.employee.id)]))
        # nobody is booked on another company's project
        ours = self.env["project.project"].create({"name": "Our company's project",
                                                   "company_id": self.env.company.id})
        with self.assertRaises(ValidationError):
            self._allocation(employee=employee, project=ours, hours=10, user=self.env.user)
