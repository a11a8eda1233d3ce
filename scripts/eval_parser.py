#!/usr/bin/env python3
"""Evaluate the shipped parser head on a CoNLL-U file through the Python path (PyTorch float32
encoder, ONNX Runtime parser head, Eisner decoding), for comparison with `claimgraph eval conllu`.

Usage: .venv/bin/python scripts/eval_parser.py [MODEL_DIR] FILE.conllu [--json]

Scores as src/model/conllu.rs does: UAS, LAS on the universal relation (CoNLL 2018), LAS with
subtypes, over every syntactic word.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_parser as tp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("args", nargs="+", help="[MODEL_DIR] FILE.conllu")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    model_dir, path = (a.args if len(a.args) == 2 else [os.path.join(ROOT, "models/claimgraph-tagger"), a.args[0]])
    import numpy as np
    import onnxruntime as ort
    import torch

    torch.set_num_threads(a.threads)
    with open(os.path.join(model_dir, "parser.json"), encoding="utf-8") as f:
        spec = json.load(f)
    weights = np.array(spec["layer_weights"], dtype=np.float32)
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    session = ort.InferenceSession(os.path.join(model_dir, "parser.onnx"), so, providers=["CPUExecutionProvider"])
    rel_w = np.fromfile(os.path.join(model_dir, "parser_rel.bin"), dtype="<f4")
    d = int(round((rel_w.size / len(spec["labels"])) ** 0.5))
    rel_w = rel_w.reshape(len(spec["labels"]), d, d)
    docs = tp.read_conllu(path)
    feats = tp.extract(model_dir, docs)
    sents = [s for d in docs for s in d]
    total = uas = las = las_full = 0
    for (words, heads, rels, _upos), f in zip(sents, feats):
        x = np.einsum("nlh,l->nh", f[:, 1:].astype(np.float32), weights)[None]
        arc, rel_dep, rel_head = session.run(["arc", "rel_dep", "rel_head"],
                                             {"feats": x, "lengths": np.array([x.shape[1]], dtype=np.int32)})
        pred = tp.eisner(arc[0])
        # Each word's label at the head it got (src/model/parser.rs `Parser::label`).
        rel = np.einsum("nd,ode,ne->no", rel_dep[0], rel_w, rel_head[0][pred])
        for k, h in enumerate(pred):
            total += 1
            if h == heads[k]:
                uas += 1
                label = spec["labels"][int(rel[k].argmax())]
                las += label.split(":")[0] == rels[k].split(":")[0]
                las_full += label == rels[k]
    report = {"uas": 100 * uas / total, "las": 100 * las / total, "las_full": 100 * las_full / total,
              "words": total, "sentences": len(sents), "documents": len(docs)}
    if a.json:
        print(json.dumps(report))
    else:
        print(f"UAS {report['uas']:.2f}  LAS {report['las']:.2f}  (LAS with subtypes {report['las_full']:.2f})  "
              f"{total} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
