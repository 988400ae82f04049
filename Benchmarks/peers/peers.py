#!/usr/bin/env python3
"""Python peers for embedrec-bench.

Each subcommand prints exactly ONE JSON object on stdout; everything else (logs, TensorFlow
noise, warnings) goes to stderr. On error: a message on stderr and a non-zero exit status.

Subcommands (see README.md in this folder):
  load        time pandas.read_csv on a ratings CSV
  keras       train one of the Keras-tutorial models, timing each epoch, test RMSE per epoch
  surprise    scikit-surprise SVD: time algo.fit, RMSE of algo.test
  numpy-topk  all-users top-K with NumPy (blocked U @ V.T, seen items masked, argpartition)

Run with the interpreter of <repo root>/.venv-peers (created by setup.sh).
"""

import os

# Must be set before TensorFlow / Keras are imported anywhere.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("PYTHONWARNINGS", "ignore")

import argparse
import json
import math
import statistics
import sys
import time

# ---------------------------------------------------------------------------------------------
# stdout hygiene: keep the real stdout aside (for the single JSON object) and point file
# descriptor 1 at stderr, so nothing else — Python prints, C++/absl logging, progress bars —
# can reach the caller's stdout.
# ---------------------------------------------------------------------------------------------
_JSON_OUT = None


def _isolate_stdout():
    global _JSON_OUT
    sys.stdout.flush()
    saved_fd = os.dup(1)
    os.dup2(2, 1)
    _JSON_OUT = os.fdopen(saved_fd, "w")
    sys.stdout = sys.stderr


def log(msg):
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


class PeerError(Exception):
    pass


def _finite(x):
    """Replace NaN/inf (not valid JSON) by None, recursively."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def emit(obj):
    text = json.dumps(_finite(obj), allow_nan=False)
    out = _JSON_OUT if _JSON_OUT is not None else sys.__stdout__
    out.write(text + "\n")
    out.flush()


def median(xs):
    return float(statistics.median(xs)) if xs else None


# ---------------------------------------------------------------------------------------------
# Data helpers
# ---------------------------------------------------------------------------------------------
def read_ratings(path, limit=None, need_rating=True):
    """Read a `user,item,rating` CSV (header required). Returns int64 users/items, float32 ratings."""
    import numpy as np
    import pandas as pd

    if not os.path.isfile(path):
        raise PeerError(f"file not found: {path}")
    df = pd.read_csv(path, nrows=limit)
    cols = ["user", "item"] + (["rating"] if need_rating else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise PeerError(f"{path}: header must contain {','.join(cols)}; got {','.join(map(str, df.columns))}")
    if len(df) == 0:
        raise PeerError(f"{path}: no rows")
    users = df["user"].to_numpy(dtype=np.int64)
    items = df["item"].to_numpy(dtype=np.int64)
    if users.min() < 0 or items.min() < 0:
        raise PeerError(f"{path}: user/item must be dense 0-based indices (found negative values)")
    ratings = df["rating"].to_numpy(dtype=np.float32) if need_rating else None
    return users, items, ratings


# ---------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------
def cmd_load(a):
    import pandas as pd

    if not os.path.isfile(a.file):
        raise PeerError(f"file not found: {a.file}")
    if a.repeats < 1:
        raise PeerError("--repeats must be >= 1")
    kwargs = {"engine": a.engine} if a.engine != "c" else {}
    if a.engine == "pyarrow":
        import pyarrow  # noqa: F401  (fail here, clearly, when it is missing)
        import pyarrow as pa
        log(f"pyarrow {pa.__version__}, {pa.cpu_count()} CPU threads")
    secs, rows = [], None
    for r in range(a.repeats):
        t0 = time.perf_counter()
        df = pd.read_csv(a.file, **kwargs)
        dt = time.perf_counter() - t0
        secs.append(dt)
        rows = len(df)
        del df
        log(f"load run {r + 1}/{a.repeats}: {rows} rows in {dt:.4f} s")
    emit({
        "peer": "pandas.read_csv",
        "engine": a.engine,
        "file": a.file,
        "rows": rows,
        "seconds": secs,
        "median_seconds": median(secs),
        "pandas_version": pd.__version__,
    })


# ---------------------------------------------------------------------------------------------
# keras
# ---------------------------------------------------------------------------------------------
KERAS_MODELS = ["dot5", "dot10", "concat15", "concat10_128_32", "v1_50", "v2_50", "net50"]


def build_keras_model(name, n_users, n_items, min_rating, max_rating, l2=1e-6):
    """The tutorials' architectures (see /work/shared/reference/tutorials.md).

    A   dot5            Embedding 5 each (defaults), Dot
    D1  dot10           Embedding 10 each (defaults), Dot
    B   concat15        Embedding 15 each, Concatenate, Dense 128 ReLU, Dense 1 ReLU
    D2  concat10_128_32 Embedding 10 each, Concatenate, Dense 128 ReLU, Dense 32 ReLU, Dense 1
    E   v1_50           Embedding 50 (He-normal, L2 1e-6) each, Dot
    E   v2_50           v1_50 + user/item bias Embedding(n, 1) (same init/L2), Add, sigmoid,
                        scaled to [min_rating, max_rating]
    E   net50           Embedding 50 each (same layer as V1: He-normal, L2 1e-6), Concatenate,
                        Dropout 0.05, Dense 10 He-normal, ReLU, Dropout 0.5, Dense 1 He-normal,
                        sigmoid, scaled to [min_rating, max_rating]
    """
    import keras
    from keras import layers, regularizers

    user_in = keras.Input(shape=(1,), dtype="int32", name="user")
    item_in = keras.Input(shape=(1,), dtype="int32", name="item")

    def emb(x, n, d, tutorial_e=False, name=None):
        if tutorial_e:
            e = layers.Embedding(n, d, embeddings_initializer="he_normal",
                                 embeddings_regularizer=regularizers.l2(l2) if l2 > 0 else None,
                                 name=name)(x)
        else:
            e = layers.Embedding(n, d, name=name)(x)
        return layers.Reshape((d,))(e)

    def scaled_sigmoid(x):
        x = layers.Activation("sigmoid")(x)
        # Lambda(x * (max - min) + min) in the tutorial; Rescaling computes the same thing.
        return layers.Rescaling(scale=float(max_rating - min_rating), offset=float(min_rating))(x)

    if name in ("dot5", "dot10"):
        d = 5 if name == "dot5" else 10
        u = emb(user_in, n_users, d, name="user_embedding")
        i = emb(item_in, n_items, d, name="item_embedding")
        out = layers.Dot(axes=1)([u, i])
    elif name == "concat15":
        u = emb(user_in, n_users, 15, name="user_embedding")
        i = emb(item_in, n_items, 15, name="item_embedding")
        x = layers.Concatenate()([i, u])
        x = layers.Dense(128, activation="relu")(x)
        out = layers.Dense(1, activation="relu")(x)
    elif name == "concat10_128_32":
        u = emb(user_in, n_users, 10, name="user_embedding")
        i = emb(item_in, n_items, 10, name="item_embedding")
        x = layers.Concatenate()([i, u])
        x = layers.Dense(128, activation="relu")(x)
        x = layers.Dense(32, activation="relu")(x)
        out = layers.Dense(1)(x)
    elif name == "v1_50":
        u = emb(user_in, n_users, 50, tutorial_e=True, name="user_embedding")
        i = emb(item_in, n_items, 50, tutorial_e=True, name="item_embedding")
        out = layers.Dot(axes=1)([u, i])
    elif name == "v2_50":
        u = emb(user_in, n_users, 50, tutorial_e=True, name="user_embedding")
        ub = emb(user_in, n_users, 1, tutorial_e=True, name="user_bias")
        i = emb(item_in, n_items, 50, tutorial_e=True, name="item_embedding")
        ib = emb(item_in, n_items, 1, tutorial_e=True, name="item_bias")
        x = layers.Dot(axes=1)([u, i])
        x = layers.Add()([x, ub, ib])
        out = scaled_sigmoid(x)
    elif name == "net50":
        u = emb(user_in, n_users, 50, tutorial_e=True, name="user_embedding")
        i = emb(item_in, n_items, 50, tutorial_e=True, name="item_embedding")
        x = layers.Concatenate()([u, i])
        x = layers.Dropout(0.05)(x)
        x = layers.Dense(10, kernel_initializer="he_normal")(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(0.5)(x)
        x = layers.Dense(1, kernel_initializer="he_normal")(x)
        out = scaled_sigmoid(x)
    else:
        raise PeerError(f"unknown model {name!r}; choose from {', '.join(KERAS_MODELS)}")
    return keras.Model(inputs=[user_in, item_in], outputs=out, name=name)


def cmd_keras(a):
    import numpy as np

    if a.epochs < 1 or a.batch < 1:
        raise PeerError("--epochs and --batch must be >= 1")
    if a.train_limit is not None and a.train_limit < 1:
        raise PeerError("--train-limit must be >= 1")

    tr_u, tr_i, tr_r = read_ratings(a.train)
    te_u, te_i, te_r = read_ratings(a.test)
    n_users = a.users if a.users is not None else int(max(tr_u.max(), te_u.max())) + 1
    n_items = a.items if a.items is not None else int(max(tr_i.max(), te_i.max())) + 1
    if max(tr_u.max(), te_u.max()) >= n_users or max(tr_i.max(), te_i.max()) >= n_items:
        raise PeerError(f"user/item index out of range for --users {n_users} / --items {n_items}")
    # Rating scale from the (full) train set, as the tutorial does with its training frame.
    min_rating, max_rating = float(tr_r.min()), float(tr_r.max())
    if a.train_limit is not None:
        tr_u, tr_i, tr_r = tr_u[:a.train_limit], tr_i[:a.train_limit], tr_r[:a.train_limit]
    n_train = int(len(tr_r))

    log(f"importing TensorFlow/Keras ...")
    t_imp = time.perf_counter()
    import tensorflow as tf
    import keras
    log(f"imported TensorFlow {tf.__version__}, Keras {keras.__version__} "
        f"in {time.perf_counter() - t_imp:.1f} s")

    keras.utils.set_random_seed(a.seed)
    model = build_keras_model(a.model, n_users, n_items, min_rating, max_rating, l2=a.l2)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=a.lr), loss="mean_squared_error")
    n_params = int(model.count_params())
    log(f"model {a.model}: {n_params} parameters; users {n_users}, items {n_items}; "
        f"train {n_train}, test {len(te_r)}; rating scale [{min_rating}, {max_rating}]")

    x_train = [tr_u.astype(np.int32).reshape(-1, 1), tr_i.astype(np.int32).reshape(-1, 1)]
    y_train = tr_r.reshape(-1, 1)
    x_test = [te_u.astype(np.int32).reshape(-1, 1), te_i.astype(np.int32).reshape(-1, 1)]
    y_test = te_r.astype(np.float64)
    predict_batch = max(a.batch, 8192)

    epoch_seconds, test_rmse, train_loss, eval_seconds = [], [], [], []
    stopped_early = [False]

    class EpochTimer(keras.callbacks.Callback):
        """Times each epoch (begin -> end, i.e. training steps only), then evaluates test RMSE
        outside the timed interval."""

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            dt = time.perf_counter() - self._t0
            epoch_seconds.append(dt)
            train_loss.append(float((logs or {}).get("loss", float("nan"))))
            t1 = time.perf_counter()
            pred = self.model.predict(x_test, batch_size=predict_batch, verbose=0)
            pred = np.asarray(pred, dtype=np.float64).reshape(-1)
            rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
            test_rmse.append(rmse)
            eval_seconds.append(time.perf_counter() - t1)
            log(f"epoch {epoch + 1}/{a.epochs}: {dt:.2f} s ({n_train / dt:,.0f} ratings/s), "
                f"train loss {train_loss[-1]:.4f}, test RMSE {rmse:.4f}")
            if (epoch == 0 and a.max_train_seconds is not None and dt > a.max_train_seconds
                    and a.epochs > 1):
                log(f"first epoch took {dt:.1f} s > --max-train-seconds {a.max_train_seconds}; stopping")
                stopped_early[0] = True
                self.model.stop_training = True

    t_fit = time.perf_counter()
    model.fit(x_train, y_train, batch_size=a.batch, epochs=a.epochs, shuffle=True,
              verbose=0, callbacks=[EpochTimer()])
    fit_wall = time.perf_counter() - t_fit

    rps = [n_train / s for s in epoch_seconds]
    finite = [(r, k) for k, r in enumerate(test_rmse) if math.isfinite(r)]
    best_rmse, best_idx = min(finite) if finite else (None, None)
    emit({
        "peer": "keras",
        "model": a.model,
        "train_ratings": n_train,
        "test_ratings": int(len(te_r)),
        "users": n_users,
        "items": n_items,
        "parameters": n_params,
        "epochs": a.epochs,
        "epochs_run": len(epoch_seconds),
        "stopped_early": stopped_early[0],
        "batch": a.batch,
        "lr": a.lr,
        "l2": a.l2,
        "seed": a.seed,
        "epoch_seconds": epoch_seconds,
        "first_epoch_seconds": epoch_seconds[0],
        "later_epochs_median_seconds": median(epoch_seconds[1:]),
        "ratings_per_second": median(rps),
        "ratings_per_second_excluding_first": median(rps[1:]),
        "fit_seconds_total": fit_wall - sum(eval_seconds),
        "train_loss_per_epoch": train_loss,
        "test_rmse_per_epoch": test_rmse,
        "best_test_rmse": best_rmse,
        "best_epoch": (best_idx + 1) if best_idx is not None else None,
        "rating_scale": [min_rating, max_rating],
        "jit_compile": bool(model.jit_compile),
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
    })


# ---------------------------------------------------------------------------------------------
# surprise
# ---------------------------------------------------------------------------------------------
def cmd_surprise(a):
    import numpy as np
    import pandas as pd
    import surprise
    from surprise import SVD, Dataset, Reader, accuracy

    if a.factors < 1 or a.epochs < 1:
        raise PeerError("--factors and --epochs must be >= 1")
    tr_u, tr_i, tr_r = read_ratings(a.train, limit=a.train_limit)
    te_u, te_i, te_r = read_ratings(a.test)
    lo, hi = float(tr_r.min()), float(tr_r.max())
    if lo == hi:
        raise PeerError("train ratings are all equal; rating scale would be empty")
    reader = Reader(rating_scale=(lo, hi))

    def sets(train, test):
        (u, i, r), (tu, ti, tr) = train, test
        df = pd.DataFrame({"user": u, "item": i, "rating": r.astype(np.float64)})
        built = Dataset.load_from_df(df, reader).build_full_trainset()
        return built, list(zip(tu.tolist(), ti.tolist(), tr.astype(np.float64).tolist()))

    def svd(epochs):
        return SVD(n_factors=a.factors, n_epochs=epochs, biased=bool(a.biased), init_mean=0.0,
                   init_std_dev=a.init_std, lr_all=a.lr, reg_all=a.reg, random_state=a.seed)

    # Epoch selection on a validation split (fit on --val-train, score --val-test), then the
    # chosen count is used on --train: the test set is looked at once.
    validation = {}
    epochs = a.epochs
    if a.select_epochs:
        if not (a.val_train and a.val_test):
            raise PeerError("--select-epochs needs --val-train and --val-test")
        grid = [int(e) for e in a.select_epochs.split(",")]
        if not grid or min(grid) < 1:
            raise PeerError("--select-epochs takes a comma-separated list of epoch counts >= 1")
        inner, held = sets(read_ratings(a.val_train), read_ratings(a.val_test))
        for e in grid:
            model = svd(e)
            model.fit(inner)
            validation[e] = float(accuracy.rmse(model.test(held), verbose=False))
            log(f"validation: {e} epochs -> RMSE {validation[e]:.4f}")
        epochs = min(grid, key=lambda e: (validation[e], e))

    trainset, testset = sets((tr_u, tr_i, tr_r), (te_u, te_i, te_r))
    n_train = int(trainset.n_ratings)
    algo = svd(epochs)
    log(f"surprise.SVD factors {a.factors}, epochs {epochs}, lr {a.lr}, reg {a.reg}, "
        f"biased {bool(a.biased)}, init_std {a.init_std}; train {n_train}, test {len(testset)}, "
        f"scale [{lo}, {hi}]")
    t0 = time.perf_counter()
    algo.fit(trainset)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    preds = algo.test(testset)
    test_s = time.perf_counter() - t1
    rmse = float(accuracy.rmse(preds, verbose=False))
    log(f"fit {fit_s:.2f} s ({n_train * epochs / fit_s:,.0f} ratings*epochs/s), "
        f"test RMSE {rmse:.4f} (test {test_s:.2f} s)")
    emit({
        "peer": "surprise.SVD",
        "factors": a.factors,
        "epochs": epochs,
        "validation_rmse": {str(e): r for e, r in validation.items()},
        "lr": a.lr,
        "reg": a.reg,
        "biased": bool(a.biased),
        "init_std": a.init_std,
        "seed": a.seed,
        "train_ratings": n_train,
        "test_ratings": len(testset),
        "fit_seconds": fit_s,
        "ratings_per_second": n_train * epochs / fit_s,
        "test_rmse": rmse,
        "test_seconds": test_s,
        "rating_scale": [lo, hi],
        "surprise_version": surprise.__version__,
    })


# ---------------------------------------------------------------------------------------------
# numpy-topk
# ---------------------------------------------------------------------------------------------
def _read_f32(path, dim):
    import numpy as np

    if not os.path.isfile(path):
        raise PeerError(f"file not found: {path}")
    a = np.fromfile(path, dtype="<f4")
    if a.size == 0 or a.size % dim:
        raise PeerError(f"{path}: {a.size} floats is not a positive multiple of --dim {dim}")
    return np.ascontiguousarray(a.reshape(-1, dim), dtype=np.float32)


def _top_k_rows(scores, k):
    """Each row's k best columns, best first: argpartition, then a stable sort of those k."""
    import numpy as np

    n_items = scores.shape[1]
    if k < n_items:
        part = np.argpartition(scores, n_items - k, axis=1)[:, n_items - k:]
    else:
        part = np.broadcast_to(np.arange(n_items), scores.shape)
    top_scores = np.take_along_axis(scores, part, axis=1)
    o = np.argsort(-top_scores, axis=1, kind="stable")
    return np.take_along_axis(part, o, axis=1)


def _top_k_unseen(block_scores_and_seen, n_users, k, block=1024):
    """Every user's top k, training items left out: `block_scores_and_seen(b0, b1)` gives users
    b0..<b1's scores and a mask of their seen items."""
    import numpy as np

    top = np.empty((n_users, k), dtype=np.int32)
    for b0 in range(0, n_users, block):
        scores, seen = block_scores_and_seen(b0, min(n_users, b0 + block))
        scores[seen] = -np.inf
        top[b0:b0 + block] = _top_k_rows(scores, k)
    return top


def _timed_top_k(n_users, block, repeats, k, block_scores):
    """Top-k of every user, `block` users at a time from `block_scores(b0, b1)` (seen items
    already -inf), `repeats` times: the last run's lists and each run's seconds."""
    import numpy as np

    topk = np.empty((n_users, k), dtype=np.int32)
    secs = []
    for r in range(repeats):
        t0 = time.perf_counter()
        for b0 in range(0, n_users, block):
            b1 = min(b0 + block, n_users)
            topk[b0:b1] = _top_k_rows(block_scores(b0, b1), k)
        dt = time.perf_counter() - t0
        secs.append(dt)
        log(f"top-{k} run {r + 1}/{repeats}: {dt:.3f} s")
    return topk, secs


def cmd_numpy_topk(a):
    import numpy as np

    if a.dim < 1 or a.k < 1 or a.block < 1 or a.repeats < 1:
        raise PeerError("--dim, --k, --block and --repeats must be >= 1")
    U = _read_f32(a.user_embeddings, a.dim)
    V = _read_f32(a.item_embeddings, a.dim)
    n_users, n_items = U.shape[0], V.shape[0]
    k = a.k
    if k > n_items:
        raise PeerError(f"--k {k} > number of items {n_items}")

    # Seen items as CSR (excluded from timing).
    su, si, _ = read_ratings(a.train, need_rating=False)
    keep = (su < n_users) & (si < n_items)
    if not keep.all():
        log(f"warning: {int((~keep).sum())} train rows out of embedding range ignored")
        su, si = su[keep], si[keep]
    order = np.argsort(su, kind="stable")
    seen_users = su[order].astype(np.intp)
    seen_items = si[order].astype(np.intp)
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(seen_users, minlength=n_users), out=indptr[1:])
    log(f"numpy {np.__version__}: users {n_users}, items {n_items}, dim {a.dim}, k {k}, "
        f"block {a.block}, seen {len(seen_items)}")

    VT = V.T  # a view; matmul hands it to sgemm as transposed

    def block_scores(b0, b1):
        scores = U[b0:b1] @ VT
        s, e = indptr[b0], indptr[b1]
        scores[seen_users[s:e] - b0, seen_items[s:e]] = -np.inf
        return scores

    topk, secs = _timed_top_k(n_users, a.block, a.repeats, k, block_scores)

    if a.write_topk:
        topk.astype("<i4").tofile(a.write_topk)
        log(f"wrote {n_users}x{k} int32 indices to {a.write_topk}")
    try:
        from threadpoolctl import threadpool_info
        blas = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                for i in threadpool_info() if i.get("user_api") == "blas"]
    except ImportError:
        blas = None
    log(f"numpy's BLAS: {blas}")
    emit({
        "peer": "numpy",
        "blas": blas,
        "users": int(n_users),
        "items": int(n_items),
        "dim": a.dim,
        "k": k,
        "block": a.block,
        "seen": int(len(seen_items)),
        "seconds": secs,
        "median_seconds": median(secs),
        "topk_file": a.write_topk,
        "numpy_version": np.__version__,
    })


def cmd_scipy_ease_topk(a):
    """All-users top-k from EASE: each block of users' binary history rows (CSR) times the dense
    item-item matrix B (SciPy's sparse x dense product), seen items masked, NumPy's argpartition."""
    import numpy as np
    import scipy
    import scipy.sparse as sp

    if a.items < 1 or a.users < 1 or a.k < 1 or a.block < 1 or a.repeats < 1:
        raise PeerError("--items, --users, --k, --block and --repeats must be >= 1")
    B = _read_f32(a.weights, a.items)
    if B.shape[0] != a.items:
        raise PeerError(f"{a.weights}: {B.shape[0]} rows, expected --items {a.items}")
    n_users, n_items, k = a.users, a.items, a.k
    if k > n_items:
        raise PeerError(f"--k {k} > number of items {n_items}")
    su, si, _ = read_ratings(a.train, need_rating=False)
    keep = (su < n_users) & (si < n_items)
    su, si = su[keep], si[keep]
    X = sp.csr_matrix((np.ones(len(su), dtype=np.float32), (su, si)), shape=(n_users, n_items), dtype=np.float32)
    X.sum_duplicates()
    X.data[:] = 1.0
    log(f"scipy {scipy.__version__}: users {n_users}, items {n_items}, history {X.nnz}, k {k}, block {a.block}")

    def block_scores(b0, b1):
        block = X[b0:b1]
        scores = np.asarray(block @ B)
        rows = np.repeat(np.arange(b1 - b0), np.diff(block.indptr))
        scores[rows, block.indices] = -np.inf
        return scores

    topk, secs = _timed_top_k(n_users, a.block, a.repeats, k, block_scores)
    if a.write_topk:
        topk.astype("<i4").tofile(a.write_topk)
    emit({
        "peer": "scipy",
        "users": int(n_users),
        "items": int(n_items),
        "history": int(X.nnz),
        "k": k,
        "block": a.block,
        "seconds": secs,
        "median_seconds": median(secs),
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
    })


def cmd_persist(a):
    """np.savez / np.load of the arrays in an EmbedRec recommender file (implicit's format)."""
    import numpy as np
    from safetensors.numpy import load_file

    if a.repeats < 1:
        raise PeerError("--repeats must be >= 1")
    arrays = load_file(a.safetensors)  # untimed: the same arrays EmbedRec saves
    raw_bytes = sum(v.nbytes for v in arrays.values())
    saves, loads = [], []
    for r in range(a.repeats):
        t0 = time.perf_counter()
        with open(a.out, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        saves.append(time.perf_counter() - t0)
    back = None
    for r in range(a.repeats + 1):
        back = None  # the previous copy is freed before the clock starts, on both sides
        t0 = time.perf_counter()
        with np.load(a.out) as z:
            back = {k: z[k] for k in z.files}
        dt = time.perf_counter() - t0
        if r > 0:  # the first read warms the page cache, as EmbedRec's untimed first open does
            loads.append(dt)
    assert all(np.array_equal(back[k], arrays[k]) for k in arrays)
    log(f"numpy {np.__version__}: {len(arrays)} arrays, {raw_bytes / 1e6:.1f} MB; "
        f"save {median(saves) * 1000:.1f} ms, load {median(loads) * 1000:.1f} ms")
    emit({
        "peer": "numpy",
        "arrays": len(arrays),
        "raw_bytes": int(raw_bytes),
        "file_bytes": os.path.getsize(a.out),
        "save_seconds": saves,
        "load_seconds": loads,
        "median_save_seconds": median(saves),
        "median_load_seconds": median(loads),
        "numpy_version": np.__version__,
    })


def cmd_tsne(a):
    """openTSNE on a raw little-endian float32 table; writes the 2-D map the same way."""
    import numpy as np
    import openTSNE

    x = _read_f32(a.input, a.dim).astype(np.float64)
    tsne = openTSNE.TSNE(perplexity=30, early_exaggeration_iter=250, n_iter=a.iterations,
                         negative_gradient_method=a.method, theta=0.5, initialization="pca",
                         n_jobs=a.threads, random_state=0)
    t0 = time.perf_counter()
    y = tsne.fit(x)  # affinities (approximate neighbours), PCA initialisation, both phases
    seconds = time.perf_counter() - t0
    np.ascontiguousarray(y, dtype="<f4").tofile(a.out)
    log(f"openTSNE {openTSNE.__version__} {a.method}: {x.shape[0]} x {x.shape[1]} in {seconds:.1f} s, KL {y.kl_divergence:.4f}")
    emit({"peer": "opentsne", "version": openTSNE.__version__, "method": a.method, "seconds": seconds,
          "kl": float(y.kl_divergence)})


def cmd_ranking(a):
    """implicit's ALS and BPR, Spark MLlib's ALS, and EASE in NumPy: fit on --train, write every user's top-K."""
    import numpy as np
    import scipy.sparse as sp

    u, i, r = read_ratings(a.train)
    n_users = a.users if a.users else int(u.max()) + 1
    n_items = a.items if a.items else int(i.max()) + 1
    if a.model == "ease":
        X = np.zeros((n_users, n_items), dtype=np.float64)
        X[u, i] = 1.0
        t0 = time.perf_counter()
        G = X.T @ X
        G[np.diag_indices(n_items)] += a.reg
        P = np.linalg.inv(G)
        B = -P / np.diag(P)
        B[np.diag_indices(n_items)] = 0
        fit = time.perf_counter() - t0
        top = _top_k_unseen(lambda b0, b1: (X[b0:b1] @ B, X[b0:b1] > 0), n_users, a.k)
        version = {"numpy": np.__version__}
    elif a.model == "spark-als":
        fit, top, version = _spark_als_topk(a, u, i, n_users, n_items)
    else:
        import implicit
        from threadpoolctl import threadpool_limits
        # The same confidence as EmbedRec's ALS: 1 + alpha for every positive.
        values = np.full(len(u), 1.0 + a.alpha if a.model == "als" else 1.0, dtype=np.float32)
        ui = sp.csr_matrix((values, (u, i)), shape=(n_users, n_items))
        with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, not BLAS's
            if a.model == "als":
                m = implicit.cpu.als.AlternatingLeastSquares(
                    factors=a.factors, regularization=a.reg, iterations=a.iterations, alpha=1.0,
                    random_state=a.seed, num_threads=a.threads)
            else:
                m = implicit.cpu.bpr.BayesianPersonalizedRanking(
                    factors=a.factors, learning_rate=a.lr, regularization=a.reg, iterations=a.iterations,
                    random_state=a.seed, num_threads=a.threads)
            t0 = time.perf_counter()
            m.fit(ui, show_progress=False)
            fit = time.perf_counter() - t0
            ids, _ = m.recommend(np.arange(n_users), ui, N=a.k, filter_already_liked_items=True)
        top = np.full((n_users, a.k), -1, dtype=np.int32)
        top[:, :ids.shape[1]] = ids
        version = {"implicit": implicit.__version__}
    top.astype("<i4").tofile(a.write_topk)
    log(f"{a.model}: fit {fit:.2f} s, {n_users} users x {a.k} written to {a.write_topk}")
    emit({"peer": a.model, "fit_seconds": fit, "users": int(n_users), "items": int(n_items), "k": a.k,
          "topk_file": a.write_topk, **version})


def _spark_als_topk(a, u, i, n_users, n_items):
    """Spark MLlib's implicit ALS in local[threads]: fit time (the session's start-up apart), then
    every user's top-K from its factors with the training items left out, as for the others."""
    import shutil
    import numpy as np
    if shutil.which("java") is None:
        raise RuntimeError("spark-als needs Java 17 on PATH")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    import pandas as pd
    import pyspark
    from pyspark.sql import SparkSession
    from pyspark.ml.recommendation import ALS
    t0 = time.perf_counter()
    spark = (SparkSession.builder.master(f"local[{a.threads or '*'}]").appName("peers-spark-als")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "8g").config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    start = time.perf_counter() - t0
    try:
        frame = spark.createDataFrame(pd.DataFrame({"user": u.astype(np.int32), "item": i.astype(np.int32),
                                                    "rating": np.ones(len(u), dtype=np.float32)})).cache()
        frame.count()
        # Every positive has rating 1, so Spark's confidence 1 + alpha·r is 1 + alpha, as for the
        # others. Spark multiplies regParam by each user's (item's) number of ratings (ALS-WR).
        als = ALS(rank=a.factors, maxIter=a.iterations, regParam=a.reg, implicitPrefs=True, alpha=a.alpha,
                  userCol="user", itemCol="item", ratingCol="rating", seed=a.seed, coldStartStrategy="drop")
        t0 = time.perf_counter()
        model = als.fit(frame)
        factors = {}
        for name, frame_ in (("user", model.userFactors), ("item", model.itemFactors)):
            rows = frame_.toPandas()
            count = n_users if name == "user" else n_items
            table = np.zeros((count, a.factors), dtype=np.float32)
            table[rows["id"].to_numpy()] = np.stack(rows["features"].to_numpy()).astype(np.float32)
            factors[name] = table
        fit = time.perf_counter() - t0
    finally:
        spark.stop()
    log(f"spark-als: session start {start:.1f} s (not in the fit time)")
    seen = np.zeros((n_users, n_items), dtype=bool)
    seen[u, i] = True
    top = _top_k_unseen(lambda b0, b1: (factors["user"][b0:b1] @ factors["item"].T, seen[b0:b1]), n_users, a.k)
    return fit, top, {"pyspark": pyspark.__version__, "spark_start_seconds": start}


# ---------------------------------------------------------------------------------------------
def build_parser():
    p = argparse.ArgumentParser(prog="peers.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("load", help="time pandas.read_csv")
    s.add_argument("--file", required=True)
    s.add_argument("--repeats", type=int, default=5)
    s.add_argument("--engine", choices=["c", "pyarrow"], default="c",
                   help="pandas' parser: c (default, one thread) or pyarrow (multithreaded)")
    s.set_defaults(func=cmd_load)

    s = sub.add_parser("scipy-ease-topk", help="all-users top-k from EASE: SciPy csr @ B + argpartition")
    s.add_argument("--weights", required=True, help="B, items x items float32 little-endian")
    s.add_argument("--items", type=int, required=True)
    s.add_argument("--users", type=int, required=True)
    s.add_argument("--train", required=True, help="training ratings (user,item,rating): the history and the seen items")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--block", type=int, default=1024)
    s.add_argument("--repeats", type=int, default=3)
    s.add_argument("--write-topk", default=None)
    s.set_defaults(func=cmd_scipy_ease_topk)

    s = sub.add_parser("keras", help="train a Keras-tutorial model")
    s.add_argument("--train", required=True)
    s.add_argument("--test", required=True)
    s.add_argument("--model", required=True, choices=KERAS_MODELS)
    s.add_argument("--epochs", type=int, required=True)
    s.add_argument("--batch", type=int, required=True)
    s.add_argument("--lr", type=float, default=0.001)
    s.add_argument("--l2", type=float, default=1e-6,
                   help="L2 on the E models' embedding tables (v1_50, v2_50, net50); 0 = none")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--users", type=int, default=None, help="number of users (default: max index + 1)")
    s.add_argument("--items", type=int, default=None, help="number of items (default: max index + 1)")
    s.add_argument("--train-limit", type=int, default=None, help="use only the first N train rows")
    s.add_argument("--max-train-seconds", type=float, default=None,
                   help="stop after the first epoch if it alone takes longer than this")
    s.set_defaults(func=cmd_keras)

    s = sub.add_parser("surprise", help="scikit-surprise SVD")
    s.add_argument("--train", required=True)
    s.add_argument("--test", required=True)
    s.add_argument("--factors", type=int, required=True)
    s.add_argument("--epochs", type=int, required=True)
    s.add_argument("--lr", type=float, default=0.005)
    s.add_argument("--reg", type=float, default=0.02)
    s.add_argument("--biased", type=int, choices=[0, 1], default=1)
    s.add_argument("--init-std", type=float, default=0.1)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--train-limit", type=int, default=None, help="use only the first N train rows")
    s.add_argument("--select-epochs", default=None,
                   help="comma-separated epoch counts: pick the best on --val-train/--val-test, then fit --train")
    s.add_argument("--val-train", default=None)
    s.add_argument("--val-test", default=None)
    s.set_defaults(func=cmd_surprise)

    s = sub.add_parser("numpy-topk", help="all-users top-K with NumPy")
    s.add_argument("--user-embeddings", required=True)
    s.add_argument("--item-embeddings", required=True)
    s.add_argument("--dim", type=int, required=True)
    s.add_argument("--train", required=True)
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--block", type=int, default=1024)
    s.add_argument("--repeats", type=int, default=3)
    s.add_argument("--write-topk", default=None)
    s.set_defaults(func=cmd_numpy_topk)

    s = sub.add_parser("ranking", help="implicit ALS / BPR, Spark MLlib ALS or NumPy EASE top-K lists")
    s.add_argument("--train", required=True)
    s.add_argument("--model", required=True, choices=["als", "bpr", "ease", "spark-als"])
    s.add_argument("--users", type=int, default=None)
    s.add_argument("--items", type=int, default=None)
    s.add_argument("--factors", type=int, default=64)
    s.add_argument("--reg", type=float, default=0.05)
    s.add_argument("--alpha", type=float, default=1.0, help="ALS: every positive has confidence 1 + alpha")
    s.add_argument("--lr", type=float, default=0.01)
    s.add_argument("--iterations", type=int, default=15)
    s.add_argument("--threads", type=int, default=0)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--write-topk", required=True)
    s.set_defaults(func=cmd_ranking)

    s = sub.add_parser("tsne", help="openTSNE map of a float32 table")
    s.add_argument("--input", required=True)
    s.add_argument("--dim", type=int, required=True)
    s.add_argument("--method", choices=["fft", "bh"], default="fft")
    s.add_argument("--iterations", type=int, default=750)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_tsne)

    s = sub.add_parser("persist", help="np.savez / np.load of a recommender's arrays")
    s.add_argument("--safetensors", required=True, help="an EmbedRec recommender file (its arrays are saved)")
    s.add_argument("--out", required=True, help="the .npz file to write")
    s.add_argument("--repeats", type=int, default=5)
    s.set_defaults(func=cmd_persist)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)  # usage errors: message on stderr, exit 2
    _isolate_stdout()
    try:
        args.func(args)
    except PeerError as e:
        print(f"peers.py {args.cmd}: error: {e}", file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        print(f"peers.py {args.cmd}: error: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
