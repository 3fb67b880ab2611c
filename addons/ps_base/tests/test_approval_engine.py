from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestApprovalEngine(PsBaseCommon):

    def test_below_threshold_needs_no_approval(self):
        request = self._new_request(amount=500)
        request.with_user(self.consultant).action_submit()
        self.assertEqual(request.ps_approval_state, "not_required")
        self.assertEqual(request.state, "approved")
        self.assertFalse(request.ps_approval_request_ids)

    def test_sequential_tiers_and_quorum(self):
        request = self._new_request()
        with freeze_time("2026-11-02 09:00:00"):
            request.with_user(self.consultant).action_submit()
        self.assertEqual(request.ps_approval_state, "pending")
        self.assertEqual(request.state, "submitted")
        # step 1 is the requester's manager; finance waits for step 2
        self.assertEqual(self._pending(request).user_id, self.manager_user)
        self.assertEqual(request.ps_approval_next_user_ids, self.manager_user)
        self.assertTrue(request.ps_approval_deadline)
        # later steps are resolved when they open
        self.assertFalse(request.ps_approval_line_ids.filtered(
            lambda l: l.tier_id == self.tier_finance))

        # a finance member cannot jump the queue
        with self.assertRaises(UserError):
            request.with_user(self.finance).action_ps_approve()

        request.with_user(self.manager_user).action_ps_approve()
        self.assertEqual(self._pending(request).user_id,
                         self.finance | self.finance_2 | self.finance_3)
        # 2 of 3: one approval is not enough
        request.with_user(self.finance).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "pending")
        self.assertEqual(request.state, "submitted")
        with freeze_time("2026-11-03 12:30:00"):
            request.with_user(self.finance_3).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")
        self.assertEqual(request.state, "approved")
        # the third member's approval is no longer needed
        line_f2 = request.ps_approval_line_ids.filtered(lambda l: l.user_id == self.finance_2)
        self.assertEqual(line_f2.state, "skipped")
        approval = request.ps_approval_request_ids
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.duration_hours, 27.5, "requested to decided, in hours")

    def test_parallel_tiers_and_required_approver(self):
        rule = self.env["ps.approval.rule"].create({
            "name": "Parallel",
            "model_id": self.request_model.id,
            "domain": "[('category_id.name', '=', 'Software')]",
            "tier_ids": [
                Command.create({"name": "Category owner", "step": 1, "approver_type": "field",
                                "field_path": "category_id.manager_id"}),
                Command.create({"name": "Board", "step": 1, "approver_type": "group",
                                "group_id": self.finance_group.id, "quorum": 1,
                                "required_user_ids": [Command.set(self.finance_2.ids)]}),
            ],
        })
        self.rule.active = False
        request = self._new_request(amount=10)
        request.with_user(self.consultant).action_submit()
        # both tiers of step 1 are open at once
        self.assertEqual(self._pending(request).user_id,
                         self.pm | self.finance | self.finance_2 | self.finance_3)
        request.with_user(self.finance).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "pending",
                         "the required approver of the board has not approved yet")
        request.with_user(self.finance_2).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "pending", "the category owner has not")
        request.with_user(self.pm).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")
        self.assertEqual(request.ps_approval_request_ids.rule_id, rule)

    def test_reject_requires_reason_and_returns_document(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        line = self._pending(request, self.manager_user).with_user(self.manager_user)
        with self.assertRaises(UserError):
            line.action_reject("  ")
        line.action_reject("Buy the cheaper licence")
        self.assertEqual(request.ps_approval_state, "rejected")
        self.assertEqual(request.state, "rejected")
        self.assertEqual(request.ps_approval_request_ids.reject_reason, "Buy the cheaper licence")
        self.assertFalse(self._pending(request), "every other approval is cancelled")
        # the rejection tells who and why when one tries to go on
        with self.assertRaisesRegex(UserError, "Buy the cheaper licence"):
            request.with_user(self.consultant).write({"state": "approved"})
        # resubmission starts a new cycle; the old one stays in the history
        request.with_user(self.consultant).write({"amount": 1500})
        request.with_user(self.consultant).action_submit()
        self.assertEqual(request.ps_approval_state, "pending")
        history = request.with_context(active_test=False).ps_approval_request_ids
        self.assertEqual(sorted(history.mapped("state")), ["pending", "rejected"])

    def test_decision_through_wizard(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        action = request.with_user(self.manager_user).action_ps_reject()
        wizard = self.env["ps.approval.decision.wizard"].with_user(self.manager_user) \
            .with_context(**action["context"]).create({})
        with self.assertRaises(UserError):
            wizard.action_confirm()
        wizard.comment = "Out of budget"
        wizard.action_confirm()
        self.assertEqual(request.ps_approval_state, "rejected")

    def test_guard_names_who_must_approve(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        with self.assertRaisesRegex(UserError, "Ps Line Manager"):
            request.with_user(self.consultant).write({"state": "approved"})
        # not requested yet: the message says so
        other = self._new_request(title="Other")
        with self.assertRaisesRegex(UserError, "needs approval first"):
            other.with_user(self.consultant).write({"state": "done"})

    def test_requester_never_approves_own_request(self):
        # the requester is in the approving group: they are left out of the tier
        self.finance_group.users = [Command.link(self.consultant.id)]
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertNotIn(self.consultant, request.ps_approval_line_ids.user_id)
        # a line routed to the requester anyway (e.g. by a later change) is refused
        line = self._pending(request)
        line.sudo().write({"user_id": self.consultant.id})
        with self.assertRaisesRegex(UserError, "segregation of duties"):
            line.with_user(self.consultant).action_approve()

    def test_one_person_never_fills_two_tiers(self):
        # the manager is also a finance member: after approving step 1 they cannot
        # approve step 2
        self.finance_group.users = [Command.link(self.manager_user.id)]
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        self.assertEqual(self._pending(request).user_id,
                         self.finance | self.finance_2 | self.finance_3,
                         "the manager who approved step 1 is left out of step 2")
        with self.assertRaisesRegex(UserError, "Nothing waits for your approval"):
            request.with_user(self.manager_user).action_ps_approve()
        request.with_user(self.finance).action_ps_approve()
        request.with_user(self.finance_2).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")

    def test_one_person_never_fills_two_parallel_tiers(self):
        self.rule.active = False
        self.env["ps.approval.rule"].create({
            "name": "Two parallel tiers", "model_id": self.request_model.id,
            "tier_ids": [
                Command.create({"name": "Delivery", "step": 1, "approver_type": "user",
                                "user_ids": [Command.set(self.pm.ids)]}),
                Command.create({"name": "Account", "step": 1, "approver_type": "user",
                                "user_ids": [Command.set((self.pm | self.finance).ids)]}),
            ],
        })
        request = self._new_request(amount=10)
        request.with_user(self.consultant).action_submit()
        pm_lines = self._pending(request, self.pm)
        self.assertEqual(len(pm_lines), 2)
        with self.assertRaisesRegex(UserError, "segregation of duties"):
            pm_lines.with_user(self.pm).action_approve()  # both tiers at once
        delivery = pm_lines.filtered(lambda l: l.tier_id.name == "Delivery")
        delivery.with_user(self.pm).action_approve()
        with self.assertRaisesRegex(UserError, "Nothing waits for your approval"):
            request.with_user(self.pm).action_ps_approve()  # the button offers no 2nd tier
        with self.assertRaisesRegex(UserError, "already approved tier 'Delivery'"):
            (pm_lines - delivery).with_user(self.pm).action_approve()
        request.with_user(self.finance).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")

    def test_later_step_nobody_can_approve_raises_an_exception(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        # by the time step 2 opens, two of the three finance members have left the group
        self.finance_group.users = [Command.unlink(self.finance_2.id),
                                    Command.unlink(self.finance_3.id)]
        request.with_user(self.manager_user).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "pending")
        self.assertEqual(self._pending(request).user_id, self.finance,
                         "who can decide is asked; the quorum of two waits for another")
        exception = self.env["ps.exception"].search([("kind", "=", "approval_unresolvable"),
                                                     ("res_id", "=", request.id)])
        self.assertEqual(exception.severity, "critical")
        # the administrator fixes the tier and retries the step
        with self.assertRaises(AccessError):
            request.ps_approval_request_ids.with_user(self.consultant).action_retry_step()
        self.tier_finance.fallback_user_id = self.admin_ps
        request.ps_approval_request_ids.with_user(self.admin_ps).action_retry_step()
        self.assertEqual(self._pending(request).user_id, self.finance | self.admin_ps)

    def test_only_the_approver_decides(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        line = self._pending(request)
        with self.assertRaises(AccessError):
            line.with_user(self.consultant_2).action_approve()
        with self.assertRaises(AccessError):
            # the approval record itself cannot be written by anybody through the ORM
            line.with_user(self.manager_user).write({"state": "approved"})
        # an outsider cannot even see it
        with self.assertRaises(AccessError):
            line.with_user(self.outsider).read(["state"])

    def test_clients_cannot_bypass_the_engine(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        mine = request.with_user(self.consultant)
        # a context key is no pass: the guard still holds
        with self.assertRaisesRegex(UserError, "waiting for approval"):
            mine.with_context(ps_approval_internal=True).write({"state": "approved"})
        # the engine's own fields cannot be written from outside
        with self.assertRaisesRegex(UserError, "kept by the approval engine"):
            mine.write({"ps_approval_state": "approved"})
        with self.assertRaisesRegex(UserError, "kept by the approval engine"):
            mine.with_context(ps_approval_internal=True).write(
                {"ps_approval_state": "not_required"})
        # nor can a document be born past its guard
        with self.assertRaisesRegex(UserError, "needs approval first"):
            self.env["ps.request"].with_user(self.consultant).create(
                {"title": "Born approved", "amount": 5000, "state": "approved"})
        self.assertEqual(request.ps_approval_state, "pending")

    def test_whoever_starts_the_cycle_cannot_approve_it(self):
        # an administrator, who is also consultant 2's manager, raises a request in the
        # name of consultant 2: as the one who started the cycle, they cannot approve it
        admin_employee = self.env["hr.employee"].create(
            {"name": "PS Admin", "user_id": self.admin_ps.id})
        self.env["hr.employee"].search([("user_id", "=", self.consultant_2.id)]).parent_id = \
            admin_employee
        self.tier_manager.fallback_user_id = self.pm
        request = self._new_request(user=self.admin_ps, requester_id=self.consultant_2.id)
        request.with_user(self.admin_ps).action_submit()
        approval = request.ps_approval_request_ids
        self.assertEqual(approval.requester_id, self.consultant_2)
        self.assertEqual(approval.initiator_id, self.admin_ps)
        self.assertEqual(self._pending(request).user_id, self.pm)

    def test_cancel_as_the_requester(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.consultant).action_cancel()
        self.assertEqual(request.state, "cancelled")
        self.assertEqual(request.ps_approval_request_ids.state, "cancelled")
        self.assertFalse(self._pending(request))

    def test_approvers_of_other_companies_are_left_out(self):
        other = self.env["res.company"].create({"name": "PS Elsewhere"})
        self.finance_3.write({"company_ids": [Command.set(other.ids)], "company_id": other.id})
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        self.assertEqual(self._pending(request).user_id, self.finance | self.finance_2)

    def test_request_is_idempotent(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.consultant).action_ps_request_approval()
        request.with_user(self.consultant).action_ps_request_approval()
        self.assertEqual(len(request.ps_approval_request_ids), 1)

    def test_reapproval_when_watched_value_changes(self):
        request = self._new_request(amount=2000)
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        request.with_user(self.finance).action_ps_approve()
        request.with_user(self.finance_2).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")
        first = request.ps_approval_request_ids
        # the amount grows after approval: approval is reset and requested again
        request.with_user(self.consultant).write({"amount": 9000})
        self.assertEqual(first.state, "cancelled")
        self.assertIn("Amount", first.cancel_reason)
        self.assertEqual(request.ps_approval_state, "pending")
        self.assertEqual(self._pending(request).user_id, self.manager_user)
        # a change that does not touch watched values keeps the approval
        request.with_user(self.manager_user).action_ps_approve()
        request.with_user(self.finance).action_ps_approve()
        request.with_user(self.finance_3).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")
        request.with_user(self.consultant).write({"date_needed": "2030-01-01"})
        self.assertEqual(request.ps_approval_state, "approved")
        # dropping below the threshold: no approval needed any more
        request.with_user(self.consultant).write({"amount": 100})
        self.assertEqual(request.ps_approval_state, "not_required")

    def test_rule_switched_off_stops_applying(self):
        self.rule.active = False
        request = self._new_request(amount=50000)
        request.with_user(self.consultant).action_submit()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.ps_approval_state, "not_required")

    def test_unresolvable_tier_holds_the_document_and_tells_the_administrators(self):
        # the requester has no manager and the tier has no fallback
        request = self._new_request(user=self.pm)
        request.with_user(self.pm).action_submit()
        self.assertEqual(request.state, "submitted")
        self.assertEqual(request.ps_approval_state, "pending", "held, not let through")
        self.assertFalse(self._pending(request))
        exception = self.env["ps.exception"].search([("kind", "=", "approval_unresolvable"),
                                                     ("res_id", "=", request.id)])
        self.assertIn("Manager", exception.details)
        with self.assertRaises(UserError):
            request.with_user(self.pm).action_done()
        # with a fallback approver, Retry routes it: the fallback decides
        self.tier_manager.fallback_user_id = self.admin_ps
        request.ps_approval_request_ids.with_user(self.admin_ps).action_retry_step()
        line = self._pending(request)
        self.assertEqual(line.user_id, self.admin_ps)
        self.assertTrue(line.is_fallback)
        self.assertEqual(exception.state, "resolved")
        line.with_user(self.admin_ps).action_approve()
        request.with_user(self.finance).action_ps_approve()
        request.with_user(self.finance_2).action_ps_approve()
        self.assertEqual(request.state, "approved")

    def test_my_pending_approvals(self):
        requests = self.env["ps.request"]
        for i in range(3):
            requests |= self._new_request(title=f"R{i}")
        requests.with_user(self.consultant).action_submit()
        mine = self.env["ps.request"].with_user(self.manager_user).search(
            [("ps_approval_can_review", "=", True)])
        self.assertEqual(mine, requests)
        self.assertFalse(self.env["ps.request"].with_user(self.finance).search(
            [("ps_approval_can_review", "=", True)]))
        self.assertEqual(self.manager_user.ps_pending_approval_count, 3)
        # the approver can read the documents routed to them
        self.assertEqual(len(requests.with_user(self.manager_user).read(["title"])), 3)
        with self.assertRaises(AccessError):
            requests.with_user(self.consultant_2).read(["title"])
        # bulk approval from the inbox
        self._pending(requests).with_user(self.manager_user).action_approve()
        self.assertEqual(self.manager_user.ps_pending_approval_count, 0)

    def test_events_are_emitted_in_the_transaction(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        events = self.env["ps.event"].search([("res_model", "=", "ps.request"),
                                              ("res_id", "=", request.id)])
        self.assertEqual(events.mapped("event_type"), ["approval.requested"])
        with self.assertRaises(AccessError):
            self.env["ps.event"].with_user(self.consultant).search([])


@tagged("post_install", "-at_install")
class TestMultiCompany(PsBaseCommon):

    def test_other_company_sees_nothing(self):
        other = self.env["res.company"].create({"name": "PS Other Co"})
        finance_other = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Other finance", "login": "ps_other_finance",
            "company_id": other.id, "company_ids": [(6, 0, other.ids)],
            "groups_id": [(6, 0, self.env.ref("ps_base.group_ps_finance").ids)]})
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        approvals = self.env["ps.approval.request"].with_user(finance_other).search([])
        self.assertFalse(approvals, "a finance controller of another company sees nothing")
        self.assertEqual(
            self.env["ps.approval.request"].with_user(self.finance).search(
                [("res_model", "=", "ps.request"), ("res_id", "=", request.id)]).rule_id,
            self.rule, "the controller of the company sees every request of it")
        rule_other = self.rule.copy({"company_id": other.id, "name": "Other company rule"})
        self.assertNotIn(rule_other, self.env["ps.approval.rule"].with_user(self.consultant)
                         .search([]))
