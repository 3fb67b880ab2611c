from odoo.tests import TransactionCase, tagged

from .addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsBaseInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_base"
    depends = frozenset({"mail", "hr"})
