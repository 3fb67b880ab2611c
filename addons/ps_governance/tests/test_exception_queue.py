from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import GovernanceCommon, Receiver


@tagged("post_install", "-at_install")
class TestExceptionQueue(GovernanceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["ps.exception"]
        cls.aging_type = cls.env.ref("ps_governance.mail_activity_type_exception_aging")
        cls.assigned_type = cls.env.ref("ps_governance.mail_activity_type_exception_assigned")

    def _raise(self, count=2, owner=None, days_old=0, kind="test_kind"):
        exceptions = self.Exception._raise_exceptions([{
            "name": f"Queue test {kind} {i}", "key": f"queue-test-{kind}-{i}", "kind": kind,
        } for i in range(count)])
        if owner:
            exceptions.sudo().write({"owner_id": owner.id, "state": "in_progress"})
        if days_old:
            exceptions.flush_recordset()
            self.env.cr.execute(SQL("UPDATE ps_exception SET create_date = %s WHERE id IN %s",
                                    fields.Datetime.now() - timedelta(days=days_old),
                                    tuple(exceptions.ids)))
            exceptions.invalidate_recordset(["create_date"])
        return exceptions

    def _activities(self, exceptions, activity_type):
        return self.env["mail.activity"].search([
            ("res_model", "=", "ps.exception"), ("res_id", "in", exceptions.ids),
            ("activity_type_id", "=", activity_type.id)])

    def test_aging_alerts_owners_once(self):
        old = self._raise(owner=self.consultant, days_old=5, kind="old")
        young = self._raise(owner=self.consultant, days_old=1, kind="young")
        orphan = self._raise(days_old=10, kind="orphan")
        self.Exception._cron_aging()
        activities = self._activities(old | young | orphan, self.aging_type)
        self.assertEqual(set(activities.mapped("res_id")), set(old.ids))
        self.assertEqual(activities.user_id, self.consultant)
        self.assertEqual(set(old.mapped("age_bucket")), {"3_7"})
        self.assertEqual(set(orphan.mapped("age_bucket")), {"7_30"})
        self.assertEqual(set(young.mapped("age_bucket")), {"1_3"})
        self.assertEqual(old[0].age_days, 5)
        self.Exception._cron_aging()
        self.assertEqual(len(self._activities(old, self.aging_type)), 2, "alerted once")

    def test_aging_threshold_is_a_setting(self):
        old = self._raise(owner=self.consultant, days_old=5)
        self.env["ir.config_parameter"].sudo().set_param(
            "ps_governance.exception_aging_days", 10)
        self.Exception._cron_aging()
        self.assertFalse(self._activities(old, self.aging_type))

    def test_bulk_assign_by_administrator_with_activities(self):
        exceptions = self._raise(count=3)
        Wizard = self.env["ps.exception.bulk.wizard"]
        action = Wizard.with_user(self.admin_ps).action_open(
            exceptions.with_user(self.admin_ps), "assign")
        wizard = Wizard.with_user(self.admin_ps).browse(action["res_id"])
        wizard.owner_id = self.consultant
        wizard.action_apply()
        self.assertEqual(exceptions.owner_id, self.consultant)
        self.assertEqual(set(exceptions.mapped("state")), {"in_progress"})
        self.assertEqual(len(self._activities(exceptions, self.assigned_type)), 3)
        # a finance controller may not reassign
        wizard = Wizard.with_user(self.finance).create({
            "exception_ids": [fields.Command.set(exceptions.ids)], "operation": "assign",
            "owner_id": self.finance.id})
        with self.assertRaises(AccessError):
            wizard.action_apply()

    def test_bulk_resolve_and_ignore_with_reason_by_owner(self):
        mine = self._raise(count=2, owner=self.consultant, kind="mine")
        other = self._raise(count=1, owner=self.pm, kind="other")
        Wizard = self.env["ps.exception.bulk.wizard"].with_user(self.consultant)
        wizard = Wizard.create({"exception_ids": [fields.Command.set(mine[:1].ids)],
                                "operation": "resolve"})
        with self.assertRaises(UserError):
            wizard.action_apply()
        wizard.reason = "PO number attached"
        wizard.action_apply()
        self.assertEqual((mine[0].state, mine[0].resolution), ("resolved", "PO number attached"))
        Wizard.create({"exception_ids": [fields.Command.set(mine[1:].ids)],
                       "operation": "ignore", "reason": "Duplicate of a known issue"}
                      ).action_apply()
        self.assertEqual((mine[1].state, mine[1].resolution),
                         ("ignored", "Duplicate of a known issue"))
        # the owner of one exception cannot close an unassigned one along with it
        unassigned = self._raise(count=1, kind="unassigned")
        wizard = self.env["ps.exception.bulk.wizard"].with_user(self.pm).create({
            "exception_ids": [fields.Command.set((other | unassigned).ids)],
            "operation": "ignore", "reason": "not mine"})
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual((other.state, unassigned.state), ("in_progress", "new"))

    def test_retry_redelivers_a_dead_letter_and_closes_it(self):
        with Receiver("s3cret-key", always_fail=True) as receiver:
            endpoint = self._endpoint(receiver.url, max_attempts=1)
            self.env["ps.event"]._emit("approval.approved", self.partners[:1])
            self.env["ps.webhook.delivery"]._cron_dispatch()
        delivery = endpoint.delivery_ids
        exception = self.Exception.search([("key", "=", f"webhook_dead_letter:{delivery.id}")])
        self.assertEqual(delivery.state, "dead")
        other = self._raise(count=1)
        with self.assertRaises(UserError):
            (exception | other).with_user(self.admin_ps)._ps_bulk_retry()
        with self.assertRaises(AccessError):
            exception.with_user(self.finance)._ps_bulk_retry()
        action = self.env.ref("ps_governance.action_server_exception_retry").with_user(
            self.admin_ps).with_context(active_model="ps.exception",
                                        active_ids=exception.ids).run()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual((delivery.state, exception.state, exception.attempts),
                         ("pending", "in_progress", 2))
        with Receiver("s3cret-key") as receiver:
            endpoint.url = receiver.url
            self.env["ps.webhook.delivery"]._cron_dispatch()
        self.assertEqual(delivery.state, "sent")
        self.assertEqual(exception.state, "resolved")

    def test_server_actions_are_visible_records(self):
        for xmlid in ("assign", "retry", "resolve", "ignore"):
            action = self.env.ref(f"ps_governance.action_server_exception_{xmlid}")
            self.assertEqual(action.binding_model_id.model, "ps.exception")
        exceptions = self._raise(count=1, owner=self.consultant)
        result = self.env.ref("ps_governance.action_server_exception_resolve").with_user(
            self.consultant).with_context(active_model="ps.exception",
                                          active_ids=exceptions.ids).run()
        self.assertEqual(result["res_model"], "ps.exception.bulk.wizard")
