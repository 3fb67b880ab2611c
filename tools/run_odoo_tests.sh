#!/usr/bin/env bash
# make test-odoo: Odoo's OWN tests of the modules the suite extends, run on a database where
# the six addons are installed (without demo data, as for make test). Two passes:
#   archived  every ps.approval.rule archived before the tests, and the two holds that are not
#             approval rules switched off (Readiness advisory only; no stage flagged Project
#             Started): every Odoo test must pass (the suite without its policies changes no
#             standard flow);
#   policies  the default policies active: a failure must be a deliberate hold listed in
#             ODOO_TEST_HOLDS (one Odoo test id a line, '# <policy>: why' after it); listed
#             holds that no longer fail are reported.
#
# How: the suite (plus the tested modules) is installed once into a template database without
# running any test; each module of each pass then runs in its own copy of it (CREATE DATABASE
# ... TEMPLATE, filestore copied), rules archived by SQL for the archived pass, with
#   odoo -d COPY --test-tags /MODULE --stop-after-init          (no -i, no -u)
# Without -i/-u, Odoo 18 runs the at_install tests of each module it loads that match the tags,
# at that module's place in the load order (odoo/modules/loading.py: `test_enable and
# (needs_update or not updating)`), then the post_install tests with the whole registry
# (odoo/service/server.py: preload_registries). `-u MODULE` would run the same tests at the
# same places, after updating MODULE and every addon above it (ps_approvals included): slower,
# for nothing. Nothing updates the data, so archived rules stay archived (checked after each run).
# At its place in the load order an at_install test of `sale` runs without the Python code of
# the addons above it (the suite) but on their columns and data: neither Odoo alone nor Odoo with
# the suite. So by default (ODOO_TEST_AT_INSTALL=registry) tools/odoo_test_runner.py runs the
# at_install tests too once the whole registry is loaded; ODOO_TEST_AT_INSTALL=native runs
# plain Odoo, which is what an update (-u sale) of a database with the suite would run.
#
#   ODOO_TEST_PASS      archived | policies | both (default both), or vanilla: the Odoo modules
#                       alone, without the suite (to tell the suite's failures from Odoo's own)
#   ODOO_TEST_MODULES   comma-separated Odoo modules whose tests run (default below)
#   ODOO_TEST_HOLDS     the holds file (default tools/odoo_test_holds.txt)
#   ODOO_TEST_KNOWN     Odoo tests that fail here WITHOUT the suite too, allowed in every pass
#                       (default tools/odoo_test_known_failures.txt; ODOO_TEST_PASS=vanilla
#                       re-checks them)
#   ODOO_TEST_ACCOUNT_FILES  space-separated globs of account/tests files to run (account's
#                       whole suite is ~750 tests; default: moves, payments, reconciliation,
#                       bank statements)
#   ODOO_TEST_TAGS      Odoo --test-tags run once (reported as "selected") instead of the
#                       per-module selection, to re-run a few tests; ODOO_TEST_MODULES still
#                       says what to install: ODOO_TEST_TAGS=/sale:TestSaleFlow,/project:TestX
#   ODOO_TEST_AT_INSTALL  registry (default) | native: see above
#   ODOO_TEST_TIMEOUT   seconds one module may take before it is stopped (default 3600)
#   ODOO_TEST_BROWSER_RERUNS  browser tests (tours) of a module that, having failed, run once
#                       more alone on a fresh copy (default 3, 0: none): the report lists one
#                       that passes then as flaky, with its first failure; failing again, it
#                       fails the pass. Tours race with requests the page still sends.
# Logs: .cache/logs/<database>/<pass>-<module>.log (the newest 5 runs are kept).
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
resolve_addons_path

DEFAULT_ODOO_TEST_MODULES="sale,sale_management,sale_margin,sale_project,sale_timesheet,project,hr_timesheet,hr_expense,account"
ODOO_TEST_PASS="${ODOO_TEST_PASS:-both}"
ODOO_TEST_MODULES="${ODOO_TEST_MODULES:-$DEFAULT_ODOO_TEST_MODULES}"
ODOO_TEST_HOLDS="${ODOO_TEST_HOLDS:-$REPO_ROOT/tools/odoo_test_holds.txt}"
ODOO_TEST_KNOWN="${ODOO_TEST_KNOWN:-$REPO_ROOT/tools/odoo_test_known_failures.txt}"
ODOO_TEST_ACCOUNT_FILES="${ODOO_TEST_ACCOUNT_FILES:-test_account_move_*.py test_account_payment*.py test_account_move_reconcile.py test_reconciliation*.py test_account_bank_statement*.py}"
ODOO_TEST_TIMEOUT="${ODOO_TEST_TIMEOUT:-3600}"
ODOO_TEST_AT_INSTALL="${ODOO_TEST_AT_INSTALL:-registry}"
ODOO_TEST_BROWSER_RERUNS="${ODOO_TEST_BROWSER_RERUNS:-3}"

case "$ODOO_TEST_PASS" in
    archived | policies | vanilla) passes=("$ODOO_TEST_PASS") ;;
    both) passes=(archived policies) ;;
    *) die "ODOO_TEST_PASS must be archived, policies, both or vanilla, not '$ODOO_TEST_PASS'" ;;
esac
case "$ODOO_TEST_AT_INSTALL" in
    registry) odoo_cmd=("$PYTHON" "$REPO_ROOT/tools/odoo_test_runner.py") ;;
    native) odoo_cmd=("$PYTHON" -m odoo) ;;
    *) die "ODOO_TEST_AT_INSTALL must be registry or native, not '$ODOO_TEST_AT_INSTALL'" ;;
esac
IFS=, read -r -a modules <<<"$ODOO_TEST_MODULES"
[ "${#modules[@]}" -gt 0 ] || die "ODOO_TEST_MODULES is empty"
check_modules_present "$ODOO_TEST_MODULES"

# The folder of an addon in ADDONS_PATH.
module_dir() {
    local dir
    local -a dirs
    IFS=, read -r -a dirs <<<"$ADDONS_PATH"
    for dir in "${dirs[@]}"; do
        if [ -f "$dir/$1/__manifest__.py" ]; then
            printf '%s\n' "$dir/$1"
            return
        fi
    done
}

# --test-tags for one module: /module, or for account the selected test files.
module_test_tags() {
    local module="$1" pattern file tags=()
    if [ "$module" = selected ]; then
        printf '%s\n' "$ODOO_TEST_TAGS"
        return
    fi
    if [ "$module" != account ]; then
        printf '/%s\n' "$module"
        return
    fi
    local tests_dir
    tests_dir="$(module_dir account)/tests"
    for pattern in $ODOO_TEST_ACCOUNT_FILES; do
        for file in "$tests_dir"/$pattern; do
            if [ -f "$file" ]; then tags+=("/account/tests/$(basename "$file")"); fi
        done
    done
    [ "${#tags[@]}" -gt 0 ] || die "no account test file matches ODOO_TEST_ACCOUNT_FILES"
    (IFS=,; printf '%s\n' "${tags[*]}")
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
    && ! command -v google-chrome >/dev/null 2>&1; then
    die "Chromium is needed for Odoo's browser tests (Debian: apt-get install chromium)."
fi

start_throwaway_db ps_odoo_tests
RUN_LOG_DIR="$LOG_DIR/$DB"
mkdir -p "$RUN_LOG_DIR"
# Keep the log folders of the newest 5 runs.
find "$LOG_DIR" -maxdepth 1 -type d -name 'ps_odoo_tests_*' -printf '%T@ %p\n' | sort -rn \
    | tail -n +6 | cut -d' ' -f2- | while IFS= read -r old; do rm -rf -- "$old"; done

COPIES=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup_odoo_tests() {
    local copy
    for copy in "${COPIES[@]}"; do
        drop_db "$copy" ${DEFAULT_DATA_DIR:+"$DEFAULT_DATA_DIR/filestore/$copy"}
    done
    cleanup_throwaway_db
}
trap cleanup_odoo_tests EXIT

# The suite and the tested modules (vanilla: those alone), without demo data or any test.
install_list="$PS_MODULES,$ODOO_TEST_MODULES"
if [ "$ODOO_TEST_PASS" = vanilla ]; then
    # The Odoo modules the suite depends on (so the same ones end up installed), not the suite.
    install_list="$ODOO_TEST_MODULES,$("$PYTHON" - "$REPO_ROOT/addons" "$PS_MODULES" <<'PY'
import ast, pathlib, sys
addons, suite = pathlib.Path(sys.argv[1]), sys.argv[2].split(",")
depends = set()
for module in suite:
    manifest = ast.literal_eval((addons / module / "__manifest__.py").read_text())
    depends.update(manifest.get("depends", []))
print(",".join(sorted(depends - set(suite))))
PY
)"
fi
install_modules_without_demo "$DB" "$install_list" "$DATA_DIR" "$RUN_LOG_DIR/install.log"
db_args

# The holds of the suite that are not approval rules, switched off as README's "What changes
# from plain Odoo" says: Create Invoice on a blocked order (ps_billing_readiness: *Readiness
# advisory only*) and the start of a project whose handoff is incomplete (ps_handoff: the
# stages' *Project Started* flag). A module that is not installed has no table: skipped.
switch_off_other_holds() {
    psql -X -w -q -d "$1" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DO $$
BEGIN
    IF to_regclass('ps_billing_readiness') IS NOT NULL THEN
        INSERT INTO ir_config_parameter (key, value, create_date, write_date)
        VALUES ('ps_billing_readiness.readiness_advisory_only', 'True', now(), now())
        ON CONFLICT (key) DO UPDATE SET value = 'True';
    END IF;
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_name = 'project_project_stage' AND column_name = 'ps_start_gate') THEN
        UPDATE project_project_stage SET ps_start_gate = false WHERE ps_start_gate;
    END IF;
END $$;
SQL
    log "[archived] $1: readiness advisory only, no stage starts a project"
}

# A copy of $DB and its filestore for one run; in the archived pass, every approval rule
# archived and the other holds switched off.
prepare_copy() {
    local copy="$1" pass="$2" label="$3" archived
    psql_admin -v copy="$copy" -v tpl="$DB" <<<'CREATE DATABASE :"copy" TEMPLATE :"tpl";'
    if [ -d "$DATA_DIR/filestore/$DB" ]; then
        cp -a "$DATA_DIR/filestore/$DB" "$DATA_DIR/filestore/$copy"
    fi
    if [ "$pass" = archived ]; then
        archived="$(psql -X -w -q -d "$copy" -tA -v ON_ERROR_STOP=1 \
            <<<'UPDATE ps_approval_rule SET active = false WHERE active RETURNING id;' | wc -l)"
        log "[$pass] $label: archived $archived approval rule(s)"
        switch_off_other_holds "$copy"
    fi
}

run_units=("${modules[@]}")
if [ -n "${ODOO_TEST_TAGS:-}" ]; then run_units=(selected); fi
overall=0
for pass in "${passes[@]}"; do
    reports=()
    reruns=()
    for module in "${run_units[@]}"; do
        copy="${DB}_${pass:0:3}_${module}"
        COPIES+=("$copy")
        prepare_copy "$copy" "$pass" "$module"
        test_tags="$(module_test_tags "$module")"
        logfile="$RUN_LOG_DIR/$pass-$module.log"
        log "[$pass] $module: odoo --test-tags $test_tags; log: $logfile"
        start=$SECONDS
        rc=0
        # --foreground: Odoo stays in this process group, so Ctrl-C and CI stops reach it
        timeout --foreground --kill-after=60 "$ODOO_TEST_TIMEOUT" "${odoo_cmd[@]}" -d "$copy" \
            --test-tags="$test_tags" --stop-after-init --http-port="$(free_port)" \
            --addons-path="$ADDONS_PATH" --data-dir="$DATA_DIR" --log-level=info \
            "${DB_ARGS[@]}" >"$logfile" 2>&1 || rc=$?
        elapsed=$((SECONDS - start))
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            warn "[$pass] $module: stopped after ODOO_TEST_TIMEOUT=${ODOO_TEST_TIMEOUT}s"
        fi
        log "[$pass] $module: exit $rc after ${elapsed}s"
        if [ "$pass" = archived ]; then
            active="$(psql -X -w -q -d "$copy" -tA -v ON_ERROR_STOP=1 \
                <<<'SELECT count(*) FROM ps_approval_rule WHERE active;')"
            if [ "$active" != 0 ]; then
                printf '%s ERROR %s run_odoo_tests: %s approval rule(s) active again after the run\n' \
                    "$(date -u '+%Y-%m-%d %H:%M:%S,000') $$" "$copy" "$active" >>"$logfile"
            fi
        fi
        drop_db "$copy" "$DATA_DIR/filestore/$copy"
        reports+=("$module=$logfile=$elapsed")
        # a browser test (tour) that failed runs once more, alone, on a fresh copy: the report
        # lists it as flaky if it passes then, as failing if it fails again
        n=0
        while read -r failed_test; do
            [ -n "$failed_test" ] || continue
            n=$((n + 1))
            if [ "$n" -gt "$ODOO_TEST_BROWSER_RERUNS" ]; then
                warn "[$pass] $module: more than $ODOO_TEST_BROWSER_RERUNS browser tests failed: not run again"
                break
            fi
            test_module="$(sed -E 's/^odoo\.addons\.([a-z0-9_]+)\..*/\1/' <<<"$failed_test")"
            class_method="$(awk -F. '{print $(NF-1)"."$NF}' <<<"$failed_test")"
            rerun_copy="${copy}_re$n"
            rerun_log="$RUN_LOG_DIR/$pass-$module-rerun$n.log"
            COPIES+=("$rerun_copy")
            prepare_copy "$rerun_copy" "$pass" "$module (rerun)"
            log "[$pass] $module: browser test $failed_test failed: run again alone; log: $rerun_log"
            timeout --foreground --kill-after=60 "$ODOO_TEST_TIMEOUT" "${odoo_cmd[@]}" \
                -d "$rerun_copy" --test-tags="/$test_module:$class_method" --stop-after-init \
                --http-port="$(free_port)" --addons-path="$ADDONS_PATH" --data-dir="$DATA_DIR" \
                --log-level=info "${DB_ARGS[@]}" >"$rerun_log" 2>&1 || true
            drop_db "$rerun_copy" "$DATA_DIR/filestore/$rerun_copy"
            reruns+=(--rerun "$failed_test=$rerun_log")
        done < <("$PYTHON" "$REPO_ROOT/tools/odoo_test_report.py" --browser-failures \
                 "$module=$logfile")
    done
    "$PYTHON" "$REPO_ROOT/tools/odoo_test_report.py" \
        --tsv "$RUN_LOG_DIR/$pass-failures.tsv" "${reruns[@]}" \
        "$pass" "$ODOO_TEST_HOLDS" "$ODOO_TEST_KNOWN" "${reports[@]}" \
        | tee "$RUN_LOG_DIR/$pass-summary.txt" || overall=1
done

log "Logs and summaries: $RUN_LOG_DIR"
exit "$overall"
