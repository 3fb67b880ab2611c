from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsApprovalsInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_approvals"
    depends = frozenset({"ps_base", "sale_management", "sale_margin", "sale_project",
                         "hr_expense", "account"})
