from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestAudit(PsBaseCommon):

    def _log(self, **domain):
        self._flush_audit()
        return self.env["ps.audit.log"].search([(k, "=", v) for k, v in domain.items()],
                                               order="chain_seq")

    def test_field_changes_are_logged_with_old_and_new_values(self):
        request = self._new_request(amount=100)
        request.with_user(self.consultant).write({"amount": 250, "title": "Licence x2"})
        entries = self._log(res_model="ps.request", res_id=request.id, event_type="write")
        by_field = {e.field_name: e for e in entries}
        self.assertEqual(by_field["amount"].old_value, "100.0")
        self.assertEqual(by_field["amount"].new_value, "250.0")
        self.assertEqual(by_field["title"].old_value, "Licence")
        self.assertEqual(by_field["amount"].user_id, self.consultant)
        self.assertEqual(by_field["amount"].origin, "system")
        # unchanged values and fields that are not audited are not logged
        request.with_user(self.consultant).write({"amount": 250, "date_needed": "2030-01-01"})
        self.assertEqual(len(self._log(res_model="ps.request", res_id=request.id,
                                       event_type="write")), 2)
        created = self._log(res_model="ps.request", res_id=request.id, event_type="create")
        self.assertIn("amount: 100.0", created.new_value)

    def test_origin_of_scheduled_actions(self):
        request = self._new_request(amount=100)
        request.with_context(cron_id=1).write({"amount": 300})
        self.assertEqual(self._log(res_id=request.id, field_name="amount").origin, "cron")

    def test_approval_decisions_and_rule_changes_are_logged(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        decisions = self._log(res_model="ps.request", res_id=request.id, event_type="approval")
        self.assertEqual(decisions.mapped("description"),
                         ["Approval requested (Requests above 1000)", "Manager approved"])
        self.assertEqual(decisions[1].user_id, self.manager_user)
        self.rule.amount_threshold = 5000
        change = self._log(res_model="ps.approval.rule", res_id=self.rule.id,
                           field_name="amount_threshold")
        self.assertEqual((change.event_type, change.old_value, change.new_value),
                         ("rule_change", "1000.0", "5000.0"))

    def test_settings_changes_are_logged(self):
        self.env["res.config.settings"].with_user(self.admin_ps).create(
            {"ps_audit_retention_days": 365}).execute()
        entry = self._log(event_type="settings", field_name="ps_base.audit_retention_days")
        self.assertEqual(entry.new_value, "365")
        self.assertEqual(entry.user_id, self.admin_ps)

    def test_entries_cannot_be_changed_or_deleted_through_the_orm(self):
        self._new_request(amount=100).write({"amount": 200})
        entry = self._log(event_type="write")[-1:]
        for env_user in (self.admin_ps, self.env.ref("base.user_admin")):
            with self.assertRaises(UserError):
                entry.with_user(env_user).write({"new_value": "1"})
            with self.assertRaises(UserError):
                entry.with_user(env_user).unlink()
        with self.assertRaises(UserError):
            entry.sudo().write({"new_value": "1"})
        with self.assertRaises(UserError):
            entry.sudo().unlink()
        with self.assertRaises(UserError):
            self.env["ps.audit.log"].sudo().create({"description": "forged"})

    def test_only_finance_and_admins_read_the_trail(self):
        self._new_request(amount=100).write({"amount": 200})
        self._flush_audit()
        self.assertTrue(self.env["ps.audit.log"].with_user(self.finance).search([]))
        with self.assertRaises(AccessError):
            self.env["ps.audit.log"].with_user(self.pm).search([])

    def test_chain_verifies_and_catches_sql_tampering(self):
        request = self._new_request(amount=100)
        for amount in (200, 300, 400):
            request.write({"amount": amount})
        Log = self.env["ps.audit.log"]
        result = Log._verify_chain()
        self.assertTrue(result["ok"], result)
        self.assertGreaterEqual(result["checked"], 4)
        target = self._log(res_id=request.id, field_name="amount", new_value="300.0")
        self.env.cr.execute(SQL("UPDATE ps_audit_log SET new_value = '3.0' WHERE id = %s",
                                target.id))
        result = Log._verify_chain()
        self.assertFalse(result["ok"])
        self.assertEqual(result["broken_id"], target.id)
        self.assertIn("altered", result["reason"])
        action = Log.action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")

    def test_chain_catches_a_deleted_entry(self):
        request = self._new_request(amount=100)
        for amount in (200, 300, 400):
            request.write({"amount": amount})
        target = self._log(res_id=request.id, field_name="amount", new_value="300.0")
        target_seq = target.chain_seq
        self.env.cr.execute(SQL("DELETE FROM ps_audit_log WHERE id = %s", target.id))
        self.env.invalidate_all()
        result = self.env["ps.audit.log"]._verify_chain()
        self.assertFalse(result["ok"])
        self.assertEqual(result["broken_seq"], target_seq + 1)
        self.assertIn("missing", result["reason"])

    def test_chain_catches_removed_newest_entries(self):
        request = self._new_request(amount=100)
        request.write({"amount": 200})
        last = self._log(res_id=request.id, field_name="amount")
        self.env.cr.execute(SQL("DELETE FROM ps_audit_log WHERE id = %s", last.id))
        self.env.invalidate_all()
        result = self.env["ps.audit.log"]._verify_chain()
        self.assertFalse(result["ok"])
        self.assertIn("newest entries", result["reason"])

    def test_chain_catches_a_recomputed_hash(self):
        # an attacker who alters an entry and recomputes its own hash still breaks the
        # link to the next entry
        request = self._new_request(amount=100)
        for amount in (200, 300):
            request.write({"amount": amount})
        first, second = self._log(res_id=request.id, field_name="amount")
        self.env.cr.execute(SQL("UPDATE ps_audit_log SET hash = %s WHERE id = %s",
                                "f" * 64, first.id))
        result = self.env["ps.audit.log"]._verify_chain()
        self.assertFalse(result["ok"])
        self.assertIn(result["broken_id"], (first.id, second.id))

    def test_retention_purge_is_off_by_default_and_keeps_the_chain(self):
        Log = self.env["ps.audit.log"]
        with freeze_time("2027-01-01 10:00:00"):
            old = self._new_request(amount=100)
            old.write({"amount": 150})
            self._flush_audit()
        with freeze_time("2029-03-01 10:00:00"):
            recent = self._new_request(amount=100)
            recent.write({"amount": 175})
            self._flush_audit()
            self.assertEqual(Log._cron_purge(), 0, "retention is off by default")
            self.env["ir.config_parameter"].sudo().set_param("ps_base.audit_retention_days", 365)
            purged = Log._cron_purge(batch_size=1)
            self.assertEqual(purged, 1, "one batch per call")
            while Log._cron_purge(batch_size=1000):
                pass
        self.assertFalse(self._log(res_id=old.id, res_model="ps.request", event_type="write"))
        self.assertTrue(self._log(res_id=recent.id, res_model="ps.request", event_type="write"))
        self.assertTrue(self._log(event_type="retention"))
        result = Log._verify_chain()
        self.assertTrue(result["ok"], result)

    def test_audit_can_be_skipped_for_technical_bulk_operations(self):
        request = self._new_request(amount=100)
        request.sudo().with_context(ps_audit_skip=True).write({"amount": 999})
        self.assertFalse(self._log(res_id=request.id, event_type="write"))
        # a client can put the key in its context: for a user it changes nothing
        request.with_user(self.consultant).with_context(ps_audit_skip=True).write(
            {"amount": 555})
        self.assertEqual(self._log(res_id=request.id, event_type="write").new_value, "555.0")

    def test_chain_verifies_after_approvals_and_escalations(self):
        request = self._new_request()
        request.with_user(self.consultant).action_submit()
        request.with_user(self.manager_user).action_ps_approve()
        request.with_user(self.finance).action_ps_approve()
        self.tier_finance.escalation_hours = 1
        with freeze_time("2099-01-01"):
            self.env["ps.approval.line"]._cron_escalate_overdue()
        self.manager_user.write({"ps_delegate_id": self.pm.id})
        result = self.env["ps.audit.log"]._verify_chain()
        self.assertTrue(result["ok"], result)
        self.assertGreater(result["checked"], 5)

    def test_scheduled_action_origin_outside_http(self):
        # outside an HTTP request the cron context decides (test_ui checks that an RPC
        # client setting it is still logged as RPC)
        request = self._new_request(amount=100)
        request.with_context(cron_id=1).write({"amount": 300})
        self.assertEqual(self._log(res_id=request.id, field_name="amount").origin, "cron")
