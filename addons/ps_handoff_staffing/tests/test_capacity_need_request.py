from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.ps_handoff.tests.common import HandoffCommon


@tagged("post_install", "-at_install")
class TestCapacityNeedRequest(HandoffCommon):
    """A resource manager asks for staff on an opportunity's provisional demand; the won
    deal's handoff takes those early requests over instead of duplicating them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        skill_type = cls.env["hr.skill.type"].create({
            "name": "Need bridge languages",
            "skill_ids": [Command.create({"name": "Python (need)"}),
                          Command.create({"name": "SQL (need)"})],
            "skill_level_ids": [Command.create({"name": "Junior", "level_progress": 30}),
                                Command.create({"name": "Senior", "level_progress": 80,
                                                "default_level": True})],
        })
        cls.python, cls.sql = skill_type.skill_ids.sorted("name")
        cls.template.write({"staffing_ids": [
            Command.create({"role": "Developer", "hours_per_week": 20, "weeks": 6,
                            "skills": "Python (need), Klingon"}),
            Command.create({"role": "Architect", "hours_per_week": 10, "weeks": 4}),
        ]})
        cls.rm = new_test_user(cls.env, login="hs_rm", name="Hs Rm",
                               groups="ps_base.group_ps_resource_manager")
        cls.env["ir.config_parameter"].sudo().set_param("ps_handoff.capacity_probability", 70)

    def _opportunity(self, probability=80):
        return self.env["crm.lead"].with_user(self.salesman).create({
            "name": "Bank rollout", "type": "opportunity", "partner_id": self.customer.id,
            "user_id": self.salesman.id, "probability": probability,
            "ps_handoff_template_id": self.template.id,
        })

    def _needs(self, lead):
        return self.env["ps.capacity.need"].sudo().search([("lead_id", "=", lead.id)])

    def _by_role(self, records, role):
        return records.filtered(lambda r: r.role == role)

    def _request_for(self, needs):
        needs.with_user(self.rm).action_create_staffing_request()
        return self.env["ps.staffing.request"].sudo().search(
            [("capacity_need_id", "in", needs.ids)])

    def _won(self, lead):
        order = self.env["sale.order"].with_user(self.salesman).create({
            "partner_id": self.customer.id, "user_id": self.salesman.id,
            "opportunity_id": lead.id,
            "order_line": [Command.create({"product_id": self.service.id,
                                           "product_uom_qty": 10})]})
        order.with_user(self.salesman).action_confirm()
        handoff = order.sudo().ps_handoff_id
        handoff.project_id.sudo().user_id = self.pm
        return handoff

    def test_resource_manager_creates_one_request_per_need(self):
        needs = self._needs(self._opportunity())
        developer = self._by_role(needs, "Developer")
        action = developer.with_user(self.rm).action_create_staffing_request()
        request = self.env["ps.staffing.request"].with_user(self.rm).browse(action["res_id"])
        self.assertEqual(request.capacity_need_id, developer)
        self.assertEqual(developer.with_user(self.rm).staffing_request_id, request)
        self.assertTrue(request.is_provisional)
        self.assertFalse(request.project_id)
        self.assertEqual((request.role, request.hours_per_week, request.date_start,
                          request.date_end, request.state),
                         ("Developer", 20.0, developer.date_from, developer.date_to, "draft"))
        self.assertEqual(request.skill_line_ids.skill_id, self.python)
        self.assertIn("Klingon", request.note, "an unknown skill is kept in the note")
        self.assertEqual(request.source_ref, developer, "the form shows where it comes from")
        self.assertEqual(request.opportunity_id, developer.lead_id)
        self.assertEqual(request.user_id, self.rm)

        # never two: again on the need, then on the whole selection (the server action)
        developer.with_user(self.rm).action_create_staffing_request()
        server_action = self.env.ref(
            "ps_handoff_staffing.action_server_capacity_need_create_request")
        server_action.with_user(self.rm).with_context(
            active_model=needs._name, active_ids=needs.ids).run()
        requests = self.env["ps.staffing.request"].sudo().search(
            [("capacity_need_id", "in", needs.ids)])
        self.assertEqual(len(requests), 2)
        self.assertEqual(self._by_role(requests, "Developer"), request)

    def test_a_provisional_request_is_ranked_before_the_deal_is_won(self):
        request = self._request_for(self._by_role(self._needs(self._opportunity()),
                                                  "Architect"))
        request = request.with_user(self.rm)
        request.action_submit()
        request.action_rank_candidates()
        self.assertEqual(request.state, "proposed")
        with self.assertRaises(UserError):
            request.action_approve()

    def test_only_resource_managers_create_requests(self):
        needs = self._needs(self._opportunity())
        with self.assertRaises(AccessError):
            needs.with_user(self.consultant).action_create_staffing_request()
        # a delivery lead reads the demand but does not ask for staff on it
        with self.assertRaises(AccessError):
            needs.with_user(self.pm).action_create_staffing_request()
        self.assertFalse(self.env["ps.staffing.request"].sudo().search(
            [("capacity_need_id", "in", needs.ids)]))

    def test_released_needs_are_refused_and_close_their_requests(self):
        lead = self._opportunity()
        needs = self._needs(lead)
        requests = self._request_for(needs)
        lead.with_user(self.salesman).write({"probability": 30})
        self.assertEqual(set(needs.mapped("state")), {"released"})
        self.assertEqual(set(requests.mapped("state")), {"closed"})
        with self.assertRaisesRegex(UserError, "released"):
            needs.with_user(self.rm).action_create_staffing_request()
        # the deal comes back: the same requests are reopened, not duplicated
        lead.with_user(self.salesman).write({"probability": 80})
        self.assertEqual(set(needs.mapped("state")), {"provisional"})
        self.assertEqual(self._request_for(needs), requests)
        self.assertEqual(set(requests.mapped("state")), {"draft"})
        # lost: closed again
        lead.with_user(self.salesman).action_set_lost()
        self.assertEqual(set(requests.mapped("state")), {"closed"})

    def test_won_deal_takes_over_the_matching_request_and_closes_the_rest(self):
        lead = self._opportunity()
        needs = self._needs(lead)
        early = self._request_for(needs)
        developer = self._by_role(early, "Developer")
        architect = self._by_role(early, "Architect")
        developer.with_user(self.rm).action_submit()
        handoff = self._won(lead)
        self.assertEqual(set(needs.mapped("state")), {"confirmed"})
        handoff.with_user(self.pm).write({"staffing_line_ids": [
            Command.create({"role": " developer ", "hours": 240.0,
                            "skills": "Python (need), SQL (need)",
                            "date_from": "2027-01-04", "date_to": "2027-02-28"}),
            Command.create({"role": "Tester", "hours": 80.0})]})
        self._complete(handoff)
        self.assertEqual(handoff.state, "complete")

        line = handoff.staffing_line_ids.filtered(lambda l: "developer" in l.role)
        self.assertEqual(developer.project_id, handoff.project_id)
        self.assertFalse(developer.is_provisional)
        self.assertEqual((developer.source_model, developer.source_id),
                         (line._name, line.id))
        self.assertEqual(developer.state, "submitted", "the work done on it is kept")
        self.assertEqual(str(developer.date_start), "2027-01-04")
        self.assertEqual(developer.hours_per_week, 30.0, "240 hours over 8 weeks")
        self.assertEqual(developer.skill_line_ids.skill_id, self.python | self.sql)
        self.assertEqual(developer.capacity_need_id.lead_id, lead, "its origin is kept")
        self.assertEqual(architect.state, "closed", "the sold scope has no architect")

        requests = self.env["ps.staffing.request"].sudo().search(
            [("project_id", "=", handoff.project_id.id)])
        self.assertEqual(sorted(requests.mapped("role")), [" developer ", "Tester"],
                         "one request per assumption, none duplicated")
        handoff._ps_staffing_needs()
        self.assertEqual(self.env["ps.staffing.request"].sudo().search(
            [("project_id", "=", handoff.project_id.id)]), requests, "never twice")

    def test_won_deal_without_assumptions_staffs_the_early_requests(self):
        lead = self._opportunity()
        early = self._request_for(self._needs(lead))
        handoff = self._won(lead)
        self._complete(handoff)
        self.assertEqual(handoff.state, "complete")
        self.assertEqual(early.project_id, handoff.project_id)
        self.assertFalse(any(early.mapped("is_provisional")))
        self.assertEqual(set(early.mapped("state")), {"draft"})

    def test_need_of_a_won_deal_gets_a_request_on_the_project(self):
        lead = self._opportunity()
        needs = self._needs(lead)
        handoff = self._won(lead)
        request = self._request_for(self._by_role(needs, "Architect"))
        self.assertEqual(request.project_id, handoff.project_id)
        self.assertFalse(request.is_provisional)
