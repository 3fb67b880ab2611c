"""Rows for the lists of the Staffing menus, for tests/test_clickbot.py."""
from datetime import timedelta

from odoo import Command, fields


def populate(env, admin, ps_user):
    """A staffing request with its ranked candidates (Requests, for the administrator) and a
    confirmed allocation of the PS user (Allocations and Utilization, for both)."""
    today = fields.Date.context_today(env["ps.staffing.request"])
    monday = today - timedelta(days=today.weekday())
    project = env["project.project"].create({"name": "Clickbot staffing", "user_id": admin.id})
    skill_type = env["hr.skill.type"].create({
        "name": "Clickbot skills",
        "skill_ids": [Command.create({"name": "Clickbot analysis"})],
        "skill_level_ids": [Command.create({"name": "Clickbot level", "level_progress": 50,
                                            "default_level": True})],
    })
    request = env["ps.staffing.request"].create({
        "project_id": project.id, "role": "Clickbot analyst", "hours_per_week": 16,
        "date_start": monday, "date_end": monday + timedelta(days=27),
        "skill_line_ids": [Command.create({
            "skill_type_id": skill_type.id, "skill_id": skill_type.skill_ids.id,
            "min_level_id": skill_type.skill_level_ids.id})],
    })
    request.action_submit()
    request.action_rank_candidates()
    employee = env["hr.employee"].search([("user_id", "=", ps_user.id)], limit=1) \
        or env["hr.employee"].create({"name": ps_user.name, "user_id": ps_user.id})
    allocation = env["ps.staffing.allocation"].create({
        "employee_id": employee.id, "project_id": project.id,
        "request_id": request.id, "date_start": monday,
        "date_end": monday + timedelta(days=27), "hours_per_week": 16,
    })
    allocation.action_confirm()
    return request, allocation
