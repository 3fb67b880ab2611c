from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import StaffingCommon


@tagged("post_install", "-at_install")
class TestStaffingSettings(StaffingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.settings_admin = new_test_user(cls.env, login="st_settings",
                                           groups="base.group_system,ps_base.group_ps_manager")

    def test_thresholds_of_settings_drive_the_default_rules(self):
        settings = self.env["res.config.settings"].with_user(self.settings_admin).create({})
        self.assertEqual(settings.ps_staffing_utilization_threshold, 85.0)
        self.assertEqual(settings.ps_staffing_lead_threshold, 100.0)
        settings.write({"ps_staffing_utilization_threshold": 70.0,
                        "ps_staffing_lead_threshold": 90.0})
        settings.execute()
        resource_rule = self.env.ref("ps_staffing.rule_allocation_resource_manager")
        self.assertIn("70.0", resource_rule.domain)
        self.assertEqual(self.env.ref("ps_staffing.rule_allocation_delivery_lead")
                         .amount_threshold, 90.0)
        allocation = self._allocation(hours=30)  # 75%: under 85, above 70
        allocation.with_user(self.pm).action_confirm()
        self.assertEqual(allocation.ps_approval_state, "pending")
        self.assertEqual(allocation._ps_pending_lines().rule_id, resource_rule)

    def test_inconsistent_thresholds_are_refused(self):
        for vals in ({"ps_staffing_utilization_threshold": 90.0,
                      "ps_staffing_lead_threshold": 80.0},
                     {"ps_staffing_bench_floor": 120.0},
                     {"ps_staffing_bench_weeks": 0}):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.env["res.config.settings"].with_user(self.settings_admin).create(vals)
