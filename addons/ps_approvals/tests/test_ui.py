from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestApproverInboxTour(HttpCase):
    """A sales manager opens My Approvals from the menu and approves a quote there."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, login="ps_tour_salesman", name="Tour Salesman",
                                     groups="sales_team.group_sale_salesman")
        cls.sales_manager = new_test_user(
            cls.env, login="ps_tour_sales_manager", password="ps_tour_sales_manager",
            name="Tour Sales Manager", groups="sales_team.group_sale_manager")
        product = cls.env["product.product"].create({
            "name": "Tour consulting day", "type": "service", "list_price": 1000.0,
            "standard_price": 400.0, "taxes_id": [Command.clear()]})
        customer = cls.env["res.partner"].create({"name": "Tour Customer"})
        cls.order = cls.env["sale.order"].with_user(cls.salesman).create({
            "name": "PS-TOUR-QUOTE",
            "partner_id": customer.id,
            "user_id": cls.salesman.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2.0,
                                           "discount": 25.0})],
        })

    def test_sales_manager_approves_quote_from_inbox(self):
        self.order.with_user(self.salesman).action_confirm()
        self.assertEqual(self.order.state, "draft")
        self.assertIn(self.sales_manager, self.order.ps_approval_next_user_ids)

        self.start_tour("/odoo", "ps_approvals_approve_quote_from_inbox",
                        login="ps_tour_sales_manager")

        self.order.invalidate_recordset()
        self.assertEqual(self.order.ps_approval_state, "approved")
        self.assertEqual(self.order.state, "sale", "the salesperson's confirmation completed")
        decided = self.env["ps.approval.line"].search([
            ("res_model", "=", "sale.order"), ("res_id", "=", self.order.id),
            ("state", "=", "approved")])
        self.assertEqual(decided.user_id, self.sales_manager)

    def test_change_order_and_budget_change_forms(self):
        """An administrator follows a change order to its order, then a budget change."""
        pm = new_test_user(self.env, login="ps_tour_pm", name="Tour Delivery Lead",
                           groups="ps_base.group_ps_project_manager,project.group_project_user")
        project = self.env["project.project"].create({
            "name": "PS Tour Project", "user_id": pm.id, "ps_original_budget": 40000.0})
        order = self.env["sale.order"].with_user(self.salesman).create({
            "name": "PS-TOUR-ORDER", "partner_id": self.order.partner_id.id,
            "user_id": self.salesman.id,
            "order_line": [Command.create({"product_id": self.order.order_line.product_id.id,
                                           "product_uom_qty": 2.0})],
        })
        order.with_user(self.salesman).action_confirm()
        order.project_id = project
        change = self.env["ps.change.order"].with_user(self.sales_manager).create({
            "order_id": order.id, "reason": "Two more days",
            "line_ids": [Command.create({"sale_line_id": order.order_line.id,
                                         "product_uom_qty": 4.0})],
        })
        change.with_user(self.sales_manager).action_submit()
        self.assertEqual(change.ps_approval_next_user_ids, pm | self.salesman)
        budget = self.env["ps.budget.change"].with_user(pm).create({
            "project_id": project.id, "new_budget": 50000.0, "reason": "Phase two"})
        budget.with_user(pm).action_submit()

        self.start_tour("/odoo", "ps_approvals_documents", login="admin")
