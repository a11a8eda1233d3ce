#!/usr/bin/env python3
"""Evaluate a shipped claimgraph tagger on a CoNLL-2003 file, with the windowing and decoding of training.

Usage: .venv/bin/python scripts/eval_tagger.py MODEL_DIR CONLL_FILE [--json] [--threads 2]

NER and chunk scores are conlleval entity-level precision/recall/F1 (spans never cross sentences); POS
is word accuracy. Values are fractions in 0..1. This is the reference the Rust `claimgraph eval conll`
is checked against (agreement within 0.2 F1 points).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tagger_common as tc  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("conll_file")
    ap.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--decode", choices=tc.DECODERS, default=None,
                    help="NER/chunk decoding (default: the model's tagger.json)")
    ap.add_argument("--consistency", type=float, default=None,
                    help="article-wide NER consistency weight, 0..1 (default: the model's tagger.json)")
    ap.add_argument("--transition-weight", type=float, default=None,
                    help="weight of the NER label-bigram log probabilities in Viterbi (default: tagger.json)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    try:
        model, labels, piecer, case_feature = tc.load_tagger(args.model_dir)
        docs = tc.read_conll(args.conll_file)
    except (OSError, ValueError) as e:
        print(f"eval_tagger: {e}", file=sys.stderr)
        return 2
    t0 = time.time()
    spec = tc.tagger_spec(args.model_dir)
    decoding = tc.spec_decoding(spec)
    if args.decode:
        decoding["decode"] = args.decode
    if args.consistency is not None:
        decoding["consistency"] = args.consistency
    if args.transition_weight is not None:
        decoding["transition_weight"] = args.transition_weight
    pred = tc.predict(model, piecer, labels, docs, case_feature, batch_size=args.batch, **decoding)
    seconds = time.time() - t0
    scores = tc.evaluate(docs, pred)
    if args.json:
        print(json.dumps(scores, indent=1, sort_keys=True))
        return 0
    words = sum(len(d.words) for d in docs)
    ner = scores["ner"]
    print(f"{args.conll_file}: {len(docs)} documents, {words} words, tagged in {seconds:.1f}s")
    print(f"NER   precision {100 * ner['precision']:.2f}  recall {100 * ner['recall']:.2f}  F1 {100 * ner['f1']:.2f}")
    for ty, s in ner["per_type"].items():
        print(f"  {ty:<6} precision {100 * s['precision']:.2f}  recall {100 * s['recall']:.2f}  F1 {100 * s['f1']:.2f}")
    print(f"POS   accuracy {100 * scores['pos']['accuracy']:.2f}")
    print(f"chunk F1 {100 * scores['chunk']['f1']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
