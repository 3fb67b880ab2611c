# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are used by the scripts that source it
# Shared helpers for the scripts in tools/. Sourced, never run on its own.
#
# Environment understood by every script:
#   PYTHON        interpreter to use (default python3); ignored once `make setup` has had to
#                 install Odoo 18.0 into .odoo/venv, which is then used
#   PGHOST PGPORT PGUSER PGPASSWORD
#                 PostgreSQL connection, as for psql; default: local socket, port 5432, role root
#   PS_MODULES    comma-separated addons to install (default: the six addons of the suite)
#   EXTRA_ADDONS_PATH  comma-separated folders put before the repository's addons folder

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$REPO_ROOT/.cache"
LOCAL_ODOO_DIR="$REPO_ROOT/.odoo"
LOCAL_ODOO_SRC="$LOCAL_ODOO_DIR/src"
LOCAL_ODOO_VENV="$LOCAL_ODOO_DIR/venv"
LOCAL_ODOO_MARKER="$LOCAL_ODOO_DIR/.installed"

SUITE_MODULES="ps_base,ps_handoff,ps_staffing,ps_billing_readiness,ps_approvals,ps_governance"
PS_MODULES="${PS_MODULES:-$SUITE_MODULES}"

# Once `make setup` has installed Odoo into .odoo/venv (because the interpreter had no Odoo
# 18.0), that virtualenv is used; delete .odoo/ to go back to PYTHON / python3.
PYTHON_FROM_ENV="${PYTHON:-}"
if [ -f "$LOCAL_ODOO_MARKER" ] && [ -x "$LOCAL_ODOO_VENV/bin/python" ]; then
    PYTHON="$LOCAL_ODOO_VENV/bin/python"
else
    PYTHON="${PYTHON:-python3}"
fi

# libpq reads these itself; only the role gets a default (Odoo refuses the role postgres).
export PGUSER="${PGUSER:-root}"
# Odoo expects the server to run in UTC.
export TZ=UTC
# pip: no warning about running as root (CI and containers do).
export PIP_ROOT_USER_ACTION=ignore

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# Run Odoo's command line with the selected interpreter.
odoo_bin() {
    "$PYTHON" -m odoo "$@"
}

# Odoo's own connection options, built from the PG* variables.
db_args() {
    DB_ARGS=(--db_user="$PGUSER")
    if [ -n "${PGHOST:-}" ]; then DB_ARGS+=(--db_host="$PGHOST"); fi
    if [ -n "${PGPORT:-}" ]; then DB_ARGS+=(--db_port="$PGPORT"); fi
    if [ -n "${PGPASSWORD:-}" ]; then DB_ARGS+=(--db_password="$PGPASSWORD"); fi
}

# Sets ODOO_DIR (the odoo package) and ADDONS_PATH (Odoo's addons + the repository's addons).
resolve_addons_path() {
    ODOO_DIR="$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(odoo.__file__))' 2>/dev/null)" \
        || die "Odoo 18.0 is not importable as 'odoo' with $PYTHON: run 'make setup'."
    local paths=("$ODOO_DIR/addons")
    # A git checkout or GitHub archive keeps most core addons beside the package, in addons/.
    if [ -d "$(dirname "$ODOO_DIR")/addons/web" ]; then
        paths+=("$(dirname "$ODOO_DIR")/addons")
    fi
    if [ -n "${EXTRA_ADDONS_PATH:-}" ]; then
        paths+=("$EXTRA_ADDONS_PATH")
    fi
    paths+=("$REPO_ROOT/addons")
    ADDONS_PATH="$(IFS=,; echo "${paths[*]}")"
}

# psql against the maintenance database, failing on the first error, no ~/.psqlrc.
psql_admin() {
    psql -X -w -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

db_exists() {
    [ "$(psql_admin -tA -v db="$1" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")" = "1" ]
}

# A unique database name for one run: <prefix>_<date>_<pid>.
unique_db_name() {
    printf '%s_%s_%s' "$1" "$(date +%Y%m%d_%H%M%S)" "$$"
}

# Drop a database (closing its connections first) and the filestore folders given after it.
drop_db() {
    local db="$1" exists
    shift
    if ! exists="$(psql_admin -tA -v db="$db" 2>/dev/null \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"; then
        warn "cannot reach PostgreSQL to drop database $db: drop it by hand (dropdb $db)"
    elif [ "$exists" = "1" ]; then
        if psql_admin -v db="$db" >/dev/null 2>&1 <<'SQL'; then
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE datname = :'db' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS :"db";
SQL
            log "Dropped database $db"
        else
            warn "could not drop database $db: drop it by hand (dropdb $db)"
        fi
    fi
    local dir
    for dir in "$@"; do
        if [ -n "$dir" ] && [ -e "$dir" ]; then rm -rf -- "$dir"; fi
    done
}

# A throwaway database for one run of make test / make bench: sets DB, DATA_DIR and
# LOG_DIR, and drops the database and its filestores on exit, whatever happens.
start_throwaway_db() {
    DB="$(unique_db_name "$1")"
    DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/${1}_data.XXXXXX")"
    LOG_DIR="$CACHE_DIR/logs"
    mkdir -p "$LOG_DIR"
    prune_logs "$LOG_DIR"
    # Filestore Odoo would use without --data-dir (a test could still reach it): removed too.
    DEFAULT_DATA_DIR="$(default_data_dir)"
    trap cleanup_throwaway_db EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

cleanup_throwaway_db() {
    drop_db "$DB" "$DATA_DIR" ${DEFAULT_DATA_DIR:+"$DEFAULT_DATA_DIR/filestore/$DB"}
}

# Split ARGS (shell quoting) into the array extra_args.
split_extra_args() {
    extra_args=()
    if [ -n "${ARGS:-}" ]; then
        local split
        split="$("$PYTHON" -c \
            'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' "$ARGS" 2>/dev/null)" \
            || die "ARGS is not valid shell quoting: $ARGS"
        mapfile -t extra_args <<<"$split"
    fi
}

# Keep the newest 40 logs of .cache/logs.
prune_logs() {
    local dir="$1"
    find "$dir" -maxdepth 1 -name '*.log' -printf '%T@ %p\n' 2>/dev/null | sort -rn \
        | tail -n +41 | cut -d' ' -f2- | while IFS= read -r old; do rm -f -- "$old"; done
}

# Odoo's default data directory (where it puts filestores when --data-dir is not given).
default_data_dir() {
    "$PYTHON" -c 'from odoo.tools import config; print(config["data_dir"])' 2>/dev/null || true
}

# Fail early when a module is in no folder of ADDONS_PATH.
check_modules_present() {
    local module dir found missing=()
    local -a dirs module_list
    IFS=, read -r -a dirs <<<"$ADDONS_PATH"
    IFS=, read -r -a module_list <<<"$1"
    for module in "${module_list[@]}"; do
        found=""
        for dir in "${dirs[@]}"; do
            if [ -f "$dir/$module/__manifest__.py" ]; then found=1 && break; fi
        done
        if [ -z "$found" ]; then missing+=("$module"); fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        die "addon(s) not found in the addons path ($ADDONS_PATH): ${missing[*]}"
    fi
}

# Install modules in a database without demo data; fail when Odoo fails or logs ERROR/CRITICAL.
# Usage: install_modules DB MODULES DATA_DIR LOGFILE
install_modules_without_demo() {
    local db="$1" modules="$2" data_dir="$3" logfile="$4" rc=0
    check_modules_present "$modules"
    db_args
    log "Installing $modules into $db (without demo data); log: $logfile"
    odoo_bin -d "$db" -i "$modules" --without-demo=all --stop-after-init --no-http \
        --log-level=warn --addons-path="$ADDONS_PATH" --data-dir="$data_dir" "${DB_ARGS[@]}" \
        2>&1 | tee "$logfile" || rc=$?
    if [ "$rc" -ne 0 ]; then
        die "installing $modules failed (exit $rc); see $logfile"
    fi
    if grep -qE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$logfile"; then
        grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$logfile" >&2
        die "installing $modules logged ERROR/CRITICAL lines (above); see $logfile"
    fi
    # Odoo skips unknown modules with a warning only: check they are all installed.
    local missing
    missing="$(psql -X -w -d "$db" -tA -v ON_ERROR_STOP=1 -v mods="$modules" <<'SQL'
SELECT string_agg(m, ',') FROM unnest(string_to_array(:'mods', ',')) AS m
 WHERE m NOT IN (SELECT name FROM ir_module_module WHERE state = 'installed');
SQL
)" || die "could not read the module states of $db"
    if [ -n "$missing" ]; then
        die "not installed in $db: $missing (missing from the addons path $ADDONS_PATH?)"
    fi
}
