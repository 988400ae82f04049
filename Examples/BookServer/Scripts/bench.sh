#!/usr/bin/env bash
# Load benchmark of GET /recommend: BookServer (Hummingbird, 2 event-loop threads) against the
# Python peer (FastAPI + uvicorn, 2 worker processes, NumPy) over the same saved recommender, with the
# same wrk command, alternating in one run; then reloads during a load test.
#
#   Examples/BookServer/Scripts/bench.sh [rounds] [out-dir]
#
# Needs wrk (apt-get install -y wrk), the peers' venv with fastapi + uvicorn
# (Benchmarks/peers/setup.sh; PEERS_PYTHON=… to point elsewhere) and a release build (it builds).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PKG="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$PKG/../.." && pwd)"
ROUNDS="${1:-3}"
OUT="${2:-$REPO/bench-out/bookserver}"
PY="${PEERS_PYTHON:-$REPO/.venv-peers/bin/python}"
DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
SWIFT_PORT=18080 PEER_PORT=18090
READERS=53424 K=10
mkdir -p "$OUT"
WRK=(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/recommend.lua")

swift build -c release --package-path "$PKG" --product bookserver >&2
BIN="$(swift build -c release --package-path "$PKG" --show-bin-path)/bookserver"
MODEL="$OUT/books.safetensors"
if [ ! -f "$MODEL" ]; then
  CATALOG=()
  BOOKS="$REPO/../shared/data/goodbooks-10k/books.csv"
  [ -f "$BOOKS" ] && CATALOG=(--catalog "$BOOKS")
  # The goodbooks-10k shape: 53,424 readers × 10,000 books, 981,756 ratings; ALS, 32 factors.
  "$BIN" demo-model --output "$MODEL" "${CATALOG[@]}" >&2
fi

PIDS=()
# Stop both servers and wait for them (the peer's workers finish their graceful shutdown).
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait' EXIT
"$BIN" serve --model "$MODEL" --port $SWIFT_PORT --threads 2 --log-level warning >"$OUT/bookserver.log" 2>&1 &
PIDS+=($!)
# One BLAS thread per worker, as BookServer runs its scoring.
OPENBLAS_NUM_THREADS=1 "$PY" "$REPO/Benchmarks/peers/bookserver_peer.py" "$MODEL" --port $PEER_PORT --workers 2 >"$OUT/peer.log" 2>&1 &
PIDS+=($!)
for port in $SWIFT_PORT $PEER_PORT; do
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "server on $port did not start" >&2; exit 1; }
done

# Same answers: top-10 lists of 300 random readers from both servers, compared.
"$PY" - "$SWIFT_PORT" "$PEER_PORT" "$READERS" <<'PYCHECK' | tee "$OUT/agreement.txt"
import json, random, sys, urllib.request
swift_port, peer_port, readers = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
same_lists = 0; worst = 0.0; users = random.sample(range(1, readers + 1), 300)
for u in users:
    a, b = (json.load(urllib.request.urlopen(f"http://127.0.0.1:{p}/recommend?user={u}&k=10"))["recommendations"] for p in (swift_port, peer_port))
    same_lists += [r["id"] for r in a] == [r["id"] for r in b]
    worst = max([worst] + [abs(x["predictedRating"] - y["predictedRating"]) for x, y in zip(a, b)])
print(f"agreement: {same_lists} of {len(users)} readers get the same top-10 from both servers; largest predicted-rating difference {worst:.2g}")
PYCHECK

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
echo "wrk: ${WRK[*]} URL -- $READERS $K" | tee -a "$OUT/summary.txt"
# CPU seconds (user + system) used so far by a process and its children's live threads.
cpu_seconds() {  # pids… → seconds
  local ticks=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "scale=3; $ticks / $(getconf CLK_TCK)" | bc
}
server_pids() {  # port → the PIDs serving it (the peer: its parent and worker processes)
  if [ "$1" = $SWIFT_PORT ]; then echo "${PIDS[0]}"; else echo "${PIDS[1]} $(pgrep -P "${PIDS[1]}" | tr '\n' ' ')"; fi
}
run() {  # name port round → one RESULT line, with the server's CPU time per request
  local pids before after
  pids=$(server_pids "$2")
  before=$(cpu_seconds $pids)
  "${WRK[@]}" "http://127.0.0.1:$2" -- $READERS $K >"$OUT/wrk-$1-$3.txt"
  after=$(cpu_seconds $pids)
  local requests
  requests=$(grep '^RESULT' "$OUT/wrk-$1-$3.txt" | sed 's/.*requests=\([0-9]*\).*/\1/')
  echo "$1 round $3 $(grep '^RESULT' "$OUT/wrk-$1-$3.txt" | cut -d' ' -f2-) server_cpu_us_per_request=$(echo "scale=1; ($after - $before) * 1000000 / $requests" | bc) load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/summary.txt"
}
# Warm-up (JIT-free, but caches, connections and the peer's first requests).
wrk -t2 -c"$CONNECTIONS" -d3s -s "$HERE/recommend.lua" "http://127.0.0.1:$SWIFT_PORT" -- $READERS $K >/dev/null
wrk -t2 -c"$CONNECTIONS" -d3s -s "$HERE/recommend.lua" "http://127.0.0.1:$PEER_PORT" -- $READERS $K >/dev/null
for round in $(seq "$ROUNDS"); do
  run bookserver $SWIFT_PORT "$round"
  run peer $PEER_PORT "$round"
done

# Reloads during a load test: a reload every 0.5 s while wrk runs; every request must succeed.
( end=$((SECONDS + ${DURATION%s} - 1)); n=0; ok=0
  while [ $SECONDS -lt $end ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SWIFT_PORT/admin/reload")
    n=$((n + 1)); [ "$code" = 200 ] && ok=$((ok + 1)); sleep 0.5
  done
  echo "reloads: $ok of $n answered 200" >"$OUT/reloads.txt" ) &
RELOADER=$!
run bookserver-reloading $SWIFT_PORT 1
wait $RELOADER
cat "$OUT/reloads.txt" | tee -a "$OUT/summary.txt"
grep -E "Non-2xx|Socket errors" "$OUT/wrk-bookserver-reloading-1.txt" | tee -a "$OUT/summary.txt" || echo "no non-2xx responses, no socket errors" | tee -a "$OUT/summary.txt"
curl -s "http://127.0.0.1:$SWIFT_PORT/health" | tee -a "$OUT/summary.txt"; echo
