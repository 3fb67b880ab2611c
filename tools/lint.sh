#!/usr/bin/env bash
# make lint: ruff over the Python code, pylint with pylint-odoo over the addons.
# The linters live in their own virtualenv (.cache/lint-venv, from requirements-dev.txt) so
# that they never change the packages Odoo runs with.
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
VENV="$CACHE_DIR/lint-venv"
REQ="$REPO_ROOT/requirements-dev.txt"
base_python="python3"
if [ -n "$PYTHON_FROM_ENV" ]; then base_python="$PYTHON_FROM_ENV"; fi

key="$(sha256sum "$REQ" | cut -c1-16)"
stamp="$VENV/.requirements-dev.$key.stamp"
if [ ! -f "$stamp" ]; then
    log "Installing the lint tools (requirements-dev.txt) into $VENV"
    rm -rf "$VENV"
    "$base_python" -m venv "$VENV" \
        || die "'$base_python -m venv' failed: install the venv module (Debian: python3-venv)."
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" \
        || die "'pip install -r requirements-dev.txt' failed (see above)."
    touch "$stamp"
fi

targets=()
for dir in addons tests bench tools; do
    if [ -d "$dir" ]; then targets+=("$dir"); fi
done
addons=()
for manifest in addons/*/__manifest__.py; do
    if [ -f "$manifest" ]; then addons+=("$(dirname "$manifest")"); fi
done

rc=0
log "ruff check ${targets[*]}"
"$VENV/bin/ruff" check "${targets[@]}" || rc=1
if [ "${#addons[@]}" -gt 0 ]; then
    log "pylint --load-plugins=pylint_odoo ${addons[*]}"
    "$VENV/bin/pylint" --rcfile="$REPO_ROOT/.pylintrc" --load-plugins=pylint_odoo \
        "${addons[@]}" || rc=1
fi
if [ "$rc" -ne 0 ]; then
    die "lint found problems (above)."
fi
log "Lint OK"
