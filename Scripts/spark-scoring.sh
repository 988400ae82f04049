#!/usr/bin/env bash
# All-users scoring on Spark, checked: Examples/Spark/score_all_users.py in local mode against
# the single-process `embedrec recommend --all` on a small saved recommender (text user IDs,
# integer item IDs, more shards than executors), with one task killed on purpose and retried.
# Exit status 0 only when every check holds:
#   1. the table equals the single-process output (every user once, the same lists);
#   2. the checker fails on a copy with one shard's part file corrupted;
#   3. a missing model, a binary that does not run on the executors and an existing output
#      each fail the job with a message naming the cause, and leave no table behind.
#
#     Scripts/spark-scoring.sh            # ~1 min after the first run (pip install: ~1 min)
#
# It creates its own virtual environment (.build-spark/venv, pinned by
# Examples/Spark/requirements.txt) and builds the debug binary (or takes EMBEDREC). Without Java
# 17, or without PyPI, it says "skipped" and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { echo "[spark-scoring] $*"; }
fail() { echo "[spark-scoring] FAILED: $*" >&2; exit 1; }

if ! command -v java >/dev/null 2>&1; then
    say "skipped: no java on PATH (Spark 4 needs Java 17)"; exit 0
fi
java_major=$(java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1)
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
    say "skipped: java ${java_major:-of unknown version} found; Spark 4 needs Java 17"; exit 0
fi

venv=${SPARK_VENV:-$root/.build-spark/venv}
if ! "$venv/bin/python" -c "import pyspark, pyarrow, pandas" 2>/dev/null; then
    say "creating $venv (pyspark, pyarrow, pandas)"
    if ! { python3 -m venv "$venv" && "$venv/bin/python" -m pip install -q --disable-pip-version-check -r Examples/Spark/requirements.txt; }; then
        say "skipped: could not install pyspark, pyarrow and pandas (is PyPI reachable?)"; exit 0
    fi
fi
python=$venv/bin/python
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}  # loopback only, and no warning about the hostname

# The binary of this checkout: EMBEDREC if given, else the debug build (a no-op after `swift
# test`, and never a stale release build).
embedrec=${EMBEDREC:-}
if [ -z "$embedrec" ]; then
    swift build --product embedrec >/dev/null
    embedrec=$root/.build/debug/embedrec
fi
say "binary: $embedrec"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# 3,000 users with text IDs over 800 items, 12 ratings each; ALS; six blocks of 512 users.
# Every 250th user's ID holds a comma and quotes, which CSV must quote and Arrow must unquote.
"$python" - <<'EOF'
import random
r = random.Random(1)
with open("ratings.csv", "w") as f:
    f.write("user,item,rating\n")
    for u in range(3000):
        name = f'"say ""hi"", u{u:05d}"' if u % 250 == 7 else f"u{u:05d}"
        for i in r.sample(range(800), 12):
            f.write(f"{name},{i},{r.randint(1, 5)}\n")
EOF
"$embedrec" train ratings.csv --model als --output model.safetensors >/dev/null
"$embedrec" recommend model.safetensors --all --k 10 --output single.csv >/dev/null

job() { "$python" "$root/Examples/Spark/score_all_users.py" "$@"; }
check() { "$python" "$root/Examples/Spark/check_output.py" "$@"; }

# 1. Seven shards on two executor threads (local[2], up to 3 attempts per task); shard 3's first
#    attempt dies with half its rows handed to the writer.
say "job: 7 shards on local[2], shard 3 killed once"
job --master 'local[2,3]' --model model.safetensors --embedrec "$embedrec" --shards 7 --k 10 \
    --output top.parquet --fail-once 3 --metrics metrics.json 2>job.err | tee job.out \
    || { tail -5 job.err >&2; fail "the job failed"; }
grep -q "retried shards: \[3\]" job.out || fail "shard 3 was not retried: $(cat job.out)"
check --table top.parquet --expected single.csv 2>check.err || { cat check.err >&2; fail "the table differs"; }
parts=$(ls top.parquet | grep -c '^part-' || true)
[ "$parts" -ge 1 ] && [ "$parts" -le 7 ] || fail "expected at most one part file per shard: $(ls top.parquet)"
grep -q 'say "hi", u00007' <("$python" -c "import pyarrow.parquet as pq; print('\n'.join(map(str, pq.read_table('top.parquet').column('user').unique().to_pylist())))") \
    || fail "the quoted user ID did not come through"

# 2. One shard's part file corrupted (a user's rows dropped, another's first item changed).
cp -r top.parquet corrupt.parquet
"$python" - <<'EOF'
import glob
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
part = sorted(glob.glob("corrupt.parquet/part-00002-*"))[0]
t = pq.read_table(part)
users = t.column("user").unique()
t = t.filter(pc.not_equal(t.column("user"), users[0]))
items = t.column("item").to_pylist()
items[0] = items[1]
t = t.set_column(t.schema.get_field_index("item"), "item", pa.array(items, t.schema.field("item").type))
pq.write_table(t, part)
EOF
rm -f corrupt.parquet/.part-00002-*.crc  # Hadoop's checksum would catch the rewrite; test the content check
if check --table corrupt.parquet --expected single.csv 2>corrupt.err; then fail "the checker passed a corrupted shard"; fi
grep -q "1 users missing" corrupt.err && grep -q "1 users with other lists" corrupt.err \
    || fail "the checker did not name the corruption: $(cat corrupt.err)"
say "corrupted shard refused: $(grep '^check failed' corrupt.err | cut -c15-200)"

# 3. Bad input: each fails with its cause and leaves no table.
expect_failure() {
    local what=$1 pattern=$2 output=$3; shift 3
    if job "$@" --output "$output" >bad.out 2>bad.err; then fail "$what: the job succeeded"; fi
    grep -q "^error: .*$pattern" bad.err || fail "$what: no message naming the cause: $(grep '^error' bad.err || tail -3 bad.err)"
    say "$what refused: $(grep '^error' bad.err)"
}
expect_failure "missing model" "no such file" none.parquet --model missing.safetensors --embedrec "$embedrec"
[ ! -e none.parquet ] || fail "missing model: a table was written"
cat > broken-embedrec <<EOF
#!/bin/sh
# Answers the driver's info call, then fails on the executors as a binary without its OpenBLAS does.
if [ "\$1" = info ]; then exec "$embedrec" "\$@"; fi
echo "embedrec: error while loading shared libraries: libopenblas.so.0: cannot open shared object file: No such file or directory" >&2
exit 127
EOF
chmod +x broken-embedrec
expect_failure "binary that does not run on the executors" "does not run on executor" none.parquet \
    --master 'local[2]' --model model.safetensors --embedrec "$work/broken-embedrec" --shards 4
[ -z "$(ls -d none.parquet* 2>/dev/null)" ] || fail "broken binary: a table or staging directory was left: $(ls -d none.parquet*)"
before=$(ls -l top.parquet | md5sum)
expect_failure "existing output" "exists" top.parquet --model model.safetensors --embedrec "$embedrec"
[ "$(ls -l top.parquet | md5sum)" = "$before" ] || fail "existing output: the table was changed"

say "passed: $(head -1 job.out)"
