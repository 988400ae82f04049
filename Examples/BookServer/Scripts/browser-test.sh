#!/usr/bin/env bash
# Browser test of the page: headless Chromium opens it, picks a reader (?user=…, which sets
# the reader picker and runs its change handler), and the DOM must show K cover cards with
# titles. Saves the DOM and a screenshot.
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
READER="${BOOKSERVER_READER:-314}"
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

URL="http://127.0.0.1:$PORT/?user=$READER&k=$K"
CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=8000)
"${CHROME[@]}" --dump-dom "$URL" >"$OUT/page.html" 2>"$OUT/chromium.log"
"${CHROME[@]}" --window-size=1280,1000 --screenshot="$OUT/bookserver.png" "$URL" 2>>"$OUT/chromium.log"

python3 - "$OUT/page.html" "$K" <<'PY'
import sys
from html.parser import HTMLParser

path, k = sys.argv[1], int(sys.argv[2])

class Cards(HTMLParser):
    """Collects the cards inside #results and the text of each card's .title."""
    def __init__(self):
        super().__init__()
        self.depth = 0          # > 0 while inside #results
        self.cards = []         # titles
        self.in_title = False
        self.state = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.state = a.get("data-state")
        if self.depth:
            self.depth += 1
        elif a.get("id") == "results":
            self.depth = 1
        classes = (a.get("class") or "").split()
        if self.depth and "card" in classes:
            self.cards.append("")
        if self.depth and "title" in classes:
            self.in_title = True
    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        self.in_title = False
    def handle_data(self, data):
        if self.in_title and self.cards:
            self.cards[-1] += data

p = Cards()
p.feed(open(path, encoding="utf-8").read())
titles = [t.strip() for t in p.cards]
ok = p.state == "recommended" and len(titles) == k and all(titles)
print(f"page state: {p.state}; {len(titles)} cards (want {k}); titles: {titles[:3]}…")
sys.exit(0 if ok else 1)
PY
echo "browser test passed; screenshot: $OUT/bookserver.png"
