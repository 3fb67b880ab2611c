"""Billing readiness (ps_billing_readiness): the readiness of 100 and 1,000 confirmed
orders (quick 10 and 100) recomputed from their sources in one call, for everything to
date and for last month (the *Check a Period* variant), one batch of the daily refresh
cron, and the advisory sweep (duplicate expenses, hour spikes, rates, invoice outliers).
Half the orders have no customer PO reference. The first orders are confirmed by the ORM,
the rest are SQL copies of them (order and line). Floor: the same facts in one SQL
aggregate (amounts invoiced / to invoice per order, time not approved, open expenses to
re-invoice)."""
from datetime import date, timedelta

from benchlib import measure
from generate import clone_rows

from odoo.tools import SQL

from . import common

TITLE = "billing readiness of confirmed orders, beside one SQL aggregate"


def run(ctx):
    sizes = ctx.size((10, 100), (100, 1000))
    with ctx.env("suite") as env:
        ctx.require(env, "ps.billing.readiness:_refresh_orders")
        partner, product = common.customer_and_products(env, "Billing")
        orders = common.orders(env, partner, product, sizes[0], "Billing order")
        orders[::2].write({"client_order_ref": False})
        orders.with_env(common.admin_env(env)).action_confirm()
        env.cr.commit()
        Readiness = env["ps.billing.readiness"]
        for size in sizes:
            need = size - len(orders)
            if need > 0:
                cr = env.cr
                new_ids = clone_rows(cr, "sale_order", orders[0].id, need,
                                     {"name": SQL("'BENCH-BILL-' || g")})
                line = orders[0].order_line[0]
                clone_rows(cr, "sale_order_line", line.id, need,
                           {"order_id": SQL("(%s::int[])[g]", new_ids)})
                cr.commit()
                orders |= orders.browse(new_ids)
            env.invalidate_all()
            samples = []
            for _run in range(2):
                env.invalidate_all()
                samples.append(measure(lambda o=orders: (Readiness._refresh_orders(o),
                                                         env.flush_all())))
                env.cr.commit()
            seconds, queries = min(samples)
            floor_s = measure(lambda o=orders: floor(env, o.ids))[0]
            ctx.results.add("billing readiness refresh (one call)", size, seconds, queries,
                            floor=floor_s)
            last = date.today().replace(day=1) - timedelta(days=1)
            period = (last.replace(day=1), last)
            samples = []
            for _run in range(2):
                env.invalidate_all()
                samples.append(measure(lambda o=orders, p=period: (
                    Readiness._refresh_orders(o, *p), env.flush_all())))
                env.cr.commit()
            seconds, queries = min(samples)
            ctx.results.add("billing readiness refresh for last month (one call)", size,
                            seconds, queries, group="billing readiness refresh (period)")
        batch = Readiness.sudo()
        env.cr.execute("UPDATE ps_billing_readiness SET checked_at = now() - interval '2 days'")
        seconds, queries = measure(lambda: (batch._cron_refresh(batch_size=500),
                                            env.flush_all()))
        env.cr.rollback()
        ctx.results.add("billing readiness cron, one batch of 500", len(orders), seconds,
                        queries, items=min(500, len(orders)), group="billing readiness cron")
        if hasattr(env["ps.billing.advisory"], "_cron_advisories"):
            advisory = env["ps.billing.advisory"].sudo()
            seconds, queries = measure(lambda: (advisory._cron_advisories(),
                                                env.flush_all()))
            env.cr.rollback()
            ctx.results.add("billing advisory sweep (all detectors)", len(orders), seconds,
                            queries, group="billing advisory sweep")


def floor(env, order_ids):
    env.cr.execute(SQL("""
        SELECT o.id, sum(l.untaxed_amount_invoiced), sum(l.untaxed_amount_to_invoice),
               (SELECT sum(a.unit_amount) FROM account_analytic_line a
                 WHERE a.order_id = o.id AND a.timesheet_invoice_id IS NULL
                   AND a.ps_timesheet_state != 'approved'),
               (SELECT sum(e.total_amount) FROM hr_expense e
                 WHERE e.sale_order_id = o.id AND e.state IN ('draft', 'reported', 'submitted')),
               o.client_order_ref IS NULL
          FROM sale_order o JOIN sale_order_line l ON l.order_id = o.id
         WHERE o.id = ANY(%s)
         GROUP BY o.id""", order_ids))
    env.cr.fetchall()
