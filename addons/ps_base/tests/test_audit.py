from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
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

    def test_audit_list_and_form_read_through_the_web_client(self):
        # the Audit Trail list crashed when the model's own method shadowed the ORM's
        # _origin ("'function' object has no attribute 'fetch'")
        request = self._new_request(amount=100)
        request.write({"amount": 200})
        self._flush_audit()
        Log = self.env["ps.audit.log"].with_user(self.finance)
        spec = {name: {} for name in ("chain_seq", "logged_at", "event_type", "res_model",
                                      "res_name", "field_name", "old_value", "new_value",
                                      "description", "origin", "hash", "hash_scheme")}
        spec["user_id"] = {"fields": {"display_name": {}}}
        spec["company_id"] = {"fields": {"display_name": {}}}
        page = Log.web_search_read([("res_id", "=", request.id)], spec, limit=80)
        by_field = {row["field_name"]: row for row in page["records"]}
        self.assertEqual(by_field["amount"]["new_value"], "200.0")
        self.assertEqual(by_field["amount"]["hash_scheme"], "v2")
        self.assertEqual(by_field["amount"]["user_id"]["id"], self.consultant.id)
        form = Log.browse(by_field["amount"]["id"]).web_read(
            {"res_name": {}, "prev_hash": {}, "res_id": {}})
        self.assertEqual((form[0]["res_name"], form[0]["res_id"]),
                         (by_field["amount"]["res_name"], request.id))
        self.assertTrue(form[0]["prev_hash"])
        rows = Log.search_read([("res_id", "=", request.id)], ["res_name", "chain_seq"])
        self.assertEqual(len(rows), len(page["records"]))
        groups = Log.web_read_group([("res_id", "=", request.id)], ["event_type"],
                                    ["event_type"])
        self.assertTrue(groups["groups"])
        # a consultant has no access to the trail at all
        with self.assertRaises(AccessError):
            self.env["ps.audit.log"].with_user(self.consultant).web_search_read([], spec)

    def test_only_administrators_verify_the_chain(self):
        portal = new_test_user(self.env, login="ps_portal", groups="base.group_portal")
        for user in (portal, self.consultant, self.finance):
            with self.assertRaises(AccessError):
                self.env["ps.audit.log"].with_user(user).action_verify_chain()
        action = self.env["ps.audit.log"].with_user(self.admin_ps).action_verify_chain()
        self.assertEqual(action["params"]["type"], "success", action)

    def test_verification_is_reported_for_the_users_companies(self):
        main = self.env.company
        other = self.env["res.company"].create({"name": "Other Firm"})
        Log = self.env["ps.audit.log"]
        Log._log([{"event_type": "event", "description": f"other {i}",
                   "company_id": other.id} for i in range(3)])
        Log._log([{"event_type": "event", "description": "ours", "company_id": main.id}])
        self._flush_audit()
        self.env.cr.execute(SQL(
            "SELECT count(*) FILTER (WHERE company_id IS NULL OR company_id = %s), "
            "max(chain_seq) FROM ps_audit_log", main.id))
        ours, last_seq = self.env.cr.fetchone()
        result = Log._verify_chain(company_ids=[main.id])
        self.assertTrue(result["ok"], result)
        self.assertEqual((result["checked_company"], result["last_seq"]), (ours, last_seq))
        self.assertEqual(result["checked"], result["checked_company"] + 3)
        # the administrator of the main company is told about their company only
        action = Log.with_user(self.admin_ps).with_context(
            allowed_company_ids=[main.id]).action_verify_chain()
        self.assertEqual(
            action["params"]["message"],
            f"{ours} entries of your companies verified; the chain is intact up to "
            f"position {last_seq}.")
        # a break is named by its position, whichever company the entry belongs to
        target = Log.search([("description", "=", "other 1")])
        self.env.cr.execute(SQL("UPDATE ps_audit_log SET description = 'edited' WHERE id = %s",
                                target.id))
        action = Log.with_user(self.admin_ps).action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(f"broken at position {target.chain_seq}: the content of entry "
                      f"{target.chain_seq} was altered", action["params"]["message"])

    def test_chain_is_verified_in_batches(self):
        request = self._new_request(amount=100)
        for amount in (200, 300, 400, 500):
            request.write({"amount": amount})
        Log = self.env["ps.audit.log"]
        self._flush_audit()
        whole = Log._verify_chain()
        self.assertTrue(whole["ok"], whole)
        batch_size = 3
        # one query per batch, one that finds the end, one for the head of the chain
        with self.assertQueryCount(whole["checked"] // batch_size + 2):
            batched = Log._verify_chain(batch_size=batch_size)
        self.assertEqual(batched, whole)
        # a link across two batches is checked as well as one inside a batch
        target = self._log(res_id=request.id, field_name="amount", new_value="400.0")
        self.env.cr.execute(SQL("UPDATE ps_audit_log SET prev_hash = %s WHERE id = %s",
                                "0" * 64, target.id))
        for size in (1, 2, 5000):
            result = Log._verify_chain(batch_size=size)
            self.assertEqual((result["ok"], result["broken_id"]), (False, target.id))
            self.assertIn("does not point", result["reason"])
