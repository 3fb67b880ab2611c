from odoo.tests import TransactionCase, tagged

from odoo.addons.ps_base.tests.addon_install import AddonInstalledMixin


@tagged("post_install", "-at_install")
class TestPsStaffingInstalled(AddonInstalledMixin, TransactionCase):
    module = "ps_staffing"
    depends = frozenset({"ps_base", "project", "resource", "hr_skills", "hr_holidays",
                         "hr_timesheet", "sale_timesheet", "project_timesheet_holidays"})
