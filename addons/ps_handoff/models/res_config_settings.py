from odoo import api, fields, models
from odoo.exceptions import ValidationError

FINANCE_RULE = "ps_handoff.rule_kickoff_exception_finance"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ps_handoff_stalled_days = fields.Integer(
        "Stalled Handoff After (days)", default=5,
        config_parameter="ps_handoff.stalled_days",
        help="A handoff without progress for this many days is escalated to the account "
             "owner, then a period later to the delivery lead")
    ps_capacity_probability = fields.Integer(
        "Capacity Demand From Probability (%)", default=70,
        config_parameter="ps_handoff.capacity_probability",
        help="An opportunity at or past this probability shows the roles of its service "
             "line as provisional capacity needs to resource managers")
    ps_kickoff_finance_budget = fields.Float(
        "Kickoff Exception: Finance Above Budget",
        help="A kickoff exception on a project whose budget is above this needs finance "
             "after the delivery lead")

    @api.constrains("ps_handoff_stalled_days", "ps_kickoff_finance_budget",
                    "ps_capacity_probability")
    def _check_ps_handoff_settings(self):
        for settings in self:
            if not 1 <= settings.ps_capacity_probability <= 100:
                raise ValidationError(self.env._(
                    "Capacity demand starts at a probability between 1 and 100%%, not %s%%.",
                    settings.ps_capacity_probability))
            if settings.ps_handoff_stalled_days < 1:
                raise ValidationError(self.env._(
                    "A handoff is stalled after at least one day without progress."))
            if settings.ps_kickoff_finance_budget < 0:
                raise ValidationError(self.env._(
                    "The budget above which finance approves kickoff exceptions cannot be "
                    "negative."))

    @api.model
    def get_values(self):
        res = super().get_values()
        rule = self.env.ref(FINANCE_RULE, raise_if_not_found=False)
        res["ps_kickoff_finance_budget"] = rule.sudo().amount_threshold if rule else 0.0
        return res

    def set_values(self):
        threshold = self.env["ps.capacity.need"]._probability_threshold()
        result = super().set_values()
        if self.env["ps.capacity.need"]._probability_threshold() != threshold:
            # opportunities now past (or no longer past) the threshold
            self.env["crm.lead"].sudo().with_context(active_test=False).search([
                ("type", "=", "opportunity"), ("ps_handoff_template_id", "!=", False),
                "|", ("active", "=", True), ("ps_capacity_need_ids", "!=", False),
            ])._ps_sync_capacity_needs()
        rule = self.env.ref(FINANCE_RULE, raise_if_not_found=False)
        if rule and rule.sudo().amount_threshold != self.ps_kickoff_finance_budget:
            rule.sudo().amount_threshold = self.ps_kickoff_finance_budget  # audited by the rule
        return result
