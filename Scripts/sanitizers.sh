#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer, each in its own build folder
# (.build-address, .build-thread), and prints one summary line per sanitizer.
#
#   Scripts/sanitizers.sh                 # both, whole suite
#   Scripts/sanitizers.sh thread          # one of them
#   FILTER=Concurrency Scripts/sanitizers.sh thread   # only tests matching a filter
#
# The thread sanitizer's only expected reports are the lock-free (Hogwild) table updates of
# multi-threaded training, suppressed by name in Scripts/tsan-suppressions.txt; any other race
# fails the run. Exit status: 0 when every selected run passed.
set -uo pipefail
cd "$(dirname "$0")/.."
sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)
filter=()
[ -n "${FILTER:-}" ] && filter=(--filter "$FILTER")
status=0
summary=()
for s in "${sanitizers[@]}"; do
    log=".build-$s.log"
    echo "== swift test --sanitize=$s (log: $log)"
    start=$(date +%s)
    TSAN_OPTIONS="suppressions=$PWD/Scripts/tsan-suppressions.txt halt_on_error=1 second_deadlock_stack=1" \
    ASAN_OPTIONS="detect_leaks=0" \
        swift test --sanitize="$s" --scratch-path ".build-$s" "${filter[@]}" > "$log" 2>&1
    rc=$?
    seconds=$(( $(date +%s) - start ))
    result=$(grep -E "Test run with .* (passed|failed)" "$log" | tail -1)
    reports=$(grep -c -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log")
    summary+=("$s: exit $rc, ${seconds} s, sanitizer reports $reports; ${result:-no test summary}")
    [ $rc -eq 0 ] || status=1
done
printf '%s\n' "${summary[@]}"
exit $status
