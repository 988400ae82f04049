#!/usr/bin/env bash
# The kill test at its recorded size: SIGINT and SIGKILL at random points of `train --output`,
# `export` and `recommend --all --output`, 80 kills each (the test suite runs 15 each), with the
# counts printed. Docs/Reliability.md records the last run.
#
#     Scripts/kill-test.sh [kills-per-command]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
EMBEDREC_KILLS=${1:-80} swift test --skip-build --filter KillTests 2>&1 | grep -E "kill test|Test run|recorded an issue"
