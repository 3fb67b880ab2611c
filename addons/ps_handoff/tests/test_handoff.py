from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.ps_base.tests.kit import ApprovableContract

from .common import HandoffCommon


@tagged("post_install", "-at_install")
class TestHandoffCreation(HandoffCommon):

    def test_confirmation_creates_one_handoff_and_project_from_the_template(self):
        order, handoff = self._confirmed()
        self.assertEqual(len(handoff), 1)
        self.assertEqual(handoff.template_id, self.template)
        self.assertEqual(handoff.project_id, order.project_ids[:1] | order.project_id)
        tasks = handoff.project_id.sudo().task_ids.mapped("name")
        for name in ("Discovery workshop", "Data migration plan", "Kickoff meeting"):
            self.assertIn(name, tasks)
        kickoff = handoff.project_id.sudo().task_ids.filtered(lambda t: t.name == "Kickoff meeting")
        self.assertEqual(kickoff.date_deadline.date(),
                         fields.Date.today() + timedelta(days=3))
        self.assertIn(self.customer, handoff.project_id.sudo().message_partner_ids)
        self.assertTrue(handoff.activity_ids, "the delivery lead is asked to take it over")
        self.assertEqual(handoff.state, "open")
        self.assertEqual(handoff.missing_count, 4)
        # confirmed again (or by another door), still one handoff
        order._ps_create_handoffs()
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.salesman)["sale.order"], "action_confirm",
                    [order.ids], {})
        self.assertEqual(self.env["ps.handoff"].sudo().search_count(
            [("order_id", "=", order.id)]), 1)

    def test_order_without_project_service_has_no_handoff(self):
        product = self.env["product.product"].create({"name": "Licence", "type": "consu",
                                                      "list_price": 100.0})
        order = self.env["sale.order"].with_user(self.salesman).create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": product.id})]})
        order.with_user(self.salesman).action_confirm()
        self.assertFalse(order.sudo().ps_handoff_id)

    def test_a_sales_user_without_project_rights_starts_the_handoff(self):
        seller = new_test_user(self.env, login="ho_pure_seller", name="Pure Seller",
                               groups="sales_team.group_sale_salesman")
        order = self._order(user=seller)
        call_kw(self.env(user=seller)["sale.order"], "action_confirm", [order.ids], {})
        handoff = order.sudo().ps_handoff_id
        self.assertEqual(len(handoff), 1)
        self.assertTrue(handoff.project_id)
        self.assertEqual(handoff.project_id, order.sudo().project_id or
                         order.sudo().project_ids[:1])

    def test_a_service_delivered_in_an_existing_project_starts_its_handoff(self):
        running = self.env["project.project"].create({"name": "Managed services (running)"})
        service = self.env["product.product"].create({
            "name": "Support hours", "type": "service", "list_price": 90.0,
            "service_tracking": "task_global_project", "project_id": running.id,
            "invoice_policy": "order"})
        order = self.env["sale.order"].with_user(self.salesman).create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": service.id, "product_uom_qty": 5})]})
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.sudo().ps_handoff_id.project_id, running)

    def test_bad_input(self):
        with self.assertRaises(ValidationError):
            self.env["ps.handoff.template"].create({"name": "No project template",
                                                    "project_template_id": False})
        with self.assertRaises(ValidationError):
            self.template.write({"item_ids": [Command.create({"kind": "document"})]})
        _order, handoff = self._confirmed()
        with self.assertRaises(ValidationError):
            handoff.with_user(self.pm).write({"budget": -5.0})
            handoff.flush_recordset()
        with self.assertRaises(ValidationError):
            handoff.with_user(self.pm).write({"staffing_line_ids": [
                Command.create({"role": "Consultant", "hours": -10.0})]})


@tagged("post_install", "-at_install")
class TestProjectStartGate(HandoffCommon):

    def _start(self, project, user=None):
        return call_kw(self.env(user=user or self.pm)["project.project"], "write",
                       [project.ids, {"stage_id": self.started.id}], {})

    def test_incomplete_project_cannot_start_and_says_what_is_missing(self):
        _order, handoff = self._confirmed()
        with self.assertRaisesRegex(UserError, "Scope summary.*Signed SOW"):
            self._start(handoff.project_id)
        self._complete(handoff)
        self.assertEqual(handoff.state, "complete")
        self.assertTrue(handoff.project_id.sudo().activity_ids,
                        "a kickoff meeting is planned with the delivery lead")
        self._start(handoff.project_id)
        self.assertEqual(handoff.state, "started")
        self.assertTrue(handoff.started_at)
        self.assertTrue(self.env["ps.event"].sudo().search_count(
            [("event_type", "=", "handoff.completed"), ("res_id", "=", handoff.id)]))

    def test_forged_state_or_completeness_does_not_start_the_project(self):
        _order, handoff = self._confirmed()
        for vals in ({"state": "complete"}, {"state": "started"}, {"escalation_level": 0}):
            with self.assertRaises(UserError):
                call_kw(self.env(user=self.pm)["ps.handoff"], "write", [handoff.ids, vals], {})
        # even a state set in SQL: the checklist is evaluated from its sources
        self.env.cr.execute("UPDATE ps_handoff SET state = 'complete' WHERE id = %s",
                            [handoff.id])
        handoff.invalidate_recordset()
        with self.assertRaises(UserError):
            self._start(handoff.project_id)

    def test_consultant_cannot_edit_a_handoff(self):
        _order, handoff = self._confirmed()
        self.assertTrue(handoff.with_user(self.consultant).read(["name"]))
        with self.assertRaises(AccessError):
            handoff.with_user(self.consultant).write({"scope_summary": "mine"})

    def test_approved_kickoff_exception_lets_it_start_and_is_audited(self):
        _order, handoff = self._confirmed()
        handoff.with_user(self.pm).write({"budget": 20000.0})
        exception = self.env["ps.kickoff.exception"].with_user(self.pm).create(
            {"handoff_id": handoff.id, "reason": "Client workshop booked for Monday"})
        exception.with_user(self.pm).action_submit()
        self.assertEqual(exception.state, "submitted")
        with self.assertRaises(UserError):
            self._start(handoff.project_id)
        # the delivery lead requested it: an administrator (fallback) decides
        self.assertFalse(exception._ps_pending_lines().filtered(lambda l: l.user_id == self.pm))
        exception.with_user(self.admin_ps).action_ps_approve()
        self.assertEqual(exception.state, "applied")
        self._start(handoff.project_id)
        self.assertEqual(handoff.state, "started")
        self.assertTrue(self.env["ps.audit.log"].sudo().search_count(
            [("res_model", "=", "ps.kickoff.exception"), ("res_id", "=", exception.id)]))

    def test_finance_above_the_budget_threshold(self):
        self.env.ref("ps_handoff.rule_kickoff_exception_finance").amount_threshold = 30000.0
        _order, handoff = self._confirmed()
        handoff.with_user(self.pm).write({"budget": 20000.0})
        exception = self.env["ps.kickoff.exception"].with_user(self.pm_2).create(
            {"handoff_id": handoff.id, "reason": "Urgent"})
        exception.with_user(self.pm_2).action_submit()
        exception.with_user(self.pm).action_ps_approve()
        self.assertEqual(exception.state, "applied")
        # the budget raised after the approval: finance must approve too before it starts
        handoff.with_user(self.pm).write({"budget": 90000.0})
        with self.assertRaises(UserError):
            self._start(handoff.project_id)

    def test_finance_tier_for_a_large_budget(self):
        self.env.ref("ps_handoff.rule_kickoff_exception_finance").amount_threshold = 30000.0
        _order, handoff = self._confirmed()
        handoff.with_user(self.pm).write({"budget": 90000.0})
        exception = self.env["ps.kickoff.exception"].with_user(self.pm_2).create(
            {"handoff_id": handoff.id, "reason": "Urgent"})
        exception.with_user(self.pm_2).action_submit()
        exception.with_user(self.pm).action_ps_approve()
        self.assertEqual(exception.state, "submitted", "finance has not decided yet")
        exception.with_user(self.finance).action_ps_approve()
        self.assertEqual(exception.state, "applied")
        self._start(handoff.project_id)


@tagged("post_install", "-at_install")
class TestKickoffExceptionContract(ApprovableContract, HandoffCommon):
    """Kickoff exceptions under ps_base's contract."""

    kit_forged = {"budget": 0.0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit_requester, cls.kit_approver, cls.kit_outsider = cls.pm_2, cls.pm, cls.consultant
        _order, cls.handoff = cls._confirmed()
        cls.handoff.with_user(cls.pm).write({"budget": 10000.0})

    def _kit_document(self):
        return self.env["ps.kickoff.exception"].with_user(self.pm_2).create(
            {"handoff_id": self.handoff.id, "reason": "Start now"})

    def _kit_submit(self, document):
        document.action_submit()


@tagged("post_install", "-at_install")
class TestStalledHandoffs(HandoffCommon):

    def test_stalled_handoffs_escalate_once_per_period(self):
        with freeze_time("2026-11-02 09:00:00"):
            _order, handoff = self._confirmed()
        Handoff = self.env["ps.handoff"]
        with freeze_time("2026-11-05 09:00:00"):
            self.assertEqual(Handoff._cron_escalate_stalled(), 0, "not stalled yet")
        with freeze_time("2026-11-08 09:00:00"):
            self.assertEqual(Handoff._cron_escalate_stalled(), 1)
            self.assertEqual(handoff.escalation_level, 1)
            self.assertEqual(handoff.activity_ids.filtered(
                lambda a: a.activity_type_id.name == "Stalled Handoff").user_id, self.salesman)
            self.assertEqual(Handoff._cron_escalate_stalled(), 0, "once per period")
        with freeze_time("2026-11-14 09:00:00"):
            self.assertEqual(Handoff._cron_escalate_stalled(), 1)
            self.assertEqual(handoff.escalation_level, 2)
            self.assertTrue(self.env["ps.exception"].search(
                [("key", "=", f"handoff-stalled:{handoff.id}")]))
        with freeze_time("2026-11-30 09:00:00"):
            self.assertEqual(Handoff._cron_escalate_stalled(), 0, "escalated as far as it goes")
            # progress resets the clock
            handoff.with_user(self.pm).write({"scope_summary": "Agreed"})
            self.assertEqual(handoff.escalation_level, 0)

    def test_multi_company_isolation(self):
        _order, handoff = self._confirmed()
        other = self.env["res.company"].create({"name": "Other Firm"})
        stranger = self.env["res.users"].create({
            "name": "Other PM", "login": "ho_other_pm", "company_id": other.id,
            "company_ids": [Command.set(other.ids)],
            "groups_id": [Command.set(self.env.ref("ps_base.group_ps_project_manager").ids)]})
        self.assertFalse(self.env["ps.handoff"].with_user(stranger).search(
            [("id", "=", handoff.id)]))
