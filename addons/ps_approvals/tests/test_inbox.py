from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestApproverInbox(PsApprovalsCommon):

    def _pending_quote(self, discount=20.0):
        order = self._quote(discount=discount)
        order.with_user(self.salesman).action_confirm()
        return order

    def _schedule(self):
        return self.env["ps.approval.line"]._cron_schedule_activities()

    def _approval_activities(self, record, user=None):
        activity_type = self.env.ref("ps_base.mail_activity_type_approval")
        activities = record.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        return activities.filtered(lambda a: a.user_id == user) if user else activities

    def test_activity_per_approver_closed_by_decision(self):
        order = self._pending_quote()
        line = self._lines(order, self.sales_manager)
        self.assertFalse(self._approval_activities(order), "scheduled off the request")
        self.assertGreaterEqual(self._schedule(), 1)
        self.assertEqual(self._schedule(), 0, "idempotent")
        activity = self._approval_activities(order, self.sales_manager)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline,
                         fields.Date.context_today(activity, line.deadline))
        self.assertEqual(line.activity_id, activity)
        self.assertTrue(self._approval_activities(order, self.ps_admin),
                        "every member of the approving group is reminded")

        line.with_user(self.sales_manager).action_approve()
        self.assertFalse(self._approval_activities(order),
                         "the decision closes the approvers' activities")
        self.assertIn("Approved", " ".join(order.message_ids.mapped("body")))

    def test_parallel_tiers_keep_the_other_activity(self):
        order = self._confirmed_order()
        change = self.env["ps.change.order"].with_user(self.sales_ops).create({
            "order_id": order.id, "reason": "More days",
            "line_ids": [(0, 0, {"sale_line_id": order.order_line.id, "product_uom_qty": 4.0})],
        })
        change.with_user(self.sales_ops).action_submit()
        self._schedule()
        self.assertEqual(self._approval_activities(change).user_id, self.pm | self.salesman)
        change.with_user(self.pm).action_ps_approve()
        self.assertEqual(self._approval_activities(change).user_id, self.salesman)

    def test_reminder_before_deadline_once(self):
        with freeze_time("2025-03-03 08:00:00"):
            order = self._pending_quote()
            line = self._lines(order, self.sales_manager)
            self.assertEqual(line.deadline, fields.Datetime.now() + timedelta(hours=48))
            Line = self.env["ps.approval.line"]
            Line._cron_remind_before_deadline()
            self.assertFalse(line.reminded_at, "not yet within 24 hours of the deadline")
        with freeze_time("2025-03-04 10:00:00"):
            self.assertGreaterEqual(Line._cron_remind_before_deadline(), 1)
            self.assertTrue(line.reminded_at)
            reminder = self.env["mail.message"].sudo().search([
                ("model", "=", "sale.order"), ("res_id", "=", order.id),
                ("partner_ids", "in", self.sales_manager.partner_id.ids),
                ("subject", "ilike", "Reminder")])
            self.assertEqual(len(reminder), 1)
            self.assertTrue(self._approval_activities(order, self.sales_manager),
                            "the reminder is an activity on the document")
            self.assertEqual(Line._cron_remind_before_deadline(), 0, "once per approval")
        with freeze_time("2025-03-04 10:00:00"):
            self._set_settings(ps_approval_reminder_hours=1.0)
            other = self._pending_quote(discount=25.0)
            Line._cron_remind_before_deadline()
            self.assertFalse(self._lines(other, self.sales_manager).reminded_at,
                             "the lead time of Settings applies")

    def test_escalation_of_overdue_approval(self):
        self.rule_quote_policy.tier_ids.with_user(self.ps_admin).fallback_user_id = self.finance
        with freeze_time("2025-03-03 08:00:00"):
            order = self._pending_quote()
        with freeze_time("2025-03-05 09:00:00"):
            self.env["ps.approval.line"]._cron_escalate_overdue()
            self._schedule()
            fallback = self._lines(order, self.finance)
            self.assertTrue(fallback.is_fallback)
            self.assertTrue(self._approval_activities(order, self.finance))
            fallback.with_user(self.finance).action_approve()
        self.assertEqual(order.state, "sale")

    def test_delegation_routes_inbox_and_activity(self):
        order = self._pending_quote()
        self._schedule()
        self.sales_manager.with_user(self.sales_manager).write({
            "ps_delegate_id": self.salesman_2.id,
            "ps_delegation_date_from": fields.Date.today(),
        })
        delegated = self._lines(order, self.salesman_2)
        self.assertEqual(delegated.original_user_id, self.sales_manager)
        self.assertTrue(self._approval_activities(order, self.salesman_2))
        self.assertFalse(self._approval_activities(order, self.sales_manager))
        inbox = self.env["ps.approval.line"].with_user(self.salesman_2).search(
            [("user_id", "=", self.salesman_2.id), ("original_user_id", "!=", False)])
        self.assertEqual(inbox, delegated, "'Delegated to me' lists it")
        delegated.with_user(self.salesman_2).action_approve()
        self.assertEqual(order.state, "sale")

    def test_bulk_decisions_from_the_inbox(self):
        orders = self._pending_quote(20.0) | self._pending_quote(25.0)
        Line = self.env["ps.approval.line"].with_user(self.sales_manager)
        mine = Line.search([("state", "=", "pending"), ("user_id", "=", self.sales_manager.id),
                            ("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)])
        self.assertEqual(len(mine), 2)
        self.assertEqual(set(mine.mapped("document_type")), {"Sales Order"})
        wizard = self.env["ps.approval.decision.wizard"].with_user(self.sales_manager).create(
            {"line_ids": mine.ids, "decision": "reject"})
        with self.assertRaisesRegex(UserError, "reason"):
            wizard.action_confirm()
        mine.action_approve()
        self.assertEqual(set(orders.mapped("state")), {"sale"})

    def test_daily_digest_once_per_day(self):
        Users = self.env["res.users"]
        with freeze_time("2025-03-03 06:00:00"):
            order = self._pending_quote()
            Mail = self.env["mail.mail"].sudo()
            before = Mail.search([])
            Users._cron_send_approval_digest()
            mails = Mail.search([]) - before
            manager_mail = mails.filtered(
                lambda m: self.sales_manager.email in (m.email_to or ""))
            self.assertEqual(len(manager_mail), 1)
            self.assertIn(order.name, manager_mail.body_html)
            self.assertFalse(mails.filtered(lambda m: self.salesman.email in (m.email_to or "")),
                             "nothing waits for the salesperson: no digest")
            self.assertEqual(self.sales_manager.ps_digest_sent_on, fields.Date.today())
            self.assertEqual(Users._cron_send_approval_digest(), 0, "once a day")
        with freeze_time("2025-03-04 06:00:00"):
            self.assertGreaterEqual(Users._cron_send_approval_digest(), 1)

    def test_counts_in_the_activity_menu(self):
        self._pending_quote()
        self._pending_quote(25.0)
        groups = self.env["res.users"].with_user(self.sales_manager)._get_activity_groups()
        approvals = next(g for g in groups if g["model"] == "ps.approval.line")
        self.assertEqual(approvals["planned_count"] + approvals["today_count"]
                         + approvals["overdue_count"], 2)
        with freeze_time(fields.Datetime.now() + timedelta(days=3)):
            groups = self.env["res.users"].with_user(self.sales_manager)._get_activity_groups()
            approvals = next(g for g in groups if g["model"] == "ps.approval.line")
            self.assertEqual(approvals["overdue_count"], 2)

    def test_approver_reads_document_routed_to_them(self):
        """A finance controller without sales rights reads the large quote they approve."""
        finance_only = self.env["res.users"].create({
            "name": "Flo Finance", "login": "ps_appr_flo",
            "groups_id": [(6, 0, [self.env.ref("ps_base.group_ps_finance").id])],
            "company_id": self.env.company.id, "company_ids": [(6, 0, self.env.company.ids)],
        })
        order = self._quote(qty=60.0)
        other = self._quote(qty=1.0)
        order.with_user(self.salesman).action_confirm()
        order.with_user(self.sales_manager).action_ps_approve()
        visible = self.env["sale.order"].with_user(finance_only).search(
            [("id", "in", (order | other).ids)])
        self.assertEqual(visible, order)
        self.assertTrue(order.with_user(finance_only).order_line.read(["price_subtotal"]))
