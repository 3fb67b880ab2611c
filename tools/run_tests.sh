#!/usr/bin/env bash
# make test: a fresh database with the six addons installed WITHOUT demo data, then pytest
# (pytest-odoo) over addons/*/tests and tests/. The database and its filestore are dropped
# whatever happens; the exit code is pytest's (5, "no test ran", is a failure too).
#
# Narrow the run:  make test TESTS="addons/ps_base/tests/test_audit.py"  ARGS="-k chain -x"
#   TESTS  space-separated test files or folders (default: addons/*/tests and tests/)
#   ARGS   extra pytest arguments, shell-quoted (e.g. ARGS="-k 'approval and not sod'")
#   ODOO_TEST_LOG_LEVEL  Odoo's log level during the tests (default warn)
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
# test-only addons (a document gated by declaration, for ps_base's test kit): installed by
# make test, never by make run or in production
TEST_ADDONS_DIR="$REPO_ROOT/tests/addons"
EXTRA_ADDONS_PATH="${EXTRA_ADDONS_PATH:+$EXTRA_ADDONS_PATH,}$TEST_ADDONS_DIR"
resolve_addons_path

start_throwaway_db ps_test
INSTALL_LOG="$LOG_DIR/$DB-install.log"
PYTEST_LOG="$LOG_DIR/$DB-pytest.log"

test_paths=()
if [ -n "${TESTS:-}" ]; then
    read -r -a test_paths <<<"$TESTS"
else
    for dir in addons/*/tests tests; do
        if [ -d "$dir" ]; then test_paths+=("$dir"); fi
    done
fi
split_extra_args

# The browser tours are part of the suite: Odoo would skip them without a browser, and a
# skipped tour must not pass for a green run.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
    && ! command -v google-chrome >/dev/null 2>&1; then
    die "Chromium is needed for the browser tours (Debian: apt-get install chromium)."
fi

install_modules_without_demo "$DB" "$PS_MODULES,ps_test_approvable,ps_test_tours,ps_staffing_purchase,ps_demo" "$DATA_DIR" "$INSTALL_LOG"

odoo_extra=(--odoo-extra="data-dir=$DATA_DIR" --odoo-extra="db_user=$PGUSER")
if [ -n "${PGHOST:-}" ]; then odoo_extra+=(--odoo-extra="db_host=$PGHOST"); fi
if [ -n "${PGPORT:-}" ]; then odoo_extra+=(--odoo-extra="db_port=$PGPORT"); fi
if [ -n "${PGPASSWORD:-}" ]; then odoo_extra+=(--odoo-extra="db_password=$PGPASSWORD"); fi
color=()
if [ -t 1 ]; then color=(--color=yes); fi

pytest_cmd=(
    "$PYTHON" -m pytest
    --odoo-database="$DB"
    --odoo-addons-path="$ADDONS_PATH"
    --odoo-http
    --odoo-log-level="${ODOO_TEST_LOG_LEVEL:-warn}"
    "${odoo_extra[@]}"
    "${color[@]}"
    "${test_paths[@]}"
    "${extra_args[@]}"
)
shown=()
for arg in "${pytest_cmd[@]}"; do
    if [[ "$arg" =~ [[:space:]\'\"] ]]; then shown+=("'${arg//\'/\'\\\'\'}'"); else shown+=("$arg"); fi
done
log "Running: ${shown[*]}"
rc=0
"${pytest_cmd[@]}" 2>&1 | tee "$PYTEST_LOG" || rc="${PIPESTATUS[0]}"

summary="$(sed -E 's/\x1b\[[0-9;]*m//g' "$PYTEST_LOG" \
    | grep -E '(passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?|no tests ran).* in [0-9.]+s' \
    | tail -n 1 || true)"

trap - EXIT
cleanup_throwaway_db
if [ "$rc" -eq 5 ]; then
    printf 'ERROR: pytest collected no test (exit 5): that counts as a failure.\n' >&2
elif [ "$rc" -ne 0 ]; then
    printf 'ERROR: pytest failed (exit %s); full output: %s\n' "$rc" "$PYTEST_LOG" >&2
fi
printf '%s\n' "${summary:-pytest printed no summary line (exit $rc)}"
exit "$rc"
