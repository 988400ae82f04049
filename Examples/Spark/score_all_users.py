"""Every user's top-K from a saved EmbedRec recommender, scored on Spark executors.

One Spark task per shard: each task runs `embedrec recommend MODEL --all --shard i/n` (the model
file and the binary are shipped to the executors with SparkContext.addFile), reads its CSV with
Arrow and hands the record batches to Spark (mapInArrow), which writes a Parquet table (user,
rank, item, score) with the IDs as the data had them. The same code runs
in local mode and on a cluster:

    python score_all_users.py --master 'local[2]' --model books.safetensors \
        --embedrec ../../.build/release/embedrec --shards 16 --output top10.parquet
    spark-submit --master spark://host:7077 score_all_users.py --model ... --output hdfs:///top10

Why it is correct under Spark's rules (README.md has the details):
- shard i of n is a fixed set of users (whole blocks of 512), whatever executor runs it and
  however often, so a retried task writes the same rows, and n does not depend on the executors;
- a task yields rows only after the binary has exited 0 and its users counted, and Parquet is
  written through Spark's commit protocol (a failed attempt's files are discarded) into a staging
  directory that is renamed to --output only when the whole job has succeeded: no partial table.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# Executors in local mode start this interpreter (the one that has pyspark), not `python3`.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

# A failing task's message sits between these markers, so the driver can find it, whole, in the
# Java exception that wraps the Python traceback.
TASK_ERROR, TASK_ERROR_END = "EMBEDREC-TASK-ERROR: ", " :EMBEDREC-TASK-ERROR-END"


def task_failure(message):
    """The exception a task raises: the job stops on it (after Spark's retries) with `message`."""
    return RuntimeError(f"{TASK_ERROR}{message}{TASK_ERROR_END}")


class JobError(Exception):
    """A cause the driver reports in one line before it exits non-zero."""


def parse_arguments(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="a recommender saved by `embedrec train --output`")
    p.add_argument("--embedrec", required=True, help="the embedrec binary, built for the executors' CPU family")
    p.add_argument("--output", required=True, help="the Parquet table to create (it must not exist)")
    p.add_argument("--shards", type=int, default=16, help="tasks, one shard of users each (any number ≥ 1)")
    p.add_argument("--k", type=int, default=10, help="items per user")
    p.add_argument("--master", default=None, help="Spark master when not given by spark-submit (e.g. local[2])")
    p.add_argument("--threads", type=int, default=0,
                   help="scoring threads per task (default: the cores Spark gives a task, spark.task.cpus)")
    p.add_argument("--metrics", default=None, help="write the per-shard timings and peak memory as JSON here")
    p.add_argument("--fail-once", type=int, default=None, metavar="SHARD",
                   help="testing: kill the worker in the first attempt of this shard, two batches in, so Spark retries it")
    a = p.parse_args(argv)
    if a.shards < 1:
        p.error("--shards must be at least 1")
    if a.k < 1:
        p.error("--k must be at least 1")
    return a


def binary_failure(returncode, stderr):
    """(cause, does the binary not run at all?) for an embedrec that exited non-zero: its last
    line of stderr without the "Error: " prefix; a missing shared library or exit 126/127 means
    the binary itself cannot run there."""
    if returncode < 0:
        return f"killed by signal {-returncode}", False
    cause = (stderr.strip() or f"exit status {returncode}").splitlines()[-1].removeprefix("Error: ")
    return cause, "error while loading shared libraries" in cause or returncode in (126, 127)


def check_local_inputs(a):
    """The driver reads both files to ship them: refuse missing ones before Spark starts."""
    for option, path in (("--model", a.model), ("--embedrec", a.embedrec)):
        if not os.path.exists(path):
            raise JobError(f"{option} {path}: no such file")
        if not os.path.isfile(path):
            raise JobError(f"{option} {path}: not a regular file")
        if not os.access(path, os.R_OK):
            raise JobError(f"{option} {path}: not readable")
    if not os.access(a.embedrec, os.X_OK):
        raise JobError(f"--embedrec {a.embedrec}: not executable (chmod +x)")


def describe_model(a):
    """`embedrec info --json` on the driver: the model opens, and its IDs' kinds give the schema."""
    try:
        run = subprocess.run([os.path.abspath(a.embedrec), "info", a.model, "--json"], capture_output=True, text=True,
                             timeout=600)
    except OSError as e:
        raise JobError(f"--embedrec {a.embedrec} does not run here: {e}")
    if run.returncode != 0:
        cause, cannot_run = binary_failure(run.returncode, run.stderr or run.stdout)
        if cannot_run:
            raise JobError(f"--embedrec {a.embedrec} does not run here: {cause}")
        raise JobError(f"--model {a.model}: {cause}")
    try:
        return json.loads(run.stdout)
    except ValueError:
        raise JobError(f"--embedrec {a.embedrec}: `info --json` printed no JSON (an embedrec older than this job?)")


def shard_scorer(model_name, binary_name, shards, k, threads, fail_once, metrics, id_kinds):
    """The task body for DataFrame.mapInArrow: for each shard number it receives, the binary's
    CSV read by Arrow (no Python object per row) and handed back as record batches, only after
    the binary has succeeded; its timing and peak memory go to the `metrics` accumulator (Spark
    merges the updates of successful attempts)."""

    def score(batches):
        from pyspark import SparkFiles, TaskContext

        context = TaskContext.get()
        for batch in batches:
            for shard in batch.column(0).to_pylist():
                model, binary = SparkFiles.get(model_name), SparkFiles.get(binary_name)
                work = tempfile.mkdtemp(prefix=f"embedrec-shard-{shard}-")
                try:
                    yield from score_shard(shard, model, binary, work, context)
                finally:
                    shutil.rmtree(work, ignore_errors=True)

    def score_shard(shard, model, binary, work, context):
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        if not os.access(binary, os.X_OK):
            os.chmod(binary, 0o755)
        out = os.path.join(work, "top.csv")
        # The task's cores for the scorer's workers (OpenBLAS stays single-threaded under them).
        cores = threads or context.cpus() or 1
        command = [binary, "recommend", model, "--all", "--k", str(k), "--shard", f"{shard}/{shards}",
                   "--threads", str(cores), "--format", "csv", "--output", out]
        environment = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        started = time.perf_counter()
        # stdout and stderr to files, and wait4 rather than communicate: the child's own peak
        # memory comes with its exit status.
        with open(os.path.join(work, "stdout"), "wb") as so, open(os.path.join(work, "stderr"), "wb") as se:
            try:
                process = subprocess.Popen(command, stdout=so, stderr=se, env=environment)
            except OSError as e:
                raise task_failure(f"shard {shard}: the embedrec binary does not run on executor "
                                   f"{os.uname().nodename}: {e}")
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        with open(os.path.join(work, "stdout"), encoding="utf-8", errors="replace") as f:
            line = f.read()
        if process.returncode != 0:
            with open(os.path.join(work, "stderr"), encoding="utf-8", errors="replace") as f:
                cause, cannot_run = binary_failure(process.returncode, f.read())
            if cannot_run:
                raise task_failure(f"shard {shard}: the embedrec binary does not run on executor "
                                   f"{os.uname().nodename}: {cause}")
            raise task_failure(f"shard {shard}: embedrec failed (attempt {context.attemptNumber()}): {cause}")
        # "rows 512..<1024 of 2671, shard 1/5": the users this shard must hold.
        try:
            span = line.split("rows ", 1)[1].split(" of ", 1)[0]
            first, end = (int(x) for x in span.split("..<"))
        except (IndexError, ValueError):
            raise task_failure(f"shard {shard}: unexpected embedrec output: {line.strip()}")
        users = rows = 0
        if end > first:
            # Only shard 0's file has the header line; text IDs come quoted where they need it.
            id_type = {"integer": pa.int64(), "text": pa.string()}
            table = pacsv.read_csv(
                out,
                read_options=pacsv.ReadOptions(column_names=["user", "rank", "item", "score"], skip_rows=1 if shard == 0 else 0),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(column_types={
                    "user": id_type[id_kinds[0]], "rank": pa.int32(), "item": id_type[id_kinds[1]], "score": pa.float64()},
                    strings_can_be_null=False, quoted_strings_can_be_null=False))
            # A user who has rated every item has an empty list and no row: at most, not exactly.
            users, rows = pc.count_distinct(table.column("user")).as_py(), table.num_rows
            if users > end - first:
                raise task_failure(f"shard {shard}: {users} users in the output, at most {end - first} expected")
            for number, piece in enumerate(table.to_batches(max_chunksize=1024)):
                if fail_once == shard and context.attemptNumber() == 0 and number == 2:
                    # The test of retries: this worker process dies with part of the shard's
                    # rows handed to the Parquet writer, as a lost executor would.
                    os.kill(os.getpid(), signal.SIGKILL)
                yield piece
        metrics.add([{"shard": shard, "attempt": context.attemptNumber(), "seconds": seconds,
                      "peak_bytes": usage.ru_maxrss * 1024, "users": users, "rows": rows}])

    return score


class ListParam:
    """Accumulates lists by concatenation (pyspark's AccumulatorParam protocol)."""

    def zero(self, value):
        return []

    def addInPlace(self, a, b):
        a.extend(b)
        return a


def task_error(exception):
    """Our one-line cause inside a Spark exception, or None."""
    for line in str(exception).splitlines():
        if TASK_ERROR in line and TASK_ERROR_END in line:
            return line.split(TASK_ERROR, 1)[1].split(TASK_ERROR_END, 1)[0]
    return None


def run(a):
    check_local_inputs(a)
    described = describe_model(a)
    timings = {"users": described["users"], "items": described["items"], "shards": a.shards, "k": a.k}

    started = time.perf_counter()
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    builder = (SparkSession.builder.appName("embedrec-score-all-users").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if a.master:
        builder = builder.master(a.master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")
    timings["spark_start_seconds"] = time.perf_counter() - started
    try:
        jvm, jsc = spark._jvm, spark._jsc
        path = jvm.org.apache.hadoop.fs.Path(a.output)
        fs = path.getFileSystem(jsc.hadoopConfiguration())
        if fs.exists(path):
            raise JobError(f"--output {a.output} exists; remove it or name another table")
        staging = jvm.org.apache.hadoop.fs.Path(f"{a.output}.incomplete-{os.getpid()}-{int(time.time())}")

        shipped = time.perf_counter()
        spark.sparkContext.addFile(os.path.abspath(a.model))
        spark.sparkContext.addFile(os.path.abspath(a.embedrec))
        timings["ship_seconds"] = time.perf_counter() - shipped

        def id_type(kind):
            return T.LongType() if kind == "integer" else T.StringType()

        schema = T.StructType([
            T.StructField("user", id_type(described["userIDs"]), False),
            T.StructField("rank", T.IntegerType(), False),
            T.StructField("item", id_type(described["itemIDs"]), False),
            T.StructField("score", T.DoubleType(), False),
        ])
        metrics = spark.sparkContext.accumulator([], ListParam())
        scorer = shard_scorer(os.path.basename(a.model), os.path.basename(a.embedrec), a.shards, a.k, a.threads,
                              a.fail_once, metrics, (described["userIDs"], described["itemIDs"]))
        # One partition per shard, so one task (and at most one Parquet part file) per shard.
        table = spark.range(0, a.shards, 1, a.shards).mapInArrow(scorer, schema)
        written = time.perf_counter()
        renamed = False
        try:  # the staging directory goes, whatever stops the job before the rename
            try:
                table.write.parquet(str(staging.toString()))
            except Exception as e:  # Spark wraps the task's exception in a Java one
                raise JobError(task_error(e) or f"the Spark job failed: {str(e).splitlines()[0]}")
            timings["job_seconds"] = time.perf_counter() - written
            if fs.exists(path):  # created by someone else while we ran
                raise JobError(f"--output {a.output} appeared while the job ran; the new table is discarded")
            renamed = fs.rename(staging, path)
            if not renamed:
                raise JobError(f"could not rename the finished table to {a.output}")
        finally:
            if not renamed:
                fs.delete(staging, True)
        per_shard = sorted(metrics.value, key=lambda m: m["shard"])
        timings["per_shard"] = per_shard
        timings["scoring_seconds_sum"] = sum(m["seconds"] for m in per_shard)
        timings["rows"] = sum(m["rows"] for m in per_shard)
    finally:
        spark.stop()
    timings["total_seconds"] = time.perf_counter() - started
    return timings


def main(argv=None):
    a = parse_arguments(argv)
    try:
        timings = run(a)
    except JobError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    retried = [m["shard"] for m in timings["per_shard"] if m["attempt"] > 0]
    print(f"wrote {timings['rows']} rows ({timings['users']} users × top {a.k}) in {a.shards} shards to {a.output}"
          + (f"; retried shards: {retried}" if retried else ""))
    print(f"spark start {timings['spark_start_seconds']:.1f} s, job {timings['job_seconds']:.1f} s "
          f"(scoring {timings['scoring_seconds_sum']:.1f} s summed over tasks), total {timings['total_seconds']:.1f} s")
    if a.metrics:
        with open(a.metrics, "w") as f:
            json.dump(timings, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
