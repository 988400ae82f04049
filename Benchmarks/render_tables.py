#!/usr/bin/env python3
"""Renders the Markdown result tables of Docs/Benchmarks.md from an embedrec-bench JSON report.

    python3 Benchmarks/render_tables.py Docs/results/FILE.json              # print the tables
    python3 Benchmarks/render_tables.py Docs/results/FILE.json --update Docs/Benchmarks.md

With --update, the text between `<!-- results:begin -->` and `<!-- results:end -->` in the
Markdown file is replaced by the tables, so the document's figures always come from a committed
JSON file. Python 3 standard library only.
"""

import argparse
import json
import math
import sys

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

SUITES = [
    ("blas", "OpenBLAS sgemm"),
    ("load", "Loading a ratings file into a dataset with ID maps"),
    ("train", "Training throughput over whole epochs, with test RMSE"),
    ("score", "All-users top-K"),
    ("foldin", "New reader (fold-in)"),
    ("similar", "Similar items"),
    ("quality", "Accuracy"),
]


def number(v):
    """Three significant figures, with k/M suffixes for large values."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, str):
        return v
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g} M"
    if a >= 1e4:
        return f"{v / 1e3:.3g} k"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.4g}"


def value(r, key):
    v = r.get("extras", {}).get(key)
    return None if v in (None, "nan") else v


def figure(r):
    unit = r["unit"]
    spread = f"{number(r['low'])}–{number(r['high'])}" if r["low"] != r["high"] else ""
    return f"**{number(r['median'])}** {unit}", spread


def accuracy(r):
    """The accuracy (or other context) a row carries beside its speed."""
    parts = []
    if value(r, "test RMSE") is not None:
        text = f"test RMSE {number(value(r, 'test RMSE'))}"
        if value(r, "global-mean RMSE") is not None:
            text += f" (mean {number(value(r, 'global-mean RMSE'))}, biases {number(value(r, 'bias-only RMSE'))})"
        parts.append(text)
    if value(r, "peer test RMSE") is not None:
        parts.append(f"peer RMSE {number(value(r, 'peer test RMSE'))}")
    skip = {"test RMSE", "global-mean RMSE", "bias-only RMSE", "peer test RMSE", "paired ratio",
            "paired ratio min", "paired ratio max", "rows"}
    for k, v in sorted(r.get("extras", {}).items()):
        if k in skip or v in (None, "nan"):
            continue
        if k == "shuffle+gather share":
            parts.append(f"shuffle+gather {100 * v:.0f}% of the epoch")
        elif isinstance(v, float) and v.is_integer() and k in ("epochs", "threads", "members", "epoch", "peer epochs"):
            parts.append(f"{k} {int(v)}")
        else:
            parts.append(f"{k} {number(v)}")
    return "; ".join(parts)


def ratio(r):
    if r.get("ratio") is None:
        return ""
    text = f"**{r['ratio']:.2f}×**"
    if value(r, "paired ratio") is not None:
        text += (f"; paired rounds {value(r, 'paired ratio'):.2f}× "
                 f"({value(r, 'paired ratio min'):.2f}–{value(r, 'paired ratio max'):.2f})")
    return text


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(doc):
    m = doc.get("machine", {})
    out = [f"Machine: {m.get('cpu', '?')} ({m.get('cores', '?')} cores, {m.get('simd', '')}), "
           f"{m.get('memoryGiB', '?')} GiB; {m.get('openblas', '?')}, kernels {m.get('openblasKernels', '?')}.",
           ""]
    results = doc["results"]
    for suite, title in SUITES:
        rows = [r for r in results if r["suite"] == suite]
        if not rows:
            continue
        out.append(f"#### {title}")
        out.append("")
        with_peer = any(r.get("peerName") for r in rows)
        header = ["case", "EmbedRec", "spread", "accuracy and details"]
        if with_peer:
            header += ["peer", "peer figure", "ratio (> 1: EmbedRec better)", "like for like?"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for r in rows:
            main, spread = figure(r)
            line = [r["name"], main, spread, accuracy(r)]
            if with_peer:
                peer = r.get("peerName") or ""
                line += [peer, number(r.get("peerMedian")) if peer else "", ratio(r), r.get("comparison") or ""]
            out.append("| " + " | ".join(cell(c) for c in line) + " |")
        out.append("")
    if doc.get("skipped"):
        out.append("Skipped in this run: " + "; ".join(doc["skipped"]) + ".")
        out.append("")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("json")
    p.add_argument("--update", metavar="MARKDOWN")
    a = p.parse_args(argv)
    with open(a.json, encoding="utf-8") as f:
        doc = json.load(f)
    tables = render(doc)
    if not a.update:
        print(tables)
        return 0
    with open(a.update, encoding="utf-8") as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        print(f"{a.update}: needs exactly one {BEGIN} and one {END}", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    source = f"<!-- generated by Benchmarks/render_tables.py from {a.json}; do not edit by hand -->"
    with open(a.update, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + source + "\n\n" + tables + "\n" + END + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
