from odoo import fields, models, tools
from odoo.tools import SQL

BILLABLE_TYPES = ("billable_time", "billable_fixed", "billable_milestones", "billable_manual")


class PsStaffingUtilization(models.Model):
    """Planned (booked allocations) and actual (timesheets) hours per employee and week,
    against the hours of their working calendar. Leave booked as timesheets
    (project_timesheet_holidays) is not work and is left out of the actual hours."""

    _name = "ps.staffing.utilization"
    _description = "Staffing Utilization"
    _auto = False
    _order = "week desc, employee_id"
    _rec_name = "employee_id"

    employee_id = fields.Many2one("hr.employee", readonly=True)
    user_id = fields.Many2one("res.users", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    week = fields.Date(readonly=True, help="Monday of the week")
    capacity_hours = fields.Float("Capacity (h)", readonly=True)
    planned_hours = fields.Float("Planned (h)", readonly=True)
    actual_hours = fields.Float("Actual (h)", readonly=True)
    billable_hours = fields.Float("Billable (h)", readonly=True)
    non_billable_hours = fields.Float("Non-Billable (h)", readonly=True)
    planned_utilization = fields.Float("Planned Utilization (%)", readonly=True,
                                       aggregator="avg")
    actual_utilization = fields.Float("Actual Utilization (%)", readonly=True,
                                      aggregator="avg")
    billable_utilization = fields.Float("Billable Utilization (%)", readonly=True,
                                        aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("""
CREATE OR REPLACE VIEW %(table)s AS (
WITH calendar_hours AS (
    SELECT cal.id AS calendar_id,
           COALESCE(SUM(att.hour_to - att.hour_from), 0)
             / CASE WHEN cal.two_weeks_calendar THEN 2 ELSE 1 END AS hours
      FROM resource_calendar cal
      LEFT JOIN resource_calendar_attendance att
        ON att.calendar_id = cal.id AND att.day_period != 'lunch'
       AND att.display_type IS NULL AND att.resource_id IS NULL
     GROUP BY cal.id, cal.two_weeks_calendar
), rows AS (
    SELECT a.employee_id, week.monday::date AS week, a.hours_per_week AS planned,
           0.0 AS actual, 0.0 AS billable
      FROM ps_staffing_allocation a
     CROSS JOIN LATERAL generate_series(date_trunc('week', a.date_start), a.date_end,
                                        interval '1 week') AS week(monday)
     WHERE a.state IN ('confirmed', 'done')
    UNION ALL
    SELECT l.employee_id, date_trunc('week', l.date)::date, 0.0, l.unit_amount,
           CASE WHEN l.timesheet_invoice_type IN %(billable)s THEN l.unit_amount ELSE 0.0 END
      FROM account_analytic_line l
     WHERE l.project_id IS NOT NULL AND l.employee_id IS NOT NULL
       AND l.holiday_id IS NULL AND l.global_leave_id IS NULL
), weekly AS (
    SELECT employee_id, week, SUM(planned) AS planned, SUM(actual) AS actual,
           SUM(billable) AS billable
      FROM rows GROUP BY employee_id, week
)
SELECT e.id::bigint * 100000 + (w.week - DATE '2000-01-03') / 7 AS id,
       w.employee_id, e.user_id, e.company_id, e.department_id, w.week,
       COALESCE(ch.hours, 0) AS capacity_hours,
       w.planned AS planned_hours, w.actual AS actual_hours, w.billable AS billable_hours,
       w.actual - w.billable AS non_billable_hours,
       CASE WHEN ch.hours > 0 THEN 100.0 * w.planned / ch.hours ELSE 0 END
         AS planned_utilization,
       CASE WHEN ch.hours > 0 THEN 100.0 * w.actual / ch.hours ELSE 0 END
         AS actual_utilization,
       CASE WHEN ch.hours > 0 THEN 100.0 * w.billable / ch.hours ELSE 0 END
         AS billable_utilization
  FROM weekly w
  JOIN hr_employee e ON e.id = w.employee_id
  LEFT JOIN res_company c ON c.id = e.company_id
  LEFT JOIN calendar_hours ch ON ch.calendar_id = COALESCE(e.resource_calendar_id,
                                                           c.resource_calendar_id)
)""", table=SQL.identifier(self._table), billable=BILLABLE_TYPES))
