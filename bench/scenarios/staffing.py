"""Staffing (ps_staffing): candidate ranking and weekly utilization.

The firm comes from bench/generate.py: 50 then 500 employees (quick 5 and 50) with skills,
two working calendars and leave, one project per 10 employees, 60 timesheet lines per
employee over 12 weeks, one allocation per employee.
1. Ranking every employee for a 12-week request asking two skills, in hours per week, then
   as a percentage of each candidate's working week. Floor: one SQL query per employee set
   with the same facts (skill levels, leave, allocated hours).
2. Weekly utilization of every employee over 12 weeks (the ps.staffing.utilization view,
   grouped by employee and week). Floor: the same sums straight from the timesheets.
"""
import datetime

from benchlib import measure
from generate import YEAR_START, Generator, Sizes

from odoo import Command
from odoo.tools import SQL

TITLE = "candidate ranking and weekly utilization, beside SQL"
WEEKS = 12


def run(ctx):
    sizes = ctx.size((5, 50), (50, 500))
    with ctx.env("suite") as env:
        ctx.require(env, "ps.staffing.candidate:_rank", "ps.staffing.request",
                    "hr.employee.skill")
        env["hr.employee"].search([]).write({"active": False})  # only the generated firm
        env.cr.commit()
        made = 0
        skill_type = None
        for size in sizes:
            more = size - made
            gen = Generator(env, Sizes(employees=more, customers=0, opportunities=0,
                                       orders=0, projects=max(more // 10, 1),
                                       timesheets=more * 5 * WEEKS, expenses=0,
                                       allocations=more), seed=size, log=lambda _m: None)
            if skill_type:
                gen.made["skill_type"] = skill_type
                gen.skills = lambda: None
            gen.run()
            skill_type = skill_type or gen.made["skill_type"]
            made = size
            request = staffing_request(env, skill_type, gen.made["projects"][0])
            env.invalidate_all()
            seconds, queries = measure(lambda r=request: (
                env["ps.staffing.candidate"]._rank(r), env.flush_all()))
            env.cr.commit()
            ranked = len(request.candidate_ids)
            floor_s = measure(lambda r=request: rank_floor(env, r))[0]
            ctx.results.add(f"candidate ranking, {WEEKS} weeks", size, seconds, queries,
                            floor=floor_s, note=f"{ranked} candidates")
            if "load_unit" in request._fields:
                # the same request as a share of each candidate's own working week
                share = staffing_request(env, skill_type, gen.made["projects"][0],
                                         load_unit="percent", load_percent=60.0)
                env.invalidate_all()
                seconds, queries = measure(lambda r=share: (
                    env["ps.staffing.candidate"]._rank(r), env.flush_all()))
                env.cr.commit()
                ctx.results.add(f"candidate ranking, {WEEKS} weeks, as a percentage", size,
                                seconds, queries, floor=floor_s,
                                note=f"{len(share.candidate_ids)} candidates")
            utilization(ctx, env, size)


def staffing_request(env, skill_type, project, **load):
    skills, levels = skill_type.skill_ids, skill_type.skill_level_ids.sorted("level_progress")
    load = load or {"hours_per_week": 24}
    request = env["ps.staffing.request"].create({
        "role": "Senior functional consultant",
        "project_id": project.id, **load, "date_start": YEAR_START,
        "date_end": YEAR_START + datetime.timedelta(weeks=WEEKS, days=-3),
        "skill_line_ids": [Command.create({"skill_type_id": skill_type.id,
                                           "skill_id": skills[k].id,
                                           "min_level_id": levels[1].id}) for k in (0, 1)],
    })
    request.action_submit()
    env.cr.commit()
    return request


def rank_floor(env, request):
    env.cr.execute(SQL("""
        SELECT e.id,
               (SELECT coalesce(sum(least(l.level_progress, 100)), 0)
                  FROM hr_employee_skill s JOIN hr_skill_level l ON l.id = s.skill_level_id
                 WHERE s.employee_id = e.id AND s.skill_id IN (
                       SELECT skill_id FROM ps_staffing_request_skill WHERE request_id = %(r)s)),
               (SELECT coalesce(sum(extract(epoch FROM least(v.date_to, %(end)s)
                                             - greatest(v.date_from, %(start)s)) / 3600), 0)
                  FROM resource_calendar_leaves v
                 WHERE v.resource_id = e.resource_id AND v.date_to > %(start)s
                   AND v.date_from < %(end)s),
               (SELECT coalesce(sum(a.hours_per_week), 0) FROM ps_staffing_allocation a
                 WHERE a.employee_id = e.id AND a.date_end >= %(start)s
                   AND a.date_start <= %(end)s)
          FROM hr_employee e WHERE e.active AND e.company_id = %(company)s
    """, r=request.id, start=request.date_start, end=request.date_end,
        company=request.company_id.id))
    env.cr.fetchall()


def utilization(ctx, env, size):
    View = env["ps.staffing.utilization"]
    end = YEAR_START + datetime.timedelta(weeks=WEEKS)
    domain = [("week", ">=", YEAR_START), ("week", "<", end)]
    fnames = [f for f in ("capacity_hours:sum", "planned_hours:sum", "actual_hours:sum",
                          "billable_hours:sum") if f.split(":")[0] in View._fields]

    def read():
        env.invalidate_all()
        View._read_group(domain, ["employee_id", "week:week"], fnames)

    seconds, queries = measure(read, repeat=3)

    def floor():
        env.cr.execute(SQL("""
            SELECT l.employee_id, date_trunc('week', l.date), sum(l.unit_amount)
              FROM account_analytic_line l JOIN hr_employee e ON e.id = l.employee_id
             WHERE e.active AND l.project_id IS NOT NULL AND l.date >= %s AND l.date < %s
             GROUP BY 1, 2""", YEAR_START, end))
        env.cr.fetchall()

    floor_s = measure(floor, repeat=3)[0]
    ctx.results.add(f"weekly utilization, {WEEKS} weeks, every employee", size, seconds,
                    queries, floor=floor_s)
