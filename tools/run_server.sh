#!/usr/bin/env bash
# make run: serve the suite WITH demo data on http://localhost:8069 (login admin / admin).
# The database ps_demo is created with the six addons, their demo data and the demo story of
# ps_demo (a firm with two practices and a quarter of activity) the first time; it is kept
# between runs (drop it with `dropdb ps_demo` to start again; an existing database without
# ps_demo gets it installed, story included).
# odoo.conf gives the options that are not machine-specific; the addons path, database
# connection and data directory are passed on the command line for this machine.
#   ODOO_DEMO_DB    database name (default ps_demo)
#   ODOO_HTTP_PORT  port (default 8069)
#   ODOO_DATA_DIR   filestore and sessions (default: Odoo's, ~/.local/share/Odoo)
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO_DB="${ODOO_DEMO_DB:-ps_demo}"
HTTP_PORT="${ODOO_HTTP_PORT:-8069}"
DATA_DIR="${ODOO_DATA_DIR:-$(default_data_dir)}"
CONF="$REPO_ROOT/odoo.conf"
# the suite and its demo story (ps_demo brings the handoff-staffing bridge along)
case ",$PS_MODULES," in
    *,ps_demo,*) DEMO_MODULES="$PS_MODULES" ;;
    *) DEMO_MODULES="$PS_MODULES,ps_demo" ;;
esac

cd "$REPO_ROOT"
[ -f "$CONF" ] || die "$CONF is missing."
[ -n "$DATA_DIR" ] || die "cannot find Odoo's data directory: set ODOO_DATA_DIR."
resolve_addons_path
check_modules_present "$DEMO_MODULES"
local_args=(
    -c "$CONF"
    --addons-path="$ADDONS_PATH"
    --data-dir="$DATA_DIR"
    --db_host="${PGHOST:-}"
    --db_port="${PGPORT:-5432}"
    --db_user="$PGUSER"
    --db_password="${PGPASSWORD:-}"
)

# Modules of the suite that are not installed in DB (all of them when DB is not an Odoo one).
missing_modules() {
    psql -X -w -d "$1" -tA -v mods="$DEMO_MODULES" 2>/dev/null <<'SQL' || echo "$DEMO_MODULES"
SELECT string_agg(m, ',') FROM unnest(string_to_array(:'mods', ',')) AS m
 WHERE m NOT IN (SELECT name FROM ir_module_module WHERE state = 'installed');
SQL
}

trap 'exit 130' INT
trap 'exit 143' TERM
if ! db_exists "$DEMO_DB"; then
    log "Creating $DEMO_DB with $DEMO_MODULES and their demo data (a few minutes)"
    # A half-created demo database is dropped, whatever stopped its creation.
    trap 'drop_db "$DEMO_DB"' EXIT
    odoo_bin "${local_args[@]}" -d "$DEMO_DB" -i "$DEMO_MODULES" --without-demo= \
        --stop-after-init --no-http || die "could not create $DEMO_DB (see the log above)."
    trap - EXIT
else
    todo="$(missing_modules "$DEMO_DB")"
    if [ -n "$todo" ]; then
        log "Installing $todo with demo data into the existing $DEMO_DB"
        odoo_bin "${local_args[@]}" -d "$DEMO_DB" -i "$todo" --without-demo= \
            --stop-after-init --no-http || die "could not install $todo into $DEMO_DB."
    fi
fi
todo="$(missing_modules "$DEMO_DB")"
[ -z "$todo" ] || die "$DEMO_DB lacks $todo after installation (see the log above)."

log "Serving $DEMO_DB on http://localhost:$HTTP_PORT (login admin / admin); Ctrl-C stops"
exec "$PYTHON" -m odoo "${local_args[@]}" -d "$DEMO_DB" --db-filter="^${DEMO_DB}\$" \
    --http-port="$HTTP_PORT"
