#!/usr/bin/env bash
# Fails when package-lock.json is not exactly what npm resolves for package.json, so that
# `npm ci` on a fresh clone installs the tree that was tested and `npm install` rewrites nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work"/
(cd "$work" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null 2>&1)
if ! cmp -s package-lock.json "$work/package-lock.json"; then
  echo "package-lock.json is out of date: npm install would change it. Run 'npm install' and commit package-lock.json." >&2
  diff <(grep -n '' package-lock.json) <(grep -n '' "$work/package-lock.json") | head -40 >&2 || true
  exit 1
fi
echo "package-lock.json is complete: npm install leaves it unchanged."
