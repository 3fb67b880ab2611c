#!/usr/bin/env bash
# One-shot service `ps-demo-init` of docker-compose.yml, run inside the odoo:18.0 image:
# create the database ps_demo with the six addons, their demo data and the demo story of
# ps_demo (a firm with two practices and a quarter of activity), unless it already has
# them. Connection options come from the mounted odoo.conf.
set -euo pipefail

DB="${PS_DEMO_DB:-ps_demo}"
MODULES="ps_base,ps_handoff,ps_staffing,ps_billing_readiness,ps_approvals,ps_governance,ps_demo"
CONF="${ODOO_RC:-/etc/odoo/odoo.conf}"

conf_value() {
    sed -nE "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1/p" "$CONF" \
        | tail -n 1
}
PGHOST="$(conf_value db_host)"
PGPORT="$(conf_value db_port)"
PGUSER="$(conf_value db_user)"
PGPASSWORD="$(conf_value db_password)"
export PGHOST PGPORT PGUSER PGPASSWORD

exists="$(psql -X -w -d postgres -tA -v db="$DB" \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")" || {
    echo "ERROR: cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER" >&2
    exit 1
}
if [ "$exists" = "1" ]; then
    missing="$(psql -X -w -d "$DB" -tA -v mods="$MODULES" <<'SQL'
SELECT string_agg(m, ',') FROM unnest(string_to_array(:'mods', ',')) AS m
 WHERE m NOT IN (SELECT name FROM ir_module_module WHERE state = 'installed');
SQL
)" || missing="$MODULES"
    if [ -z "$missing" ]; then
        echo "Database $DB already has the suite installed: nothing to do."
        exit 0
    fi
    echo "Database $DB exists without $missing: installing them with demo data."
else
    echo "Creating database $DB with $MODULES and their demo data (a few minutes)."
fi
exec odoo -c "$CONF" -d "$DB" -i "$MODULES" --without-demo= --stop-after-init --no-http
