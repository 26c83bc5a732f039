#!/usr/bin/env bash
# The documentation's picture of the HTML report: certify the reference validator at the quick
# profile into reports/, open reports/report.html in headless Chromium and write its first
# screen to docs/img/report.png.  Run from anywhere, with the kit installed in the Python
# that PYTHON names (default: python3):
#     bash docs/screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
    echo "docs/screenshot.sh: no chromium on PATH (Debian: apt-get install chromium)" >&2
    exit 2
fi
"$PY" -m inngest_conformance certify --target inngest_conformance.reference:validator \
    --profile quick --report-dir reports --quiet
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
mkdir -p docs/img
# The window of the report's own browser test (tests/test_report.py): the counts and the
# first rows fit on it.
"$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$PROFILE" --window-size=1280,900 \
    --screenshot="$PWD/docs/img/report.png" "file://$PWD/reports/report.html" >/dev/null 2>&1
echo "wrote docs/img/report.png ($(wc -c <docs/img/report.png) bytes)"
