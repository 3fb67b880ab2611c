from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

# a Monday, far enough from any data of the database
MONDAY = date(2031, 3, 3)


class StaffingCommon(TransactionCase):
    """A firm with a delivery lead (project manager), two resource managers, a consultant
    with an employee, a procurement reviewer, an administrator; a project led by the
    delivery lead; a 40-hour calendar; skills with levels."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        env = cls.env

        def user(login, groups, company=None):
            company = company or env.company
            return new_test_user(env, login=login, groups=groups, company_id=company.id,
                                 company_ids=[Command.set(company.ids)],
                                 name=login.replace("_", " ").title())

        cls.pm = user("st_pm", "ps_base.group_ps_project_manager,project.group_project_manager")
        cls.rm = user("st_rm", "ps_base.group_ps_resource_manager")
        cls.consultant = user("st_consultant", "ps_base.group_ps_user")
        cls.consultant_2 = user("st_consultant_2", "ps_base.group_ps_user")
        cls.procurement = user("st_procurement", "ps_staffing.group_ps_procurement")
        cls.admin_ps = user("st_admin", "ps_base.group_ps_manager")
        cls.calendar = env["resource.calendar"].create({"name": "Staffing 40h", "tz": "UTC"})
        cls.project = env["project.project"].create({
            "name": "Staffing Project", "user_id": cls.pm.id})
        cls.other_project = env["project.project"].create({
            "name": "Other Project", "user_id": cls.admin_ps.id})
        cls.skill_type = env["hr.skill.type"].create({
            "name": "Staffing Tech",
            "skill_ids": [Command.create({"name": "Odoo ORM"}),
                          Command.create({"name": "PostgreSQL"})],
            "skill_level_ids": [
                Command.create({"name": "Beginner", "level_progress": 25}),
                Command.create({"name": "Advanced", "level_progress": 75,
                                "default_level": True}),
                Command.create({"name": "Expert", "level_progress": 100})],
        })
        cls.orm, cls.pg = cls.skill_type.skill_ids.sorted("name")
        cls.beginner, cls.advanced, cls.expert = cls.skill_type.skill_level_ids.sorted(
            "level_progress")
        cls.employee = cls._employee("Cora Consultant", user=cls.consultant)
        cls.employee_2 = cls._employee("Dan Developer", user=cls.consultant_2)
        cls.leave_type = env["hr.leave.type"].create({
            "name": "Staffing Holidays", "requires_allocation": "no",
            "leave_validation_type": "no_validation", "request_unit": "day"})
        cls.leave_type_pending = env["hr.leave.type"].create({
            "name": "Staffing Holidays (approved by HR)", "requires_allocation": "no",
            "leave_validation_type": "hr", "request_unit": "day"})

    @classmethod
    def _employee(cls, name, **kwargs):
        return cls.env["hr.employee"].create(cls._employee_vals(name, **kwargs))

    @classmethod
    def _employee_vals(cls, name, user=None, company=None, calendar=None, skills=(), **vals):
        company = company or cls.env.company
        return {
            "name": name, "user_id": user.id if user else False, "company_id": company.id,
            "resource_calendar_id": (calendar or cls.calendar).id,
            "employee_skill_ids": [Command.create({
                "skill_type_id": skill.skill_type_id.id, "skill_id": skill.id,
                "skill_level_id": level.id}) for skill, level in skills],
            **vals,
        }

    @classmethod
    def _allocation(cls, employee=None, hours=20.0, start=MONDAY, weeks=4, user=None,
                    project=None, confirm=False, **vals):
        allocation = cls.env["ps.staffing.allocation"].with_user(user or cls.pm).create({
            "employee_id": (employee or cls.employee).id,
            "project_id": (project or cls.project).id, "date_start": start,
            "date_end": date.fromordinal(start.toordinal() + 7 * weeks - 3),  # a Friday
            "hours_per_week": hours, **vals,
        })
        if confirm:
            allocation.sudo().action_confirm()
            assert allocation.state == "confirmed", "booked without approval"
        return allocation

    @classmethod
    def _leave(cls, employee, date_from, date_to, pending=False):
        leave_type = cls.leave_type_pending if pending else cls.leave_type
        return cls.env["hr.leave"].sudo().create({
            "employee_id": employee.id, "holiday_status_id": leave_type.id,
            "request_date_from": date_from, "request_date_to": date_to,
        })
