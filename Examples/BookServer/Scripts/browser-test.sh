#!/usr/bin/env bash
# Browser test of the page: headless Chromium opens it, picks a reader in the picker, and the
# DOM must show K cover cards with titles (covers or placeholders); a click on a book must show
# similar books. Saves a screenshot (browser_check.py drives Chromium over DevTools).
#
#   Examples/BookServer/Scripts/browser-test.sh [model.safetensors] [out-dir]
#
# Without a model it trains a small demo one (goodbooks titles when ../shared has books.csv).
# Needs chromium (apt-get install -y chromium) and a release build (it builds one).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PKG="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$PKG/../.." && pwd)"
MODEL="${1:-}"
OUT="${2:-$(mktemp -d)}"
PORT="${BOOKSERVER_PORT:-18081}"
K="${BOOKSERVER_K:-10}"
READER="${BOOKSERVER_READER:-17}"   # one of the readers the picker offers
mkdir -p "$OUT"

command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
swift build -c release --package-path "$PKG" --product bookserver >&2
BIN="$(swift build -c release --package-path "$PKG" --show-bin-path)/bookserver"

if [ -z "$MODEL" ]; then
  MODEL="$OUT/books.safetensors"
  CATALOG=()
  BOOKS="$REPO/../shared/data/goodbooks-10k/books.csv"
  [ -f "$BOOKS" ] && CATALOG=(--catalog "$BOOKS")
  "$BIN" demo-model --output "$MODEL" --users 2000 --items 10000 --ratings 60000 "${CATALOG[@]}" >&2
fi

"$BIN" serve --model "$MODEL" --port "$PORT" --log-level warning >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

python3 "$HERE/browser_check.py" "http://127.0.0.1:$PORT/" "$READER" "$K" "$OUT/bookserver.png"
echo "browser test passed; screenshot: $OUT/bookserver.png"
