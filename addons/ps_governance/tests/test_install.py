from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsGovernanceInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_governance"
    depends = frozenset({"ps_base"})
