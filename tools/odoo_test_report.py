"""Summarise the logs of Odoo's own test runs for `make test-odoo` (tools/run_odoo_tests.sh).

Usage: python3 tools/odoo_test_report.py [--tsv FILE] PASS HOLDS_FILE MODULE=LOG[=SECONDS] ...

Reads each Odoo log (one per module, run with --test-tags), finds the tests Odoo reported as
FAIL or ERROR and the "N failed, M error(s) of K tests" line, and prints per module the
counts, then every failing test id with the first line of its error (also written to FILE,
tab-separated: module, test id, FAIL/ERROR, first line, held or not).

PASS "archived" (every approval rule archived): any failure fails the run.
PASS "vanilla" (the Odoo modules without the suite): likewise.
PASS "policies" (default policies active): a failure fails the run unless its test id is
listed in HOLDS_FILE (a deliberate hold of a policy); listed holds that passed are reported.
Exit status: 0 when nothing unexpected failed, 1 otherwise. Standard library only.
"""

import re
import sys

# 2026-01-01 10:00:00,123 4242 ERROR dbname odoo.addons.sale.tests.test_x: FAIL: TestX.test_y
RECORD_RE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) "
    r"(?P<logger>[\w.]+): (?P<message>.*)$"
)
TEST_RE = re.compile(r"^(?P<flavour>FAIL|ERROR): (?P<description>.+)$")
TOTALS_RE = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<tests>\d+) tests"
    r" when loading database"
)
EXCEPTION_RE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Failure|Warning|Exit|Interrupt)\b")
# ERROR lines that only repeat what the test results already say.
ECHO_RE = re.compile(
    r"^(Module \w+: \d+ failures?|At least one test failed|\d+ failed, \d+ error\(s\) of)"
    r"|^Test suite halted"
)


def test_id(logger, description):
    """Odoo logs 'Class.method' under the test module's logger, a subtest as
    'Subtest Class.method (params)' and a class-level error as 'setUpClass (module.Class)'."""
    description = description.strip()
    match = re.match(r"^Subtest ([\w.]+)", description)
    if match:
        return f"{logger}.{match.group(1)}"
    match = re.match(r"^(\w+) \(([\w.]+)\)", description)
    if match:
        return f"{match.group(2)}.{match.group(1)}"
    match = re.match(r"^([\w.]+)", description)
    if match and logger.startswith("odoo.addons."):
        return f"{logger}.{match.group(1)}"
    return f"{logger}: {description}"


def first_error_line(traceback_lines):
    """The exception line of a traceback (the last one, for chained exceptions)."""
    found = None
    for line in traceback_lines:
        if EXCEPTION_RE.match(line):
            found = line
    if found is None:
        found = next((line for line in reversed(traceback_lines) if line.strip()), "")
    return found.strip()[:300]


def parse_log(path):
    """Returns (totals or None, [(test_id, flavour, first line)], [other ERROR lines]).
    A browser test's first line is completed with what the browser reported first (the tour
    step that failed, the JS error), which its AssertionError does not say."""
    failures, others, totals = [], [], None
    browser = {}  # test id -> first ERROR line the browser of that test logged
    current = None  # [test_id, flavour, traceback lines]
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = raw.rstrip("\n")
            record = RECORD_RE.match(line)
            if not record:
                if current is not None:
                    current[2].append(line)
                continue
            if current is not None:
                failures.append((current[0], current[1], first_error_line(current[2])))
                current = None
            message = record.group("message")
            totals_match = TOTALS_RE.search(message)
            if totals_match:
                totals = {k: int(v) for k, v in totals_match.groupdict().items()}
                continue
            if record.group("level") not in ("ERROR", "CRITICAL"):
                continue
            test_match = TEST_RE.match(message)
            if test_match:
                current = [
                    test_id(record.group("logger"), test_match.group("description")),
                    test_match.group("flavour"),
                    [],
                ]
            elif not ECHO_RE.search(message):
                logger = record.group("logger")
                if logger.endswith(".browser"):
                    browser.setdefault(logger.removesuffix(".browser"), message)
                others.append(f"{record.group('level')} {record.group('logger')}: {message}"[:300])
    if current is not None:
        failures.append((current[0], current[1], first_error_line(current[2])))
    failures = [
        (test, flavour, f"{first_line[:120]} | browser: {browser[test][:250]}"
         if test in browser else first_line)
        for test, flavour, first_line in failures
    ]
    return totals, failures, others


def read_holds(path):
    """One Odoo test id a line, then '#' and the policy holding it; blank lines and comment
    lines are ignored."""
    holds = {}
    try:
        with open(path, encoding="utf-8") as holds_file:
            for number, line in enumerate(holds_file, 1):
                entry, _, comment = line.partition("#")
                entry = entry.strip()
                if not entry:
                    continue
                if not comment.strip():
                    print(f"WARNING: {path}:{number}: hold {entry} says no policy (# ...)")
                holds[entry] = comment.strip()
    except FileNotFoundError:
        pass
    return holds


def module_of(test):
    match = re.match(r"^odoo\.addons\.(\w+)\.", test)
    return match.group(1) if match else None


def duration(seconds):
    if seconds is None:
        return "?"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def main(argv):
    tsv_path = None
    if argv[:1] == ["--tsv"]:
        tsv_path, argv = argv[1], argv[2:]
    pass_name, holds_path, runs = argv[0], argv[1], argv[2:]
    holds = read_holds(holds_path) if pass_name == "policies" else {}
    total_tests = total_bad = 0
    unexpected, held, problems, warnings = [], [], [], []
    modules_run = set()
    print(f"\n=== Odoo's own tests, pass '{pass_name}'")
    print(f"{'module':<18}{'tests':>7}{'failed':>8}{'errors':>8}{'time':>9}")
    for run in runs:
        module, log_path, *rest = run.split("=")
        seconds = float(rest[0]) if rest and rest[0] else None
        modules_run.add(module)
        totals, failures, others = parse_log(log_path)
        if totals is None:
            problems.append(f"{module}: Odoo printed no test totals (crashed? see {log_path})")
            print(f"{module:<18}{'?':>7}{'?':>8}{'?':>8}{duration(seconds):>9}")
        else:
            print(f"{module:<18}{totals['tests']:>7}{totals['failed']:>8}{totals['errors']:>8}"
                  f"{duration(seconds):>9}")
            total_tests += totals["tests"]
            total_bad += totals["failed"] + totals["errors"]
            if totals["failed"] + totals["errors"] and not failures:
                problems.append(f"{module}: failures counted but none found in {log_path}")
        if totals is not None and totals["tests"] == 0:
            problems.append(f"{module}: no test ran (see {log_path})")
        for test, flavour, first_line in failures:
            entry = (module, test, flavour, first_line)
            (held if test in holds else unexpected).append(entry)
        for line in others:
            # The script's own checks (rules active again) fail the run; any other ERROR line
            # outside a test result (a tour's late "Failed to fetch", ...) is shown, not counted.
            if " run_odoo_tests: " in line:
                problems.append(f"{module}: {line}")
            else:
                warnings.append(f"{module}: logged {line}")
        if others or failures:
            print(f"{'':<18}log: {log_path}")

    if held:
        print(f"\nHeld by a policy (listed in {holds_path}):")
        for module, test, flavour, first_line in held:
            print(f"  [{module}] {flavour} {test}\n      {first_line}\n      hold: {holds[test]}")
    if unexpected:
        print("\nFailing tests" + (" not listed as holds:" if pass_name == "policies" else ":"))
        for module, test, flavour, first_line in unexpected:
            print(f"  [{module}] {flavour} {test}\n      {first_line}")
    if warnings:
        print("\nERROR lines logged outside the test results (not counted):")
        for warning in warnings:
            print(f"  {warning}")
    if problems:
        print("\nOther problems:")
        for problem in problems:
            print(f"  {problem}")
    if tsv_path:
        with open(tsv_path, "w", encoding="utf-8") as tsv:
            for entries, kind in ((held, "held"), (unexpected, "unexpected")):
                for module, test, flavour, first_line in entries:
                    tsv.write("\t".join((module, test, flavour, first_line, kind)) + "\n")
    failing_ids = {test for _, test, _, _ in held + unexpected}
    stale = [t for t in holds if module_of(t) in modules_run and t not in failing_ids]
    if stale:
        print(f"\nListed holds that no longer fail (remove them from {holds_path}):")
        for test in stale:
            print(f"  {test}  # {holds[test]}")
    ok = not unexpected and not problems
    verdict = "OK" if ok else "FAILED"
    print(f"\npass '{pass_name}': {verdict}: {total_tests} tests, {total_bad} failed or in error"
          f" ({len(held)} held by policies, {len(unexpected)} unexpected,"
          f" {len(stale)} stale holds, {len(problems)} other problems)")
    print(f"{pass_name}: {total_tests - total_bad} passed, {total_bad} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
