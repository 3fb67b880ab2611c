from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestTamperRequest(PsBaseCommon):
    """Bypasses of the gate on internal requests, each over the RPC door (call_kw)."""

    def _rpc(self, user, records, method, *args, **kwargs):
        return call_kw(records.env(user=user)[records._name], method,
                       [records.ids, *args], kwargs)

    def test_data_files_loading_are_not_held_but_users_are(self):
        """While modules load (registry not ready), their data files run as superuser
        before the gated actions are patched: Odoo's own demo confirming an order above a
        policy is not refused. A user's write is refused whatever the registry's state."""
        self.patch(self.env.registry, "ready", False)
        request = self._new_request(amount=1e6)
        with self.assertRaises(UserError):
            self._rpc(self.consultant, request, "write", {"state": "done"})
        request.sudo().write({"state": "done"})
        self.assertEqual(request.state, "done")

    def test_values_and_state_in_one_write(self):
        # reproduced before the fix: {amount: 1e6, state: 'done'} on a draft request
        request = self._new_request(amount=10.0)
        with self.assertRaises(UserError):
            self._rpc(self.consultant, request, "write", {"amount": 1e6, "state": "done"})
        self.assertEqual(request.state, "draft")

    def test_approved_values_changed_in_the_same_write_as_done(self):
        request = self._new_request(amount=1500.0)
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        request.with_user(self.finance).action_ps_approve()
        request.with_user(self.finance_2).action_ps_approve()
        self.assertEqual(request.state, "approved")
        with self.assertRaises(UserError):
            self._rpc(self.consultant, request, "write", {"amount": 1e6, "state": "done"})
        # the approved values themselves still go through
        self._rpc(self.consultant, request, "write", {"state": "done"})
        self.assertEqual(request.state, "done")

    def test_cancel_resets_the_approval_state(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertEqual(request.ps_approval_state, "pending")
        self._rpc(self.consultant, request, "action_cancel")
        self.assertEqual(request.ps_approval_state, "not_required")
        self.assertEqual(request.state, "cancelled")

    def test_rule_cache_ignores_archived_rules(self):
        archived = self.rule.copy({"name": "Archived", "amount_threshold": 0})
        archived.active = False
        self.env.registry.clear_cache()
        ids = self.env["ps.approval.rule"].with_context(active_test=False)._rule_ids_for(
            "ps.request")
        self.assertNotIn(archived.id, ids)
        request = self._new_request(amount=10.0)
        request.with_user(self.consultant).action_submit()
        self.assertEqual(request.state, "approved", "an archived rule holds nothing")

    def test_drafter_never_approves(self):
        # the manager drafts the request for the consultant: they cannot approve it
        request = self.env["ps.request"].with_user(self.manager_user).sudo().create({
            "title": "Drafted for someone", "amount": 2500.0, "category_id": self.category.id,
            "requester_id": self.consultant.id})
        request.with_user(self.consultant).action_submit()
        self.assertFalse(self._pending(request, self.manager_user))
        with self.assertRaises(UserError):
            request.with_user(self.manager_user).action_ps_approve()

    def test_cancelled_approvals_grant_no_read(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertTrue(request.with_user(self.manager_user).read(["title"]))
        request.with_user(self.consultant).action_cancel()
        request.invalidate_recordset()
        self.assertFalse(self.env["ps.request"].with_user(self.manager_user).search(
            [("id", "=", request.id)]))

    def test_fallback_approval_respects_the_quorum(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        self.tier_finance.fallback_user_id = self.admin_ps
        finance_lines = self._pending(request)
        finance_lines._escalate()
        fallback = self._pending(request, self.admin_ps)
        self.assertTrue(fallback.is_fallback)
        fallback.with_user(self.admin_ps).action_approve()
        self.assertEqual(request.ps_approval_state, "pending",
                         "one fallback vote does not make a quorum of two")
        request.with_user(self.finance).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")


@tagged("post_install", "-at_install")
class TestSelfChosenManager(PsBaseCommon):

    def test_employee_choosing_their_own_manager_does_not_choose_the_approver(self):
        self.env["ir.config_parameter"].sudo().set_param("hr.hr_employee_self_edit", "True")
        friend = self.consultant_2
        friend_employee = friend.employee_ids[:1]
        # the consultant edits their own HR data, as Odoo lets them with self-editing on
        call_kw(self.env(user=self.consultant)["res.users"], "write",
                [self.consultant.ids, {"employee_parent_id": friend_employee.id}], {})
        self.assertEqual(self.consultant.employee_ids.parent_id, friend_employee)
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertFalse(self._pending(request, friend),
                         "a manager the requester chose is not their approver")
        self.assertTrue(self.env["ps.exception"].search(
            [("kind", "=", "approval_unresolvable"), ("res_id", "=", request.id)]))
        # set again by HR, the manager approves
        hr_officer = new_test_user(self.env, "ps_hr_officer", groups="hr.group_hr_user")
        self.consultant.employee_ids.with_user(hr_officer).write(
            {"parent_id": self.manager_user.employee_ids[:1].id})
        self.assertFalse(self.consultant.employee_ids.sudo().ps_manager_self_set)
