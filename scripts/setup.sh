#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine (Python 3.11+, root or sudo):
#   bash scripts/setup.sh serve   install what is needed, then start the app on the embedded default
#                                 (run.py: the web app and the task queue consumer that renders reports)
#   bash scripts/setup.sh test    install what is needed, then run ruff and the whole test suite
# Running it again only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# WeasyPrint needs Pango (and HarfBuzz's subsetter for small PDFs), the reports need a Korean
# font family with a real bold, the tests look at PDFs with poppler and drive Debian's Chromium.
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-nanum
                 poppler-utils chromium python3-venv)
# The tests also start a real Redis (the task queue's distributed mode) and run axe-core (npm)
# in Chromium: npm too, where the machine has none.
TEST_PACKAGES=(redis-server)
command -v npm >/dev/null 2>&1 || TEST_PACKAGES+=(npm)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  echo "Python 3.11 or newer is needed" >&2; exit 1
}

uv_for_venv() {
  # uv installs the packages in a fraction of pip's time: the one on PATH, else the one put in
  # .venv by pip (one wheel); none when neither can be had (pip then installs, as before).
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  if [ ! -x .venv/bin/uv ]; then
    .venv/bin/python -m pip install -q uv >/dev/null 2>&1 || return 1
  fi
  echo .venv/bin/uv
}

install_python_packages() {
  local python stamp uv
  python=$(find_python)
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $python"
    "$python" -m venv .venv
  fi
  # Reinstall only when the dependency list changed.
  stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "==> installing Python packages"
    # Byte-compiled at install as pip does, so that no process (a test worker, a render
    # child) compiles the libraries again at import.
    if uv=$(uv_for_venv) &&
       "$uv" pip install -q --python .venv/bin/python --compile-bytecode -e '.[test]'; then
      :
    else
      echo "==> uv could not install: pip instead"
      .venv/bin/python -m pip install -q --upgrade pip
      .venv/bin/python -m pip install -q -e '.[test]'
    fi
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}

compile_build_output() {
  # The .mo catalogues are build output (not committed): compiled here, at install, never at
  # start; only the stale ones are written again.
  .venv/bin/python -m diagnose.i18n
  # The package's own bytecode too (only what changed), as for the libraries: where
  # PYTHONDONTWRITEBYTECODE is set, every process (a test worker, a queue consumer, a CLI
  # run) would otherwise compile the whole package again at import (0.2 s of CPU each).
  .venv/bin/python -m compileall -q diagnose
}

install_test_tools() {
  # axe-core, pinned in package.json and package-lock.json, into node_modules/ (not committed)
  if [ ! -f node_modules/axe-core/axe.min.js ] ||
     ! grep -q "\"version\": \"$(sed -n 's/.*"axe-core": "\(.*\)".*/\1/p' package.json)\"" \
       node_modules/axe-core/package.json; then
    echo "==> installing axe-core (npm)"
    npm ci --no-audit --no-fund --silent
  fi
}

command=${1:-}
case "$command" in
  serve)
    install_system_packages
    install_python_packages
    compile_build_output
    exec .venv/bin/python run.py
    ;;
  test)
    install_system_packages "${TEST_PACKAGES[@]}"
    install_python_packages
    compile_build_output
    install_test_tools
    .venv/bin/ruff check .
    shift
    # over every core (pytest-xdist); `-n 0` after `test` runs in one process
    exec .venv/bin/python -m pytest -n auto "$@"
    ;;
  *)
    echo "usage: bash scripts/setup.sh serve|test" >&2
    exit 2
    ;;
esac
