#!/usr/bin/env bash
# make setup: Python requirements, Odoo 18.0 importable as `odoo`, PostgreSQL reachable.
# Quick when everything is already there; installs Odoo 18.0 into .odoo/ when it is missing;
# stops with a clear message and a non-zero exit when something cannot be had.
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ODOO_SOURCE_URLS=(
    "${ODOO_SOURCE_URL:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}"
    "https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
)

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found: $2"
}

python_version() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}

check_python_version() {
    local version
    version="$(python_version "$1")" || die "cannot run $1"
    case "$version" in
        3.10 | 3.11 | 3.12) ;;
        *) die "Odoo 18.0 needs Python 3.10, 3.11 or 3.12; $1 is Python $version (set PYTHON=...)." ;;
    esac
}

# Prints the Odoo version when `import odoo` works and is 18.0, else fails.
odoo_18_importable() {
    "$1" -c '
import sys
import odoo.release as r
print(r.version)
sys.exit(0 if tuple(r.version_info[:2]) == (18, 0) else 1)' 2>/dev/null
}

# pip install -r FILE into PY, skipped while a stamp keyed on the file and interpreter exists.
pip_install_stamped() {
    local py="$1" req="$2" key stamp
    key="$({ cat "$req"; "$py" -c 'import sys; print(sys.executable, sys.version)'; } \
        | sha256sum | cut -c1-16)"
    stamp="$CACHE_DIR/$(basename "$req").$key.stamp"
    if [ -f "$stamp" ]; then
        return 0
    fi
    log "Installing $(basename "$req") into $("$py" -c 'import sys; print(sys.prefix)')"
    "$py" -m pip install --quiet --disable-pip-version-check -r "$req" \
        || die "'pip install -r $req' failed with $py (see the messages above)."
    mkdir -p "$CACHE_DIR"
    touch "$stamp"
}

download_odoo_source() {
    local archive="$LOCAL_ODOO_DIR/odoo-18.0.tar.gz" url
    need_cmd curl "install curl to download Odoo 18.0."
    need_cmd tar "install tar to unpack Odoo 18.0."
    mkdir -p "$LOCAL_ODOO_DIR"
    for url in "${ODOO_SOURCE_URLS[@]}"; do
        log "Downloading Odoo 18.0 source from $url"
        if curl -fsSL --retry 2 --connect-timeout 20 -o "$archive.part" "$url"; then
            mv "$archive.part" "$archive"
            rm -rf "$LOCAL_ODOO_SRC"
            mkdir -p "$LOCAL_ODOO_SRC"
            tar -xzf "$archive" -C "$LOCAL_ODOO_SRC" --strip-components=1 \
                || die "cannot unpack $archive"
            rm -f "$archive"
            [ -f "$LOCAL_ODOO_SRC/odoo/release.py" ] \
                || die "$url did not contain Odoo's source (no odoo/release.py)."
            return 0
        fi
        warn "download failed: $url"
    done
    rm -f "$archive.part"
    return 1
}

# Odoo's requirements.txt adapted to this interpreter: cbor2 5.6.2 on Python 3.11 (5.4.2 does
# not build there) and no python-ldap (needs the OpenLDAP headers; only auth_ldap uses it).
write_odoo_requirements() {
    local version="$1" out="$2"
    grep -v -i '^python-ldap' "$LOCAL_ODOO_SRC/requirements.txt" >"$out"
    if [ "$version" = "3.11" ]; then
        sed -i -E 's/^cbor2==5\.4\.2/cbor2==5.6.2/' "$out"
    fi
}

install_local_odoo() {
    local base_python="${PYTHON}" version reqs
    check_python_version "$base_python"
    version="$(python_version "$base_python")"
    rm -f "$LOCAL_ODOO_MARKER"
    if [ ! -f "$LOCAL_ODOO_SRC/odoo/release.py" ]; then
        download_odoo_source || die "Odoo 18.0 is not importable as 'odoo' and could not be downloaded
(tried: ${ODOO_SOURCE_URLS[*]}).
Install Odoo 18.0 yourself so that '$base_python -c \"import odoo\"' works (or set PYTHON to an
interpreter that has it), or put the source archive's content in $LOCAL_ODOO_SRC, then rerun."
    fi
    log "Creating $LOCAL_ODOO_VENV for Odoo 18.0 and its requirements"
    "$base_python" -m venv "$LOCAL_ODOO_VENV" \
        || die "'$base_python -m venv' failed: install the venv module (Debian: python3-venv)."
    local venv_python="$LOCAL_ODOO_VENV/bin/python"
    "$venv_python" -m pip install --quiet --disable-pip-version-check --upgrade pip wheel setuptools \
        || die "cannot upgrade pip in $LOCAL_ODOO_VENV"
    reqs="$LOCAL_ODOO_DIR/requirements-odoo.txt"
    write_odoo_requirements "$version" "$reqs"
    log "Installing Odoo's requirements (this takes a few minutes)"
    "$venv_python" -m pip install --quiet --disable-pip-version-check -r "$reqs" \
        || die "installing Odoo's requirements failed (see above). Building psycopg2, lxml or
python-ldap from source needs a C compiler and headers (Debian: build-essential python3-dev
libpq-dev libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev)."
    # Make the source importable as `odoo` inside the venv.
    local site
    site="$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    printf '%s\n' "$LOCAL_ODOO_SRC" >"$site/odoo-18.0-src.pth"
    PYTHON="$venv_python"
    odoo_18_importable "$PYTHON" >/dev/null || die "Odoo installed in $LOCAL_ODOO_DIR but '$PYTHON -c \"import odoo\"' still fails."
    touch "$LOCAL_ODOO_MARKER"
    log "Odoo 18.0 installed in $LOCAL_ODOO_DIR (interpreter: $PYTHON)"
}

check_odoo() {
    local found
    if found="$(odoo_18_importable "$PYTHON")"; then
        log "Odoo $found ($PYTHON)"
        return 0
    fi
    if found="$("$PYTHON" -c 'import odoo.release as r; print(r.version)' 2>/dev/null)"; then
        warn "$PYTHON imports Odoo $found, not 18.0: installing Odoo 18.0 into $LOCAL_ODOO_DIR"
    else
        log "Odoo is not importable with $PYTHON: installing Odoo 18.0 into $LOCAL_ODOO_DIR"
    fi
    install_local_odoo
}

pg_connect_error() {
    # stderr only: the reason the connection failed
    { psql -X -w -d postgres -tAc 'SELECT 1' >/dev/null; } 2>&1
}

check_postgres() {
    need_cmd psql "install the PostgreSQL client (Debian: apt-get install postgresql-client)."
    if [ "$PGUSER" = "postgres" ]; then
        die "Odoo refuses to run as the PostgreSQL role 'postgres': set PGUSER to another role."
    fi
    local where="${PGHOST:-local socket}:${PGPORT:-5432}" err reachable=0
    if err="$(pg_connect_error)"; then
        reachable=1
    elif [[ "$err" == *"role \"$PGUSER\" does not exist"* ]] && [ "$PGUSER" = "root" ] \
        && PGUSER=postgres psql -X -w -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
        log "Creating the PostgreSQL superuser role root (as postgres)"
        PGUSER=postgres psql -X -w -q -v ON_ERROR_STOP=1 -d postgres \
            -c 'CREATE ROLE root WITH LOGIN SUPERUSER' \
            || die "could not create the PostgreSQL role root."
        if err="$(pg_connect_error)"; then reachable=1; fi
    fi
    if [ "$reachable" -ne 1 ]; then
        die "PostgreSQL is not reachable as role '$PGUSER' at $where:
$err
Start PostgreSQL (>= 13) and make sure the role exists and can create databases
(e.g. 'createuser --superuser $PGUSER' as postgres), or set PGHOST, PGPORT, PGUSER, PGPASSWORD."
    fi
    local server_version
    server_version="$(psql -X -w -d postgres -tAc 'SHOW server_version_num')"
    [ "${server_version:-0}" -ge 130000 ] \
        || die "PostgreSQL at $where is version $server_version; the suite needs 13 or newer."
    local can_create
    can_create="$(psql -X -w -d postgres -tAc \
        'SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user')"
    [ "$can_create" = "t" ] \
        || die "PostgreSQL role '$PGUSER' cannot create databases: 'ALTER ROLE \"$PGUSER\" CREATEDB'."
    log "PostgreSQL reachable at $where as role $PGUSER"
}

# Run one check in a subshell with errexit on; print nothing, return its exit status.
run_check() {
    local rc=0
    set +e
    (
        set -e
        "$@"
    )
    rc=$?
    set -e
    return "$rc"
}

main() {
    local missing=()
    need_cmd "$PYTHON" "install Python 3.10-3.12 or set PYTHON."
    run_check check_odoo || missing+=("Odoo 18.0 importable as 'odoo'")
    # check_odoo may have installed Odoo into .odoo/venv: use that interpreter from now on.
    if [ -f "$LOCAL_ODOO_MARKER" ]; then
        PYTHON="$LOCAL_ODOO_VENV/bin/python"
    fi
    if [ "${#missing[@]}" -eq 0 ]; then
        run_check pip_install_stamped "$PYTHON" "$REPO_ROOT/requirements.txt" \
            || missing+=("the Python packages of requirements.txt")
    fi
    run_check check_postgres \
        || missing+=("PostgreSQL reachable as role '$PGUSER' with the right to create databases")
    if [ "${#missing[@]}" -gt 0 ]; then
        printf '\nmake setup failed; missing:\n' >&2
        printf '  - %s\n' "${missing[@]}" >&2
        exit 1
    fi
    log "Setup OK"
}

main "$@"
