from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import HandoffCommon


@tagged("post_install", "-at_install")
class TestCapacityDemand(HandoffCommon):
    """Late-stage opportunities show their service line's roles as provisional demand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.write({"staffing_ids": [
            Command.create({"role": "Functional consultant", "hours_per_week": 30, "weeks": 10,
                            "skills": "Accounting"}),
            Command.create({"role": "Developer", "hours_per_week": 20, "weeks": 6}),
        ]})
        cls.rm = new_test_user(cls.env, login="ho_rm", name="Ho Rm",
                               groups="ps_base.group_ps_resource_manager")
        cls.env["ir.config_parameter"].sudo().set_param("ps_handoff.capacity_probability", 70)

    def _opportunity(self, probability):
        return self.env["crm.lead"].with_user(self.salesman).create({
            "name": "ERP rollout", "type": "opportunity", "partner_id": self.customer.id,
            "user_id": self.salesman.id, "probability": probability,
            "ps_handoff_template_id": self.template.id,
        })

    def _needs(self, lead):
        return self.env["ps.capacity.need"].sudo().search([("lead_id", "=", lead.id)])

    def test_needs_follow_the_probability_once_each(self):
        lead = self._opportunity(40)
        self.assertFalse(self._needs(lead), "below the threshold there is no demand yet")

        lead.write({"probability": 80})
        needs = self._needs(lead)
        self.assertEqual(sorted(needs.mapped("role")), ["Developer", "Functional consultant"])
        consultant = needs.filtered(lambda n: n.role == "Functional consultant")
        self.assertEqual(consultant.hours, 300.0)
        self.assertEqual(consultant.weighted_hours, 240.0)
        self.assertEqual((consultant.date_to - consultant.date_from).days, 10 * 7 - 1)
        self.assertEqual(set(needs.mapped("state")), {"provisional"})

        lead.write({"probability": 90})
        lead._ps_sync_capacity_needs()
        self.assertEqual(self._needs(lead), needs, "no duplicate on later changes")
        self.assertEqual(consultant.weighted_hours, 270.0)

        lead.write({"probability": 30})
        self.assertEqual(set(needs.mapped("state")), {"released"})
        lead.write({"probability": 75})
        self.assertEqual(set(needs.mapped("state")), {"provisional"})
        lead.action_set_lost()
        self.assertEqual(set(needs.mapped("state")), {"released"})

    def test_won_order_confirms_the_needs_on_its_handoff(self):
        lead = self._opportunity(80)
        order = self._order()
        order.opportunity_id = lead
        order.with_user(self.salesman).action_confirm()
        needs = self._needs(lead)
        self.assertEqual(len(needs), 2)
        self.assertEqual(set(needs.mapped("state")), {"confirmed"})
        self.assertEqual(needs.handoff_id, order.sudo().ps_handoff_id)
        lead.write({"probability": 10})
        self.assertEqual(set(needs.mapped("state")), {"confirmed"},
                         "a confirmed need belongs to the project now")

    def _switch_off(self, xmlid):
        """An administrator archives the rule. Archiving unpatches the model in memory:
        switched back on at the end so that the other tests of the process keep it."""
        rule = self.env.ref(xmlid)
        rule.active = False
        self.addCleanup(setattr, rule, "active", True)
        return rule

    def test_archived_automation_stops_the_sync(self):
        self._switch_off("ps_handoff.automation_capacity_needs")
        lead = self._opportunity(95)
        self.assertFalse(self._needs(lead))

    def test_threshold_from_settings_resyncs_open_opportunities(self):
        lead = self._opportunity(60)
        self.assertFalse(self._needs(lead))
        settings = self.env["res.config.settings"].create({"ps_capacity_probability": 50})
        settings.execute()
        self.assertEqual(len(self._needs(lead)), 2)
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"ps_capacity_probability": 0})
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"ps_capacity_probability": 101})

    def test_who_sees_the_demand(self):
        lead = self._opportunity(80)
        needs = self._needs(lead)
        self.assertEqual(self.env["ps.capacity.need"].with_user(self.rm).search(
            [("lead_id", "=", lead.id)]), needs)
        with self.assertRaises(AccessError):
            self.env["ps.capacity.need"].with_user(self.consultant).search([])
        with self.assertRaises(AccessError):
            needs.with_user(self.rm).write({"hours": 1.0})
        with self.assertRaises(ValidationError):
            self.template.write({"staffing_ids": [
                Command.create({"role": "Architect", "hours_per_week": -5, "weeks": 4})]})


@tagged("post_install", "-at_install")
class TestHandoffAutomations(HandoffCommon):

    def test_odoo_users_without_a_ps_group_read_everything_they_did(self):
        """Odoo's sales manager, project manager and salesman, in no group of the suite,
        read every field of an order, its project and its opportunity (Odoo's own
        test_access_sales_manager reads them all)."""
        order, handoff = self._confirmed()
        lead = self.env["crm.lead"].create({
            "name": "Plain opportunity", "type": "opportunity", "probability": 90,
            "ps_handoff_template_id": self.template.id})
        order.opportunity_id = lead
        sales_manager = new_test_user(self.env, login="ho_plain_sales_manager",
                                      groups="sales_team.group_sale_manager")
        project_manager = new_test_user(self.env, login="ho_plain_project_manager",
                                        groups="project.group_project_manager")
        for user, records in ((sales_manager, [order, lead]),
                              (project_manager, [handoff.project_id])):
            for record in records:
                values = record.with_user(user).read()[0]
                self.assertNotIn("ps_handoff_id", values)
                self.assertNotIn("ps_handoff_ids", values)
                self.assertNotIn("ps_capacity_need_ids", values)

    def test_kickoff_runs_through_the_visible_automation_rule(self):
        rule = self.env.ref("ps_handoff.automation_handoff_kickoff")
        self.assertTrue(rule.active)
        self.assertEqual(rule.action_server_ids.code, "records._on_complete()")
        rule.active = False
        self.addCleanup(setattr, rule, "active", True)
        _order, handoff = self._confirmed()
        self._complete(handoff)
        self.assertEqual(handoff.state, "complete")
        self.assertFalse(self.env["ps.event"].sudo().search_count(
            [("event_type", "=", "handoff.completed"), ("res_id", "=", handoff.id)]),
            "switched off by the administrator: no kickoff")

    def test_remind_owners_of_missing_items_once(self):
        _order, handoff = self._confirmed()
        action = self.env.ref("ps_handoff.action_remind_missing_items")
        ctx = {"active_model": "ps.handoff", "active_ids": handoff.ids, "active_id": handoff.id}
        action.with_user(self.pm).with_context(**ctx).run()
        reminders = self.env["mail.activity"].sudo().search([
            ("res_model", "=", "ps.handoff"), ("res_id", "=", handoff.id),
            ("summary", "=like", "Missing for %")])
        self.assertEqual(reminders.user_id, self.pm | self.salesman)
        self.assertIn("Scope summary", reminders.filtered(
            lambda a: a.user_id == self.salesman).note)
        action.with_user(self.pm).with_context(**ctx).run()
        self.assertEqual(self.env["mail.activity"].sudo().search_count([
            ("res_model", "=", "ps.handoff"), ("res_id", "=", handoff.id),
            ("summary", "=like", "Missing for %")]), len(reminders), "not twice")
        with self.assertRaises(AccessError):
            action.with_user(self.consultant).with_context(**ctx).run()
