from datetime import timedelta

from odoo import fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestTimesheetApproval(BillingCommon):

    def _rpc(self, user, records, method, *args):
        return call_kw(records.env(user=user)[records._name], method, [records.ids, *args], {})

    def test_submit_approve_and_lock(self):
        line = self._timesheet(6.0)
        self.assertEqual(line.ps_timesheet_state, "draft")
        self._rpc(self.consultant, line, "action_ps_submit_timesheets")
        self.assertEqual(line.ps_timesheet_state, "submitted")
        self._rpc(self.pm, line, "action_ps_approve_timesheets")
        self.assertEqual(line.ps_timesheet_state, "approved")
        self.assertEqual(line.ps_reviewed_by_id, self.pm)
        # approved time is locked for the consultant, over RPC included
        with self.assertRaisesRegex(UserError, "Approved time cannot be changed"):
            self._rpc(self.consultant, line, "write", {"unit_amount": 9.0})
        with self.assertRaisesRegex(UserError, "Approved time cannot be changed"):
            self._rpc(self.consultant, line, "unlink")
        self.assertEqual(line.unit_amount, 6.0)
        # the project manager resets it; then the consultant may correct it
        self._rpc(self.pm, line, "action_ps_reset_timesheets")
        self.assertEqual(line.ps_timesheet_state, "draft")
        self._rpc(self.consultant, line, "write", {"unit_amount": 7.0})
        self.assertEqual(line.unit_amount, 7.0)

    def test_consultant_cannot_approve_or_unlock_own_time(self):
        line = self._timesheet(4.0)
        with self.assertRaises(AccessError):
            self._rpc(self.consultant, line, "action_ps_approve_timesheets")
        for vals in ({"ps_timesheet_state": "approved"}, {"ps_reviewed_by_id": self.pm.id},
                     {"ps_reject_reason": "x"}):
            with self.assertRaises(UserError, msg=str(vals)):
                self._rpc(self.consultant, line, "write", vals)
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.consultant)["account.analytic.line"], "create", [{
                "name": "forged", "project_id": self.project.id, "unit_amount": 1.0,
                "employee_id": self.employee.id, "ps_timesheet_state": "approved"}], {})
        # a context key opens no door
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.consultant)["account.analytic.line"], "write",
                    [line.ids, {"ps_timesheet_state": "approved"}],
                    {"context": {"ps_timesheet_review": True}})
        self._rpc(self.pm, line, "action_ps_approve_timesheets")
        with self.assertRaises(AccessError):
            self._rpc(self.consultant, line, "action_ps_reset_timesheets")
        self.assertEqual(line.ps_timesheet_state, "approved")

    def test_project_manager_of_another_project_cannot_approve(self):
        line = self._timesheet(4.0)
        with self.assertRaises(AccessError):
            self._rpc(self.pm_2, line, "action_ps_approve_timesheets")
        # nobody approves their own time, a project manager neither
        own = self._timesheet(2.0, user=self.pm)
        with self.assertRaises(AccessError):
            self._rpc(self.pm, own, "action_ps_approve_timesheets")
        # finance approves any project's time
        self._rpc(self.finance, line | own, "action_ps_approve_timesheets")
        self.assertEqual(set((line | own).mapped("ps_timesheet_state")), {"approved"})

    def test_bulk_week_approval_and_rejection_with_reason(self):
        monday = fields.Date.today() - timedelta(days=fields.Date.today().weekday() + 7)
        week = self.env["account.analytic.line"]
        for day in range(5):
            week |= self._timesheet(8.0, date=monday + timedelta(days=day))
        week |= self._timesheet(8.0, user=self.consultant_2, date=monday)
        approved, rejected = week[:5], week[5:]
        self._rpc(self.pm, approved, "action_ps_approve_timesheets")
        self.assertEqual(set(approved.mapped("ps_timesheet_state")), {"approved"})
        action = self._rpc(self.pm, rejected, "action_ps_reject_timesheets")
        wizard = self.env[action["res_model"]].with_user(self.pm).with_context(
            action["context"]).create({"reason": "Wrong task: book it on Design"})
        wizard.action_reject()
        self.assertEqual(rejected.ps_timesheet_state, "rejected")
        self.assertEqual(rejected.ps_reject_reason, "Wrong task: book it on Design")
        activity = self.env["mail.activity"].search([
            ("res_model", "=", "hr.employee"), ("res_id", "=", self.employee_2.id)])
        self.assertEqual(activity.user_id, self.consultant_2)
        # the consultant corrects and submits again
        rejected.with_user(self.consultant_2).write({"unit_amount": 6.0})
        rejected.with_user(self.consultant_2).action_ps_submit_timesheets()
        self.assertEqual(rejected.ps_timesheet_state, "submitted")
        self.assertFalse(rejected.ps_reject_reason)

    def test_editing_submitted_time_returns_it_to_draft(self):
        line = self._timesheet(3.0)
        line.with_user(self.consultant).action_ps_submit_timesheets()
        line.with_user(self.consultant).write({"unit_amount": 2.0})
        self.assertEqual(line.ps_timesheet_state, "draft")

    def test_delivered_quantity_counts_approved_time_when_set(self):
        approved = self._timesheet(5.0)
        self._timesheet(3.0)
        approved.with_user(self.pm).action_ps_approve_timesheets()
        # off on install: every timesheet counts, as in plain Odoo
        self.assertEqual(self.so_line.qty_delivered, 8.0)
        self.env["ir.config_parameter"].set_param(
            "ps_billing_readiness.approved_time_only", "True")
        self.so_line.invalidate_recordset(["qty_delivered"])
        self.so_line._compute_qty_delivered()
        self.assertEqual(self.so_line.qty_delivered, 5.0)
        invoice = self.order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.quantity, 5.0)
        self.assertEqual(approved.timesheet_invoice_id, invoice)
        self.assertEqual(
            self.env["account.analytic.line"].search_count(
                [("timesheet_invoice_id", "=", invoice.id)]), 1,
            "unapproved time stays out of the invoice")
