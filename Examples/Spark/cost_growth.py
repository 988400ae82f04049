"""Cost growth of all-users scoring and ALS training with the number of users: one process
against the Spark job in local mode, on generated goodbooks-shaped data.

    .build-spark/venv/bin/python Examples/Spark/cost_growth.py --embedrec .build/release/embedrec \
        --scales 1 10 100 --work /tmp/growth --json growth.json

For each readers scale M (53,424 × M readers, 10,000 books, 981,756 × M ratings; `embedrec
generate --readers-scale M --exposure 0`, as the taste-driven draw takes about a minute per
million ratings and cost does not depend on it):
- `embedrec train --model als` (64 factors, 15 iterations): fit seconds, ratings·iterations/s
  and the command's peak memory (/usr/bin/time);
- `embedrec recommend --all --k 10` in one process (CSV), and one shard of --shards of it;
- score_all_users.py in local[2] with --shards tasks: Spark's start-up, shipping, the job, the
  scoring inside it (the binaries' seconds, summed and per shard) and each binary's peak memory.
Docs/Sharding.md records a run. Prints a Markdown table; --json keeps every number.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(command, **kwargs):
    """(wall seconds, peak resident bytes, stdout) of a command run under /usr/bin/time."""
    started = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-f", "PEAK_KB %M"] + command, capture_output=True, text=True, **kwargs)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    peak = int(re.findall(r"PEAK_KB (\d+)", run.stderr)[-1]) * 1024
    return seconds, peak, run.stdout


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--embedrec", required=True)
    p.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    p.add_argument("--shards", type=int, default=16)
    p.add_argument("--work", required=True, help="a directory with room for the data (≈ 6 GB at scale 100)")
    p.add_argument("--json", default=None)
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    a = p.parse_args(argv)
    embedrec = os.path.abspath(a.embedrec)
    os.makedirs(a.work, exist_ok=True)
    results = []
    for m in a.scales:
        r = {"readers_scale": m}
        ratings, model = f"{a.work}/g{m}.csv", f"{a.work}/g{m}.safetensors"
        for path in (ratings, model):
            if os.path.exists(path):
                os.remove(path)
        r["generate_seconds"], _, out = timed([embedrec, "generate", "--readers-scale", str(m), "--exposure", "0", "--output", ratings])
        print(out.strip(), file=sys.stderr)
        r["train_seconds"], r["train_peak_bytes"], out = timed([embedrec, "train", ratings, "--model", "als", "--output", model])
        r["fit_seconds"] = float(re.search(r"Fitted in ([0-9.]+) s", out).group(1))
        r["train_ratings"] = int(re.search(r"on (\d+) ratings", out).group(1))
        r["users"] = json.loads(subprocess.run([embedrec, "info", model, "--json"], capture_output=True, text=True).stdout)["users"]
        print(f"M={m}: fitted {r['train_ratings']} ratings in {r['fit_seconds']} s", file=sys.stderr)
        single = f"{a.work}/single{m}.csv"
        r["single_seconds"], r["single_peak_bytes"], _ = timed(
            [embedrec, "recommend", model, "--all", "--k", "10", "--output", single])
        r["single_shard_seconds"], r["single_shard_peak_bytes"], _ = timed(
            [embedrec, "recommend", model, "--all", "--k", "10", "--shard", f"1/{a.shards}", "--output", f"{a.work}/shard{m}.csv"])
        table, metrics = f"{a.work}/top{m}.parquet", f"{a.work}/metrics{m}.json"
        subprocess.run(["rm", "-rf", table], check=True)
        r["spark_wall_seconds"], r["spark_driver_peak_bytes"], out = timed(
            [sys.executable, f"{HERE}/score_all_users.py", "--master", "local[2]", "--model", model, "--embedrec", embedrec,
             "--shards", str(a.shards), "--k", "10", "--output", table, "--metrics", metrics])
        spark = json.load(open(metrics))
        r["spark"] = spark
        shard_seconds = [s["seconds"] for s in spark["per_shard"]]
        r["spark_shard_seconds_max"] = max(shard_seconds)
        r["spark_shard_peak_bytes_max"] = max(s["peak_bytes"] for s in spark["per_shard"])
        print(f"M={m}: single {r['single_seconds']:.1f} s, spark {r['spark_wall_seconds']:.1f} s", file=sys.stderr)
        results.append(r)
        if not a.keep:
            for path in (ratings, model, single, f"{a.work}/shard{m}.csv"):
                os.remove(path)
            subprocess.run(["rm", "-rf", table], check=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=1)

    gb = 1 << 30
    print("| readers | ratings | ALS fit (15 it.) | ratings·it./s | train peak | one process: all users | peak | "
          "one shard of %d | peak | Spark local[2]: total | start-up | job | scoring in tasks (Σ) | shard max | shard peak |" % a.shards)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        s = r["spark"]
        print(f"| {r['users']:,} | {r['train_ratings']:,} | {r['fit_seconds']:.1f} s | "
              f"{r['train_ratings'] * 15 / r['fit_seconds'] / 1e6:.0f} M | {r['train_peak_bytes'] / gb:.2f} GiB | "
              f"{r['single_seconds']:.1f} s | {r['single_peak_bytes'] / gb:.2f} GiB | "
              f"{r['single_shard_seconds']:.2f} s | {r['single_shard_peak_bytes'] / gb:.2f} GiB | "
              f"{r['spark_wall_seconds']:.1f} s | {s['spark_start_seconds']:.1f} s | {s['job_seconds']:.1f} s | "
              f"{s['scoring_seconds_sum']:.1f} s | {r['spark_shard_seconds_max']:.2f} s | {r['spark_shard_peak_bytes_max'] / gb:.2f} GiB |")


if __name__ == "__main__":
    main()
