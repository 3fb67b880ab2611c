import statistics
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round

from .ps_billing_readiness import pricelist_prices
from .settings import param

ADVISORY_KINDS = [("duplicate_expense", "Duplicate expense claim"),
                  ("hour_spike", "Hours far above the consultant's history"),
                  ("rate_deviation", "Hourly rate off the pricelist"),
                  ("invoice_outlier", "Invoice far from the order's billing history")]
ADVISORY_STATES = [("new", "To Review"), ("accepted", "Accepted"), ("dismissed", "Dismissed")]
# how far back the duplicate expense sweep looks
DUPLICATE_WINDOW_DAYS = 120
# invoices of the last days (and drafts) are compared with the order's history
INVOICE_WINDOW_DAYS = 31
# a perfectly regular history has no spread: a tenth of its mean stands for it, so that
# one extra hour is not a spike
MIN_SPREAD = 0.1


def outlier_limit(history, k):
    """(mean, spread, limit) of a history: mean + k·σ, σ at least a tenth of the mean."""
    mean = statistics.fmean(history)
    spread = max(statistics.pstdev(history), MIN_SPREAD * abs(mean))
    return mean, spread, mean + k * spread


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
    order_id = fields.Many2one("sale.order", readonly=True, index=True)
    sale_line_id = fields.Many2one("sale.order.line", "Order Line", readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True, index=True)
    observed_value = fields.Float("Observed", readonly=True,
                                  help="What was found: hours of the week, unit price, "
                                       "invoice total")
    expected_value = fields.Float("Expected", readonly=True,
                                  help="What the history or the pricelist gives")
    limit_value = fields.Float("Limit", readonly=True,
                               help="Where the threshold of Settings put the limit")
    inputs = fields.Text(readonly=True,
                         help="The figures the finding was computed from")
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
    def _cron_advisories(self):
        """The advisory sweep: duplicate expenses, hour spikes, rate deviations and invoice
        outliers; each finding once (its key), never a change to what was found."""
        created = self._cron_duplicate_expenses()
        created |= self._advise_hour_spikes()
        created |= self._advise_rate_deviations()
        created |= self._advise_invoice_outliers()
        self.env["ir.cron"]._notify_progress(done=len(created), remaining=0)
        return created

    @api.model
    def _create_new(self, vals_list):
        """Create the advisories whose key is not known yet (one read, one create)."""
        if not vals_list:
            return self.browse()
        known = set(self.sudo().search_fetch(
            [("key", "in", [vals["key"] for vals in vals_list])], ["key"]).mapped("key"))
        new, seen = [], set()
        for vals in vals_list:
            if vals["key"] not in known and vals["key"] not in seen:
                seen.add(vals["key"])
                new.append(vals)
        # sudo: advisories are written by the sweep only
        return self.sudo().create(new).with_env(self.env)

    @api.model
    def _advise_hour_spikes(self):
        """A consultant whose hours of last week exceed the mean of their own past weeks
        (Settings: how many) by more than k standard deviations (Settings); at least 3 past
        weeks with time are needed. One grouped read for every consultant."""
        today = fields.Date.context_today(self)
        week = today - timedelta(days=today.weekday() + 7)
        weeks = int(param(self.env, "ps_billing_readiness.spike_history_weeks"))
        k = param(self.env, "ps_billing_readiness.spike_stddev")
        since = week - timedelta(weeks=weeks)
        # sudo: the sweep reads every consultant's time, whoever runs it
        rows = self.env["account.analytic.line"].sudo()._read_group(
            [("project_id", "!=", False), ("employee_id", "!=", False),
             ("date", ">=", since), ("date", "<", week + timedelta(days=7))],
            ["employee_id", "date:day"], ["unit_amount:sum"])
        # weeks from Monday, whatever the first day of the week of the user's language
        by_employee = defaultdict(lambda: defaultdict(float))
        for employee, day, hours in rows:
            day = fields.Date.to_date(day)
            by_employee[employee][day - timedelta(days=day.weekday())] += hours
        vals_list = []
        for employee, totals in by_employee.items():
            hours = totals.pop(week, 0.0)
            history = [totals[w] for w in sorted(totals)]
            if len(history) < 3 or not hours:
                continue
            mean, spread, limit = outlier_limit(history, k)
            if hours <= limit:
                continue
            vals_list.append({
                "name": self.env._("%(employee)s logged %(hours)s h in the week of %(week)s "
                                   "(usually %(mean)s h)", employee=employee.name,
                                   hours=round(hours, 2), week=week, mean=round(mean, 1)),
                "kind": "hour_spike", "key": f"hour_spike:{employee.id}:{week}",
                "employee_id": employee.id, "company_id": employee.company_id.id,
                "observed_value": hours, "expected_value": mean, "limit_value": limit,
                "inputs": self.env._(
                    "Weekly hours of the %(count)s weeks before: %(history)s; mean %(mean)s, "
                    "σ %(spread)s, k %(k)s", count=len(history),
                    history=", ".join(f"{h:g}" for h in history),
                    mean=round(mean, 2), spread=round(spread, 2), k=k),
                "details": self.env._("Check the week's timesheets with the consultant and "
                                      "their project manager before approving them."),
            })
        return self._create_new(vals_list)

    @api.model
    def _advise_rate_deviations(self):
        """Hourly rates (timesheet services) of confirmed orders not fully invoiced that
        differ from the customer's pricelist by more than the share of Settings. One
        search and one pricing per pricelist."""
        deviation = param(self.env, "ps_billing_readiness.rate_deviation") / 100.0
        # sudo: the sweep reads every order's rates, whoever runs it
        lines = self.env["sale.order.line"].sudo().search_fetch(
            [("state", "=", "sale"), ("invoice_status", "!=", "invoiced"),
             ("product_id.service_type", "=", "timesheet"), ("display_type", "=", False),
             ("is_downpayment", "=", False)],
            ["order_id", "product_id", "price_unit", "discount", "product_uom",
             "company_id"])
        expected_prices = pricelist_prices(lines)
        vals_list = []
        for line in lines:
            expected = expected_prices.get(line.id)
            if not expected:
                continue
            rate = line.price_unit * (1 - (line.discount or 0.0) / 100.0)
            if abs(rate - expected) <= deviation * expected:
                continue
            order = line.order_id
            vals_list.append({
                "name": self.env._("%(order)s: %(product)s billed at %(rate)s an hour, the "
                                   "pricelist says %(expected)s", order=order.name,
                                   product=line.product_id.display_name,
                                   rate=round(rate, 2), expected=round(expected, 2)),
                "kind": "rate_deviation",
                "key": f"rate_deviation:{line.id}:{float_round(rate, 2)}",
                "order_id": order.id, "sale_line_id": line.id,
                "company_id": line.company_id.id, "amount": rate,
                "observed_value": rate, "expected_value": expected,
                "limit_value": deviation * 100.0,
                "inputs": self.env._(
                    "Unit price %(price)s, discount %(discount)s%%, pricelist %(pricelist)s "
                    "gives %(expected)s; deviation allowed %(allowed)s%%",
                    price=line.price_unit, discount=line.discount or 0.0,
                    pricelist=order.pricelist_id.display_name or "-",
                    expected=round(expected, 2), allowed=round(deviation * 100.0, 2)),
                "details": self.env._("Check the rate card agreed with the customer; correct "
                                      "the price through a change order if it is wrong."),
            })
        return self._create_new(vals_list)

    @api.model
    def _advise_invoice_outliers(self):
        """Customer invoices (drafts, and those of the last month) whose untaxed total is
        further than k standard deviations (Settings) from the earlier posted invoices of
        their order (its billing history, the last N of Settings; at least 3)."""
        k = param(self.env, "ps_billing_readiness.invoice_stddev")
        keep = int(param(self.env, "ps_billing_readiness.invoice_history_count"))
        since = fields.Date.context_today(self) - timedelta(days=INVOICE_WINDOW_DAYS)
        # sudo: the sweep reads every invoice, whoever runs it
        Line = self.env["account.move.line"].sudo()
        recent = Line.search_fetch(
            [("move_id.move_type", "=", "out_invoice"), ("sale_line_ids", "!=", False),
             "|", ("parent_state", "=", "draft"),
             "&", ("parent_state", "=", "posted"), ("move_id.invoice_date", ">=", since)],
            ["move_id", "sale_line_ids"])
        order_of = {}
        for line in recent:
            order_of.setdefault(line.move_id, line.sale_line_ids[:1].order_id)
        if not order_of:
            return self.browse()
        orders = self.env["sale.order"].sudo().browse({o.id for o in order_of.values()})
        past = Line.search_fetch(
            [("move_id.move_type", "=", "out_invoice"), ("parent_state", "=", "posted"),
             ("sale_line_ids.order_id", "in", orders.ids)], ["move_id", "sale_line_ids"])
        history = defaultdict(set)
        for line in past:
            history[line.sale_line_ids[:1].order_id].add(line.move_id)
        vals_list = []
        for move, order in order_of.items():
            earlier = sorted(
                (m for m in history[order] if m != move and (
                    (m.invoice_date, m.id) < (move.invoice_date or fields.Date.today(),
                                              move.id))),
                key=lambda m: (m.invoice_date, m.id))[-keep:]
            if len(earlier) < 3:
                continue
            totals = [m.amount_untaxed_signed for m in earlier]
            amount = move.amount_untaxed_signed
            mean, spread, limit = outlier_limit(totals, k)
            if abs(amount - mean) <= k * spread:
                continue
            vals_list.append({
                "name": self.env._("%(invoice)s of %(order)s: %(amount)s, the order usually "
                                   "invoices %(mean)s", invoice=move.name or move.id,
                                   order=order.name, amount=round(amount, 2),
                                   mean=round(mean, 2)),
                "kind": "invoice_outlier", "key": f"invoice_outlier:{move.id}:"
                                                  f"{float_round(amount, 2)}",
                "order_id": order.id, "move_id": move.id, "amount": amount,
                "company_id": move.company_id.id, "observed_value": amount,
                "expected_value": mean, "limit_value": limit,
                "inputs": self.env._(
                    "Untaxed totals of the %(count)s invoices before: %(history)s; mean "
                    "%(mean)s, σ %(spread)s, k %(k)s", count=len(totals),
                    history=", ".join(f"{t:g}" for t in totals), mean=round(mean, 2),
                    spread=round(spread, 2), k=k),
                "details": self.env._("Check the invoice against the order before it is sent "
                                      "(a missing credit, a double billing, a wrong "
                                      "quantity)."),
            })
        return self._create_new(vals_list)

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
        return self._create_new(vals_list)
