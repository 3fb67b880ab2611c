from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestApprovalUi(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = new_test_user(cls.env, login="tour_consultant", name="Tour Consultant",
                                       groups="ps_base.group_ps_user")
        cls.manager = new_test_user(cls.env, login="tour_manager", name="Tour Manager",
                                    groups="ps_base.group_ps_project_manager")
        boss = cls.env["hr.employee"].create({"name": "Tour Manager", "user_id": cls.manager.id})
        cls.env["hr.employee"].create({"name": "Tour Consultant", "user_id": cls.consultant.id,
                                       "parent_id": boss.id})
        cls.env["ps.approval.rule"].search([]).write({"active": False})
        cls.env["ps.approval.rule"].create({
            "name": "Tour: requests above 1000",
            "model_id": cls.env["ir.model"]._get("ps.request").id,
            "amount_field_id": cls.env["ir.model.fields"]._get("ps.request", "amount").id,
            "amount_threshold": 1000,
            "tier_ids": [Command.create({"name": "Manager", "approver_type": "manager"})],
        })

    def test_rpc_client_cannot_pass_for_a_scheduled_action(self):
        request = self.env["ps.request"].with_user(self.consultant).create(
            {"title": "RPC licence", "amount": 100})
        self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, self.consultant.id, "tour_consultant", "ps.request", "write",
            [[request.id], {"amount": 300}], {"context": {"cron_id": 1}})
        entry = self.env["ps.audit.log"].search([
            ("res_model", "=", "ps.request"), ("res_id", "=", request.id),
            ("field_name", "=", "amount")])
        self.assertEqual((entry.origin, entry.new_value, entry.user_id),
                         ("rpc", "300.0", self.consultant))

    def test_submit_then_approve_from_the_inbox(self):
        self.start_tour("/odoo", "ps_base_submit_request", login="tour_consultant")
        request = self.env["ps.request"].search([("title", "=", "Tour licence")])
        self.assertEqual(request.requester_id, self.consultant)
        self.assertEqual(request.ps_approval_state, "pending")
        self.assertEqual(request.ps_approval_next_user_ids, self.manager)

        self.start_tour("/odoo", "ps_base_approve_from_inbox", login="tour_manager")
        request.invalidate_recordset()
        self.assertEqual(request.ps_approval_state, "approved")
        self.assertEqual(request.state, "approved")
