"""Rows for every list behind the Billing Readiness menus (tests/test_clickbot.py): the
administrator sees them all; a plain PS user sees none of these menus (project managers
and finance only)."""
from datetime import timedelta

from odoo import Command, fields


def populate(env, admin, ps_user):  # pylint: disable=unused-argument
    env = env(su=True)
    customer = env["res.partner"].create({"name": "Clickbot Billing Customer"})
    product = env["product.product"].create({
        "name": "Clickbot consulting hour", "type": "service", "invoice_policy": "delivery",
        "service_type": "timesheet", "service_tracking": "task_in_project",
        "list_price": 100.0, "taxes_id": [Command.clear()],
    })
    order = env["sale.order"].create({
        "partner_id": customer.id, "user_id": admin.id,
        "ps_po_number": "CLICK-1", "ps_po_valid_until": fields.Date.today() - timedelta(days=1),
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 10.0})],
    })
    order.action_confirm()
    line = order.order_line
    line.project_id.user_id = admin
    employee = env["hr.employee"].search([("user_id", "=", admin.id)], limit=1) \
        or env["hr.employee"].create({"name": admin.name, "user_id": admin.id})
    timesheets = env["account.analytic.line"].create([{
        "name": f"Clickbot work {day}", "project_id": line.project_id.id,
        "task_id": line.task_id.id, "employee_id": employee.id, "unit_amount": 4.0,
        "date": fields.Date.today() - timedelta(days=day)} for day in (1, 40)])
    # an approved, uninvoiced line for the WIP aging view
    timesheets[1]._ps_review_write({"ps_timesheet_state": "approved"})
    env["ps.billing.readiness"]._refresh_orders(order)
    env["ps.billing.advisory"].create({
        "name": "Clickbot: the same taxi claimed twice", "kind": "duplicate_expense",
        "key": "clickbot-duplicate-expense", "employee_id": employee.id, "amount": 42.0,
        "details": "Raised by the clickbot test",
    })
    env["ps.billing.advisory"].create({
        "name": "Clickbot: a rate off the pricelist", "kind": "rate_deviation",
        "key": "clickbot-rate-deviation", "order_id": order.id, "sale_line_id": line.id,
        "observed_value": 70.0, "expected_value": 100.0, "limit_value": 15.0,
        "inputs": "Raised by the clickbot test",
    })
    # a retainer overage for the Retainer Overages list
    env["ps.billing.retainer.overage"].create({
        "sale_line_id": line.id, "contracted_hours": 10.0, "consumed_hours": 12.0})
