"""Summarise the logs of Odoo's own test runs for `make test-odoo` (tools/run_odoo_tests.sh).

Usage: python3 tools/odoo_test_report.py [--tsv FILE] [--rerun TEST=LOG ...] PASS HOLDS KNOWN
           MODULE=LOG[=SECONDS] ...
       python3 tools/odoo_test_report.py --browser-failures MODULE=LOG ...

Reads each Odoo log (one per module, run with --test-tags), finds the tests Odoo reported as
FAIL or ERROR and the "N failed, M error(s) of K tests" line, and prints per module the
counts, then every failing test id with the first line of its error (also written to FILE,
tab-separated: module, test id, FAIL/ERROR, first line, held or not).

KNOWN (a file) lists Odoo tests that fail here without the suite too (the vanilla pass shows it):
they are allowed in every pass.
PASS "archived" (every approval rule archived): any other failure fails the run.
PASS "vanilla" (the Odoo modules without the suite): likewise.
PASS "policies" (default policies active): a failure fails the run unless its test id is
listed in HOLDS (a file: a deliberate hold of a policy); listed holds that passed are reported.
--rerun: a browser test (a tour) that failed is run once more, alone, on a fresh copy of the
database (LOG); passing then, it is reported as flaky with its first failure, not counted
(browser tours race with the requests the page still sends; a real failure fails again).
--browser-failures prints the ids of the failed browser tests of the logs, one a line.
An ERROR line logged outside a test (a request that failed) is shown with the last exception
line of its traceback.
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


def with_exception(others, other):
    """Completes the ERROR line ``other`` ([index in others, traceback lines]) with the
    exception its traceback ends on (a request's traceback says what actually failed).
    Returns None: the line is done."""
    if other is not None and any(EXCEPTION_RE.match(line) for line in other[1]):
        others[other[0]] += f" <- {first_error_line(other[1])[:250]}"


def finish(current, browser):
    """(test id, flavour, first line) of a failed test; a tour that failed before its
    browser said anything (its test cursor or its login, in ``browser_js``) is a browser
    test too, run again alone like the others."""
    test, flavour, lines = current
    first_line = first_error_line(lines)
    if test not in browser and any(" in browser_js" in line or " in start_tour" in line
                                   for line in lines):
        browser[test] = f"the browser test stopped before its tour ran: {first_line}"
    return test, flavour, first_line


def parse_log(path):
    """Returns (totals or None, [(test_id, flavour, first line)], [other ERROR lines]).
    A browser test's first line is completed with what the browser reported first (the tour
    step that failed, the JS error), which its AssertionError does not say."""
    failures, others, totals = [], [], None
    browser = {}  # test id -> first ERROR line the browser of that test logged
    current = None  # [test_id, flavour, traceback lines]
    other = None  # [index in others, traceback lines] of the last ERROR line outside a test
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = raw.rstrip("\n")
            record = RECORD_RE.match(line)
            if not record:
                if current is not None:
                    current[2].append(line)
                elif other is not None:
                    other[1].append(line)
                continue
            if current is not None:
                failures.append(finish(current, browser))
                current = None
            other = with_exception(others, other)
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
                other = [len(others) - 1, []]
    if current is not None:
        failures.append(finish(current, browser))
    merged = {}  # one entry a test: its failing subtests are counted, the first one shown
    for test, flavour, first_line in failures:
        if test in merged:
            merged[test][2] += 1
            continue
        if test in browser:
            first_line = f"{first_line[:120]} | browser: {browser[test][:250]}"
        merged[test] = [flavour, first_line, 1]
    failures = [
        (test, flavour, first_line if count == 1 else f"({count} subtests) {first_line}")
        for test, (flavour, first_line, count) in merged.items()
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


class Report:
    """What the logs of one pass say, module by module."""

    def __init__(self, holds):
        self.holds = holds
        self.total_tests = self.total_bad = 0
        self.unexpected, self.held, self.problems, self.warnings = [], [], [], []
        self.flaky = []  # browser tests that failed once and passed when run again
        self.modules_run = set()

    def add_module(self, module, log_path, seconds):
        self.modules_run.add(module)
        totals, failures, others = parse_log(log_path)
        if totals is None:
            self.problems.append(f"{module}: Odoo printed no test totals (crashed? {log_path})")
            print(f"{module:<18}{'?':>7}{'?':>8}{'?':>8}{duration(seconds):>9}")
        else:
            print(f"{module:<18}{totals['tests']:>7}{totals['failed']:>8}{totals['errors']:>8}"
                  f"{duration(seconds):>9}")
            self.total_tests += totals["tests"]
            self.total_bad += totals["failed"] + totals["errors"]
            if totals["failed"] + totals["errors"] and not failures:
                self.problems.append(f"{module}: failures counted but none found in {log_path}")
            if totals["tests"] == 0:
                self.problems.append(f"{module}: no test ran (see {log_path})")
        for test, flavour, first_line in failures:
            entry = (module, test, flavour, first_line)
            (self.held if test in self.holds else self.unexpected).append(entry)
        for line in others:
            # The script's own checks (rules active again) fail the run; any other ERROR line
            # outside a test result (a tour's late "Failed to fetch", ...) is shown, not counted.
            if " run_odoo_tests: " in line:
                self.problems.append(f"{module}: {line}")
            else:
                self.warnings.append(f"{module}: logged {line}")
        if others or failures:
            print(f"{'':<18}log: {log_path}")

    def rerun(self, reruns):
        """``reruns``: {test id: log of the test run again alone}. A browser test (a tour)
        that failed and passed when run again is not counted as failing: it is listed with
        its first failure, as flaky. Failing again, it stays a failure."""
        # an allowed failure (a hold, a failure of Odoo's own) is allowed however it ends
        for entry in list(self.unexpected):
            module, test, _flavour, _first_line = entry
            if test not in reruns:
                continue
            totals, failures, _others = parse_log(reruns[test])
            passed = totals is not None and totals["tests"] > 0 \
                and not totals["failed"] and not totals["errors"] and not failures
            if passed:
                self.unexpected.remove(entry)
                self.flaky.append(entry)
                self.total_bad -= 1
            else:
                self.problems.append(f"{module}: {test} failed again when run alone"
                                     f" ({reruns[test]})")

    def stale_holds(self):
        failing = {test for _, test, _, _ in self.held + self.unexpected}
        return [test for test in self.holds
                if module_of(test) in self.modules_run and test not in failing]

    def write_tsv(self, path):
        with open(path, "w", encoding="utf-8") as tsv:
            for entries, kind in ((self.held, "held"), (self.unexpected, "unexpected")):
                for module, test, flavour, first_line in entries:
                    tsv.write("\t".join((module, test, flavour, first_line, kind)) + "\n")

    def print_details(self, pass_name, holds_path, known_path):
        if self.held:
            print(f"\nAllowed failures (policy holds in {holds_path}, Odoo's own in {known_path}):")
            for module, test, flavour, first_line in self.held:
                print(f"  [{module}] {flavour} {test}\n      {first_line}"
                      f"\n      allowed: {self.holds[test]}")
        if self.unexpected:
            print("\nFailing tests" + (" not listed as holds:" if pass_name == "policies"
                                       else ":"))
            for module, test, flavour, first_line in self.unexpected:
                print(f"  [{module}] {flavour} {test}\n      {first_line}")
        if self.flaky:
            print("\nBrowser tests that failed, then passed when run again alone (not counted;"
                  " the first failure):")
            for module, test, flavour, first_line in self.flaky:
                print(f"  [{module}] {flavour} {test}\n      {first_line}")
        for title, lines in (
            ("ERROR lines logged outside the test results (not counted):", self.warnings),
            ("Other problems:", self.problems),
            (f"Listed holds or known failures that passed (remove them from {holds_path}"
             f" or {known_path}):",
             [f"{test}  # {self.holds[test]}" for test in self.stale_holds()]),
        ):
            if lines:
                print(f"\n{title}")
                for line in lines:
                    print(f"  {line}")


def browser_failures(runs):
    """Test ids of the browser tests (tours) that failed in the logs, one a line."""
    for run in runs:
        _module, log_path, *_rest = run.split("=")
        _totals, failures, _others = parse_log(log_path)
        for test, _flavour, first_line in failures:
            if " | browser: " in first_line or "The test code" in first_line:
                print(test)
    return 0


def main(argv):
    if argv[:1] == ["--browser-failures"]:
        return browser_failures(argv[1:])
    tsv_path, reruns = None, {}
    while argv[:1] in (["--tsv"], ["--rerun"]):
        if argv[0] == "--tsv":
            tsv_path = argv[1]
        else:
            test, _sep, log_path = argv[1].partition("=")
            reruns[test] = log_path
        argv = argv[2:]
    pass_name, holds_path, known_path, runs = argv[0], argv[1], argv[2], argv[3:]
    allowed = {test: f"known: {why}" for test, why in read_holds(known_path).items()}
    if pass_name == "policies":
        allowed.update(read_holds(holds_path))
    report = Report(allowed)
    print(f"\n=== Odoo's own tests, pass '{pass_name}'")
    print(f"{'module':<18}{'tests':>7}{'failed':>8}{'errors':>8}{'time':>9}")
    for run in runs:
        module, log_path, *rest = run.split("=")
        report.add_module(module, log_path, float(rest[0]) if rest and rest[0] else None)
    report.rerun(reruns)
    report.print_details(pass_name, holds_path, known_path)
    if tsv_path:
        report.write_tsv(tsv_path)
    ok = not report.unexpected and not report.problems
    print(f"\npass '{pass_name}': {'OK' if ok else 'FAILED'}: {report.total_tests} tests,"
          f" {report.total_bad} failed or in error ({len(report.held)} allowed,"
          f" {len(report.unexpected)} unexpected, {len(report.flaky)} flaky browser tests,"
          f" {len(report.stale_holds())} stale allowances,"
          f" {len(report.problems)} other problems)")
    print(f"{pass_name}: {report.total_tests - report.total_bad} passed,"
          f" {report.total_bad} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
