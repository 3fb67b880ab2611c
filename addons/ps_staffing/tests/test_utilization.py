from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import MONDAY, StaffingCommon


@tagged("post_install", "-at_install")
class TestUtilization(StaffingCommon):

    def test_planned_and_actual_billable_per_week(self):
        env = self.env
        self._allocation(hours=20, weeks=2, confirm=True)
        customer = env["res.partner"].create({"name": "Utilization customer"})
        product = env["product.product"].create({
            "name": "Consulting hour", "type": "service", "invoice_policy": "delivery",
            "service_type": "timesheet", "list_price": 100.0})
        order = env["sale.order"].create({
            "partner_id": customer.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 50})]})
        order.action_confirm()
        billed = env["project.project"].create({
            "name": "Billed project", "partner_id": customer.id, "allow_billable": True,
            "sale_line_id": order.order_line.id})
        internal = env["project.project"].create({"name": "Internal project"})
        Line = env["account.analytic.line"]
        lines = Line.create([
            {"name": "Workshop", "project_id": billed.id, "employee_id": self.employee.id,
             "unit_amount": 8.0, "date": MONDAY + timedelta(days=1)},
            {"name": "Internal", "project_id": internal.id, "employee_id": self.employee.id,
             "unit_amount": 4.0, "date": MONDAY + timedelta(days=2)},
            {"name": "Next week", "project_id": billed.id, "employee_id": self.employee.id,
             "unit_amount": 2.0, "date": MONDAY + timedelta(days=7)},
        ])
        self.assertEqual(lines[0].timesheet_invoice_type, "billable_time")
        self.assertNotIn(lines[1].timesheet_invoice_type,
                         ("billable_time", "billable_fixed", "billable_milestones",
                          "billable_manual"))
        # leave booked as a timesheet is not work
        leave = self._leave(self.employee, MONDAY + timedelta(days=3),
                            MONDAY + timedelta(days=3))
        Line.sudo().create({"name": "Leave", "project_id": internal.id,
                            "employee_id": self.employee.id, "unit_amount": 8.0,
                            "date": MONDAY + timedelta(days=3), "holiday_id": leave.id})
        env.flush_all()
        rows = env["ps.staffing.utilization"].search(
            [("employee_id", "=", self.employee.id)], order="week")
        first = rows.filtered(lambda r: r.week == MONDAY)
        self.assertEqual((first.capacity_hours, first.planned_hours, first.actual_hours,
                          first.billable_hours, first.non_billable_hours),
                         (40.0, 20.0, 12.0, 8.0, 4.0))
        self.assertEqual((first.planned_utilization, first.actual_utilization,
                          first.billable_utilization), (50.0, 30.0, 20.0))
        second = rows.filtered(lambda r: r.week == MONDAY + timedelta(days=7))
        self.assertEqual((second.planned_hours, second.actual_hours), (20.0, 2.0))
        # grouped as the pivot does: hours add up, percentages average
        groups = env["ps.staffing.utilization"].read_group(
            [("employee_id", "=", self.employee.id), ("week", ">=", MONDAY),
             ("week", "<=", MONDAY + timedelta(days=7))],
            ["planned_hours:sum", "actual_hours:sum", "planned_utilization:avg"],
            ["employee_id"])
        self.assertEqual((groups[0]["planned_hours"], groups[0]["actual_hours"],
                          groups[0]["planned_utilization"]), (40.0, 14.0, 50.0))
