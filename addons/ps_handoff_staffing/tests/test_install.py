from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsHandoffStaffingInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_handoff_staffing"
    depends = frozenset({"ps_handoff", "ps_staffing"})

    def test_installs_itself_beside_both_workflows(self):
        self.assertTrue(get_manifest(self.module)["auto_install"])
        for workflow in ("ps_handoff", "ps_staffing"):
            self.assertNotIn("ps_handoff_staffing", get_manifest(workflow)["depends"])
        self.assertNotIn("ps_staffing", get_manifest("ps_handoff")["depends"])
        self.assertNotIn("ps_handoff", get_manifest("ps_staffing")["depends"])
