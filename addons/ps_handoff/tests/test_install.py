from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsHandoffInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_handoff"
    depends = frozenset({"ps_base", "sale_project", "sale_crm", "base_automation"})
