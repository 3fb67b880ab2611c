from odoo.modules.module import get_manifest


class AddonInstalledMixin:
    """Checks shared by every addon of the suite: the manifest declares exactly the
    dependencies the architecture gives it, and the addon and those dependencies are
    installed. Mix it into a TransactionCase with ``module`` and ``depends`` set."""

    module = None
    depends = frozenset()

    def test_declared_dependencies(self):
        self.assertEqual(set(get_manifest(self.module)["depends"]), set(self.depends))
        module = self.env["ir.module.module"].search([("name", "=", self.module)])
        self.assertEqual(set(module.dependencies_id.mapped("name")), set(self.depends))

    def test_addon_and_dependencies_installed(self):
        names = [self.module, *self.depends]
        modules = self.env["ir.module.module"].search([("name", "in", names)])
        states = dict(zip(modules.mapped("name"), modules.mapped("state"), strict=True))
        self.assertEqual(states, dict.fromkeys(names, "installed"))
