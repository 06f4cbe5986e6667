#!/usr/bin/env bash
# The project's one test command (CI runs it through .ci/run).
#
#   bash scripts/test.sh [PYTEST ARGS...]
#
# Works from nothing on Debian 12: installs the Debian packages the tests need (only
# those missing; needs root, otherwise tells you what to install), creates .venv,
# installs the project with its test extras, compiles the gettext catalogs, then runs
# ruff, mypy, lint-imports and pytest. Every check runs even if an earlier one fails;
# the script exits non-zero if any failed and says which. Extra arguments go to pytest.
# PostgreSQL is started by the pytest session itself (tests/support/pg_server.py).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_BINDIR=/usr/lib/postgresql/15/bin
VENV=.venv

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'scripts/test.sh: error: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages -----------------------------------------------------------
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[[ -x "$PG_BINDIR/initdb" ]] || missing+=(postgresql-15)
# activation letters embed DejaVu, so names in any script print
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
# a real QR reader checks that the account screen's code scans
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
# the parent kiosk speaks through espeak-ng; letters' pages are rendered for zbar by poppler
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)

if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        die "missing Debian packages: ${missing[*]}
    install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- 2. virtualenv and the project ------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi

pyproject_sha=$(sha256sum pyproject.toml | cut -c1-16)
stamp="$VENV/.installed-$pyproject_sha"
if [[ ! -f $stamp ]]; then
    log "installing the project and its test dependencies into $VENV"
    pip_log="$VENV/pip-install.log"
    if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e '.[test]' >"$pip_log" 2>&1; then
        cat "$pip_log" >&2
        die "pip install -e '.[test]' failed (log above, also in $pip_log)"
    fi
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi

export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"

# --- 3. gettext catalogs ----------------------------------------------------------
if [[ -f scripts/compile_catalogs.sh ]]; then
    log "compiling gettext catalogs"
    bash scripts/compile_catalogs.sh
fi

# --- 4. checks --------------------------------------------------------------------
failed=()
check() {
    local name=$1
    shift
    log "$name"
    if ! "$@"; then
        failed+=("$name")
    fi
}

check "ruff" ruff check .
check "mypy" mypy
check "lint-imports" lint-imports
# One pytest worker per core, at most four (pytest-xdist): much of the suite waits on
# processes, servers and browsers, so two workers on two cores take about 60% of the
# time of one. A test file stays on one worker, so its module fixtures run once.
check "pytest" pytest --numprocesses=auto --maxprocesses=4 --dist=loadfile "$@"

echo
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "All checks passed: ruff, mypy, lint-imports, pytest."
