from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsBillingReadinessInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_billing_readiness"
    depends = frozenset({"ps_base", "sale_timesheet", "hr_expense", "sale_expense"})
