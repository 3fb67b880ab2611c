"""Fixtures and operations shared by the scenarios, built the same way in every database
(suite, plain Odoo, peers) so that the same work is measured on the same data."""
import contextlib

from benchlib import measure

from odoo import Command


def admin_env(env):
    """The administrator as a user (not superuser): access rights and record rules run as
    they do from the web client."""
    return env(user=env.ref("base.user_admin").id, su=False)


def admin_employee(env):
    admin = env.ref("base.user_admin")
    Employee = env["hr.employee"].sudo()
    return Employee.search([("user_id", "=", admin.id)], limit=1) or Employee.create(
        {"name": "Bench administrator", "user_id": admin.id})


def timesheet_lines(env, count, label="Bench"):
    """``count`` timesheet lines of the administrator on one project task (created without
    audit), committed; returned in the administrator's environment."""
    employee = admin_employee(env)
    project = env["project.project"].sudo().create({"name": f"{label} timesheet project",
                                                    "allow_timesheets": True})
    task = env["project.task"].sudo().create({"name": f"{label} task",
                                              "project_id": project.id})
    lines = env["account.analytic.line"].sudo().with_context(ps_audit_skip=True).create([{
        "name": f"Work {i}", "project_id": project.id, "task_id": task.id,
        "employee_id": employee.id, "unit_amount": 1.0, "date": "2026-01-05",
    } for i in range(count)])
    env.cr.commit()
    return lines.with_env(admin_env(env))


def timesheet_writes(env, lines, offset, commit_each, repeat=2):
    """Each line written once (hours and description, as a consultant corrects a day),
    in one transaction or one transaction each (as from the web client). Returns the
    median (seconds, queries) of ``repeat`` passes, each with different values."""
    state = {"pass": 0}

    def run():
        state["pass"] += 1
        shift = offset + 3 * state["pass"]
        env.invalidate_all()  # every pass reads the lines from the database
        for i, line_id in enumerate(lines.ids):
            # one record at a time, prefetching nothing else: as the web client saves a
            # line (iterating the recordset would re-read all of it after each write)
            line = lines.browse(line_id)
            line.write({"unit_amount": 1.0 + ((i + shift) % 7) * 0.25,
                        "name": f"Work {i} v{shift}"})
            if commit_each:
                env.cr.commit()
            else:
                line.env.flush_all()
        env.cr.commit()

    return measure(run, repeat=repeat)


def timesheet_floor(env, lines):
    """The same writes as hand-written SQL: one UPDATE per line."""
    cr = env.cr

    def floor():
        for i, line_id in enumerate(lines.ids):
            cr.execute("UPDATE account_analytic_line SET unit_amount = %s, name = %s, "
                       "write_date = now() WHERE id = %s",
                       (1.0 + (i % 7) * 0.25, f"Work {i} floor", line_id))
        cr.commit()

    return measure(floor)[0]


@contextlib.contextmanager
def class_attribute(env, model, name, value):
    """Temporarily set a class attribute of a registry model (to switch an aspect off for
    a baseline), restored afterwards."""
    cls = type(env[model])
    old = getattr(cls, name)
    setattr(cls, name, value)
    try:
        yield
    finally:
        setattr(cls, name, old)


def customer_and_products(env, label="Bench"):
    """A customer and three products: a service sold by timesheets creating a task in a
    project, a fixed-price service, an expense product. Costs below prices (margins
    healthy), no discounts: below every threshold of the default policies."""
    partner = env["res.partner"].sudo().create({"name": f"{label} customer",
                                                "email": "bench@example.com"})
    vals = {"name": f"{label} consulting", "type": "service", "list_price": 100.0,
            "standard_price": 40.0, "invoice_policy": "order"}
    Product = env["product.product"].sudo()
    if "service_tracking" in Product._fields:
        vals["service_tracking"] = "no"
    service = Product.create(vals)
    return partner, service


def orders(env, partner, product, count, name="Bench order"):
    Order = env["sale.order"].sudo()
    created = Order.browse()
    for start in range(0, count, 500):
        created |= Order.create([{
            "partner_id": partner.id, "client_order_ref": f"{name} {start + i}",
            "order_line": [Command.create({"product_id": product.id,
                                           "product_uom_qty": 2,
                                           "price_unit": product.lst_price})]}
            for i in range(min(500, count - start))])
    env.flush_all()
    return created
