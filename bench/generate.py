"""Deterministic generator of a professional-services firm, for the benchmark and for tests.

    python3 bench/generate.py --database DB --addons-path PATH --seed 42 \\
        --employees 500 --customers 200 --opportunities 2000 --orders 1000 \\
        --projects 1000 --timesheets 100000 --expenses 5000 --allocations 5000

The defaults are small (a few seconds, usable by tests); issue 12's firm is the line above.
The same seed and sizes give the same firm. Records go in with batched ORM creates, the bulk
of timesheet lines with one INSERT ... SELECT (their ORM create would dominate the run).
Each part runs only where its models are installed and says what it made; the data is
committed. Importable: ``generate(env, Sizes(...), seed)`` returns the records made.
"""
import argparse
import dataclasses
import datetime
import random
import sys
import time

import odoo
from odoo import Command, api
from odoo.tools import SQL

BATCH = 1000
YEAR_START = datetime.date(2026, 1, 5)  # a Monday
SKILLS = ("Odoo", "Python", "PostgreSQL", "Accounting", "Project management", "Data migration",
          "Change management", "Payroll", "Integration", "Reporting", "UX", "Training")
SERVICE_TYPES = (("fixed", "order", "no"), ("timesheet", "delivery", "task_in_project"),
                 ("milestones", "delivery", "project_only"), ("manual", "delivery", "no"))


@dataclasses.dataclass
class Sizes:
    employees: int = 20
    customers: int = 10
    opportunities: int = 20
    orders: int = 10
    projects: int = 10
    timesheets: int = 1000
    expenses: int = 20
    allocations: int = 20


def clone_rows(cr, table, template_id, count, overrides):
    """``count`` SQL copies of one row of ``table`` (its defaults and required columns as
    the ORM wrote them), with ``overrides``: column -> SQL expression of the series number
    g (1..count). Returns the new ids."""
    cr.execute(SQL("SELECT column_name FROM information_schema.columns "
                   "WHERE table_name = %s AND column_name != 'id'", table))
    columns = [c for (c,) in cr.fetchall()]
    values = [overrides.get(c, SQL("t.%s", SQL.identifier(c))) for c in columns]
    cr.execute(SQL("INSERT INTO %(table)s (%(cols)s) SELECT %(vals)s FROM %(table)s t "
                   "CROSS JOIN generate_series(1, %(count)s) g WHERE t.id = %(id)s "
                   "RETURNING id",
                   table=SQL.identifier(table),
                   cols=SQL(", ").join(SQL.identifier(c) for c in columns),
                   vals=SQL(", ").join(values), count=count, id=template_id))
    return [i for (i,) in cr.fetchall()]


def _batched(model, vals_list):
    records = model.browse()
    for start in range(0, len(vals_list), BATCH):
        records |= model.create(vals_list[start:start + BATCH])
    return records


class Generator:
    def __init__(self, env, sizes, seed, log=print):
        self.env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True,
                                    mail_notrack=True, no_reset_password=True,
                                    ps_audit_skip=True))
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.log = log
        self.made = {}

    def run(self):
        for part in ("skills", "employees", "customers", "opportunities", "products",
                     "orders", "projects", "timesheets", "expenses", "allocations"):
            start = time.perf_counter()
            try:
                count = getattr(self, part)()
            except KeyError as missing:  # a model of an addon that is not installed
                self.log(f"  {part}: skipped ({missing} not installed)")
                continue
            self.env.flush_all()
            self.env.cr.commit()
            if count is not None:
                self.log(f"  {part}: {count:,} in {time.perf_counter() - start:.1f} s")
        return self.made

    # ------------------------------------------------------------------ people
    def skills(self):
        env = self.env
        skill_type = env["hr.skill.type"].create({
            "name": "Bench consulting skills",
            "skill_ids": [Command.create({"name": s}) for s in SKILLS],
            "skill_level_ids": [Command.create({"name": name, "level_progress": progress})
                                for name, progress in (("Junior", 25), ("Confirmed", 50),
                                                       ("Senior", 75), ("Expert", 100))],
        })
        self.made["skill_type"] = skill_type
        return len(skill_type.skill_ids)

    def employees(self):
        env, rng, n = self.env, self.rng, self.sizes.employees
        calendars = env["resource.calendar"].create([
            {"name": "Bench full time"},
            {"name": "Bench part time 80%", "attendance_ids": [
                Command.create({"name": f"Day {d}", "dayofweek": str(d), "hour_from": 9,
                                "hour_to": 17, "day_period": "morning"}) for d in range(4)]}])
        employees = _batched(env["hr.employee"], [{
            "name": f"Consultant {i:04d}", "job_title": rng.choice(
                ("Consultant", "Senior consultant", "Architect", "Project manager")),
            "resource_calendar_id": calendars[1 if i % 10 == 9 else 0].id,
        } for i in range(n)])
        skill_type = self.made.get("skill_type")
        if skill_type and "hr.employee.skill" in env:
            levels, skills = skill_type.skill_level_ids, skill_type.skill_ids
            _batched(env["hr.employee.skill"], [{
                "employee_id": employee.id, "skill_type_id": skill_type.id,
                "skill_id": skill.id, "skill_level_id": rng.choice(levels).id,
            } for employee in employees for skill in rng.sample(list(skills), 3)])
        # leave: one week of approved absence for one employee in five (calendar leaves,
        # which Odoo's work intervals remove from capacity)
        absent = [(employee, YEAR_START + datetime.timedelta(weeks=rng.randrange(52)))
                  for employee in employees if rng.random() < 0.2]
        _batched(env["resource.calendar.leaves"], [{
            "name": f"Bench leave {employee.name}", "resource_id": employee.resource_id.id,
            "calendar_id": employee.resource_calendar_id.id,
            "date_from": datetime.datetime.combine(monday, datetime.time(0)),
            "date_to": datetime.datetime.combine(monday + datetime.timedelta(days=4),
                                                 datetime.time(23, 59)),
        } for employee, monday in absent])
        self.made["employees"] = employees
        return len(employees)

    def customers(self):
        customers = _batched(self.env["res.partner"], [{
            "name": f"Customer {i:04d}", "is_company": True, "email": f"c{i}@example.com",
            "child_ids": [Command.create({"name": f"Contact {i:04d}", "type": "contact",
                                          "email": f"p{i}@example.com"})],
        } for i in range(self.sizes.customers)])
        self.made["customers"] = customers
        return len(customers)

    def opportunities(self):
        customers = self.made["customers"]
        leads = _batched(self.env["crm.lead"], [{
            "name": f"Opportunity {i:05d}", "type": "opportunity",
            "partner_id": self.rng.choice(customers).id,
            "expected_revenue": self.rng.randrange(5, 500) * 1000,
            "probability": self.rng.choice((10, 30, 50, 70, 90)),
        } for i in range(self.sizes.opportunities)])
        return len(leads)

    # ------------------------------------------------------------------ sales
    def products(self):
        Product = self.env["product.product"]
        has_tracking = "service_tracking" in Product._fields
        has_policy = "service_policy" in Product._fields
        products = Product.browse()
        for name, policy, tracking in SERVICE_TYPES:
            vals = {"name": f"Bench service {name}", "type": "service", "list_price": 150.0,
                    "standard_price": 60.0, "invoice_policy": policy}
            if has_tracking:
                vals["service_tracking"] = tracking
            if has_policy:
                vals["service_policy"] = {"fixed": "ordered_prepaid",
                                          "timesheet": "delivered_timesheet",
                                          "milestones": "delivered_milestones",
                                          "manual": "delivered_manual"}[name]
            products |= Product.create(vals)
        self.made["products"] = products
        return len(products)

    def orders(self):
        customers, products = self.made["customers"], self.made["products"]
        orders = _batched(self.env["sale.order"], [{
            "partner_id": self.rng.choice(customers).id,
            "client_order_ref": f"PO-{i:05d}" if i % 3 else False,
            "order_line": [Command.create({
                "product_id": products[i % len(products)].id,
                "product_uom_qty": self.rng.randrange(1, 40), "price_unit": 150.0})],
        } for i in range(self.sizes.orders)])
        self.made["orders"] = orders
        return len(orders)

    def projects(self):
        env = self.env
        customers = self.made.get("customers") or env["res.partner"]
        projects = _batched(env["project.project"], [{
            "name": f"Project {i:04d}", "allow_timesheets": True,
            "partner_id": customers[i % len(customers)].id if customers else False,
        } for i in range(self.sizes.projects)])
        if "project.milestone" in env:
            _batched(env["project.milestone"], [{
                "name": f"Milestone {k}", "project_id": project.id,
                "deadline": YEAR_START + datetime.timedelta(weeks=4 * k + i % 4),
            } for i, project in enumerate(projects) for k in range(1, 4)])
        _batched(env["project.task"], [{"name": "Delivery", "project_id": p.id}
                                      for p in projects])
        self.made["projects"] = projects
        return len(projects)

    def timesheets(self):
        env, n = self.env, self.sizes.timesheets
        employees, projects = self.made.get("employees"), self.made.get("projects")
        if not n or not employees or not projects or \
                "project_id" not in env["account.analytic.line"]._fields:
            return 0
        # one line made by the ORM (every default and required column of every installed
        # addon), then copied by one INSERT ... SELECT: line g is employee g mod E on
        # project (g // 7) mod P, on working day g mod 260 of the year, 1 to 8 hours
        task = env["project.task"].search([("project_id", "=", projects[0].id)], limit=1)
        template = env["account.analytic.line"].create({
            "name": "Bench work", "project_id": projects[0].id, "task_id": task.id,
            "employee_id": employees[0].id, "unit_amount": 1.0, "date": YEAR_START})
        env.flush_all()
        env.cr.execute(SQL("""
            CREATE TEMP TABLE bench_project_task ON COMMIT DROP AS
            SELECT p.id AS project_id, (SELECT min(t.id) FROM project_task t
                                         WHERE t.project_id = p.id) AS task_id,
                   row_number() OVER (ORDER BY p.id) - 1 AS n
              FROM project_project p WHERE p.id = ANY(%s)""", projects.ids))
        clone_rows(env.cr, "account_analytic_line", template.id, n - 1, {
            "name": SQL("'Bench work ' || g"),
            "date": SQL("%s::date + ((mod(g, 260) / 5) * 7 + mod(mod(g, 260), 5))",
                        YEAR_START),
            "unit_amount": SQL("1 + mod(g * 7 + 3, 8)"),
            "amount": SQL("-(1 + mod(g * 7 + 3, 8)) * 60"),
            "employee_id": SQL("(%s::int[])[1 + mod(g, %s)]", employees.ids, len(employees)),
            "project_id": SQL("(SELECT project_id FROM bench_project_task "
                              "WHERE n = mod(g / 7, %s))", len(projects)),
            "task_id": SQL("(SELECT task_id FROM bench_project_task "
                           "WHERE n = mod(g / 7, %s))", len(projects)),
        })
        env.cr.execute("ANALYZE account_analytic_line")
        return n

    def expenses(self):
        env, employees = self.env, self.made.get("employees")
        if not employees:
            return 0
        product = env["product.product"].search([("can_be_expensed", "=", True)], limit=1)
        expenses = _batched(env["hr.expense"], [{
            "name": f"Expense {i:05d}", "employee_id": employees[i % len(employees)].id,
            "product_id": product.id if product else False,
            "total_amount_currency": self.rng.randrange(10, 400),
            "date": YEAR_START + datetime.timedelta(days=self.rng.randrange(360)),
        } for i in range(self.sizes.expenses)])
        return len(expenses)

    def allocations(self):
        env = self.env
        Allocation = env["ps.staffing.allocation"]
        employees, projects = self.made.get("employees"), self.made.get("projects")
        if not employees or not projects:
            return 0
        vals_list = []
        for i in range(self.sizes.allocations):
            start = YEAR_START + datetime.timedelta(weeks=self.rng.randrange(48))
            vals = {"employee_id": employees[i % len(employees)].id,
                    "project_id": projects[i % len(projects)].id, "date_start": start,
                    "date_end": start + datetime.timedelta(weeks=self.rng.randrange(1, 5),
                                                           days=-3)}
            if "hours_per_week" in Allocation._fields:
                vals["hours_per_week"] = self.rng.choice((8, 16, 24, 32))
            vals_list.append(vals)
        return len(_batched(Allocation, vals_list))


def generate(env, sizes=None, seed=42, log=print):
    return Generator(env, sizes or Sizes(), seed, log).run()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--db-host")
    parser.add_argument("--db-port")
    parser.add_argument("--db-user")
    parser.add_argument("--seed", type=int, default=42)
    for field in dataclasses.fields(Sizes):
        parser.add_argument(f"--{field.name}", type=int, default=field.default,
                            help=f"default {field.default}")
    args = parser.parse_args(argv)
    options = [f"--addons-path={args.addons_path}", "--log-level=warn"]
    for opt in ("db_host", "db_port", "db_user"):
        if getattr(args, opt):
            options.append(f"--{opt}={getattr(args, opt)}")
    odoo.tools.config.parse_config(options)
    sizes = Sizes(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Sizes)})
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        print(f"Generating a firm in {args.database} (seed {args.seed}): {sizes}")
        generate(env, sizes, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
