from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import BillingCommon


@tagged("post_install", "-at_install")
class TestTimesheetTamper(BillingCommon):
    """The tamper cases of ps_base's contract kit (addons/ps_base/tests/kit.py) that apply
    to timesheet approval, which keeps its own state machine: every call goes through
    ``call_kw``, the door JSON-RPC and XML-RPC use. Nobody approves or unlocks their own
    time, and the approval fields change through the approval actions only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a project administrator, who may write projects and their timesheets' lines
        cls.project_admin = new_test_user(
            cls.env, login="br_project_admin", name="Ada Admin",
            groups="project.group_project_manager,hr_timesheet.group_hr_timesheet_approver,"
                   "ps_base.group_ps_project_manager")
        cls.env["hr.employee"].create({"name": "Ada Admin", "user_id": cls.project_admin.id})

    def _rpc(self, user, model, method, args, kwargs=None):
        return call_kw(self.env(user=user)[model], method, args, kwargs or {})

    def _approved(self, hours=4.0):
        line = self._timesheet(hours)
        line.with_user(self.pm).action_ps_approve_timesheets()
        return line

    def test_guarded_state_and_review_fields_refused_over_rpc(self):
        line = self._timesheet()
        forged = ({"ps_timesheet_state": "approved"}, {"ps_timesheet_state": "submitted"},
                  {"ps_reviewed_by_id": self.pm.id}, {"ps_reviewed_at": "2026-11-01 10:00:00"},
                  {"ps_reject_reason": "x"})
        for user in (self.consultant, self.pm, self.finance):  # reviewers included
            for vals in forged:
                with self.assertRaises(UserError, msg=f"{user.login} {vals}"):
                    self._rpc(user, line._name, "write", [line.ids, vals])
        self.assertEqual((line.ps_timesheet_state, line.ps_reviewed_by_id.id),
                         ("draft", False))

    def test_context_keys_open_no_door(self):
        line = self._timesheet()
        for context in ({"ps_timesheet_review": True}, {"ps_timesheet_review": "1"},
                        {"ps_approval_internal": True, "ps_approval_gate": True}):
            with self.assertRaises(UserError, msg=str(context)):
                self._rpc(self.consultant, line._name, "write",
                          [line.ids, {"ps_timesheet_state": "approved"}], {"context": context})

    def test_nested_commands_from_the_task_and_the_project(self):
        line = self._timesheet()
        # the consultant through the task they work on (no write on tasks at all)
        with self.assertRaises(UserError):
            self._rpc(self.consultant, "project.task", "write", [self.task.ids, {
                "timesheet_ids": [Command.update(line.id, {"ps_timesheet_state": "approved"})]}])
        with self.assertRaises(UserError):
            self._rpc(self.consultant, "project.task", "write", [self.task.ids, {
                "timesheet_ids": [Command.create({
                    "name": "forged", "unit_amount": 2.0, "employee_id": self.employee.id,
                    "project_id": self.project.id, "ps_timesheet_state": "approved"})]}])
        # a project administrator, who may write the project and its tasks, about their
        # own time: through either, the approval is refused
        own = self._timesheet(3.0, user=self.project_admin)
        for model, record in (("project.project", self.project), ("project.task", self.task)):
            with self.assertRaisesRegex(UserError, "Submit, Approve, Reject", msg=model):
                self._rpc(self.project_admin, model, "write", [record.ids, {"timesheet_ids": [
                    Command.update(own.id, {"ps_timesheet_state": "approved"})]}])
            with self.assertRaisesRegex(UserError, "created to submit", msg=model):
                self._rpc(self.project_admin, model, "write", [record.ids, {"timesheet_ids": [
                    Command.create({"name": "forged", "unit_amount": 2.0,
                                    "employee_id": self.project_admin.employee_ids[0].id,
                                    "project_id": self.project.id, "task_id": self.task.id,
                                    "ps_timesheet_state": "approved"})]}])
        self.assertEqual((line.ps_timesheet_state, own.ps_timesheet_state), ("draft", "draft"))

    def test_approved_time_stays_locked_through_nested_commands(self):
        # another project's manager, who may edit tasks, logged time here; finance approved it
        line = self._timesheet(4.0, user=self.pm_2)
        line.with_user(self.finance).action_ps_approve_timesheets()
        with self.assertRaisesRegex(UserError, "Approved time cannot be changed"):
            self._rpc(self.pm_2, "project.task", "write", [self.task.ids, {
                "timesheet_ids": [Command.update(line.id, {"unit_amount": 9.0})]}])
        with self.assertRaisesRegex(UserError, "Approved time cannot be changed"):
            self._rpc(self.pm_2, "project.task", "write", [self.task.ids, {
                "timesheet_ids": [Command.delete(line.id)]}])
        with self.assertRaises(UserError):
            self._rpc(self.pm_2, "project.task", "write", [self.task.ids, {
                "timesheet_ids": [Command.update(line.id, {"ps_timesheet_state": "draft"})]}])
        self.assertEqual((line.unit_amount, line.ps_timesheet_state), (4.0, "approved"))

    def test_nobody_approves_or_unlocks_their_own_time(self):
        for user in (self.consultant, self.pm, self.finance):
            own = self._timesheet(2.0, user=user)
            with self.assertRaises(AccessError, msg=user.login):
                self._rpc(user, own._name, "action_ps_approve_timesheets", [own.ids])
            with self.assertRaises(AccessError, msg=user.login):
                self._rpc(user, own._name, "action_ps_reject_timesheets", [own.ids, "no"])
            self.assertEqual(own.ps_timesheet_state, "draft")
        # the project manager's own time, approved by finance, is not unlocked by them
        own = self._timesheet(2.0, user=self.pm)
        own.with_user(self.finance).action_ps_approve_timesheets()
        with self.assertRaises(AccessError):
            self._rpc(self.pm, own._name, "action_ps_reset_timesheets", [own.ids])
        with self.assertRaisesRegex(UserError, "Approved time cannot be changed"):
            self._rpc(self.pm, own._name, "write", [own.ids, {"unit_amount": 1.0}])
        self.assertEqual(own.ps_timesheet_state, "approved")

    def test_a_batch_with_one_own_line_is_refused_whole(self):
        others = self._timesheet(3.0)
        own = self._timesheet(2.0, user=self.pm)
        with self.assertRaises(AccessError):
            self._rpc(self.pm, others._name, "action_ps_approve_timesheets",
                      [(others | own).ids])
        self.assertEqual((others | own).mapped("ps_timesheet_state"), ["draft", "draft"])

    def test_import_cannot_set_the_approval(self):
        result = self._rpc(self.consultant, "account.analytic.line", "load", [
            ["name", "project_id/.id", "task_id/.id", "employee_id/.id", "unit_amount",
             "ps_timesheet_state"],
            [["imported", str(self.project.id), str(self.task.id), str(self.employee.id),
              "3", "approved"]]])
        self.assertFalse(result["ids"])
        self.assertIn("created to submit", " ".join(m["message"] for m in result["messages"]))
        self.assertFalse(self.env["account.analytic.line"].search(
            [("name", "=", "imported")]))

    def test_copy_of_approved_time_is_a_draft(self):
        line = self._approved()
        copy = self._rpc(self.consultant, line._name, "copy", [line.ids])
        copied = self.env["account.analytic.line"].browse(copy)
        self.assertEqual((copied.ps_timesheet_state, copied.ps_reviewed_by_id.id),
                         ("draft", False))
