"""Audit overhead on timesheet writes: the suite's hash-chained audit trail (old and new
values) beside OCA auditlog in fast and full mode, each as a ratio to the same writes
without audit in its own database. 100 and 1,000 writes (quick: 20 and 200), in one
transaction and one transaction each (as from the web client). Floor: the same updates as
hand-written SQL."""
from benchlib import Skip, Target

from . import common

TITLE = "audit overhead on timesheet writes, beside OCA auditlog (fast, full)"
TARGET = Target("ratio", 1.2, "issue 6: audit 1.2x")
MODES = ((False, "one transaction"), (True, "one transaction each"))


def run(ctx):
    sizes = ctx.size((20, 200), (100, 1000))
    try:
        peer_auditlog(ctx, sizes)
    except Skip as reason:
        ctx.results.skip("audit / OCA auditlog", str(reason))
    with ctx.env("suite") as env:
        ctx.require(env, "account.analytic.line", "ps.audit.log")
        if not getattr(env["account.analytic.line"], "_ps_audit_fields", None):
            raise Skip("account.analytic.line is not audited by the suite "
                       "(ps_billing_readiness not installed)")
        for size in sizes:
            lines = common.timesheet_lines(env, size, "Audit")
            floor = common.timesheet_floor(env, lines)
            # one transaction each: commits dominate on this machine; the small size only
            for commit_each, label in MODES if size == sizes[0] or ctx.large else MODES[:1]:
                # alternately without and with audit, the best of each (the machine's
                # load moves between passes)
                plain_runs, audited_runs = [], []
                for round_ in range(1 if commit_each else 2):
                    with common.class_attribute(env, "account.analytic.line",
                                                "_ps_audit_fields", ()):
                        plain_runs.append(common.timesheet_writes(
                            env, lines, 10 * round_ + 1, commit_each, repeat=1))
                    audited_runs.append(common.timesheet_writes(
                        env, lines, 10 * round_ + 2, commit_each, repeat=1))
                plain_s, plain_q = min(plain_runs)
                audited_s, queries = min(audited_runs)
                ctx.results.add(f"suite audit: timesheet writes, {label}", size, audited_s,
                                queries, floor=floor, ratio=audited_s / plain_s,
                                ratio_name=f"no audit {plain_q:,} q", target=TARGET)
        env.cr.execute("SELECT count(*) FROM ps_audit_log WHERE res_model = "
                       "'account.analytic.line'")
        journaled = env.cr.fetchone()[0]
        result = env["ps.audit.log"]._verify_chain()
        ctx.results.note(f"{journaled:,} timesheet changes journaled (old and new values); "
                         f"chain {'intact' if result.get('ok') else 'BROKEN: ' + str(result)}")


def peer_auditlog(ctx, sizes):
    with ctx.env("peer") as env:
        ctx.require(env, "auditlog.rule", "account.analytic.line")
        Rule = env["auditlog.rule"]
        Rule.search([]).unsubscribe()
        rule = Rule.create({
            "name": "Bench timesheets", "log_type": "fast", "log_write": True,
            "log_create": True, "log_unlink": True, "log_read": False,
            "model_id": env["ir.model"]._get("account.analytic.line").id})
        env.cr.commit()
        for size in sizes:
            lines = common.timesheet_lines(env, size, "Auditlog")
            floor = common.timesheet_floor(env, lines)
            # auditlog costs up to 0.2 s a write here (full): the large size in one
            # transaction only, and in full mode only with --large
            large = size != sizes[0]
            for commit_each, label in MODES[:1] if large else MODES:
                plain_s, plain_q = common.timesheet_writes(env, lines, 1, commit_each)
                for log_type in ("fast", "full") if ctx.large or not large else ("fast",):
                    rule.write({"log_type": log_type})
                    rule.subscribe()
                    env.cr.commit()
                    seconds, queries = common.timesheet_writes(env, lines, 2, commit_each,
                                                               repeat=1)
                    rule.unsubscribe()
                    env.cr.commit()
                    ctx.results.add(f"OCA auditlog {log_type}: timesheet writes, {label}",
                                    size, seconds, queries, floor=floor,
                                    ratio=seconds / plain_s,
                                    ratio_name=f"no audit {plain_q:,} q", note="peer")
