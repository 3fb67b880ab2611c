from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class PsBaseCommon(TransactionCase):
    """Users of each role, an org chart, and an approval rule on internal requests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        def new_user(login, groups, **kw):
            return new_test_user(cls.env, login=login, groups=groups,
                                 name=login.replace("_", " ").title(), **kw)

        cls.consultant = new_user("ps_consultant", "ps_base.group_ps_user")
        cls.consultant_2 = new_user("ps_consultant_2", "ps_base.group_ps_user")
        cls.manager_user = new_user("ps_line_manager", "ps_base.group_ps_project_manager")
        cls.pm = new_user("ps_pm", "ps_base.group_ps_project_manager")
        cls.finance = new_user("ps_finance", "ps_base.group_ps_finance")
        cls.finance_2 = new_user("ps_finance_2", "ps_base.group_ps_finance")
        cls.finance_3 = new_user("ps_finance_3", "ps_base.group_ps_finance")
        cls.admin_ps = new_user("ps_admin", "ps_base.group_ps_manager,base.group_system")
        cls.outsider = new_user("ps_outsider", "base.group_user")

        # a finance group of exactly three people for quorum tests
        cls.finance_group = cls.env["res.groups"].create({
            "name": "Test finance board",
            "users": [Command.set([cls.finance.id, cls.finance_2.id, cls.finance_3.id])],
        })
        manager_employee = cls.env["hr.employee"].create(
            {"name": "Line Manager", "user_id": cls.manager_user.id})
        cls.env["hr.employee"].create({"name": "Consultant", "user_id": cls.consultant.id,
                                       "parent_id": manager_employee.id})
        cls.env["hr.employee"].create({"name": "Consultant 2", "user_id": cls.consultant_2.id,
                                       "parent_id": manager_employee.id})

        cls.category = cls.env["ps.request.category"].create(
            {"name": "Software", "manager_id": cls.pm.id})
        cls.request_model = cls.env["ir.model"]._get("ps.request")
        cls.amount_field = cls.env["ir.model.fields"]._get("ps.request", "amount")
        # only our rules apply in these tests
        cls.env["ps.approval.rule"].search([]).write({"active": False})
        cls.rule = cls.env["ps.approval.rule"].create({
            "name": "Requests above 1000",
            "model_id": cls.request_model.id,
            "amount_field_id": cls.amount_field.id,
            "amount_threshold": 1000,
            "escalation_hours": 24,
            "tier_ids": [
                Command.create({"name": "Manager", "step": 1, "approver_type": "manager"}),
                Command.create({"name": "Finance", "step": 2, "approver_type": "group",
                                "group_id": cls.finance_group.id, "quorum": 2}),
            ],
        })
        cls.tier_manager, cls.tier_finance = cls.rule.tier_ids.sorted("step")

    @classmethod
    def _new_request(cls, user=None, amount=2500.0, **vals):
        user = user or cls.consultant
        return cls.env["ps.request"].with_user(user).create({
            "title": vals.pop("title", "Licence"), "amount": amount,
            "category_id": cls.category.id, **vals})

    def _pending(self, record, user=None):
        domain = [("res_model", "=", record._name), ("res_id", "in", record.ids),
                  ("state", "=", "pending")]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["ps.approval.line"].sudo().search(domain)

    def _flush_audit(self):
        self.env["ps.audit.log"]._flush_buffer()
