from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductCategory(models.Model):
    _inherit = "product.category"

    ps_expense_policy_amount = fields.Float(
        "Expense Policy Amount", digits="Account",
        help="An expense of this category above this amount (company currency) needs the "
             "approval of the employee's manager; 0 sets no limit.")

    @api.constrains("ps_expense_policy_amount")
    def _check_ps_expense_policy_amount(self):
        for category in self:
            if category.ps_expense_policy_amount < 0:
                raise ValidationError(self.env._(
                    "%s: the expense policy amount cannot be negative (0 sets no limit).",
                    category.display_name))
