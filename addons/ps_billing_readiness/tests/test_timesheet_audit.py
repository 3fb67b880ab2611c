from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTimesheetAudit(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = new_test_user(
            cls.env, login="ts_consultant", name="TS Consultant",
            groups="hr_timesheet.group_hr_timesheet_user,ps_base.group_ps_user")
        cls.controller = new_test_user(cls.env, login="ts_controller", name="TS Controller",
                                       groups="ps_base.group_ps_finance")
        cls.employee = cls.env["hr.employee"].create(
            {"name": "TS Consultant", "user_id": cls.consultant.id})
        cls.project = cls.env["project.project"].create({"name": "Audit project"})
        cls.task = cls.env["project.task"].create(
            {"name": "Design", "project_id": cls.project.id})

    def _entries(self, line):
        Log = self.env["ps.audit.log"].with_user(self.controller)
        return Log.search([("res_model", "=", "account.analytic.line"),
                           ("res_id", "=", line.id)], order="chain_seq")

    def test_timesheet_changes_are_journaled(self):
        line = self.env["account.analytic.line"].with_user(self.consultant).create({
            "name": "Workshop", "project_id": self.project.id, "task_id": self.task.id,
            "unit_amount": 2.0, "employee_id": self.employee.id})
        line.write({"unit_amount": 3.5, "name": "Workshop + notes"})
        entries = self._entries(line)
        self.assertEqual(entries.mapped("event_type"), ["create", "write", "write"])
        hours = entries.filtered(lambda e: e.field_name == "unit_amount")
        self.assertEqual((hours.old_value, hours.new_value), ("2.0", "3.5"))
        self.assertEqual(hours.user_id, self.consultant)
        self.assertTrue(self.env["ps.audit.log"]._verify_chain()["ok"])
        # the consultant logs time but does not read the trail
        with self.assertRaises(AccessError):
            self.env["ps.audit.log"].with_user(self.consultant).search([])

    def test_deleted_timesheet_is_journaled(self):
        line = self.env["account.analytic.line"].with_user(self.consultant).create({
            "name": "Typo", "project_id": self.project.id, "unit_amount": 1.0,
            "employee_id": self.employee.id})
        line_id = line.id
        line.unlink()
        entries = self.env["ps.audit.log"].with_user(self.controller).search(
            [("res_model", "=", "account.analytic.line"), ("res_id", "=", line_id)])
        self.assertIn("unlink", entries.mapped("event_type"))
