from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MONDAY, StaffingCommon


@tagged("post_install", "-at_install")
class TestSweeps(StaffingCommon):

    def _exceptions(self, kind):
        return self.env["ps.exception"].sudo().search([("kind", "=", kind)])

    def test_leave_approved_after_allocation_raises_one_exception_not_one_per_run(self):
        allocation = self._allocation(hours=20, weeks=4, confirm=True)
        Allocation = self.env["ps.staffing.allocation"]
        self.assertEqual(Allocation._cron_leave_conflicts(), 0)
        leave = self._leave(self.employee, MONDAY + timedelta(days=7),
                            MONDAY + timedelta(days=8))
        self.assertEqual(leave.state, "validate")
        self.assertEqual(Allocation._cron_leave_conflicts(), 1)
        self.assertEqual(Allocation._cron_leave_conflicts(), 0, "the second run finds it known")
        exceptions = self._exceptions("staffing_leave_conflict")
        self.assertEqual(len(exceptions), 1)
        self.assertEqual(exceptions.attempts, 1)
        self.assertEqual((exceptions.res_model, exceptions.res_id),
                         (allocation._name, allocation.id))
        self.assertEqual(exceptions.key,
                         f"staffing-leave-conflict:{allocation.id}:{leave.id}")
        activities = allocation.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(
                "ps_staffing.mail_activity_type_leave_conflict"))
        self.assertEqual(activities.user_id, self.pm, "the delivery lead replans")
        # resolved, then swept again: still not raised a second time
        exceptions.sudo().write({"resolution": "Cover found"})
        exceptions.sudo().action_resolve()
        Allocation._cron_leave_conflicts()
        self.assertEqual(len(self._exceptions("staffing_leave_conflict")), 1)
        # another leave in the same allocation is a new conflict
        self._leave(self.employee, MONDAY + timedelta(days=14), MONDAY + timedelta(days=14))
        self.assertEqual(Allocation._cron_leave_conflicts(), 1)
        self.assertEqual(len(self._exceptions("staffing_leave_conflict")), 2)
        self.assertEqual(len(allocation.activity_ids), 2)

    def test_leave_conflicts_sweep_in_batches(self):
        allocations = self._allocation(hours=10, confirm=True) \
            | self._allocation(employee=self.employee_2, hours=10, confirm=True)
        self._leave(self.employee, MONDAY, MONDAY)
        self._leave(self.employee_2, MONDAY, MONDAY)
        Allocation = self.env["ps.staffing.allocation"]
        params = self.env["ir.config_parameter"]
        raised = Allocation._cron_leave_conflicts(batch_size=1)
        self.assertNotEqual(params.get_param("ps_staffing.leave_conflict_cursor"), "0",
                            "one batch done, the next call goes on from there")
        calls = 1
        while params.get_param("ps_staffing.leave_conflict_cursor") != "0" and calls < 100:
            raised += Allocation._cron_leave_conflicts(batch_size=1)  # as the cron calls it
            calls += 1
        self.assertEqual(raised, 2)
        self.assertEqual(set(self._exceptions("staffing_leave_conflict").mapped("res_id")),
                         set(allocations.ids))

    def test_bench_digest_once_per_week_for_resource_managers(self):
        self._allocation(employee=self.employee_2, hours=30, weeks=4, confirm=True)
        self._employee("Sue Subcontractor", ps_is_subcontractor=True)
        Allocation = self.env["ps.staffing.allocation"]
        with freeze_time(MONDAY - timedelta(days=5)):
            first = Allocation._cron_bench_sweep()
            second = Allocation._cron_bench_sweep()
        digest = first.filtered(lambda e: e.company_id == self.env.company)
        self.assertEqual(len(digest), 1)
        self.assertEqual(second.filtered(lambda e: e.company_id == self.env.company), digest)
        self.assertEqual(digest.attempts, 2)
        self.assertIn("Cora Consultant: 0% planned", digest.details)
        self.assertNotIn("Dan Developer", digest.details, "planned at 75%")
        self.assertNotIn("Sue Subcontractor", digest.details, "no bench for subcontractors")
        activities = self.env["mail.activity"].sudo().search([
            ("res_model", "=", "ps.exception"), ("res_id", "=", digest.id)])
        self.assertIn(self.rm, activities.user_id)
        self.assertEqual(len(activities.filtered(lambda a: a.user_id == self.rm)), 1)
        self.assertNotIn(self.consultant, activities.user_id)

    def test_ending_allocations_warned_once_and_ended_ones_done(self):
        ending = self._allocation(hours=20, weeks=2, confirm=True)
        ended = self._allocation(employee=self.employee_2, hours=20, weeks=1, confirm=True)
        Allocation = self.env["ps.staffing.allocation"]
        with freeze_time(MONDAY + timedelta(days=8)):
            Allocation._cron_close_and_warn_expiring()
            Allocation._cron_close_and_warn_expiring()
        self.assertEqual(ended.state, "done")
        self.assertEqual(ending.state, "confirmed")
        warned = ending.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(
            "ps_staffing.mail_activity_type_allocation_expiring"))
        self.assertEqual(len(warned), 1)
        self.assertEqual(warned.user_id, self.pm)
        self.assertTrue(self.env.ref("ps_staffing.ir_cron_expiring_allocations").active)
