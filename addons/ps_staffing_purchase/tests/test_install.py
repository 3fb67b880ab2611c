from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsStaffingPurchaseInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_staffing_purchase"
    depends = frozenset({"ps_staffing", "ps_approvals", "purchase", "project_purchase"})

    def test_no_addon_of_the_six_depends_on_purchase(self):
        self.assertTrue(get_manifest(self.module)["auto_install"])
        for addon in ("ps_base", "ps_approvals", "ps_handoff", "ps_staffing",
                      "ps_billing_readiness", "ps_governance"):
            self.assertNotIn("purchase", get_manifest(addon)["depends"])
