from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount


class PsBudgetChange(models.Model):
    """A change of a project's budget. The budget of the project is its original budget
    plus the applied changes; a change larger than the percentage of Settings (of the
    original budget) needs the delivery lead, then finance."""

    _name = "ps.budget.change"
    _description = "Budget Change"
    _inherit = ["ps.amendment.mixin"]
    _ps_audit_fields = ("state", "project_id", "new_budget", "amount_delta", "reason")
    _ps_sequence_code = "ps.budget.change"

    project_id = fields.Many2one("project.project", required=True, index=True,
                                 tracking=True, ondelete="cascade")
    company_id = fields.Many2one(related="project_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="project_id.currency_id")
    delivery_lead_id = fields.Many2one(related="project_id.user_id", string="Delivery Lead")
    original_budget = fields.Monetary(related="project_id.ps_original_budget")
    current_budget = fields.Monetary(
        "Budget Before", compute="_compute_current_budget", store=True,
        help="The project's budget when the change was drafted")
    new_budget = fields.Monetary(required=True, tracking=True)
    amount_delta = fields.Monetary("Change", compute="_compute_change", store=True)
    change_percent = fields.Float(
        "Change (% of Original)", compute="_compute_change", store=True, digits=(16, 2),
        help="Size of the change, as a percentage of the project's original budget")

    @api.depends("project_id")
    def _compute_current_budget(self):
        for change in self:
            change.current_budget = change.project_id.ps_budget_amount

    @api.depends("new_budget", "current_budget", "project_id.ps_original_budget")
    def _compute_change(self):
        for change in self:
            change.amount_delta = change.new_budget - change.current_budget
            original = change.project_id.ps_original_budget
            change.change_percent = abs(change.amount_delta) / original * 100.0 \
                if original else 0.0

    @api.constrains("new_budget", "project_id")
    def _check_new_budget(self):
        for change in self:
            if change.new_budget < 0:
                raise ValidationError(self.env._(
                    "%s: a budget cannot be negative.", change.project_id.display_name))
            if not change.project_id.ps_original_budget:
                raise ValidationError(self.env._(
                    "%s has no original budget yet: set it on the project (Budget tab); "
                    "budget changes start from it.", change.project_id.display_name))

    def write(self, vals):
        if {"new_budget", "project_id"} & vals.keys() \
                and self.filtered(lambda c: c.state != "draft"):
            raise UserError(self.env._("A submitted budget change cannot be edited: cancel it "
                                       "and draft a new one."))
        return super().write(vals)

    def _ps_content(self):
        self.ensure_one()
        return {"project": self.project_id.id, "new_budget": self.new_budget,
                "before": self.current_budget}

    # ------------------------------------------------------------------
    def _ps_before_submit(self):
        # the budget moved since the draft (another change applied): start from it
        for change in self:
            if change.current_budget != change.project_id.ps_budget_amount:
                change.sudo().write({"current_budget": change.project_id.ps_budget_amount})
        return super()._ps_before_submit()

    def _ps_apply(self):
        # refused for changes a policy has not approved (for these very values); the
        # project's budget follows from the applied changes
        self._ps_mark_applied()
        for change in self:
            change.project_id.sudo().message_post(
                body=self.env._("Budget changed from %(old)s to %(new)s (%(ref)s): %(reason)s",
                                old=format_amount(self.env, change.current_budget,
                                                  change.currency_id),
                                new=format_amount(self.env, change.new_budget,
                                                  change.currency_id),
                                ref=change.name, reason=change.reason),
                subtype_xmlid="mail.mt_note")
