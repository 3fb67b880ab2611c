from odoo import fields, models

DEFAULT_WEEKLY_HOURS = 40.0


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    ps_is_subcontractor = fields.Boolean(
        "Subcontractor", tracking=True,
        help="An external resource: allocating them adds a procurement review to the "
             "approval of the allocation")

    def _ps_weekly_capacity(self):
        """{employee id: hours per week of their working calendar} (the company's calendar
        when the employee has none). One computation per calendar, not per employee."""
        employees = self.sudo()
        per_calendar = {}
        result = {}
        for employee in employees:
            calendar = employee.resource_calendar_id or employee.company_id.resource_calendar_id
            if calendar.id not in per_calendar:
                per_calendar[calendar.id] = calendar._calculate_hours_per_week() \
                    if calendar else DEFAULT_WEEKLY_HOURS
            result[employee.id] = per_calendar[calendar.id]
        return result


class HrEmployeePublic(models.Model):
    _inherit = "hr.employee.public"

    ps_is_subcontractor = fields.Boolean("Subcontractor", readonly=True)
