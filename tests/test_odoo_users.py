"""Odoo's own users, in no group of the suite, keep reading what they read before.

A field the suite adds to a standard model (an order, a project, an opportunity, an invoice,
a timesheet) that points to a document of the suite makes every read of that standard
record fail for a user without rights on the suite's document: Odoo's sales manager opening
an order would get an AccessError. Such a field carries the suite's groups, or its target is
readable by every internal user. Checked over the whole registry, so that a new addon's
field is checked too.
"""

from odoo.tests import TransactionCase, new_test_user, tagged

RELATIONAL = ("many2one", "one2many", "many2many")


@tagged("post_install", "-at_install")
class TestOdooUsersRead(TransactionCase):

    def _suite_fields_on_standard_models(self):
        for model_name, model in self.env.registry.items():
            if model_name.startswith("ps.") or model._abstract or model._transient:
                continue
            for field in model._fields.values():
                if field.type in RELATIONAL and (field.comodel_name or "").startswith("ps.") \
                        and field.comodel_name not in ("ps.approval.request",
                                                       "ps.approval.line"):
                    yield model_name, field

    def _plain_odoo_group(self, group):
        """A group of Odoo's for internal users (not portal or public, not the suite's)."""
        user_types = self.env.ref("base.module_category_user_type")
        return not group.share \
            and not (group.category_id == user_types and group != self.env.ref("base.group_user")) \
            and not (group.get_external_id()[group.id] or "").startswith("ps_")

    def test_suite_fields_on_standard_models_need_no_suite_rights(self):
        """Every group of Odoo that reads the standard model reads the field's target, or
        the field carries groups."""
        users, checked = {}, []
        Access = self.env["ir.model.access"].sudo()
        for model_name, field in self._suite_fields_on_standard_models():
            checked.append(f"{model_name}.{field.name}")
            if field.groups:
                continue
            groups = Access.search([("model_id.model", "=", model_name), ("perm_read", "=", True),
                                    ("group_id", "!=", False)]).group_id
            for group in groups.filtered(self._plain_odoo_group):
                if group not in users:
                    users[group] = new_test_user(self.env, login=f"ps_plain_{group.id}",
                                                 groups="base.group_user")
                    users[group].groups_id |= group
                user = users[group]
                with self.subTest(field=f"{model_name}.{field.name}", group=group.full_name):
                    self.assertTrue(
                        self.env[field.comodel_name].with_user(user).has_access("read"),
                        f"{model_name}.{field.name} points to {field.comodel_name}, which "
                        f"'{group.full_name}' reads {model_name} but not {field.comodel_name}: "
                        "give the field the groups that read its target, e.g. "
                        "groups=\"ps_base.group_ps_user\"")
        self.assertIn("sale.order.ps_handoff_id", checked)

    def test_odoo_users_read_their_records(self):
        """An order, its project and an opportunity, read field by field as Odoo's sales
        manager, project manager and salesman without a group of the suite."""
        env = self.env
        customer = env["res.partner"].create({"name": "Plain Odoo Customer"})
        product = env["product.product"].create({
            "name": "Plain consulting", "type": "service", "service_tracking": "project_only",
            "list_price": 100.0, "invoice_policy": "order"})
        order = env["sale.order"].create({
            "partner_id": customer.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 3})]})
        order.action_confirm()
        lead = env["crm.lead"].create({"name": "Plain opportunity", "type": "opportunity",
                                       "partner_id": customer.id})
        readers = {
            "sales_team.group_sale_manager": [order, lead],
            "sales_team.group_sale_salesman_all_leads": [order, lead],
            "project.group_project_manager": [order.project_ids[:1] or order.project_id],
        }
        for group, records in readers.items():
            user = new_test_user(env, login=f"ps_plain_{group.split('.')[1]}", groups=group)
            for record in records:
                with self.subTest(group=group, model=record._name):
                    self.assertTrue(record.with_user(user).read()[0]["id"])
