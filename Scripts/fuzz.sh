#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs them for a fixed time from the seed corpus.
#
#     Scripts/fuzz.sh [ratings|catalog|model|all] [seconds]     # default: all, 60 s each
#
# Each target runs under `nice -n 19` (the machine is shared with benchmarks) with
# AddressSanitizer, a 2 GiB RSS limit, a 512 MiB single-allocation limit (a larger malloc is
# a finding: the loaders must refuse absurd sizes before allocating) and a 10 s per-input
# timeout (a hang is a finding). The committed seeds in Fuzz/corpus/<target>/ are copied to a
# working corpus under Fuzz/.build/, which grows between runs; crashing inputs land in
# Fuzz/.build/findings/<target>/. Copy each one to Tests/EmbedRecTests/Regressions/<target>/
# once fixed: `swift test` replays them all (FuzzRegressionTests).
# KEEP_GOING=1 runs in fork mode and carries on past findings (the run's log lists them all).
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"

which_target=${1:-all}
seconds=${2:-60}
case "$which_target" in
    all) targets=(ratings catalog model) ;;
    ratings|catalog|model) targets=("$which_target") ;;
    *) echo "usage: $0 [ratings|catalog|model|all] [seconds]" >&2; exit 2 ;;
esac

# -sanitize=fuzzer instruments the Swift code for coverage and links libFuzzer; SwiftPM names
# the entry point itself, so each target's main calls LLVMFuzzerRunDriver. gold fails to link
# the instrumented objects (an internal error in its DWARF reader), hence lld. -enable-testing
# lets the targets reach the library's package-level FuzzEntryPoints through @testable.
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
       -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)
for product in FuzzRatings FuzzCatalog FuzzModel; do swift build "${flags[@]}" --product "$product"; done
bin=$(swift build "${flags[@]}" --show-bin-path)

status=0
for target in "${targets[@]}"; do
    case "$target" in
        ratings) executable=FuzzRatings ;;
        catalog) executable=FuzzCatalog ;;
        model) executable=FuzzModel ;;
    esac
    work=.build/corpus-work/$target
    findings=.build/findings/$target
    mkdir -p "$work" "$findings"
    cp -n corpus/"$target"/* "$work"/ 2>/dev/null || true
    log=.build/fuzz-$target.log
    options=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10
             -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/")
    if [ "${KEEP_GOING:-0}" = 1 ]; then
        options+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    fi
    echo "== $target: $seconds s, corpus $work, findings $findings, log Fuzz/$log"
    # Leak checks stay off: the Swift runtime's one-time caches read as leaks to LeakSanitizer.
    # Swift's own backtracer trips AddressSanitizer while it reads a crashed stack: libFuzzer's
    # report says enough.
    if ! ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no nice -n 19 "$bin/$executable" "${options[@]}" "$work" > "$log" 2>&1; then
        status=1
        echo "   finding(s): $(ls "$findings" | wc -l) file(s) in Fuzz/$findings"
    fi
    # The last progress line (executions, coverage, crashes) and the final statistics.
    grep -E "^#[0-9]+[:[:space:]]" "$log" | tail -1 | sed 's/^/   /' || true
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|INFO: exiting)" "$log" | sed 's/^/   /' || true
done
exit $status
