from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

ADVISORY_KINDS = [("duplicate_expense", "Duplicate expense claim")]
ADVISORY_STATES = [("new", "To Review"), ("accepted", "Accepted"), ("dismissed", "Dismissed")]
# how far back the duplicate expense sweep looks
DUPLICATE_WINDOW_DAYS = 120


class PsBillingAdvisory(models.Model):
    """Something that looks wrong, for a person to judge: never an automatic change.
    A finance controller accepts it (the problem is real and handled) or dismisses it;
    the decision and who took it are written to the audit trail."""

    _name = "ps.billing.advisory"
    _description = "Billing Advisory"
    _inherit = ["mail.thread", "ps.audit.mixin"]
    _order = "state_sequence, id desc"
    _ps_audit_fields = ("state", "decision_note")
    _mail_post_access = "read"

    name = fields.Char("Advisory", required=True, readonly=True)
    kind = fields.Selection(ADVISORY_KINDS, required=True, readonly=True, index=True)
    key = fields.Char(required=True, readonly=True, index=True, copy=False,
                      help="Identifies what was found: the same finding never comes twice")
    state = fields.Selection(ADVISORY_STATES, default="new", required=True, readonly=True,
                             index=True, tracking=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    employee_id = fields.Many2one("hr.employee", readonly=True, index=True)
    expense_ids = fields.Many2many("hr.expense", string="Expenses", readonly=True)
    amount = fields.Float(readonly=True, digits="Account")
    details = fields.Text(readonly=True)
    decision_note = fields.Text("Decision Note", tracking=True)
    decided_by_id = fields.Many2one("res.users", "Decided By", readonly=True)
    decided_at = fields.Datetime("Decided On", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)

    _sql_constraints = [("key_uniq", "UNIQUE(key)", "This finding is already advised.")]

    @api.depends("state")
    def _compute_state_sequence(self):
        for advisory in self:
            advisory.state_sequence = {"new": 1, "accepted": 2, "dismissed": 3}[advisory.state]

    def write(self, vals):
        mail_fields = self.env["mail.thread"]._fields.keys() - {"id", "display_name"}
        if not self.env.su and set(vals) - mail_fields - {"decision_note"}:
            raise UserError(self.env._(
                "An advisory is decided with Accept or Dismiss; only its note is edited."))
        return super().write(vals)

    def action_accept(self):
        return self._decide("accepted")

    def action_dismiss(self):
        return self._decide("dismissed")

    def action_reopen(self):
        return self._decide("new")

    def _decide(self, state):
        self.check_access("write")
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_finance")):
            raise AccessError(self.env._("Finance controllers decide on advisories."))
        if state != "new" and self.filtered(lambda a: a.state != "new"):
            raise UserError(self.env._("These advisories are already decided: %s",
                                       ", ".join(self.filtered(
                                           lambda a: a.state != "new").mapped("name"))))
        # sudo: state and decider are kept by the decision actions only; rights checked
        # above; the audit trail records the decision in the user's name
        self.sudo().write({"state": state, "decided_by_id": self.env.uid if state != "new"
                           else False, "decided_at": fields.Datetime.now()
                           if state != "new" else False})
        return True

    # ------------------------------------------------------------------
    @api.model
    def _cron_duplicate_expenses(self):
        """Expenses of one employee with the same amount and date, and the same vendor
        or description: one advisory per group found, never twice."""
        since = fields.Date.context_today(self) - timedelta(days=DUPLICATE_WINDOW_DAYS)
        # sudo: the sweep reads every employee's expenses, whoever runs it
        Expense = self.env["hr.expense"].sudo()
        rows = Expense._read_group(
            [("state", "!=", "refused"), ("date", ">=", since)],
            ["employee_id", "date:day", "total_amount_currency"], ["id:array_agg"],
            having=[("__count", ">", 1)])
        ids = [expense_id for *_key, group_ids in rows for expense_id in group_ids]
        expenses = Expense.browse(ids)
        expenses.fetch(["name", "vendor_id", "employee_id", "company_id",
                        "total_amount_currency", "date"])
        groups = []
        for *_key, group_ids in rows:
            by_match = defaultdict(lambda: Expense)
            for expense in Expense.browse(group_ids):
                match = f"v{expense.vendor_id.id}" if expense.vendor_id \
                    else f"n{(expense.name or '').strip().lower()}"
                by_match[match] |= expense
            groups += [group for group in by_match.values() if len(group) > 1]
        keys = {f"duplicate_expense:{'-'.join(map(str, sorted(g.ids)))}": g for g in groups}
        known = set(self.sudo().search_fetch([("key", "in", list(keys))], ["key"])
                    .mapped("key"))
        vals_list = [{
            "name": self.env._("%(employee)s claimed %(amount)s on %(date)s %(count)s times",
                               employee=group[0].employee_id.name,
                               amount=group[0].total_amount_currency, date=group[0].date,
                               count=len(group)),
            "kind": "duplicate_expense", "key": key, "employee_id": group[0].employee_id.id,
            "expense_ids": [fields.Command.set(group.ids)],
            "amount": group[0].total_amount_currency, "company_id": group[0].company_id.id,
            "details": "\n".join(f"{e.name} ({e.vendor_id.name or '-'})" for e in group),
        } for key, group in keys.items() if key not in known]
        created = self.sudo().create(vals_list)
        self.env["ir.cron"]._notify_progress(done=len(rows), remaining=0)
        return created.with_env(self.env)
