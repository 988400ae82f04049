"""Checks a table written by score_all_users.py against the single-process output.

    python check_output.py --table top10.parquet --expected single.csv

--expected is `embedrec recommend MODEL --all --k K --output single.csv` on one machine. The table
is read back with Spark SQL; the check passes (exit 0) only when every user of the expected file
is in the table exactly once, with the same items in the same order and the same scores (4
decimals, as the binary writes them), and the table holds nothing else. Otherwise it prints what
differs and exits 1.
"""

import argparse
import csv
import os
import sys

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def expected_lists(path):
    """user → [(item, score text)] from the CSV, IDs as text (RFC 4180 quoting undone)."""
    lists = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        if next(reader, None) != ["user", "rank", "item", "score"]:
            raise SystemExit(f"{path}: not an `embedrec recommend --all` CSV (header user,rank,item,score)")
        for user, rank, item, score in reader:
            entries = lists.setdefault(user, [])
            if int(rank) != len(entries) + 1:
                raise SystemExit(f"{path}: user {user}: rank {rank} out of order")
            entries.append((item, score))
    return lists


def table_lists(spark, path):
    """user → [(item, score text)] from the table, and the users that appear more than once."""
    spark.read.parquet(path).createOrReplaceTempView("top")
    duplicated = [str(r.user) for r in spark.sql(
        "SELECT user FROM top GROUP BY user HAVING COUNT(*) <> COUNT(DISTINCT rank) OR MAX(rank) <> COUNT(*)").collect()]
    lists = {}
    for r in spark.sql("SELECT user, rank, item, score FROM top ORDER BY user, rank").toLocalIterator():
        lists.setdefault(str(r.user), []).append((str(r.item), f"{r.score:.4f}"))
    return lists, duplicated


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--table", required=True)
    p.add_argument("--expected", required=True)
    p.add_argument("--master", default="local[2]")
    a = p.parse_args(argv)

    expected = expected_lists(a.expected)
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master(a.master).appName("embedrec-check").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("FATAL")
    try:
        found, duplicated = table_lists(spark, a.table)
    except Exception as e:  # an unreadable part file fails the check, with Spark's first line
        print(f"check failed: cannot read {a.table}: {str(e).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        spark.stop()

    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    differing = sorted(u for u in set(expected) & set(found) if expected[u] != found[u])
    problems = []
    if duplicated:
        problems.append(f"{len(duplicated)} users more than once (e.g. {duplicated[:3]})")
    if missing:
        problems.append(f"{len(missing)} users missing (e.g. {missing[:3]})")
    if extra:
        problems.append(f"{len(extra)} users not in the single-process output (e.g. {extra[:3]})")
    if differing:
        u = differing[0]
        problems.append(f"{len(differing)} users with other lists (e.g. user {u}: {found[u][:3]} vs {expected[u][:3]})")
    rows = sum(len(v) for v in found.values())
    if problems:
        print(f"check failed: {a.table} differs from {a.expected}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"check passed: {len(found)} users, {rows} rows, every user once with the single-process list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
