from datetime import timedelta

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.ps_base.tests.kit import ApprovableContract

from .common import MONDAY, StaffingCommon


@tagged("post_install", "-at_install")
class TestAllocationFacts(StaffingCommon):

    def test_utilization_after_counts_other_booked_allocations_per_week(self):
        self._allocation(hours=16, confirm=True)
        # overlaps the first two weeks only: the peak week is 16 + 20 of 40 hours
        later = self._allocation(hours=20, start=MONDAY + timedelta(days=14), weeks=4)
        self.assertEqual(later.weekly_capacity, 40.0)
        self.assertEqual(later.utilization_after, 90.0)
        self.assertFalse(later.leave_overlap)
        self.assertIn("36 h / 40 h (90%)", later.weekly_load)
        alone = self._allocation(hours=20, start=MONDAY + timedelta(days=35), weeks=2)
        self.assertEqual(alone.utilization_after, 50.0)
        # a booking of the same person later shows on the drafts at once
        self._allocation(hours=8, start=MONDAY + timedelta(days=35), weeks=1, confirm=True)
        alone.invalidate_recordset()
        self.assertEqual(alone.utilization_after, 70.0)

    def test_bad_input_is_refused_and_nothing_written(self):
        Allocation = self.env["ps.staffing.allocation"].with_user(self.pm)
        count = Allocation.sudo().search_count([])
        base = {"employee_id": self.employee.id, "project_id": self.project.id,
                "date_start": MONDAY, "date_end": MONDAY + timedelta(days=4),
                "hours_per_week": 20}
        cases = [
            ({"date_end": MONDAY - timedelta(days=1)}, "before it starts"),
            ({"hours_per_week": 45}, "works 40.0 hours a week"),
            ({"hours_per_week": 0}, "above 0"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaises(ValidationError) as caught:
                Allocation.create({**base, **vals})
            self.assertIn(message, str(caught.exception))
        archived = self._employee("Arch Ived")
        archived.active = False
        with self.assertRaises(ValidationError) as caught:
            Allocation.create({**base, "employee_id": archived.id})
        self.assertIn("archived", str(caught.exception))
        self.assertEqual(Allocation.sudo().search_count([]), count)

    def test_consultant_cannot_allocate(self):
        with self.assertRaises(AccessError):
            self._allocation(user=self.consultant)


@tagged("post_install", "-at_install")
class TestAllocationApproval(StaffingCommon):

    def test_over_threshold_is_blocked_until_the_resource_manager_approves(self):
        self._allocation(hours=16, confirm=True)
        allocation = self._allocation(hours=20)
        self.assertEqual(allocation.utilization_after, 90.0)
        result = allocation.with_user(self.pm).action_confirm()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertEqual(allocation.state, "draft")
        self.assertEqual(allocation.ps_approval_state, "pending")
        # not by another door either
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.pm)["ps.staffing.allocation"], "write",
                    [allocation.ids, {"state": "confirmed"}], {})
        pending = allocation._ps_pending_lines()
        self.assertIn(self.rm, pending.user_id)
        self.assertNotIn(self.pm, pending.user_id, "the requester never approves")
        self.assertEqual(pending.rule_id, self.env.ref(
            "ps_staffing.rule_allocation_resource_manager"))
        allocation.with_user(self.rm).action_ps_approve()
        self.assertEqual(allocation.ps_approval_state, "approved")
        self.assertEqual(allocation.state, "confirmed", "completes in the requester's name")
        self.env["ps.audit.log"]._flush_buffer()
        logs = self.env["ps.audit.log"].sudo().search(
            [("res_model", "=", allocation._name), ("res_id", "=", allocation.id)])
        self.assertIn("approval", logs.mapped("event_type"))
        self.assertTrue(self.env["ps.event"].sudo().search_count(
            [("event_type", "=", "staffing.allocation.confirmed"),
             ("res_id", "=", allocation.id)]))

    def test_under_threshold_confirms_directly(self):
        allocation = self._allocation(hours=30)
        allocation.with_user(self.pm).action_confirm()
        self.assertEqual(allocation.state, "confirmed")
        self.assertEqual(allocation.ps_approval_state, "not_required")

    def test_above_second_threshold_adds_the_delivery_lead(self):
        self._allocation(hours=24, confirm=True)
        allocation = self._allocation(hours=24, user=self.rm)  # 120%
        allocation.with_user(self.rm).action_confirm()
        rules = allocation._ps_pending_lines().rule_id
        self.assertIn(self.env.ref("ps_staffing.rule_allocation_delivery_lead"), rules)
        lead_lines = allocation._ps_pending_lines().filtered(
            lambda l: l.rule_id.name == "Allocations: far above capacity")
        self.assertEqual(lead_lines.user_id, self.pm, "the project's delivery lead decides")
        # the resource manager requested it: another resource manager or admin decides it
        allocation.with_user(self.pm).action_ps_approve()
        self.assertEqual(allocation.state, "draft", "the resource manager tier still waits")
        rm_line = allocation._ps_pending_lines()
        self.assertNotIn(self.rm, rm_line.user_id)
        allocation.with_user(self.admin_ps).action_ps_approve()
        self.assertEqual(allocation.state, "confirmed")

    def test_leave_overlap_needs_the_resource_manager(self):
        self._leave(self.employee, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2))
        allocation = self._allocation(hours=10)
        self.assertTrue(allocation.leave_overlap)
        allocation.with_user(self.pm).action_confirm()
        self.assertEqual(allocation.ps_approval_state, "pending")

    def test_subcontractor_adds_a_procurement_review(self):
        contractor = self._employee("Sam Subcontractor", ps_is_subcontractor=True)
        allocation = self._allocation(employee=contractor, hours=10)
        self.assertTrue(allocation.is_subcontractor)
        allocation.with_user(self.pm).action_confirm()
        lines = allocation._ps_pending_lines()
        self.assertEqual(lines.rule_id, self.env.ref(
            "ps_staffing.rule_allocation_subcontractor"))
        self.assertIn(self.procurement, lines.user_id)
        allocation.with_user(self.procurement).action_ps_approve()
        self.assertEqual(allocation.state, "confirmed")

    def test_forged_facts_do_not_confirm(self):
        self._allocation(hours=16, confirm=True)
        allocation = self._allocation(hours=20)
        env = self.env(user=self.pm)
        for vals in ({"utilization_after": 10.0}, {"leave_overlap": False},
                     {"ps_approval_state": "approved"},
                     {"utilization_after": 10.0, "state": "confirmed"}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                call_kw(env["ps.staffing.allocation"], "write", [allocation.ids, vals], {})
        # a value forged in SQL is recomputed from the allocations when the engine decides
        self.env.cr.execute("UPDATE ps_staffing_allocation SET utilization_after = 5 "
                            "WHERE id = %s", [allocation.id])
        allocation.invalidate_recordset()
        allocation.with_user(self.pm).action_confirm()
        self.assertEqual(allocation.state, "draft")
        self.assertEqual(allocation.utilization_after, 90.0)

    def test_changing_hours_after_approval_asks_again(self):
        self._allocation(hours=16, confirm=True)
        allocation = self._allocation(hours=20)
        allocation.with_user(self.pm).action_confirm()
        allocation.with_user(self.rm).action_ps_approve()
        self.assertEqual(allocation.state, "confirmed")
        allocation.with_user(self.pm).action_cancel()
        allocation.with_user(self.pm).action_reset_draft()
        allocation.with_user(self.pm).write({"hours_per_week": 24})
        allocation.with_user(self.pm).action_confirm()
        self.assertEqual(allocation.state, "draft", "approved for 20 hours, not 24")


@tagged("post_install", "-at_install")
class TestAllocationContract(ApprovableContract, StaffingCommon):
    kit_forged = {"utilization_after": 0.0, "leave_overlap": False, "is_subcontractor": False}
    kit_forged_sources = (("", "weekly_capacity", 1000.0),)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit_requester, cls.kit_approver, cls.kit_outsider = cls.pm, cls.rm, cls.consultant_2
        cls._allocation(hours=16, confirm=True)

    def _kit_document(self):
        return self._allocation(hours=20)

    def _kit_submit(self, document):
        document.action_confirm()

    def test_kit_nested_commands_do_not_confirm(self):
        document = self._kit_document()
        request = self.env["ps.staffing.request"].with_user(self.pm).create({
            "project_id": self.project.id, "role": "Developer", "hours_per_week": 20,
            "date_start": document.date_start, "date_end": document.date_end})
        document.sudo().request_id = request
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.pm)["ps.staffing.request"], "write", [request.ids, {
                "allocation_ids": [Command.update(document.id, {"state": "confirmed"})]}], {})
        self.assertEqual(document.state, "draft")
