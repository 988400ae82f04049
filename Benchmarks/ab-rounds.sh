#!/usr/bin/env bash
# Alternates two release builds of embedrec-bench (./old and ./new in the current folder) over
# three rounds of the load, train, score, fold-in and ranking suites, old first in odd rounds, and
# prints each result line under a "### round R BUILD CASE" header (Docs/Benchmarks.md, "One way
# to fit", was made with it):
#     cp OLD/.build/release/embedrec-bench old; cp NEW/.build/release/embedrec-bench new
#     SHARED=../shared/data bash Benchmarks/ab-rounds.sh | tee ab.log
set -u
shared=${SHARED:-../shared/data}

run() {   # run BUILD ROUND CASE ARGS...
    local build=$1 round=$2 name=$3; shift 3
    echo "### round $round $build $name"
    "./$build" "$@" --shared-data "$shared" --work-dir "ab-work/$build-$round-$name" 2>/dev/null \
        | grep -E '^  (load|score|foldin|train|ranking)/'
}

# SUITES picks some of: load score foldin train-mf train-biasedmf ranking (default: all).
suites=${SUITES:-load score foldin train-mf train-biasedmf ranking}
wanted() { [[ " $suites " == *" $1 "* ]]; }

for round in 1 2 3; do
    if (( round % 2 == 1 )); then order=(old new); else order=(new old); fi
    for build in "${order[@]}"; do
        wanted load && run "$build" "$round" load load --repeats 5
        wanted score && run "$build" "$round" score score --repeats 5
        wanted foldin && run "$build" "$round" foldin foldin --repeats 5
        wanted train-mf && run "$build" "$round" train-mf train --epochs 3 --repeats 1 --only "MF d=5 b64 Adam"
        wanted train-biasedmf && run "$build" "$round" train-biasedmf train --epochs 3 --repeats 1 --only "BiasedMF d=50 b64 Adam L2"
        wanted ranking && run "$build" "$round" ranking ranking --only ml-1m
    done
done
echo "### done"
