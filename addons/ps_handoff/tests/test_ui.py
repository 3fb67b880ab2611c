from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestHandoffTour(HttpCase):
    """In a real browser: a project manager completes the checklist of a handoff and starts
    its project."""

    def test_project_manager_completes_the_checklist_and_starts_the_project(self):
        env = self.env(context=dict(self.env.context, tracking_disable=True))
        pm = new_test_user(env, login="tour_handoff_pm", name="Tour Handoff PM",
                           groups="ps_base.group_ps_project_manager,"
                                  "project.group_project_manager,project.group_project_stages")
        if "tour_enabled" in pm._fields:
            pm.tour_enabled = False
        category = env["product.category"].create({"name": "PS tour services"})
        env["ps.handoff.template"].create({
            "name": "PS tour service line", "sequence": 1,
            "project_template_id": env["project.project"].create({"name": "Tour template"}).id,
            "product_categ_ids": [Command.set(category.ids)],
            "item_ids": [Command.create({"kind": "field", "field_name": "scope_summary"}),
                         Command.create({"kind": "field", "field_name": "budget"})],
        })
        product = env["product.product"].create({
            "name": "PS tour implementation", "type": "service", "categ_id": category.id,
            "service_tracking": "project_only", "list_price": 500.0})
        order = env["sale.order"].create({
            "partner_id": env["res.partner"].create({"name": "PS Tour Customer"}).id,
            "order_line": [Command.create({"product_id": product.id})]})
        order.action_confirm()
        handoff = order.ps_handoff_id
        handoff.project_id.user_id = pm
        project = handoff.project_id

        self.start_tour("/odoo", "ps_handoff_complete_and_start", login=pm.login)

        self.assertEqual(handoff.state, "started")
        self.assertEqual(project.stage_id, env.ref("project.project_project_stage_1"))
        self.assertEqual(handoff.budget, 30000.0)
