#!/usr/bin/env bash
# Creates <repo root>/.venv-peers with the Python peers embedrec-bench compares against:
# TensorFlow (CPU) + Keras 3, NumPy, pandas (+ pyarrow), scikit-surprise, threadpoolctl, safetensors, implicit, scikit-learn and SciPy; pyspark (Spark MLlib ALS);
# FastAPI + uvicorn for the BookServer peer.
#
# Idempotent: if the venv already exists and imports all five packages it exits 0 at once.
# Otherwise it (re)creates / repairs the venv and installs the pinned versions from PyPI.
# Exits non-zero, with a message on stderr, on any failure.
#
# Environment overrides:
#   PYTHON=python3.11      interpreter used to create the venv (default: python3)
#   PEERS_VENV=/path       venv location (default: <repo root>/.venv-peers)
#   PEERS_FORCE=1          delete and recreate the venv even if it looks fine
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="${PEERS_VENV:-$REPO_ROOT/.venv-peers}"
PYTHON="${PYTHON:-python3}"

# Pinned versions (verified to install together on Python 3.11, linux x86_64).
PINS=(
  "tensorflow-cpu==2.21.0"
  "keras==3.15.1"
  "numpy==2.4.6"
  "pandas==3.1.1"
  "scikit-surprise==1.1.5"
  "pyarrow==26.0.1"
  "threadpoolctl==3.8.0"
  "safetensors==0.7.0"
  "implicit==0.7.3"
  "scikit-learn==1.7.2"
  "scipy==1.17.1"
  "opentsne==1.0.4"
  # Spark MLlib ALS, the distributed training peer of the ranking suite (needs Java 17 to run).
  "pyspark==4.0.1"
  # BookServer's Python peer (Benchmarks/peers/bookserver_peer.py).
  "fastapi==0.142.2"
  "uvicorn==0.54.0"
)

log()  { echo "[peers/setup] $*" >&2; }
fail() { echo "[peers/setup] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "[peers/setup] FAILED (exit $rc)" >&2; fi' EXIT

CHECK_PY='
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy, pandas, surprise, keras, tensorflow, pyarrow, threadpoolctl, safetensors, implicit, sklearn, openTSNE, fastapi, uvicorn, pyspark
print("numpy", numpy.__version__, "| pandas", pandas.__version__,
      "| scikit-surprise", surprise.__version__, "| keras", keras.__version__,
      "| tensorflow", tensorflow.__version__, "| pyarrow", pyarrow.__version__)
'

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "$CHECK_PY" 2>/dev/null
}

if [ "${PEERS_FORCE:-0}" != "1" ] && versions="$(venv_ok)"; then
  log "venv OK at $VENV: $versions"
  echo "peers venv ready: $VENV"
  exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || fail "'$PYTHON' not found (set PYTHON=...)"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || fail "$PYTHON must be Python >= 3.10 (TensorFlow 2.21 wheels); got $("$PYTHON" --version 2>&1)"

start=$(date +%s)

if [ "${PEERS_FORCE:-0}" = "1" ] && [ -d "$VENV" ]; then
  log "PEERS_FORCE=1: removing $VENV"
  rm -rf "$VENV"
fi
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "existing venv at $VENV is broken; recreating"
  rm -rf "$VENV"
fi
if [ ! -d "$VENV" ]; then
  log "creating venv at $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV" || fail "python -m venv failed"
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
log "upgrading pip/setuptools/wheel"
"${PIP[@]}" install -q --upgrade pip setuptools wheel || fail "could not upgrade pip"

# scikit-surprise is an sdist (Cython extension): it needs a C compiler and Python headers.
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 \
  || log "warning: no C compiler found; building scikit-surprise will probably fail"

log "installing: ${PINS[*]} (TensorFlow is ~250 MB; this can take several minutes)"
"${PIP[@]}" install --progress-bar off "${PINS[@]}" >&2 \
  || fail "pip install failed (see output above)"

versions="$(venv_ok)" || { "$VENV/bin/python" -c "$CHECK_PY" >&2 || true; fail "import check failed after install"; }
log "installed: $versions"
log "done in $(( $(date +%s) - start )) s"
echo "peers venv ready: $VENV"
