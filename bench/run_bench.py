"""Benchmark of the ps_base engine on generated data, against baselines measured in the
same run (see README.md, `make bench`).

1. Approval request cost per document at 200, 2,000 and 20,000 documents (target
   <= 1 ms/doc, flat), with the cost of creating the same documents as baseline.
2. "My pending approvals" with 100,000 pending approvals in the database (target <= 50 ms),
   with the same query forced to scan (no index) as baseline.
3. Audit overhead on 1,000 timesheet writes, each its own transaction, as a ratio to the
   same writes without audit (target <= 1.3x).

Usage: python3 bench/run_bench.py --database DB --addons-path PATH [--quick]
The database must have ps_base and ps_billing_readiness installed; the script commits
generated data into it (run it on a throwaway database: `make bench` does).
"""
import argparse
import statistics
import sys
import time

import odoo
from odoo import Command, api
from odoo.tools import SQL


def timed(func, repeat=1):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


class Bench:
    def __init__(self, env, quick):
        self.env = env
        self.cr = env.cr
        self.quick = quick
        self.rows = []
        self.failures = []

    def report(self, name, value, unit, target=None, baseline=None, note=""):
        ok = None
        if target is not None:
            ok = value <= target
            if not ok:
                self.failures.append(name)
        self.rows.append((name, value, unit, target, baseline, ok, note))
        ratio = f"  ratio vs baseline {value / baseline:6.2f}x" if baseline else ""
        verdict = "" if ok is None else ("  PASS" if ok else "  MISS")
        tgt = f" (target <= {target:g} {unit})" if target is not None else ""
        print(f"{name:<58} {value:10.3f} {unit}{tgt}{ratio}{verdict} {note}", flush=True)

    # ------------------------------------------------------------------
    def setup(self):
        env = self.env
        env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True,
                               mail_notrack=True, ps_audit_skip=True, no_reset_password=True))
        self.env = env
        Users = env["res.users"]
        group_user = env.ref("ps_base.group_ps_user")

        def user(login):
            return Users.search([("login", "=", login)]) or Users.create({
                "name": login, "login": login, "groups_id": [Command.set(group_user.ids)]})

        self.requester = user("bench_requester")
        self.finance = [user(f"bench_finance_{i}") for i in range(3)]
        manager = user("bench_manager")
        boss = env["hr.employee"].create({"name": "Bench manager", "user_id": manager.id})
        env["hr.employee"].create({"name": "Bench requester", "user_id": self.requester.id,
                                   "parent_id": boss.id})
        self.manager = manager
        group = env["res.groups"].create({
            "name": "Bench finance", "users": [Command.set([u.id for u in self.finance])]})
        env["ps.approval.rule"].search([]).write({"active": False})
        model = env["ir.model"]._get("ps.request")
        self.rule = env["ps.approval.rule"].create({
            "name": "Bench: requests above 1000", "model_id": model.id,
            "amount_field_id": env["ir.model.fields"]._get("ps.request", "amount").id,
            "amount_threshold": 1000,
            "tier_ids": [
                Command.create({"name": "Manager", "step": 1, "approver_type": "manager"}),
                Command.create({"name": "Finance", "step": 2, "approver_type": "group",
                                "group_id": group.id, "quorum": 2}),
            ],
        })
        self.cr.commit()

    def create_requests(self, count, **extra):
        vals = [{"title": f"Bench {i}", "amount": 1500 + i % 100, **extra}
                for i in range(count)]
        Request = self.env["ps.request"].with_user(self.requester)
        records = Request.browse()
        for start in range(0, count, 5000):
            records |= Request.create(vals[start:start + 5000])
            self.env.flush_all()
        return records

    # ------------------------------------------------------------------
    def bench_request(self):
        print("\n== Approval request: cost per document ==")
        # (a) as the data grows: batches of 200 documents sent for approval, one
        # transaction each, until 20,000 documents are in approval; the cost of the first
        # and of the last batch is compared (flat means it does not grow with the data)
        total = 2000 if self.quick else 20000
        batch = 200
        samples = {}
        # warm-up, not measured: the first call of a process fills the registry caches
        # (rules of the model, access rules, parameters)
        self.create_requests(20).with_env(self.env(user=self.requester.id)) \
            .action_ps_request_approval()
        self.cr.commit()
        for done in range(0, total, batch):
            docs = self.create_requests(batch).with_env(self.env(user=self.requester.id))
            self.cr.commit()
            self.env.invalidate_all()

            def request(docs=docs):
                docs.action_ps_request_approval()
                self.env.flush_all()
                self.env["ps.audit.log"]._flush_buffer()

            samples[done + batch] = timed(request) * 1000 / batch
            self.cr.commit()
        first = samples[batch]
        last = statistics.median(samples[n] for n in range(total - 4 * batch, total + 1, batch))
        self.report(f"approval request, batch of {batch}, {batch} docs in approval", first,
                    "ms/doc", target=1.0)
        self.report(f"approval request, batch of {batch}, {total:,} docs in approval "
                    "(median of last 5)", last,
                    "ms/doc", target=1.0, baseline=first,
                    note="(baseline: the first batch; flat is 1.0x)")
        # (b) one call on many documents at once
        sizes = (200, 2000) if self.quick else (200, 2000, 20000)
        for size in sizes:
            start = time.perf_counter()
            docs = self.create_requests(size)
            create_s = time.perf_counter() - start
            self.cr.commit()
            self.env.invalidate_all()
            docs = docs.with_env(self.env(user=self.requester.id))

            def request(docs=docs):
                docs.action_ps_request_approval()
                self.env.flush_all()
                self.env["ps.audit.log"]._flush_buffer()

            elapsed = timed(request)
            assert set(docs.mapped("ps_approval_state")) == {"pending"}
            self.cr.commit()
            self.report(f"approval request, one call on {size:,} documents",
                        elapsed * 1000 / size, "ms/doc", target=1.0,
                        baseline=create_s * 1000 / size,
                        note="(baseline: ORM create of the same documents)")

    def bench_pending(self):
        target_lines = 10000 if self.quick else 100000
        print(f"\n== My pending approvals with {target_lines:,} pending approvals ==")
        # 50 categories, each with its own manager: the tier's approver is a field of
        # the document, so pending approvals spread over 50 people
        env = self.env
        Users = env["res.users"]
        group_user = env.ref("ps_base.group_ps_user")
        managers = Users.create([{"name": f"bench_cat_mgr_{i}", "login": f"bench_cat_mgr_{i}",
                                  "groups_id": [Command.set(group_user.ids)]} for i in range(50)])
        categories = env["ps.request.category"].create(
            [{"name": f"Bench category {i}", "manager_id": m.id} for i, m in enumerate(managers)])
        self.rule.active = False
        env["ps.approval.rule"].create({
            "name": "Bench: category manager", "model_id": env["ir.model"]._get("ps.request").id,
            "domain": "[('title', '=like', 'Pending%')]",
            "tier_ids": [Command.create({"name": "Category manager", "approver_type": "field",
                                         "field_path": "category_id.manager_id"})],
        })
        existing = env["ps.approval.line"].search_count([("state", "=", "pending")])
        todo = max(target_lines - existing, 0)
        Request = env["ps.request"].with_user(self.requester)
        for start in range(0, todo, 10000):
            size = min(10000, todo - start)
            docs = Request.create([{"title": f"Pending {start + i}", "amount": 10,
                                    "category_id": categories[(start + i) % 50].id}
                                   for i in range(size)])
            docs.action_ps_request_approval()
            env.flush_all()
            env["ps.audit.log"]._flush_buffer()
            self.cr.commit()
            env.invalidate_all()
        self.cr.execute("ANALYZE ps_approval_line")
        total = env["ps.approval.line"].search_count([("state", "=", "pending")])
        approver = managers[7]
        Line = env["ps.approval.line"].with_user(approver)
        domain = [("user_id", "=", approver.id), ("state", "=", "pending")]
        fields_ = ["res_name", "rule_id", "tier_id", "requester_id", "deadline", "state"]

        def inbox():
            env.invalidate_all()
            Line.search_fetch(domain, fields_, limit=80)
            Line.search_count(domain)

        inbox()  # warm caches
        indexed = timed(inbox, repeat=7)

        def scan():
            self.cr.execute("SET LOCAL enable_indexscan = off")
            self.cr.execute("SET LOCAL enable_bitmapscan = off")
            inbox()

        with self.cr.savepoint(flush=False):
            baseline = timed(scan, repeat=3)
        self.cr.rollback()
        self.report(f"my pending approvals ({total:,} pending, list + count)",
                    indexed * 1000, "ms", target=50.0, baseline=baseline * 1000,
                    note="(baseline: same query without indexes)")
        docs = env["ps.request"].with_user(approver)

        def documents_to_review():
            env.invalidate_all()
            docs.search([("ps_approval_can_review", "=", True)], limit=80)

        self.report("documents 'to review' search (same data)",
                    timed(documents_to_review, repeat=7) * 1000, "ms", target=50.0)

    def bench_audit(self):
        count = 1000
        print(f"\n== Audit overhead on {count} timesheet writes ==")
        env = self.env(context={})
        Line = env["account.analytic.line"]
        if not getattr(Line, "_ps_audit_fields", None):
            print("account.analytic.line is not audited (ps_billing_readiness missing)")
            self.failures.append("audit")
            return
        project = env["project.project"].create({"name": "Bench project"})
        task = env["project.task"].create({"name": "Bench task", "project_id": project.id})
        employee = env["hr.employee"].search([("user_id", "=", env.uid)], limit=1) or \
            env["hr.employee"].create({"name": "Bench admin", "user_id": env.uid})
        lines = Line.with_context(ps_audit_skip=True).create([{
            "name": f"Work {i}", "project_id": project.id, "task_id": task.id,
            "employee_id": employee.id, "unit_amount": 1.0, "date": "2026-01-05",
        } for i in range(count)])
        self.cr.commit()

        lines = lines.with_env(env)

        def writes(context, offset, commit_each):
            def run():
                for i, line in enumerate(lines.with_context(**context)):
                    line.write({"unit_amount": 1.0 + ((i + offset) % 7) * 0.25,
                                "name": f"Work {i} v{offset}"})
                    if commit_each:
                        self.cr.commit()  # its own transaction, as from the web client
                    else:
                        env.flush_all()  # the SQL of each write, without the commit
                self.cr.commit()
            return run

        for commit_each, label in ((False, "in one transaction"),
                                   (True, "one transaction each")):
            plain, audited = [], []
            for round_ in range(3):
                offset = 10 * commit_each + 2 * round_
                plain.append(timed(writes({"ps_audit_skip": True}, offset + 1, commit_each)))
                audited.append(timed(writes({}, offset + 2, commit_each)))
            plain_s, audited_s = statistics.median(plain), statistics.median(audited)
            print(f"   {label}: without audit {plain_s * 1000 / count:.3f} ms/write, "
                  f"with audit {audited_s * 1000 / count:.3f} ms/write")
            self.report(f"audit overhead, {count} timesheet writes, {label}",
                        audited_s / plain_s, "x", target=1.3,
                        note="(ratio to the same writes without audit)")
        self.cr.execute(SQL("SELECT count(*) FROM ps_audit_log WHERE res_model = %s",
                            "account.analytic.line"))
        print(f"   {self.cr.fetchone()[0]} timesheet entries journaled (old and new values)")
        result = env["ps.audit.log"]._verify_chain()
        print(f"   chain verification: {'intact' if result['ok'] else result}, "
              f"{result['checked']} entries")
        if not result["ok"]:
            self.failures.append("chain")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--db-host", default=None)
    parser.add_argument("--db-port", default=None)
    parser.add_argument("--db-user", default=None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    options = [f"--addons-path={args.addons_path}", "--log-level=warn"]
    for opt, value in (("db_host", args.db_host), ("db_port", args.db_port),
                       ("db_user", args.db_user)):
        if value:
            options.append(f"--{opt}={value}")
    odoo.tools.config.parse_config(options)
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        bench = Bench(env, args.quick)
        print(f"ps_base benchmark on {args.database} (PostgreSQL, "
              f"{'quick' if args.quick else 'full'} sizes)")
        bench.setup()
        bench.bench_request()
        bench.bench_audit()
        bench.bench_pending()
        cr.rollback()
    print()
    if bench.failures:
        print("targets missed: " + ", ".join(bench.failures))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
