from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class ProjectProject(models.Model):
    _inherit = "project.project"

    ps_original_budget = fields.Monetary(
        "Original Budget", tracking=True, copy=False,
        help="The budget the project was sold with; later changes go through budget "
             "changes, measured against it")
    ps_budget_amount = fields.Monetary(
        "Budget", compute="_compute_ps_budget_amount", store=True,
        help="Original budget plus the applied budget changes")
    # groups: every internal user reads projects; budget changes are for project managers
    ps_budget_change_ids = fields.One2many(
        "ps.budget.change", "project_id", "Budget Changes",
        groups="ps_base.group_ps_user,project.group_project_manager")
    ps_budget_change_count = fields.Integer(compute="_compute_ps_budget_change_count")

    @api.depends("ps_original_budget", "ps_budget_change_ids.state",
                 "ps_budget_change_ids.amount_delta")
    def _compute_ps_budget_amount(self):
        for project in self:
            applied = project.ps_budget_change_ids.filtered(lambda c: c.state == "applied")
            project.ps_budget_amount = project.ps_original_budget \
                + sum(applied.mapped("amount_delta"))

    def _compute_ps_budget_change_count(self):
        # sudo: a count, shown to whoever reads the project
        counts = dict(self.env["ps.budget.change"].sudo()._read_group(
            [("project_id", "in", self.ids)], ["project_id"], ["__count"]))
        for project in self:
            project.ps_budget_change_count = counts.get(project, 0)

    @api.constrains("ps_original_budget")
    def _check_ps_original_budget(self):
        for project in self:
            if project.ps_original_budget < 0:
                raise ValidationError(self.env._(
                    "%s: the original budget cannot be negative.", project.display_name))

    def write(self, vals):
        if "ps_budget_amount" in vals and not self.env.su:
            raise UserError(self.env._(
                "The budget of a project is its original budget plus its applied budget "
                "changes: draft a budget change instead of writing it."))
        if "ps_original_budget" in vals:
            changed = self.filtered(lambda p: p.ps_original_budget != vals["ps_original_budget"]
                                    and p.ps_budget_change_ids.filtered(
                                        lambda c: c.state != "cancelled"))
            if changed:
                raise UserError(self.env._(
                    "%s already has budget changes: its original budget stays as it was; "
                    "draft a budget change instead.", changed[0].display_name))
        return super().write(vals)

    def action_ps_new_budget_change(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "ps.budget.change",
                "view_mode": "form", "target": "current",
                "context": {"default_project_id": self.id,
                            "default_new_budget": self.ps_budget_amount}}

    def action_ps_view_budget_changes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_approvals.ps_budget_change_action")
        action["domain"] = [("project_id", "=", self.id)]
        action["context"] = {"default_project_id": self.id,
                             "default_new_budget": self.ps_budget_amount}
        return action
