#!/usr/bin/env bash
# Renders the figures shown in the README and Docs from real MovieLens 100K data:
# three tutorial models trained on u1.base (loss curves overlaid), the BiasedMF item map by
# t-SNE, the rating histogram, recall@K against the baselines, and the HTML report (as a
# Chromium screenshot). SVGs are drawn by `embedrec plot`, PNGs by rsvg-convert (librsvg2-bin).
#
#   Scripts/render-doc-images.sh [path to ml-100k]   (default: ../shared/data/ml-100k)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/ml-100k}"
[ -f "$data/u1.base" ] || { echo "no $data/u1.base: give the ml-100k folder" >&2; exit 1; }
command -v rsvg-convert >/dev/null || { echo "rsvg-convert missing: apt-get install librsvg2-bin" >&2; exit 1; }
swift build -c release --product embedrec >/dev/null
bin=.build/release/embedrec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=Docs/images

for model in dot5 biasedmf concat15; do
    "$bin" train "$data/u1.base" --test "$data/u1.test" --format udata --model "$model" --epochs 12 \
        --deterministic --catalog "$data/u.item" --output "$work/$model.safetensors" >/dev/null
done
"$bin" plot loss "$work/dot5.safetensors" "$work/biasedmf.safetensors" "$work/concat15.safetensors" --output "$out/loss-curves.svg"
"$bin" plot map "$work/biasedmf.safetensors" --output "$out/item-map-tsne.svg"
"$bin" plot histogram "$work/biasedmf.safetensors" --output "$out/rating-histogram.svg"
"$bin" plot metrics "$work/biasedmf.safetensors" --test "$data/u1.test" --format udata --output "$out/recall-by-k.svg"
"$bin" report "$work/biasedmf.safetensors" --test "$data/u1.test" --format udata --output "$out/report.html" \
    --title "BiasedMF on MovieLens 100K (u1.base → u1.test)"
for svg in "$out"/*.svg; do rsvg-convert "$svg" -o "${svg%.svg}.png"; done
if command -v chromium >/dev/null; then
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1900 \
        --screenshot="$out/report.png" "file://$PWD/$out/report.html" 2>/dev/null
fi
ls -l "$out"
