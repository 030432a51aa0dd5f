#!/usr/bin/env bash
# Installs everything helmdeck's demo and tests need, reusing what is already there:
# uv (pinned), the locked Python environment in .venv, and the sandbox's Go-built binaries;
# with --test also the Debian packages the tests use (chromium for the browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(git ca-certificates)
[[ ${1:-} == --test ]] && debs+=(chromium iproute2)
missing=()
for pkg in "${debs[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) and run again" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

UV_VERSION=0.13.8

if ! command -v python3 >/dev/null 2>&1; then
  echo "setup: python3 is missing; install Python 3.11 or newer" >&2; exit 1
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed, found $(python3 --version)" >&2; exit 1
fi
if ! command -v uv >/dev/null 2>&1 || [[ $(uv --version | awk '{print $2}') != "$UV_VERSION" ]]; then
  echo "setup: installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
echo "setup: syncing the Python environment (.venv) from uv.lock"
# bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set, every helmdeck process would
# otherwise compile all it imports again (1.2 s of a 2 s `helmdeck status`)
uv sync --locked --quiet --compile-bytecode
.venv/bin/python -m compileall -q src >/dev/null

echo "setup: building the sandbox binaries (cached after the first build)"
tools/build.sh
