#!/usr/bin/env bash
# make bench: a fresh database with ps_base and ps_billing_readiness installed without demo
# data, then bench/run_bench.py against it; the database and its filestore are dropped after.
# Extra arguments for the benchmark: make bench ARGS="..."
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_MODULES="${BENCH_MODULES:-ps_base,ps_billing_readiness}"
BENCH_SCRIPT="${BENCH_SCRIPT:-$REPO_ROOT/bench/run_bench.py}"

cd "$REPO_ROOT"
[ -f "$BENCH_SCRIPT" ] || die "$BENCH_SCRIPT does not exist yet: nothing to benchmark."
resolve_addons_path

start_throwaway_db ps_test_bench
split_extra_args
install_modules_without_demo "$DB" "$BENCH_MODULES" "$DATA_DIR" "$LOG_DIR/$DB-install.log"

log "Running bench/run_bench.py on $DB"
"$PYTHON" "$BENCH_SCRIPT" --database "$DB" --addons-path "$ADDONS_PATH" "${extra_args[@]}"
