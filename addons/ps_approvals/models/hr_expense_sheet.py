from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .policy import policy_value


class HrExpense(models.Model):
    _inherit = "hr.expense"

    ps_policy_amount = fields.Float(related="product_id.categ_id.ps_expense_policy_amount",
                                    string="Policy Amount")
    ps_over_policy = fields.Boolean(
        "Above Policy", compute="_compute_ps_over_policy", store=True,
        help="The amount is above the expense policy amount of the product's category")

    @api.depends("total_amount", "product_id.categ_id.ps_expense_policy_amount")
    def _compute_ps_over_policy(self):
        for expense in self:
            limit = expense.product_id.categ_id.ps_expense_policy_amount
            expense.ps_over_policy = bool(limit) and expense.total_amount > limit

    def write(self, vals):
        if "ps_over_policy" in vals and not self.env.su:
            raise UserError(self.env._(
                "'Above Policy' is computed from the amount and the category's policy: "
                "change those instead."))
        return super().write(vals)


class HrExpenseSheet(models.Model):
    _name = "hr.expense.sheet"
    _inherit = ["hr.expense.sheet", "ps.approval.mixin"]
    _ps_state_field = "approval_state"
    # posting the entries of a report that was never approved is approving it too
    _ps_gated_actions = {"action_approve_expense_sheets": "approve",
                         "action_sheet_move_post": "approve"}
    _ps_requester_field = "employee_id.user_id"
    # Odoo's own Approve button decides for whoever may use it
    _ps_form_approve_invisible = "can_approve"

    ps_policy_breach = fields.Boolean(
        "Outside Expense Policy", compute="_compute_ps_policy_breach",
        search="_search_ps_policy_breach",
        help="An expense is above its category's policy amount, or has no receipt")
    ps_expense_approver_ids = fields.Many2many(
        "res.users", string="Expense Approvers", compute="_compute_ps_expense_approver_ids",
        help="Who Odoo lets approve the report: its manager, the employee's manager, expense "
             "manager and department manager when they are expense approvers, and the "
             "officers who approve all expenses. The first tier of the expense policies: "
             "their Approve decides it.")

    @api.depends("expense_line_ids.ps_over_policy", "expense_line_ids.total_amount",
                 "expense_line_ids.nb_attachment")
    def _compute_ps_policy_breach(self):
        threshold = policy_value(self.env, "ps_approvals.expense_receipt_threshold")
        for sheet in self:
            sheet.ps_policy_breach = any(
                expense.ps_over_policy
                or (not expense.nb_attachment and expense.total_amount > threshold)
                for expense in sheet.expense_line_ids)

    @api.depends("employee_id.expense_manager_id", "employee_id.parent_id.user_id",
                 "employee_id.department_id.manager_id.user_id", "user_id",
                 "employee_id.user_id")
    def _compute_ps_expense_approver_ids(self):
        # the rule of hr.expense.sheet._compute_can_approve, for every user at once; sudo:
        # who approves, whatever the rights of whoever asks
        team_approvers = self.env.ref("hr_expense.group_hr_expense_team_approver").sudo().users
        officers = self.env.ref("hr_expense.group_hr_expense_user").sudo().users
        for sheet in self:
            employee = sheet.sudo().employee_id
            managers = (employee.expense_manager_id | employee.parent_id.user_id
                        | employee.department_id.manager_id.user_id | sheet.sudo().user_id)
            sheet.ps_expense_approver_ids = (managers & team_approvers) | officers

    def _search_ps_policy_breach(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Outside Expense Policy' with = True or = "
                                       "False."))
        threshold = policy_value(self.env, "ps_approvals.expense_receipt_threshold")
        with_receipt = SQL("(SELECT res_id FROM ir_attachment WHERE res_model = 'hr.expense' "
                           "AND res_field IS NULL AND res_id IS NOT NULL)")
        domain = ["|", ("expense_line_ids.ps_over_policy", "=", True),
                  ("expense_line_ids", "any", [("total_amount", ">", threshold),
                                               ("id", "not in", with_receipt)])]
        return domain if (operator == "=") == value else ["!", *domain]

    # ------------------------------------------------------------------
    def _ps_before_gate(self, action):
        if action == "action_approve_expense_sheets":
            self._check_can_approve()

    def _ps_action_label(self, action):
        return self.env._("Approval of the report") if action == "action_approve_expense_sheets" \
            else self.env._("Posting of the report")

    def _do_submit(self):
        result = super()._do_submit()
        self.env["ps.approval.request"]._request_for(self)
        return result

    def _do_reset_approval(self):
        self._ps_cancel_approvals(self.env._("the report was reset to draft"))
        return super()._do_reset_approval()

    def _do_refuse(self, reason):
        self._ps_cancel_approvals(self.env._("the report was refused"))
        return super()._do_refuse(reason)

    # ------------------------------------------------------------------
    def _ps_cancel_approvals(self, reason):
        # sudo: the employee or the expense manager closes the cycle; approval records are
        # written by the engine only
        requests = self.sudo().ps_approval_request_ids
        if requests.filtered(lambda r: r.state in ("pending", "approved")):
            requests._cancel(reason)
            self._ps_sync_approval_state()

    def _ps_reapproval_scope(self):
        # once approved, the report goes on to accounting; amounts no longer re-open it
        return self.filtered(lambda s: s.state in ("draft", "submit"))

    def _ps_on_approved(self):
        result = super()._ps_on_approved()
        if self.env.context.get("ps_approval_gate"):
            return result  # the approver's own click approves the report right after
        # the last approver may approve reports: their decision approves the report too
        decider = self.env.user
        for sheet in self.filtered(lambda s: s.state == "submit"
                                   and s.ps_approval_state == "approved"):
            sheet = sheet.with_user(decider)
            if not sheet.can_approve:
                continue
            try:
                with self.env.cr.savepoint():
                    sheet.action_approve_expense_sheets()
            except UserError as error:
                sheet._ps_report_deferred_failure(decider, error)
        return result

    def _ps_on_rejected(self, reason):
        result = super()._ps_on_rejected(reason)
        # sudo: the approver refusing a report may not be an expense manager
        self.filtered(lambda s: s.state == "submit").sudo()._do_refuse(reason)
        return result
