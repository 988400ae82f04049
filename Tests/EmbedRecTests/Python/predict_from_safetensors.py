"""Reproduces EmbedRec predictions from a saved recommender with safetensors + NumPy only.

Usage: predict_from_safetensors.py MODEL.safetensors PAIRS.csv
PAIRS.csv holds raw `user_id,item_id` lines; prints one predicted rating per line.
This is the reader Docs/FileFormat.md describes: a PyTorch or NumPy user needs nothing else.
"""
import json
import sys

import numpy as np
from safetensors import safe_open


def activation(output, x):
    if output == "linear" or "linear" in output:
        return x
    if "relu" in output:
        return np.maximum(x, 0)
    scaled = output["sigmoidScaled"]
    lo, hi = scaled["min"], scaled["max"]
    return lo + (hi - lo) / (1 + np.exp(-x))


def main(model_path, pairs_path):
    with safe_open(model_path, framework="numpy") as f:
        meta = f.metadata()
        t = {name: f.get_tensor(name) for name in f.keys()}
    assert meta["format"] == "embedrec.recommender" and meta["format_version"] == "1"
    kind = meta["model_kind"]
    config = json.loads(meta["model_configuration"])
    pairs = np.loadtxt(pairs_path, delimiter=",", dtype=np.int64, ndmin=2)
    # Raw IDs → rows: the ID maps are sorted, so a binary search finds each row.
    users = np.searchsorted(t["user_ids"], pairs[:, 0])
    items = np.searchsorted(t["item_ids"], pairs[:, 1])
    assert (t["user_ids"][users] == pairs[:, 0]).all() and (t["item_ids"][items] == pairs[:, 1]).all()
    p, q = t["user_embedding"][users], t["item_embedding"][items]
    if kind == "MatrixFactorization":
        out = (p * q).sum(axis=1)
    elif kind == "BiasedMF":
        x = (p * q).sum(axis=1) + t["user_bias"][users, 0] + t["item_bias"][items, 0]
        if "global_offset" in t:
            x = x + t["global_offset"][0]
        out = activation(config["output"], x)
    elif kind == "ConcatMLP":
        x = np.concatenate([p, q], axis=1)
        layers = len(config["hiddenUnits"])
        for l in range(layers):
            x = np.maximum(x @ t[f"dense_{l}_kernel"] + t[f"dense_{l}_bias"], 0)
        x = (x @ t["output_kernel"] + t["output_bias"])[:, 0]
        out = activation(config["output"], x)
    else:
        raise SystemExit(f"unknown model kind {kind}")
    np.savetxt(sys.stdout, out.astype(np.float64), fmt="%.9g")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
