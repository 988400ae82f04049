#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them for a fixed time from the seed corpus.
#
#     Scripts/fuzz.sh [ratings|catalog|model|server|reload|all] [seconds]     # default: all, 60 s each
#
# ratings, catalog and model are the library's loaders (the package in Fuzz/); server is
# BookServer's request handling and reload its model reload's file checks (the package in
# Examples/BookServer/Fuzz/, which builds Hummingbird: only a run that includes them builds it).
# Each target runs under `nice -n 19` (the machine is shared with benchmarks) with
# AddressSanitizer, a 2 GiB RSS limit, a 512 MiB single-allocation limit (a larger malloc is
# a finding: the loaders must refuse absurd sizes before allocating) and a 10 s per-input
# timeout (a hang is a finding). The committed seeds in <package>/corpus/<target>/ are copied to
# a working corpus under <package>/.build/, which grows between runs; crashing inputs land in
# <package>/.build/findings/<target>/. Copy each one, once fixed, to
# Tests/EmbedRecTests/Regressions/<target>/ (server: Examples/BookServer/Tests/BookServerTests/
# Regressions/server/): `swift test` replays them all (FuzzRegressionTests, RequestFuzzingTests).
# KEEP_GOING=1 runs in fork mode and carries on past findings (the run's log lists them all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

which_target=${1:-all}
seconds=${2:-60}
case "$which_target" in
    all) targets=(ratings catalog model server reload) ;;
    ratings|catalog|model|server|reload) targets=("$which_target") ;;
    *) echo "usage: $0 [ratings|catalog|model|server|reload|all] [seconds]" >&2; exit 2 ;;
esac

# -sanitize=fuzzer instruments the Swift code for coverage and links libFuzzer; SwiftPM names
# the entry point itself, so each target's main calls LLVMFuzzerRunDriver. gold fails to link
# the instrumented objects (an internal error in its DWARF reader), hence lld. -enable-testing
# lets the server targets reach _BookServerFuzzing's internal RequestFuzzing and ReloadFuzzing
# through @testable (the library's targets use _EmbedRecFuzzing's public entry points).
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
       -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)

status=0
for target in "${targets[@]}"; do
    case "$target" in
        ratings) package=Fuzz; executable=FuzzRatings; max_len=65536 ;;
        catalog) package=Fuzz; executable=FuzzCatalog; max_len=65536 ;;
        model) package=Fuzz; executable=FuzzModel; max_len=65536 ;;
        # The server's fuzzing body limit is 2 KiB: longer inputs only reach the 413.
        server) package=Examples/BookServer/Fuzz; executable=FuzzServer; max_len=8192 ;;
        # A kind byte and a few mutations or a small file: what lies at the model path.
        reload) package=Examples/BookServer/Fuzz; executable=FuzzReload; max_len=4096 ;;
    esac
    cd "$root/$package"
    swift build "${flags[@]}" --product "$executable"
    bin=$(swift build "${flags[@]}" --show-bin-path)
    work=.build/corpus-work/$target
    findings=.build/findings/$target
    mkdir -p "$work" "$findings"
    cp -n corpus/"$target"/* "$work"/ 2>/dev/null || true
    log=.build/fuzz-$target.log
    options=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10
             -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$findings/")
    if [ "${KEEP_GOING:-0}" = 1 ]; then
        options+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    fi
    echo "== $target: $seconds s, corpus $package/$work, findings $package/$findings, log $package/$log"
    # Leak checks stay off: the Swift runtime's one-time caches read as leaks to LeakSanitizer.
    # Swift's own backtracer trips AddressSanitizer while it reads a crashed stack: libFuzzer's
    # report says enough.
    if ! ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no nice -n 19 "$bin/$executable" "${options[@]}" "$work" > "$log" 2>&1; then
        status=1
        echo "   finding(s): $(ls "$findings" | wc -l) file(s) in $package/$findings"
    fi
    # The last progress line (executions, coverage, crashes) and the final statistics.
    grep -E "^#[0-9]+[:[:space:]]" "$log" | tail -1 | sed 's/^/   /' || true
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|INFO: exiting)" "$log" | sed 's/^/   /' || true
done
exit $status
