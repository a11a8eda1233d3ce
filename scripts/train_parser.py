#!/usr/bin/env python3
"""Train the dependency parser head of the claimgraph tagger on UD English EWT.

Usage:
  .venv/bin/python scripts/train_parser.py [--ud DIR] [--model MODEL_DIR] [--epochs N] [--out DIR]

The parser reads the tagger's encoder, which stays frozen: NER, POS and chunk do not move. Per word
(at its first piece, in its most central window, exactly as the tagger reads its heads) it takes a
learned weighted sum of the outputs of the encoder's six layers, and then:
one BiLSTM layer, MLPs for arcs and labels, a biaffine arc scorer and a biaffine label scorer
(Dozat & Manning 2017). A learned ROOT vector is position 0 of every sentence. Trees are decoded
with Eisner's algorithm (projective, exactly one word attached to ROOT): `eisner` below, and the
Rust decoder in src/model/parser.rs.

Steps (each cached under --out, default out/parser):
1. features: the encoder's hidden states for every word of EWT train/dev/test, articles = EWT
   documents (`# newdoc`), windows as the tagger makes them (scripts/tagger_common.py).
2. train: Adam, the epochs given, last epoch kept (no selection on test; dev is printed).
3. export: MODEL_DIR/parser.onnx (float32; inputs `feats` [b, n, 384] and `lengths` [b] (int32: each
   sentence's words; rows padded with zeros after them: a sentence's scores do not depend on its
   batch-mates, `add_lengths_input`), outputs `arc` [b, n, n+1], `rel_dep` [b, n, 65] and
   `rel_head` [b, n+1, 65]: the label scorer's two sides, each with its bias 1 appended),
   MODEL_DIR/parser_rel.bin (the label scorer's bilinear weights, float32 little-endian
   [labels, 65, 65]: a label is scored only at the head Eisner chose, n pairs rather than
   n * (n+1): `split_label_scorer`) and MODEL_DIR/parser.json (labels, layer weights for the
   encoder's mixed `hidden` output, which scripts/export_onnx.py bakes into model.int8.onnx).
   `--split MODEL_DIR` converts an export with the older all-pairs `rel` output.
EWT is CC BY-SA 4.0 and read from ../shared; nothing of it is written into the repository.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from typing import List, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tagger_common as tc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLITS = ("train", "dev", "test")


# ------------------------------------------------------------------------------------------- CoNLL-U

def read_conllu(path: str):
    """Documents of sentences; each sentence (words, heads, deprels, upos). Multi-word token ranges
    and empty nodes are skipped: the parse is over syntactic words."""
    docs: List[List[Tuple[List[str], List[int], List[str], List[str]]]] = []
    cur: List = []
    words: List[str] = []
    heads: List[int] = []
    rels: List[str] = []
    upos: List[str] = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("# newdoc"):
                if cur:
                    docs.append(cur)
                cur = []
                continue
            if line.startswith("#"):
                continue
            if not line.strip():
                if words:
                    cur.append((words, heads, rels, upos))
                words, heads, rels, upos = [], [], [], []
                continue
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue
            words.append(cols[1])
            heads.append(int(cols[6]))
            rels.append(cols[7])
            upos.append(cols[3])
    if words:
        cur.append((words, heads, rels, upos))
    if cur:
        docs.append(cur)
    return docs


def ud_path(ud: str, split: str) -> str:
    return os.path.join(ud, f"en_ewt-ud-{split}.conllu")


# ------------------------------------------------------------------------------------------ features

def extract(model_dir: str, docs, batch_size: int = 16):
    """Per sentence, a float16 array [words, 7, hidden]: every hidden state at each word's first piece."""
    import numpy as np
    import torch

    model, _labels, piecer, case = tc.load_tagger(model_dir)
    bert = model.bert.eval()
    flat = [[w for s in d for w in s[0]] for d in docs]
    piecer.prime(w for d in flat for w in d)
    windows, owner = [], []
    for di, words in enumerate(flat):
        counts = [len(piecer.pieces(w)) for w in words]
        spans = tc.inference_windows(counts)
        base = len(windows)
        windows += [tc.make_window(di, words, piecer, s, e, case) for s, e in spans]
        owner.append([base + k for k in tc.assign_windows(counts, spans)])
    results = [None] * len(windows)
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            ids, types, mask = tc.collate([windows[i] for i in idx], piecer.pad)
            out = bert(input_ids=ids, token_type_ids=types, attention_mask=mask, output_hidden_states=True)
            hs = torch.stack(out.hidden_states, 2)  # [B, L, 7, H]
            for row, wi in enumerate(idx):
                results[wi] = hs[row, torch.tensor(windows[wi].first_piece)].half().numpy()
    sents = []
    for di, d in enumerate(docs):
        rows = [results[owner[di][i]][i - windows[owner[di][i]].start] for i in range(len(flat[di]))]
        k = 0
        for s in d:
            n = len(s[0])
            sents.append(np.stack(rows[k:k + n]))
            k += n
    return sents


def load_split(args, split: str):
    docs = read_conllu(ud_path(args.ud, split))
    sents = [s for d in docs for s in d]
    cache = os.path.join(args.out, f"feats-{split}.npz")
    if os.path.exists(cache):
        feats = _load_ragged(cache)
    else:
        t = time.time()
        feats = extract(args.model, docs)
        _save_ragged(cache, feats)
        print(f"features {split}: {len(feats)} sentences in {time.time() - t:.0f} s", file=sys.stderr)
    # The mix reads the six layers' outputs, not the embeddings: rust-bert returns those six.
    return sents, [f[:, 1:] for f in feats]


def _save_ragged(path: str, arrays) -> None:
    import numpy as np

    lens = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    np.savez(path, data=np.concatenate(arrays, 0), lens=lens)


def _load_ragged(path: str):
    import numpy as np

    z = np.load(path)
    data, lens = z["data"], z["lens"]
    out, k = [], 0
    for n in lens:
        out.append(data[k:k + n])
        k += n
    return out


# --------------------------------------------------------------------------------------------- model

def build_parser(layers: int, hidden: int, n_rels: int, lstm: int = 200, arc_dim: int = 256, rel_dim: int = 64):
    import torch
    from torch import nn

    class Biaffine(nn.Module):
        def __init__(self, d: int, out: int):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(out, d + 1, d + 1))

        def forward(self, dep, head):  # [B, n, d], [B, m, d] -> [B, n, m, out]
            one = dep.new_ones(dep.shape[:-1] + (1,))
            dep = torch.cat([dep, one], -1)
            head = torch.cat([head, head.new_ones(head.shape[:-1] + (1,))], -1)
            return torch.einsum("bnd,ode,bme->bnmo", dep, self.w, head)

    class Parser(nn.Module):
        def __init__(self):
            super().__init__()
            self.mix = nn.Parameter(torch.zeros(layers))
            self.gamma = nn.Parameter(torch.ones(()))
            self.root = nn.Parameter(torch.randn(hidden) * 0.1)
            self.drop = nn.Dropout(0.33)
            self.lstm = nn.LSTM(hidden, lstm, num_layers=1, batch_first=True, bidirectional=True)
            d = 2 * lstm
            self.arc_dep = nn.Sequential(nn.Linear(d, arc_dim), nn.LeakyReLU(0.1))
            self.arc_head = nn.Sequential(nn.Linear(d, arc_dim), nn.LeakyReLU(0.1))
            self.rel_dep = nn.Sequential(nn.Linear(d, rel_dim), nn.LeakyReLU(0.1))
            self.rel_head = nn.Sequential(nn.Linear(d, rel_dim), nn.LeakyReLU(0.1))
            self.arc = Biaffine(arc_dim, 1)
            self.rel = Biaffine(rel_dim, n_rels)

        def mixed(self, layers_feats):  # [B, n, L, H] -> [B, n, H]
            w = self.mix.softmax(0) * self.gamma
            return torch.einsum("bnlh,l->bnh", layers_feats, w)

        def forward(self, feats):  # mixed features [B, n, H] -> arc [B, n, n+1], rel [B, n, n+1, R]
            root = self.root.expand(feats.shape[0], 1, -1)
            x = self.drop(torch.cat([root, feats], 1))
            h, _ = self.lstm(x)
            h = self.drop(h)
            dep = h[:, 1:]
            arc = self.arc(self.drop(self.arc_dep(dep)), self.drop(self.arc_head(h)))[..., 0]
            rel = self.rel(self.drop(self.rel_dep(dep)), self.drop(self.rel_head(h)))
            return arc, rel

    return Parser()


def batches(order: Sequence[int], feats, max_words: int):
    batch, words = [], 0
    for i in order:
        n = feats[i].shape[0]
        if batch and (len(batch) + 1) * max(n, words) > max_words:
            yield batch
            batch, words = [], 0
        batch.append(i)
        words = max(words, n)
    if batch:
        yield batch


def pad(feats, idx, sents=None, rel_index=None):
    import numpy as np
    import torch

    n = max(feats[i].shape[0] for i in idx)
    layers, hidden = feats[idx[0]].shape[1:]
    x = np.zeros((len(idx), n, layers, hidden), dtype=np.float32)
    mask = np.zeros((len(idx), n), dtype=bool)
    heads = np.zeros((len(idx), n), dtype=np.int64)
    rels = np.zeros((len(idx), n), dtype=np.int64)
    for r, i in enumerate(idx):
        k = feats[i].shape[0]
        x[r, :k] = feats[i]
        mask[r, :k] = True
        if sents is not None:
            heads[r, :k] = sents[i][1]
            rels[r, :k] = [rel_index.get(t, 0) for t in sents[i][2]]
    return torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(heads), torch.from_numpy(rels)


def loss_of(parser, x, mask, heads, rels):
    import torch.nn.functional as F

    arc, rel = parser(parser.mixed(x))
    n = mask.shape[1]
    cand = mask.new_ones(mask.shape[0], n + 1)
    cand[:, 1:] = mask
    arc = arc.masked_fill(~cand[:, None, :], -1e9)
    arc_loss = F.cross_entropy(arc[mask], heads[mask])
    gold = rel.gather(2, heads[:, :, None, None].expand(-1, -1, 1, rel.shape[-1]))[:, :, 0]
    rel_loss = F.cross_entropy(gold[mask], rels[mask])
    return arc_loss + rel_loss


# -------------------------------------------------------------------------------------------- decode

def eisner(scores) -> List[int]:
    """Best projective tree for scores[dep][head] (n x n+1, head 0 = ROOT), one word on ROOT.
    Returns heads for words 1..n. Mirrors src/model/parser.rs."""
    import numpy as np

    n = scores.shape[0]
    N = n + 1
    s = np.full((N, N), -np.inf)
    s[1:, :] = scores  # s[dep, head]
    # complete[i][j][d]: span i..j, d=1 head on the left (i), d=0 head on the right (j).
    comp = np.full((N, N, 2), -np.inf)
    inc = np.full((N, N, 2), -np.inf)
    comp_bp = np.zeros((N, N, 2), dtype=np.int64)
    inc_bp = np.zeros((N, N, 2), dtype=np.int64)
    for i in range(N):
        comp[i, i, 0] = comp[i, i, 1] = 0.0
    for width in range(1, N):
        for i in range(0, N - width):
            j = i + width
            # incomplete: an arc between i and j.
            cand = comp[i, i:j, 1] + comp[i + 1:j + 1, j, 0]
            k = int(np.argmax(cand))
            best = cand[k]
            inc[i, j, 0] = best + s[i, j] if i > 0 else -np.inf  # j -> i (head j)
            inc[i, j, 1] = best + s[j, i]  # i -> j (head i)
            if i == 0:
                # ROOT takes one child only: the span left of that child must be empty.
                inc[i, j, 1] = comp[i, i, 1] + comp[i + 1, j, 0] + s[j, i]
                inc_bp[i, j, 1] = i
            else:
                inc_bp[i, j, 1] = i + k
            inc_bp[i, j, 0] = i + k
            # complete, head right
            cand = comp[i, i:j, 0] + inc[i:j, j, 0]
            k = int(np.argmax(cand))
            comp[i, j, 0] = cand[k]
            comp_bp[i, j, 0] = i + k
            # complete, head left
            cand = inc[i, i + 1:j + 1, 1] + comp[i + 1:j + 1, j, 1]
            if i == 0 and j < N - 1:
                # ROOT's span must end at the sentence end (one root child covering everything).
                cand = cand.copy()
                cand[:] = -np.inf
            k = int(np.argmax(cand))
            comp[i, j, 1] = cand[k]
            comp_bp[i, j, 1] = i + 1 + k
    heads = [0] * N

    def walk(i, j, d, complete):
        if i == j:
            return
        if complete:
            k = comp_bp[i, j, d]
            if d == 0:
                walk(i, k, 0, True)
                walk(k, j, 0, False)
            else:
                walk(i, k, 1, False)
                walk(k, j, 1, True)
        else:
            k = inc_bp[i, j, d]
            if d == 0:
                heads[i] = j
            else:
                heads[j] = i
            walk(i, k, 1, True)
            walk(k + 1, j, 0, True)

    walk(0, N - 1, 1, True)
    return heads[1:]


def evaluate(parser, sents, feats, rels_list, decode: bool = True):
    import torch

    parser.eval()
    total = uas = las = las_full = 0
    punct_free = 0
    with torch.inference_mode():
        order = sorted(range(len(sents)), key=lambda i: feats[i].shape[0])
        for idx in batches(order, feats, 3000):
            x, mask, _, _ = pad(feats, idx)
            arc, rel = parser(parser.mixed(x))
            for r, i in enumerate(idx):
                n = feats[i].shape[0]
                a = arc[r, :n, :n + 1].numpy()
                heads = eisner(a) if decode else list(a.argmax(1))
                lab = rel[r, torch.arange(n), torch.tensor(heads)].argmax(-1).tolist()
                gh, gr = sents[i][1], sents[i][2]
                for k in range(n):
                    total += 1
                    if heads[k] == gh[k]:
                        uas += 1
                        p = rels_list[lab[k]]
                        if p.split(":")[0] == gr[k].split(":")[0]:
                            las += 1
                        if p == gr[k]:
                            las_full += 1
    parser.train()
    return {"uas": 100 * uas / total, "las": 100 * las / total, "las_full": 100 * las_full / total, "words": total}


# ------------------------------------------------------------------------------------------- export

def add_lengths_input(path: str) -> None:
    """Lets the exported head parse several sentences per call: a `lengths` input (int32, words per
    sentence) becomes the BiLSTM's sequence_lens (+ 1 for ROOT), and the batch axis is dynamic. Rows
    are padded with zeros after their words; the BiLSTM then stops at each row's end, and every other
    step scores words or word pairs independently, so each sentence's `arc`/`rel` (sliced to its n x
    n+1) equal a one-sentence run exactly (checked on random inputs, max |diff| 0). The Rust parser
    batches sentences of similar length (src/model/parser.rs); one call per sentence spent 40% of the
    head's time in per-call overhead and a one-row LSTM."""
    import onnx
    from onnx import TensorProto, helper

    m = onnx.load(path)
    g = m.graph
    if any(i.name == "lengths" for i in g.input):
        return
    (lstm,) = [n for n in g.node if n.op_type == "LSTM"]
    g.input.append(helper.make_tensor_value_info("lengths", TensorProto.INT32, ["batch"]))
    g.initializer.append(helper.make_tensor("root_position", TensorProto.INT32, [], [1]))
    g.node.insert(0, helper.make_node("Add", ["lengths", "root_position"], ["sequence_lens"], name="sequence_lens"))
    lstm.input[4] = "sequence_lens"
    for v in list(g.input) + list(g.output):
        v.type.tensor_type.shape.dim[0].dim_param = "batch"
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export(parser, rels, model_dir: str) -> None:
    import numpy as np
    import onnxruntime as ort
    import torch

    parser.eval()

    class Head(torch.nn.Module):
        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, feats):
            arc, rel = self.p(feats)
            return arc, rel.log_softmax(-1)

    head = Head(parser).eval()
    x = torch.randn(1, 7, parser.root.shape[0])
    dest = os.path.join(model_dir, "parser.onnx")
    with torch.inference_mode():
        torch.onnx.export(head, (x,), dest, input_names=["feats"], output_names=["arc", "rel"],
                          dynamic_axes={"feats": {1: "words"}, "arc": {1: "words", 2: "heads"},
                                        "rel": {1: "words", 2: "heads"}}, opset_version=17)
        want = [t.numpy() for t in head(x)]
    add_lengths_input(dest)
    got = ort.InferenceSession(dest, providers=["CPUExecutionProvider"]).run(
        None, {"feats": x.numpy(), "lengths": np.array([x.shape[1]], dtype=np.int32)})
    worst = max(float(np.abs(a - b).max()) for a, b in zip(want, got))
    if worst > 1e-3:
        raise SystemExit(f"train_parser: ONNX differs from PyTorch by {worst:.2e}")
    split_label_scorer(dest)
    w = (parser.mix.softmax(0) * parser.gamma).tolist()
    spec = {"labels": rels, "layer_weights": w, "decode": "eisner",
            "hidden": int(parser.root.shape[0]), "layers": len(w)}
    with open(os.path.join(model_dir, "parser.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    print(f"train_parser: wrote {dest} ({os.path.getsize(dest) / 1e6:.1f} MB), max |diff| {worst:.1e}",
          file=sys.stderr)


def split_label_scorer(path: str) -> None:
    """Cuts the all-pairs label scores out of parser.onnx: its outputs become `arc`, `rel_dep` and
    `rel_head`, and the bilinear weights go to parser_rel.bin next to it. Checks on random input
    that the labels scored from the pieces equal the old graph's at every pair."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    g = model.graph
    einsum = next(n for n in g.node if n.op_type == "Einsum" and any("rel" in i for i in n.input[1:2]))
    dep, weight, head = einsum.input
    soft = [n for n in g.node if einsum.output[0] in n.input]
    w = numpy_helper.to_array(next(i for i in g.initializer if i.name == weight)).astype("<f4")
    x = np.random.default_rng(0).standard_normal((1, 9, int(g.input[0].type.tensor_type.shape.dim[2].dim_value)))
    x = x.astype(np.float32)
    feed = {"feats": x}
    if any(i.name == "lengths" for i in g.input):
        feed["lengths"] = np.array([x.shape[1]], dtype=np.int32)
    old_arc, old_rel = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["arc", "rel"], feed)
    for n in [einsum] + soft:
        g.node.remove(n)
    g.initializer.remove(next(i for i in g.initializer if i.name == weight))
    rel = next(o for o in g.output if o.name == "rel")
    g.output.remove(rel)
    d = w.shape[1]
    for name, src, rows in (("rel_dep", dep, "words"), ("rel_head", head, "heads")):
        g.node.append(helper.make_node("Identity", [src], [name]))
        g.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", rows, d]))
    onnx.checker.check_model(model)
    onnx.save(model, path)
    w.tofile(os.path.join(os.path.dirname(path), "parser_rel.bin"))
    arc, rd, rh = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        ["arc", "rel_dep", "rel_head"], feed)
    labels = np.einsum("nd,ode,me->nmo", rd[0], w, rh[0]).argmax(-1)
    if not (np.abs(arc - old_arc).max() < 1e-5 and (labels == old_rel[0].argmax(-1)).all()):
        raise SystemExit("train_parser: the split label scorer disagrees with the graph it came from")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ud", default=os.path.join(ROOT, "..", "shared", "external", "ud-ewt"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "claimgraph-tagger"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "parser"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch-words", type=int, default=2500)
    ap.add_argument("--lstm", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--split", metavar="MODEL_DIR", help="only convert MODEL_DIR/parser.onnx from the all-pairs "
                    "label output to the split one (see step 3) and exit")
    args = ap.parse_args()
    if args.split:
        split_label_scorer(os.path.join(args.split, "parser.onnx"))
        return 0
    if not os.path.isdir(args.ud):
        raise SystemExit(f"train_parser: {args.ud} is missing (UD English EWT, see ../shared/external/README.md)")
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    data = {s: load_split(args, s) for s in SPLITS}
    train_sents, train_feats = data["train"]
    rels = sorted({r for s in train_sents for r in s[2]})
    rel_index = {r: i for i, r in enumerate(rels)}
    layers, hidden = train_feats[0].shape[1:]
    parser = build_parser(layers, hidden, len(rels), lstm=args.lstm)
    opt = torch.optim.Adam(parser.parameters(), lr=args.lr, betas=(0.9, 0.9))
    order = sorted(range(len(train_sents)), key=lambda i: train_feats[i].shape[0])
    all_batches = list(batches(order, train_feats, args.batch_words))
    steps = args.epochs * len(all_batches)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 200) * max(0.05, 1 - s / steps))
    log = []
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        random.shuffle(all_batches)
        te, total = time.time(), 0.0
        for idx in all_batches:
            x, mask, heads, rl = pad(train_feats, idx, train_sents, rel_index)
            loss = loss_of(parser, x, mask, heads, rl)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parser.parameters(), 5.0)
            opt.step()
            sched.step()
            total += float(loss)
        dev = evaluate(parser, *data["dev"], rels, decode=False)
        row = {"epoch": epoch, "loss": total / len(all_batches), "seconds": time.time() - te,
               "dev_uas_greedy": dev["uas"], "dev_las_greedy": dev["las"]}
        log.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    result = {"train_minutes": (time.time() - t0) / 60, "epochs": log,
              "dev": evaluate(parser, *data["dev"], rels), "test": evaluate(parser, *data["test"], rels),
              "hyper": vars(args)}
    print(json.dumps({k: result[k] for k in ("train_minutes", "dev", "test")}), flush=True)
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump(result, f, indent=1)
    torch.save(parser.state_dict(), os.path.join(args.out, "parser.pt"))
    if not args.no_export:
        export(parser, rels, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
