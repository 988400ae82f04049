#!/usr/bin/env bash
# Builds the EmbedRec DocC archive and fails on any DocC warning, on a public symbol without a
# documentation summary, or on an article snippet that the snippet tests do not hold verbatim.
#
#     Scripts/build-docs.sh [OUTPUT-FOLDER]     # default: .build/docs/EmbedRec.doccarchive
#
# Needs swift-docc-plugin (Package.swift) and the toolchain's docc. Browse the result with
# `swift package --disable-sandbox preview-documentation --target EmbedRec`, or serve the
# archive's folder with any static web server.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/docs/EmbedRec.doccarchive}"
mkdir -p "$(dirname "$out")"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

python3 Scripts/check-doc-snippets.py

status=0
swift package --disable-sandbox generate-documentation --target EmbedRec \
    --output-path "$out" --warnings-as-errors \
    --experimental-documentation-coverage --coverage-summary-level brief >"$log" 2>&1 || status=$?
# DocC's own diagnostics come after this line; compiler warnings before it are the build's.
docc_diagnostics=$(sed -n "/^Building documentation for 'EmbedRec'/,\$p" "$log" | grep -cE "^(warning|error):" || true)
if [ "$status" -ne 0 ] || [ "$docc_diagnostics" -ne 0 ]; then
    cat "$log"
    echo "build-docs: DocC reported $docc_diagnostics warnings or errors (exit $status)" >&2
    exit 1
fi
sed -n "/Abstract/,/^Globals/p" "$log"

python3 Scripts/check-doc-coverage.py
echo "build-docs: $out built with no warnings"
