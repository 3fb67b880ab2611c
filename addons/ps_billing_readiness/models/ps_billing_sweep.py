from datetime import timedelta

from odoo import api, fields, models

from .settings import param

EXCEPTION_SOURCE = "ps_billing_readiness sweeps"


class PsBillingSweep(models.AbstractModel):
    """The scheduled sweeps of billing: each reads its facts with one grouped query,
    raises one exception per cause through ``ps.exception._raise_exceptions`` (a stable
    key: a rerun counts the cause again, never duplicates it) and reports its progress."""

    _name = "ps.billing.sweep"
    _description = "Billing Sweeps"

    # ------------------------------------------------------------------
    # Missing timesheets
    # ------------------------------------------------------------------
    @api.model
    def _cron_missing_timesheets(self):
        """Employees who logged less than the share of Settings of the expected hours last
        week get a reminder activity; the second week in a row, their manager gets one
        too and owns the exception."""
        today = fields.Date.context_today(self)
        start = today - timedelta(days=today.weekday() + 7)
        end = start + timedelta(days=6)
        expected = param(self.env, "ps_billing_readiness.expected_weekly_hours")
        minimum = expected * param(self.env, "ps_billing_readiness.missing_time_ratio") / 100.0
        # sudo: the sweep checks every employee who logs time, whoever runs it
        loggers = self.env.ref("hr_timesheet.group_hr_timesheet_user").sudo().users
        employees = self.env["hr.employee"].sudo().search_fetch(
            [("user_id", "in", loggers.ids), ("active", "=", True)],
            ["name", "user_id", "parent_id", "company_id"])
        hours = dict(self.env["account.analytic.line"].sudo()._read_group(
            [("project_id", "!=", False), ("employee_id", "in", employees.ids),
             ("date", ">=", start), ("date", "<=", end)],
            ["employee_id"], ["unit_amount:sum"]))
        missing = employees.filtered(lambda e: hours.get(e, 0.0) < minimum)
        previous = {f"missing_timesheet:{e.id}:{start - timedelta(days=7)}" for e in missing}
        repeated_keys = set(self.env["ps.exception"].sudo().search_fetch(
            [("key", "in", list(previous))], ["key"]).mapped("key"))
        vals_list, repeated = [], set()
        for employee in missing:
            again = f"missing_timesheet:{employee.id}:{start - timedelta(days=7)}" in repeated_keys
            manager = employee.parent_id.user_id
            if again and manager:
                repeated.add(employee.id)
            vals_list.append({
                "name": self.env._("%(employee)s logged %(hours)s h in the week of %(week)s "
                                   "(expected %(expected)s h)", employee=employee.name,
                                   hours=round(hours.get(employee, 0.0), 2), week=start,
                                   expected=expected),
                "key": f"missing_timesheet:{employee.id}:{start}",
                "kind": "missing_timesheet", "source": EXCEPTION_SOURCE,
                "res_model": "hr.employee", "res_id": employee.id, "res_name": employee.name,
                "owner_id": (manager if again and manager else employee.user_id).id,
                "severity": "critical" if again else "warning",
                "company_id": employee.company_id.id,
                "details": self.env._("Log the missing time of that week in Timesheets."),
            })
        new = self._raise_new(vals_list)
        activities = []
        for employee in missing.filtered(lambda e: f"missing_timesheet:{e.id}:{start}" in new):
            users = employee.user_id | (employee.parent_id.user_id
                                        if employee.id in repeated else employee.user_id)
            activities += [self._activity_vals(
                employee, user, self.env._("Missing timesheets: week of %s", start))
                for user in users]
        # sudo: reminders go to each employee (and manager), whoever runs the sweep
        self.env["mail.activity"].sudo().create(activities)
        self.env["ir.cron"]._notify_progress(done=len(employees), remaining=0)
        return new

    def _activity_vals(self, record, user, summary):
        activity_type = self.env.ref("ps_billing_readiness.mail_activity_type_missing_timesheet")
        return {"res_model_id": self.env["ir.model"]._get_id(record._name), "res_id": record.id,
                "activity_type_id": activity_type.id, "user_id": user.id, "summary": summary,
                "date_deadline": fields.Date.context_today(self)}

    # ------------------------------------------------------------------
    # Stale WIP, uninvoiced milestones, expiring POs and contracts
    # ------------------------------------------------------------------
    @api.model
    def _cron_stale_wip(self):
        """Approved time, and approved re-invoiceable expenses, not invoiced after the days
        of Settings: one exception per order (time) and per order (expenses)."""
        days = int(param(self.env, "ps_billing_readiness.stale_wip_days"))
        limit = fields.Date.context_today(self) - timedelta(days=days)
        rows = self.env["account.analytic.line"].sudo()._read_group(
            [("project_id", "!=", False), ("ps_timesheet_state", "=", "approved"),
             ("timesheet_invoice_id", "=", False), ("order_id", "!=", False),
             ("date", "<", limit)],
            ["order_id"], ["unit_amount:sum", "date:min"])
        vals_list = [{
            "name": self.env._("%(order)s: %(hours)s h of approved time not invoiced since "
                               "%(date)s", order=order.name, hours=round(hours, 2),
                               date=oldest),
            "key": f"stale_wip:{order.id}", "kind": "stale_wip", "source": EXCEPTION_SOURCE,
            "res_model": "sale.order", "res_id": order.id, "res_name": order.name,
            "owner_id": order.user_id.id, "company_id": order.company_id.id,
            "details": self.env._("Invoice the order, or find out what holds it."),
        } for order, hours, oldest in rows]
        expense_rows = self._stale_expenses(limit)
        vals_list += [{
            "name": self.env._("%(order)s: %(count)s approved expense(s) (%(amount)s) not "
                               "re-invoiced since %(date)s", order=order.name, count=count,
                               amount=round(amount, 2), date=oldest),
            "key": f"stale_wip_expense:{order.id}", "kind": "stale_wip",
            "source": EXCEPTION_SOURCE, "res_model": "sale.order", "res_id": order.id,
            "res_name": order.name, "owner_id": order.user_id.id,
            "company_id": order.company_id.id,
            "details": self.env._("Post the expense reports' journal entries (finance) and "
                                  "invoice the re-invoiced costs with the order."),
        } for order, count, amount, oldest in expense_rows]
        self._raise_new(vals_list)
        self.env["ir.cron"]._notify_progress(done=len(rows) + len(expense_rows), remaining=0)
        return True

    def _stale_expenses(self, limit):
        """[(order, count, amount, oldest date)] of approved re-invoiceable expenses dated
        before ``limit`` whose order has not invoiced them: no re-invoiced line of their
        product yet (journal entry not posted), or such a line left to invoice. Two
        grouped reads, whatever the number of orders."""
        # sudo: the sweep reads every employee's expenses, whoever runs it
        rows = self.env["hr.expense"].sudo()._read_group(
            [("sale_order_id", "!=", False), ("state", "in", ("approved", "done")),
             ("product_id.expense_policy", "in", ("cost", "sales_price")),
             ("date", "<", limit)],
            ["sale_order_id", "product_id"], ["__count", "total_amount:sum", "date:min"])
        if not rows:
            return []
        invoiced = {(order.id, product.id): todo for order, product, todo in
                    self.env["sale.order.line"].sudo()._read_group(
                        [("order_id", "in", list({r[0].id for r in rows})),
                         ("is_expense", "=", True)],
                        ["order_id", "product_id"], ["qty_to_invoice:sum"])}
        by_order = {}
        for order, product, count, amount, oldest in rows:
            todo = invoiced.get((order.id, product.id))
            if todo is not None and todo <= 0:
                continue  # re-invoiced and invoiced
            found = by_order.setdefault(order, [order, 0, 0.0, oldest])
            found[1] += count
            found[2] += amount
            found[3] = min(found[3], oldest)
        return [tuple(found) for found in by_order.values()]

    @api.model
    def _cron_uninvoiced_milestones(self):
        milestones = self.env["project.milestone"].sudo().search_fetch(
            [("is_reached", "=", True), ("sale_line_id.qty_to_invoice", ">", 0),
             ("sale_line_id.order_id.state", "=", "sale")],
            ["name", "sale_line_id", "reached_date", "project_id"])
        vals_list = []
        for milestone in milestones:
            order = milestone.sale_line_id.order_id
            vals_list.append({
                "name": self.env._("%(order)s: milestone %(milestone)s reached on %(date)s, "
                                   "not invoiced", order=order.name, milestone=milestone.name,
                                   date=milestone.reached_date or "-"),
                "key": f"milestone_uninvoiced:{milestone.id}", "kind": "milestone_uninvoiced",
                "source": EXCEPTION_SOURCE, "res_model": "sale.order", "res_id": order.id,
                "res_name": order.name, "owner_id": order.user_id.id,
                "company_id": order.company_id.id,
                "details": self.env._("Create the invoice of the order."),
            })
        self._raise_new(vals_list)
        self.env["ir.cron"]._notify_progress(done=len(milestones), remaining=0)
        return True

    @api.model
    def _cron_expiring_terms(self):
        today = fields.Date.context_today(self)
        horizon = today + timedelta(days=int(param(
            self.env, "ps_billing_readiness.expiry_notice_days")))
        orders = self.env["sale.order"].sudo().search_fetch(
            [("state", "=", "sale"), "|",
             "&", ("ps_po_valid_until", ">=", today), ("ps_po_valid_until", "<=", horizon),
             "&", ("ps_contract_end", ">=", today), ("ps_contract_end", "<=", horizon)],
            ["name", "user_id", "company_id", "ps_po_number", "ps_po_valid_until",
             "ps_contract_end"])
        vals_list = []
        for order in orders:
            common = {"source": EXCEPTION_SOURCE, "res_model": "sale.order",
                      "res_id": order.id, "res_name": order.name,
                      "owner_id": order.user_id.id, "company_id": order.company_id.id}
            if order.ps_po_valid_until and today <= order.ps_po_valid_until <= horizon:
                vals_list.append({**common, "kind": "po_expiring",
                    "key": f"po_expiring:{order.id}:{order.ps_po_valid_until}",
                    "name": self.env._("%(order)s: customer PO %(po)s expires on %(date)s",
                                       order=order.name, po=order.ps_po_number or "-",
                                       date=order.ps_po_valid_until),
                    "details": self.env._("Ask the customer for a renewed PO.")})
            if order.ps_contract_end and today <= order.ps_contract_end <= horizon:
                vals_list.append({**common, "kind": "contract_expiring",
                    "key": f"contract_expiring:{order.id}:{order.ps_contract_end}",
                    "name": self.env._("%(order)s: the contract ends on %(date)s",
                                       order=order.name, date=order.ps_contract_end),
                    "details": self.env._("Renew the contract or plan the close-out.")})
        self._raise_new(vals_list)
        self.env["ir.cron"]._notify_progress(done=len(orders), remaining=0)
        return True

    @api.model
    def _cron_retainer_consumption(self):
        """Prepaid blocks of hours (a timesheet service invoiced on order) consumed above
        the share of Settings alert their account manager; beyond 100% the overage is
        critical (one exception per line and level, never twice) and an overage is sent
        for approval to the account manager, then finance (once per line and prepaid
        quantity)."""
        ratio = param(self.env, "ps_billing_readiness.retainer_alert_ratio") / 100.0
        lines = self.env["sale.order.line"].sudo().search_fetch(
            [("state", "=", "sale"), ("product_id.service_type", "=", "timesheet"),
             ("product_id.invoice_policy", "=", "order"), ("product_uom_qty", ">", 0)],
            ["order_id", "name", "product_uom_qty", "qty_delivered"])
        vals_list = []
        self.env["ps.billing.retainer.overage"]._open_for_lines(
            lines.filtered(lambda l: l.qty_delivered > l.product_uom_qty))
        for line in lines.filtered(lambda l: l.qty_delivered > ratio * l.product_uom_qty):
            order = line.order_id
            over = line.qty_delivered > line.product_uom_qty
            used = round(line.qty_delivered / line.product_uom_qty * 100.0)
            vals_list.append({
                "name": self.env._("%(order)s: %(used)s%% of the retainer used (%(done)s of "
                                   "%(sold)s)", order=order.name, used=used,
                                   done=line.qty_delivered, sold=line.product_uom_qty),
                "key": f"retainer_{'overage' if over else 'threshold'}:{line.id}",
                "kind": "retainer_overage" if over else "retainer_threshold",
                "source": EXCEPTION_SOURCE, "res_model": "sale.order", "res_id": order.id,
                "res_name": order.name, "owner_id": order.user_id.id,
                "company_id": order.company_id.id,
                "severity": "critical" if over else "warning",
                "details": self.env._("Agree on a top-up with the customer (a change order) "
                                      "before more time is logged."),
            })
        self._raise_new(vals_list)
        self.env["ir.cron"]._notify_progress(done=len(lines), remaining=0)
        return True

    # ------------------------------------------------------------------
    @api.model
    def _raise_new(self, vals_list):
        """Raise the exceptions (idempotent on their keys); return the keys that were not
        open before, i.e. the causes found for the first time."""
        if not vals_list:
            return set()
        keys = [vals["key"] for vals in vals_list]
        known = set(self.env["ps.exception"].sudo().search_fetch(
            [("key", "in", keys), ("state", "in", ("new", "in_progress"))], ["key"])
            .mapped("key"))
        self.env["ps.exception"]._raise_exceptions(vals_list)
        return set(keys) - known

