from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestEscalation(PsBaseCommon):

    def test_overdue_tier_escalates_to_fallback(self):
        self.tier_manager.fallback_user_id = self.admin_ps
        Line = self.env["ps.approval.line"]
        with freeze_time("2026-03-02 09:00:00"):
            request = self._new_request()
            request.with_user(self.consultant).action_submit()
            line = self._pending(request)
            self.assertEqual(str(line.deadline), "2026-03-03 09:00:00")  # 24 h from the rule
        with freeze_time("2026-03-03 08:00:00"):
            self.assertEqual(Line._cron_escalate_overdue(), 0, "not overdue yet")
        with freeze_time("2026-03-03 10:00:00"):
            self.assertEqual(Line._cron_escalate_overdue(), 1)
            self.assertEqual(Line._cron_escalate_overdue(), 0, "idempotent")
            pending = self._pending(request)
            self.assertEqual(pending.user_id, self.manager_user | self.admin_ps)
            fallback = pending.filtered("is_fallback")
            self.assertEqual(fallback.user_id, self.admin_ps)
            self.assertTrue(line.escalated)
            # the fallback's approval completes the tier
            request.with_user(self.admin_ps).action_ps_approve()
            self.assertEqual(self._pending(request).tier_id, self.tier_finance)
        self._flush_audit()
        self.assertTrue(self.env["ps.audit.log"].search(
            [("event_type", "=", "escalation"), ("res_id", "=", request.id)]))
        self.assertTrue(self.env["ps.event"].search(
            [("event_type", "=", "approval.escalated"), ("res_id", "=", request.id)]))

    def test_default_escalation_group_from_settings(self):
        group = self.env.ref("ps_base.group_ps_manager")
        self.env["ir.config_parameter"].sudo().set_param(
            "ps_base.approval_fallback_group_id", group.id)
        with freeze_time("2026-03-02 09:00:00"):
            request = self._new_request()
            request.with_user(self.consultant).action_submit()
        with freeze_time("2026-03-04 09:00:00"):
            self.env["ps.approval.line"]._cron_escalate_overdue()
        fallback = self._pending(request).filtered("is_fallback")
        self.assertIn(self.admin_ps, fallback.user_id)
        self.assertNotIn(self.consultant, fallback.user_id)

    def test_no_fallback_raises_an_exception_once(self):
        self.env["ir.config_parameter"].sudo().set_param("ps_base.approval_fallback_group_id", 0)
        with freeze_time("2026-03-02 09:00:00"):
            request = self._new_request()
            request.with_user(self.consultant).action_submit()
        with freeze_time("2026-03-04 09:00:00"):
            self.env["ps.approval.line"]._cron_escalate_overdue()
            self.env["ps.approval.line"]._cron_escalate_overdue()
        exception = self.env["ps.exception"].search([("kind", "=", "approval_overdue"),
                                                     ("res_id", "=", request.id)])
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.res_model, "ps.request")
        self.assertEqual(self._pending(request).user_id, self.manager_user,
                         "the regular approver can still decide")

    def test_documents_deleted_by_cascade_are_cleaned_up(self):
        self.tier_manager.fallback_user_id = self.admin_ps
        with freeze_time("2026-03-02 09:00:00"):
            request = self._new_request()
            request.with_user(self.consultant).action_submit()
        approval = request.ps_approval_request_ids
        # a database cascade removes the document without its unlink() running
        self.env.cr.execute(SQL("DELETE FROM ps_request WHERE id = %s", request.id))
        self.env.invalidate_all()
        with freeze_time("2026-03-04 09:00:00"):
            self.env["ps.approval.line"]._cron_escalate_overdue()
        self.assertEqual(approval.state, "cancelled")
        self.assertFalse(approval.line_ids.filtered(lambda l: l.is_fallback))
        self.assertFalse(self.env["ps.exception"].search([("res_id", "=", request.id),
                                                          ("res_model", "=", "ps.request")]))

    def test_escalation_cron_is_a_visible_record(self):
        cron = self.env.ref("ps_base.ir_cron_escalate_approvals")
        self.assertTrue(cron.active)
        self.assertIn("_cron_escalate_overdue", cron.code)
