from odoo import api, fields, models
from odoo.exceptions import ValidationError

RESOURCE_RULE = "ps_staffing.rule_allocation_resource_manager"
LEAD_RULE = "ps_staffing.rule_allocation_delivery_lead"


def resource_rule_domain(threshold):
    """Condition of the default resource-manager rule for a utilization threshold."""
    return repr(["|", ("utilization_after", ">", float(threshold)),
                 ("leave_overlap", "=", True)])


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ps_staffing_utilization_threshold = fields.Float(
        "Utilization Threshold (%)", default=85.0,
        config_parameter="ps_staffing.utilization_threshold",
        help="An allocation that brings someone above this weekly load needs the resource "
             "manager's approval (as does one overlapping approved leave)")
    ps_staffing_lead_threshold = fields.Float(
        "Delivery Lead Above (%)", default=100.0,
        help="Above this weekly load, the project's delivery lead approves too")
    ps_staffing_bench_floor = fields.Float(
        "Bench Below (%)", default=50.0, config_parameter="ps_staffing.bench_floor",
        help="People planned below this share of their capacity over the next weeks are on "
             "the bench digest of the resource managers")
    ps_staffing_bench_weeks = fields.Integer(
        "Bench Horizon (weeks)", default=4, config_parameter="ps_staffing.bench_weeks")
    ps_staffing_expiry_days = fields.Integer(
        "Warn Before Allocation Ends (days)", default=14,
        config_parameter="ps_staffing.expiry_days")

    @api.constrains("ps_staffing_utilization_threshold", "ps_staffing_lead_threshold",
                    "ps_staffing_bench_floor", "ps_staffing_bench_weeks",
                    "ps_staffing_expiry_days")
    def _check_ps_staffing_settings(self):
        for settings in self:
            if settings.ps_staffing_utilization_threshold <= 0 \
                    or settings.ps_staffing_lead_threshold <= 0:
                raise ValidationError(self.env._(
                    "Utilization thresholds are percentages above 0."))
            if settings.ps_staffing_lead_threshold < settings.ps_staffing_utilization_threshold:
                raise ValidationError(self.env._(
                    "The delivery lead threshold (%(lead)s%%) must be at or above the "
                    "resource manager threshold (%(rm)s%%).",
                    lead=settings.ps_staffing_lead_threshold,
                    rm=settings.ps_staffing_utilization_threshold))
            if not 0 <= settings.ps_staffing_bench_floor <= 100:
                raise ValidationError(self.env._("The bench floor is a percentage from 0 to "
                                                 "100."))
            if settings.ps_staffing_bench_weeks < 1 or settings.ps_staffing_expiry_days < 0:
                raise ValidationError(self.env._(
                    "The bench horizon is at least one week and the warning before an "
                    "allocation ends cannot be negative."))

    @api.model
    def get_values(self):
        res = super().get_values()
        rule = self.env.ref(LEAD_RULE, raise_if_not_found=False)
        res["ps_staffing_lead_threshold"] = rule.sudo().amount_threshold if rule else 100.0
        return res

    def set_values(self):
        result = super().set_values()
        lead = self.env.ref(LEAD_RULE, raise_if_not_found=False)
        if lead and lead.sudo().amount_threshold != self.ps_staffing_lead_threshold:
            lead.sudo().amount_threshold = self.ps_staffing_lead_threshold  # audited
        rule = self.env.ref(RESOURCE_RULE, raise_if_not_found=False)
        domain = resource_rule_domain(self.ps_staffing_utilization_threshold)
        if rule and rule.sudo().domain != domain:
            rule.sudo().domain = domain  # audited by the rule
        return result
