from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class HandoffCommon(TransactionCase):
    """A consulting firm: a salesperson, two project managers, finance, an administrator;
    a service sold with a project, a handoff template with a checklist."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))

        def user(login, groups):
            return new_test_user(cls.env, login=login, groups=groups,
                                 name=login.replace("_", " ").title())

        cls.salesman = user("ho_salesman", "sales_team.group_sale_salesman,ps_base.group_ps_user")
        cls.pm = user("ho_pm", "ps_base.group_ps_project_manager,project.group_project_manager,"
                               "project.group_project_stages")
        cls.pm_2 = user("ho_pm_2", "ps_base.group_ps_project_manager,project.group_project_user")
        cls.consultant = user("ho_consultant", "ps_base.group_ps_user")
        cls.finance = user("ho_finance", "ps_base.group_ps_finance")
        cls.admin_ps = user("ho_admin", "ps_base.group_ps_manager,project.group_project_manager")
        cls.customer = cls.env["res.partner"].create({"name": "Handoff Customer"})
        cls.project_template = cls.env["project.project"].create({
            "name": "ERP Implementation (template)",
            "task_ids": [Command.create({"name": "Discovery workshop"}),
                         Command.create({"name": "Data migration plan"})]})
        cls.category = cls.env["product.category"].create({"name": "ERP services"})
        cls.service = cls.env["product.product"].create({
            "name": "ERP implementation", "type": "service", "categ_id": cls.category.id,
            "list_price": 1000.0, "service_tracking": "project_only",
            "invoice_policy": "order"})
        cls.sow = cls.env.ref("ps_handoff.document_type_sow")
        cls.template = cls.env["ps.handoff.template"].create({
            "name": "ERP Implementation", "project_template_id": cls.project_template.id,
            "product_categ_ids": [Command.set(cls.category.ids)],
            "item_ids": [
                Command.create({"kind": "field", "field_name": "scope_summary",
                                "responsible": "account_owner"}),
                Command.create({"kind": "field", "field_name": "budget",
                                "responsible": "account_owner"}),
                Command.create({"kind": "field", "field_name": "date_start",
                                "responsible": "project_manager"}),
                Command.create({"kind": "document", "document_type_id": cls.sow.id,
                                "responsible": "account_owner"}),
            ],
            "task_ids": [Command.create({"name": "Kickoff meeting", "days_after_confirmation": 3,
                                         "role": "project_manager"})],
        })
        cls.started = cls.env.ref("project.project_project_stage_1")

    @classmethod
    def _order(cls, qty=10.0, user=None):
        user = user or cls.salesman
        return cls.env["sale.order"].with_user(user).create({
            "partner_id": cls.customer.id, "user_id": user.id,
            "order_line": [Command.create({"product_id": cls.service.id,
                                           "product_uom_qty": qty})]})

    @classmethod
    def _confirmed(cls, **kw):
        order = cls._order(**kw)
        order.with_user(cls.salesman).action_confirm()
        handoff = order.sudo().ps_handoff_id
        handoff.project_id.sudo().user_id = cls.pm
        return order, handoff

    def _complete(self, handoff, user=None):
        user = user or self.pm
        handoff.with_user(user).write({
            "scope_summary": "Finance and sales modules", "budget": 40000.0,
            "date_start": "2026-12-01",
            "document_ids": [Command.create({"document_type_id": self.sow.id,
                                             "file": "JVBERi0xLjQK", "file_name": "sow.pdf"})],
        })
