import base64
import csv
import io

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import GovernanceCommon


@tagged("post_install", "-at_install")
class TestAuditGovernance(GovernanceCommon):

    def _log(self, count=3, tag="gov-audit"):
        Log = self.env["ps.audit.log"]
        Log._log([{"event_type": "event", "res_model": "res.partner",
                   "res_id": self.partners[0].id, "description": f"{tag} {i}"}
                  for i in range(count)])
        Log._flush_buffer()
        return Log.search([("description", "like", tag)], order="chain_seq")

    def test_weekly_verification_reports_a_break_made_by_sql(self):
        entries = self._log()
        Verification = self.env["ps.audit.verification"]
        Verification._cron_verify()
        intact = Verification.search([], limit=1)
        self.assertTrue(intact.ok, intact.reason)
        self.assertGreaterEqual(intact.checked_count, 3)
        self.assertEqual(intact.origin, "cron")
        tampered = entries[1]
        self.env.cr.execute(SQL("UPDATE ps_audit_log SET description = 'forged' WHERE id = %s",
                                tampered.id))
        self.env["ir.config_parameter"].sudo().set_param("ps_governance.audit_verify_batch", 2)
        Verification._cron_verify()
        broken = Verification.search([], limit=1)
        self.assertFalse(broken.ok)
        self.assertEqual((broken.broken_id, broken.broken_seq),
                         (tampered.id, tampered.chain_seq))
        self.assertIn("altered", broken.reason)
        exception = broken.exception_id
        self.assertEqual((exception.kind, exception.severity), ("audit_chain_break", "critical"))
        Verification._cron_verify()
        self.assertEqual(Verification.search([], limit=1).exception_id, exception)
        self.assertEqual(exception.attempts, 2, "raised again, not duplicated")

    def test_verify_now_is_for_administrators(self):
        with self.assertRaises(AccessError):
            self.env["ps.audit.verification"].with_user(self.finance).action_verify_now()
        action = self.env["ps.audit.verification"].with_user(self.admin_ps).action_verify_now()
        verification = self.env["ps.audit.verification"].browse(action["res_id"])
        self.assertEqual((verification.origin, verification.user_id),
                         ("manual", self.admin_ps))
        self.assertTrue(verification.with_user(self.finance).checked_count)

    def test_csv_export_of_a_period(self):
        entries = self._log(tag="gov-export")
        today = fields.Date.context_today(self.env["ps.audit.log"])
        Wizard = self.env["ps.audit.export.wizard"]
        wizard = Wizard.with_user(self.admin_ps).create({"date_from": today, "date_to": today})
        action = wizard.action_export()
        self.assertIn(f"/web/content/{wizard.attachment_id.id}", action["url"])
        rows = list(csv.DictReader(io.StringIO(
            base64.b64decode(wizard.attachment_id.datas).decode())))
        exported = [row for row in rows if row["description"].startswith("gov-export")]
        self.assertEqual([row["hash"] for row in exported], entries.mapped("hash"))
        self.assertEqual(exported[0]["prev_hash"], entries[0].prev_hash)
        self.assertTrue(self.env["ps.audit.log"].search_count(
            [("description", "like", "Audit trail exported")]))
        with self.assertRaises(UserError):
            Wizard.with_user(self.admin_ps).create(
                {"date_from": today, "date_to": today.replace(year=today.year - 1)}
            ).action_export()
        with self.assertRaises(AccessError):
            Wizard.with_user(self.finance).create(
                {"date_from": today, "date_to": today}).action_export()

    def test_governance_settings_changes_are_audited(self):
        settings = self.env["res.config.settings"].with_user(self.admin_ps).create({
            "ps_ai_enabled": True, "ps_ai_allowed_fields": "ps.kpi.value.value",
            "ps_ai_api_key": "sk-very-secret"})
        settings.set_values()
        logs = self.env["ps.audit.log"].search([("event_type", "=", "settings"),
                                                ("res_name", "like", "ps_governance.ai_")])
        by_key = {log.res_name: log for log in logs}
        self.assertEqual(by_key["ps_governance.ai_allowed_fields"].new_value,
                         "ps.kpi.value.value")
        self.assertEqual(by_key["ps_governance.ai_enabled"].user_id, self.admin_ps)
        self.assertEqual(by_key["ps_governance.ai_api_key"].new_value, "***")
        self.assertFalse(self.env["ps.audit.log"].search_count(
            [("new_value", "like", "sk-very-secret")]))
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].with_user(self.admin_ps).create(
                {"ps_webhook_timeout": 0})
