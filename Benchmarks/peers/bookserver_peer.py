"""BookServer's /recommend written the way a Python user would: FastAPI + uvicorn + NumPy over
the embeddings of the same saved recommender (a safetensors file; Docs/FileFormat.md).

    OPENBLAS_NUM_THREADS=1 .venv-peers/bin/python Benchmarks/peers/bookserver_peer.py \
        books.safetensors --port 8090 --workers 2

GET /recommend?user=ID&k=10 answers like BookServer's: the K best books the reader has not
rated, with predicted ratings, titles, authors and cover URLs. Supports the BiasedMF and
MatrixFactorization files (what `bookserver demo-model` and the tutorials' models save).

The workers are started here rather than with `uvicorn --workers 2`: uvicorn's shared socket
is created without IPPROTO_TCP, so asyncio never sets TCP_NODELAY on its connections and every
keep-alive response waits ~40 ms for a delayed ACK (measured: 340 requests/s at a 45 ms median
for any endpoint). A socket made with IPPROTO_TCP is what a tuned deployment gets.
"""
import json
import argparse
import os
import socket
import sys

import numpy as np
from fastapi import FastAPI, HTTPException, Query
from safetensors.numpy import load_file
from safetensors import safe_open

MODEL_PATH = os.environ.get("BOOKSERVER_MODEL") or (sys.argv[1] if len(sys.argv) > 1 else "books.safetensors")

tensors = load_file(MODEL_PATH)
with safe_open(MODEL_PATH, framework="numpy") as f:
    metadata = f.metadata()

config = json.loads(metadata["model_configuration"])
user_emb = tensors["user_embedding"]
item_emb = tensors["item_embedding"]
user_bias = tensors.get("user_bias", np.zeros((user_emb.shape[0], 1), np.float32))[:, 0]
item_bias = tensors.get("item_bias", np.zeros((item_emb.shape[0], 1), np.float32))[:, 0]
global_offset = float(tensors["global_offset"][0]) if "global_offset" in tensors else 0.0
output = config.get("output", {"linear": {}})
sigmoid = output.get("sigmoidScaled")

user_row = {int(raw): row for row, raw in enumerate(tensors["user_ids"])}
item_ids = tensors["item_ids"]
rated_offsets = tensors["rated_offsets"]
rated_items = tensors["rated_items"]

catalog = {}
if "catalog" in metadata:
    for entry in json.loads(metadata["catalog"]):
        catalog[entry["rawID"]] = entry

app = FastAPI()


def book(raw_id: int, predicted: float) -> dict:
    entry = catalog.get(raw_id, {})
    return {
        "id": raw_id,
        "title": entry.get("title", f"Book {raw_id}"),
        "authors": entry.get("authors"),
        "year": entry.get("year"),
        "imageURL": entry.get("imageURL"),
        "predictedRating": predicted,
    }


@app.get("/recommend")
async def recommend(user: int, k: int = Query(10, ge=1, le=100)):
    row = user_row.get(user)
    if row is None:
        raise HTTPException(status_code=404, detail=f"unknown user {user}")
    scores = item_emb @ user_emb[row] + item_bias + (user_bias[row] + global_offset)
    scores[rated_items[rated_offsets[row]:rated_offsets[row + 1]]] = -np.inf
    k = min(k, scores.shape[0])
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    predicted = scores[top]
    if sigmoid is not None:
        lo, hi = sigmoid["min"], sigmoid["max"]
        predicted = lo + (hi - lo) / (1 + np.exp(-predicted))
    return {
        "user": user,
        "k": k,
        "popularityFallback": False,
        "unknownItemIDs": [],
        "recommendations": [book(int(item_ids[i]), float(p)) for i, p in zip(top, predicted)],
    }


@app.get("/health")
async def health():
    return {"status": "ok", "users": len(user_row), "items": int(item_ids.shape[0])}


def serve():
    """Binds one TCP socket and forks --workers uvicorn servers onto it (the model is loaded
    once, before the fork, and shared copy-on-write)."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            config = uvicorn.Config(app, access_log=False, log_level="warning")
            uvicorn.Server(config).run(sockets=[sock])
            os._exit(0)
        children.append(pid)
    import signal

    def stop(*_):
        for child in children:
            os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        os.waitpid(child, 0)


if __name__ == "__main__":
    serve()
