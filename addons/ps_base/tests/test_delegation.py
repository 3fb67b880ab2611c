from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-02 09:00:00")
class TestDelegation(PsBaseCommon):

    def test_request_routes_to_delegate(self):
        self.manager_user.with_user(self.manager_user).write({
            "ps_delegate_id": self.pm.id, "ps_delegation_date_from": "2026-03-01",
            "ps_delegation_date_to": "2026-03-10"})
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        line = self._pending(request)
        self.assertEqual(line.user_id, self.pm)
        self.assertEqual(line.original_user_id, self.manager_user)
        # the delegate decides; the absent manager cannot
        request.with_user(self.pm).action_ps_approve()
        self.assertFalse(self._pending(request).filtered(lambda l: l.tier_id == self.tier_manager))

    def test_delegate_of_another_company_does_not_decide(self):
        other = self.env["res.company"].create({"name": "Other Firm"})
        outsider = new_test_user(self.env, "ps_other_company_pm", groups="ps_base.group_ps_user",
                                 company_id=other.id, company_ids=[other.id])
        self.manager_user.with_user(self.manager_user).write({
            "ps_delegate_id": outsider.id, "ps_delegation_date_from": "2026-03-01"})
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertEqual(self._pending(request).user_id, self.manager_user,
                         "the manager keeps the approval of a company the delegate is not in")
        self.env["ps.approval.line"]._reroute_delegations()
        self.assertEqual(self._pending(request).user_id, self.manager_user)

    def test_delegation_outside_its_dates_does_not_route(self):
        self.manager_user.write({"ps_delegate_id": self.pm.id,
                                 "ps_delegation_date_from": "2026-04-01"})
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertEqual(self._pending(request).user_id, self.manager_user)

    def test_pending_approvals_follow_a_new_delegation_and_come_back(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        line = self._pending(request)
        self.assertEqual(line.user_id, self.manager_user)
        self.manager_user.with_user(self.manager_user).write({"ps_delegate_id": self.pm.id})
        self.assertEqual(line.user_id, self.pm)
        self.assertEqual(line.original_user_id, self.manager_user)
        # back from leave: the approval returns
        self.manager_user.with_user(self.manager_user).write({"ps_delegate_id": False})
        self.assertEqual(line.user_id, self.manager_user)
        self.assertFalse(line.original_user_id)
        self._flush_audit()
        logged = self.env["ps.audit.log"].search([("event_type", "=", "delegation")])
        self.assertGreaterEqual(len(logged), 4, "delegation changes and re-routings are logged")

    def test_delegation_chain_is_followed(self):
        self.manager_user.write({"ps_delegate_id": self.pm.id})
        self.pm.write({"ps_delegate_id": self.finance.id})
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        line = self._pending(request)
        self.assertEqual(line.user_id, self.finance)
        self.assertEqual(line.original_user_id, self.manager_user)

    def test_delegation_loop_is_refused(self):
        self.manager_user.write({"ps_delegate_id": self.pm.id})
        self.pm.write({"ps_delegate_id": self.finance.id})
        loop = "Ps Finance → Ps Line Manager → Ps Pm → Ps Finance"
        with self.assertRaisesRegex(ValidationError, loop):
            self.finance.write({"ps_delegate_id": self.manager_user.id})
        with self.assertRaisesRegex(ValidationError, "themselves"):
            self.finance.write({"ps_delegate_id": self.finance.id})

    def test_delegations_at_different_times_are_no_loop(self):
        self.manager_user.write({"ps_delegate_id": self.pm.id,
                                 "ps_delegation_date_from": "2026-03-01",
                                 "ps_delegation_date_to": "2026-03-05"})
        self.pm.write({"ps_delegate_id": self.manager_user.id,
                       "ps_delegation_date_from": "2026-07-01",
                       "ps_delegation_date_to": "2026-07-15"})
        self.assertEqual(self.pm.ps_delegate_id, self.manager_user)

    def test_delegation_never_gives_one_person_two_votes(self):
        # finance needs 2 of 3; one member delegates to another member of the same tier
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        self.finance.write({"ps_delegate_id": self.finance_2.id})
        finance_2_lines = self._pending(request, self.finance_2)
        self.assertEqual(len(finance_2_lines), 1, "the delegate keeps one vote on the tier")
        request.with_user(self.finance_2).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "pending", "one person is one vote")
        request.with_user(self.finance_3).action_ps_approve()
        self.assertEqual(request.ps_approval_state, "approved")

    def test_delegate_must_be_an_active_internal_user(self):
        portal = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Portal", "login": "ps_portal_delegate",
            "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)]})
        with self.assertRaisesRegex(ValidationError, "active internal user"):
            self.pm.write({"ps_delegate_id": portal.id})

    def test_daily_cron_routes_when_the_absence_starts(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        line = self._pending(request)
        self.manager_user.write({"ps_delegate_id": self.pm.id,
                                 "ps_delegation_date_from": "2026-03-04",
                                 "ps_delegation_date_to": "2026-03-06"})
        self.assertEqual(line.user_id, self.manager_user, "not away yet")
        with freeze_time("2026-03-04 01:00:00"):
            self.assertEqual(self.env["ps.approval.line"]._cron_reroute_delegations(), 1)
            self.assertEqual(self.env["ps.approval.line"]._cron_reroute_delegations(), 0)
        self.assertEqual(line.user_id, self.pm)
        with freeze_time("2026-03-07 01:00:00"):
            self.env["ps.approval.line"]._cron_reroute_delegations()
        self.assertEqual(line.user_id, self.manager_user, "back from leave")

    def test_end_before_start_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "before its start"):
            self.pm.write({"ps_delegate_id": self.finance.id,
                           "ps_delegation_date_from": "2026-03-05",
                           "ps_delegation_date_to": "2026-03-01"})

    def test_never_delegated_to_the_requester(self):
        # the manager delegates to the very consultant who asks: the approval stays
        # with the manager rather than letting the consultant approve their own request
        self.manager_user.write({"ps_delegate_id": self.consultant.id})
        self.tier_manager.fallback_user_id = self.admin_ps
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        self.assertNotIn(self.consultant, self._pending(request).user_id)
