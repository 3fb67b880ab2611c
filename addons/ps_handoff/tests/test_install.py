from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged

MODULE = "ps_handoff"
DEPENDS = {"ps_base", "sale_project"}


@tagged("post_install", "-at_install")
class TestPsHandoffInstalled(TransactionCase):
    def test_declared_dependencies(self):
        self.assertEqual(set(get_manifest(MODULE)["depends"]), DEPENDS)
        module = self.env["ir.module.module"].search([("name", "=", MODULE)])
        self.assertEqual(set(module.dependencies_id.mapped("name")), DEPENDS)

    def test_addon_and_dependencies_installed(self):
        modules = self.env["ir.module.module"].search([("name", "in", [MODULE, *DEPENDS])])
        states = dict(zip(modules.mapped("name"), modules.mapped("state"), strict=True))
        self.assertEqual(states, dict.fromkeys([MODULE, *DEPENDS], "installed"))
