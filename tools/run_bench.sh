#!/usr/bin/env bash
# make bench: three throwaway databases, all without demo data, then bench/run_bench.py:
#   plain  Odoo's modules the suite builds on (BENCH_STANDARD_MODULES), nothing else
#   suite  a copy of plain with the suite installed (BENCH_MODULES, its default policies)
#   peer   a copy of plain with OCA base_tier_validation, sale_tier_validation and auditlog,
#          pip-installed (their 18.0 packages, --no-deps) into bench/.peers, never into the
#          product's addons; skipped with a warning when pip cannot get them
# The databases and their filestores are dropped after. The benchmark runs under nice -n 5.
# Extra arguments for the benchmark: make bench ARGS="--quick" (smoke run), ARGS="--large"
# (ten times the sizes), ARGS="--only engine,audit".
# Exit status: non-zero only when something crashed; missed targets are printed verdicts.
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_STANDARD_MODULES="${BENCH_STANDARD_MODULES:-sale_management,sale_margin,sale_project,sale_timesheet,sale_expense,sale_crm,hr_expense,account,base_automation,hr_skills,hr_holidays,hr_timesheet,project_timesheet_holidays}"
BENCH_MODULES="${BENCH_MODULES:-$SUITE_MODULES}"
BENCH_PEER_MODULES="base_tier_validation,sale_tier_validation,auditlog"
BENCH_PEER_PACKAGES=("odoo-addon-base_tier_validation>=18.0,<18.1"
    "odoo-addon-sale_tier_validation>=18.0,<18.1" "odoo-addon-auditlog>=18.0,<18.1")
PEERS_DIR="${BENCH_PEERS_DIR:-$REPO_ROOT/bench/.peers}"
BENCH_SCRIPT="${BENCH_SCRIPT:-$REPO_ROOT/bench/run_bench.py}"

cd "$REPO_ROOT"
[ -f "$BENCH_SCRIPT" ] || die "$BENCH_SCRIPT does not exist yet: nothing to benchmark."
resolve_addons_path
split_extra_args

start_throwaway_db ps_bench
PLAIN_DB="${DB}_plain"
PEER_DB="${DB}_peer"
cleanup_bench_dbs() {
    drop_db "$PLAIN_DB"
    drop_db "$PEER_DB"
    cleanup_throwaway_db
}
trap cleanup_bench_dbs EXIT

# A copy of the plain database (and its filestore): the same Odoo modules, data and ids.
copy_plain_db() {
    log "Copying $PLAIN_DB to $1"
    createdb -T "$PLAIN_DB" "$1"
    if [ -d "$DATA_DIR/filestore/$PLAIN_DB" ]; then
        cp -r "$DATA_DIR/filestore/$PLAIN_DB" "$DATA_DIR/filestore/$1"
    fi
}

install_modules_without_demo "$PLAIN_DB" "$BENCH_STANDARD_MODULES" "$DATA_DIR" \
    "$LOG_DIR/$PLAIN_DB-install.log"
copy_plain_db "$DB"
install_modules_without_demo "$DB" "$BENCH_MODULES" "$DATA_DIR" "$LOG_DIR/$DB-install.log"

peer_args=()
if [ ! -f "$PEERS_DIR/odoo/addons/auditlog/__manifest__.py" ] \
    || [ ! -f "$PEERS_DIR/odoo/addons/sale_tier_validation/__manifest__.py" ]; then
    log "Installing the OCA peers with pip into $PEERS_DIR (bench only)"
    "$PYTHON" -m pip install --quiet --no-deps --upgrade --target "$PEERS_DIR" \
        "${BENCH_PEER_PACKAGES[@]}" || warn "pip could not install the OCA peers"
fi
if [ -f "$PEERS_DIR/odoo/addons/auditlog/__manifest__.py" ]; then
    copy_plain_db "$PEER_DB"
    SUITE_ADDONS_PATH="$ADDONS_PATH"
    ADDONS_PATH="$ADDONS_PATH,$PEERS_DIR/odoo/addons"
    if (install_modules_without_demo "$PEER_DB" "$BENCH_PEER_MODULES" "$DATA_DIR" \
        "$LOG_DIR/$PEER_DB-install.log"); then
        peer_args=(--peer-database "$PEER_DB" --peers-path "$PEERS_DIR/odoo/addons")
    else
        warn "the OCA peers could not be installed: their rows are skipped"
    fi
    ADDONS_PATH="$SUITE_ADDONS_PATH"
else
    warn "no OCA peers in $PEERS_DIR: their rows are skipped"
fi

db_args
log "Running bench/run_bench.py on $DB (plain: $PLAIN_DB, peers: ${peer_args[1]:-none})"
nice -n 5 "$PYTHON" "$BENCH_SCRIPT" --database "$DB" --plain-database "$PLAIN_DB" \
    "${peer_args[@]}" --addons-path "$ADDONS_PATH" --data-dir "$DATA_DIR" \
    "${DB_ARGS[@]/#--db_/--db-}" "${extra_args[@]}"
