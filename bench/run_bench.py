"""Benchmark driver of the PS suite (`make bench`, see bench/README.md).

Runs the scenarios of bench/scenarios/ one after the other against up to three databases
prepared by tools/run_bench.sh, all on the same machine in the same run:
  --database         the suite installed (its default policies)
  --plain-database   the same Odoo modules without the suite (standard-work baseline)
  --peer-database    the same Odoo modules plus OCA base_tier_validation, sale_tier_validation
                     and auditlog (installed with pip into a bench-only folder, --peers-path)
A scenario whose database or addon is missing is skipped with its reason, never crashed.
Each measured operation prints its time, query count, ratio to the SQL floor and to the peer,
target and verdict; then the whole table, the scaling flags, and a JSON file (--json).
Exit status: non-zero when a scenario crashed or a correctness check failed (FAIL: a
webhook lost or duplicated); missed targets (MISS) are verdicts, not errors.

Usage: python3 bench/run_bench.py --database DB --addons-path PATH
           [--plain-database DB] [--peer-database DB] [--peers-path DIR]
           [--quick] [--large] [--only engine,audit,...] [--json FILE]
"""
import argparse
import contextlib
import importlib
import os
import sys
import time
import traceback

import odoo
from odoo import api

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import Results, Skip  # noqa: E402

SCENARIOS = ("engine", "audit", "standard_work", "handoff", "staffing", "billing",
             "governance")
OPTIONAL = ("firm",)  # run with --only firm, or first with --large
BENCH_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
                 "no_reset_password": True, "mail_auto_subscribe_no_notify": True}


class Context:
    """What a scenario gets: the sizes (quick / default / large), the results, and a
    superuser environment on each database, opened on demand."""

    def __init__(self, args, results):
        self.args = args
        self.quick = args.quick
        self.large = args.large
        self.results = results
        self.databases = {"suite": args.database, "plain": args.plain_database,
                          "peer": args.peer_database}

    def size(self, quick, default, large=None):
        if self.quick:
            return quick
        if self.large and large is not None:
            return large
        return default

    @contextlib.contextmanager
    def env(self, which, context=None):
        """Superuser environment on one database; the cursor is committed by the scenario
        where it wants data to persist and rolled back at the end."""
        dbname = self.databases.get(which)
        if not dbname:
            raise Skip(f"no --{which}-database given (tools/run_bench.sh prepares it)")
        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            # commits without waiting for the disk: on a shared machine the fsync of each
            # commit is noise of other processes, not cost of the code measured
            cr.execute("SET synchronous_commit TO off")
            env = api.Environment(cr, odoo.SUPERUSER_ID, dict(BENCH_CONTEXT, **(context or {})))
            try:
                yield env
            finally:
                cr.rollback()

    @staticmethod
    def require(env, *names):
        """Skip unless these models / methods exist: 'model' or 'model.method'."""
        for name in names:
            model, _dot, method = name.partition(":")
            if model not in env:
                raise Skip(f"model {model} is not installed in {env.cr.dbname}")
            if method and not hasattr(env[model], method):
                raise Skip(f"{model} has no method {method} in the committed code")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="database with the suite installed")
    parser.add_argument("--plain-database", help="same Odoo modules, without the suite")
    parser.add_argument("--peer-database", help="same Odoo modules + OCA peers")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--peers-path", default="",
                        help="folder of the pip-installed OCA peers (<target>/odoo/addons)")
    parser.add_argument("--db-host", default=None)
    parser.add_argument("--db-port", default=None)
    parser.add_argument("--db-user", default=None)
    parser.add_argument("--db-password", default=None)
    parser.add_argument("--data-dir", default=None, help="Odoo's data directory (filestores)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, for a smoke run (a few minutes)")
    parser.add_argument("--large", action="store_true",
                        help="ten times the sizes: 200,000 documents in approval, 1,000,000 "
                             "pending approvals, 20,000 peer documents (an hour or more)")
    parser.add_argument("--only", default="",
                        help=f"comma-separated scenarios among {', '.join(SCENARIOS + OPTIONAL)}")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "results", "latest.json"),
        help="where to write the machine-readable results (default bench/results/latest.json)")
    parser.add_argument("--markdown", default="",
                        help="also write the table as markdown to this file")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    addons_path = ",".join(p for p in (args.addons_path, args.peers_path) if p)
    options = [f"--addons-path={addons_path}", "--log-level=warn"]
    for opt, value in (("db_host", args.db_host), ("db_port", args.db_port),
                       ("db_user", args.db_user), ("db_password", args.db_password),
                       ("data-dir", args.data_dir)):
        if value:
            options.append(f"--{opt}={value}")
    odoo.tools.config.parse_config(options)
    selected = [s.strip() for s in args.only.split(",") if s.strip()] or \
        (["firm"] if args.large else []) + list(SCENARIOS)
    unknown = set(selected) - set(SCENARIOS + OPTIONAL)
    if unknown:
        print(f"unknown scenarios: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = Results(args.quick)
    ctx = Context(args, results)
    size_label = "quick" if args.quick else ("large" if args.large else "default")
    print(f"PS suite benchmark ({size_label} sizes) on {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; suite db {args.database}, "
          f"plain db {args.plain_database or '-'}, peer db {args.peer_database or '-'}",
          flush=True)
    crashed = []
    for name in selected:
        module = importlib.import_module(f"scenarios.{name}")
        print(f"\n== {name}: {module.TITLE} ==", flush=True)
        started = time.perf_counter()
        try:
            module.run(ctx)
        except Skip as reason:
            results.skip(name, str(reason))
        except Exception:  # noqa: BLE001 - report every crash, run the other scenarios
            traceback.print_exc()
            crashed.append(name)
            results.skip(name, "CRASHED (traceback above)")
        elapsed = time.perf_counter() - started
        results.durations[name] = round(elapsed, 1)
        print(f"   ({name}: {elapsed:.0f} s)", flush=True)
    flags = results.check_scaling()
    print("\n== Results ==")
    print(results.table())
    print("\nScaling (per-item cost between two sizes 10x apart, limit 2x): "
          + ("; ".join(flags) if flags else "no operation grows more than 2x"))
    misses = [r["operation"] + f" ({r['size']:,})" for r in results.rows
              if "MISS" in r["verdict"]]
    print("Targets missed: " + ("; ".join(misses) if misses else "none"))
    if results.failures:
        print("Checks FAILED: " + "; ".join(results.failures))
    if results.skipped:
        print("Skipped: " + "; ".join(f"{s['scenario']}: {s['reason']}"
                                      for s in results.skipped))
    results.write_json(args.json, {"size": size_label, "databases": ctx.databases,
                                   "scaling_flags": flags, "crashed": crashed})
    print(f"JSON written to {args.json}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as out:
            out.write(results.markdown() + "\n")
    if crashed:
        print("crashed scenarios: " + ", ".join(crashed))
    return 1 if crashed or results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
