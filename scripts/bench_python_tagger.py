#!/usr/bin/env python3
"""Speed peer for the Rust tagger: the shipped NER head run through Hugging Face's token-classification
pipeline, plus the libtorch float32 matmul rate at the same thread count (the roofline).

Usage: .venv/bin/python scripts/bench_python_tagger.py MODEL_DIR TEXT_JSONL [--threads 2] [--n 200]
       [--batch-sizes 1,8,16,32] [--stride 64]

The model is a BertForTokenClassification whose `classifier` is the tagger's `ner` head. Texts are cut
into 128-piece windows overlapping by `--stride` pieces (64 = half a window, as the Rust tagger does).
The pipeline passes no case feature (token type ids are all 0), so its labels are not the tagger's:
this measures speed only. Words are whitespace-split words of the articles' texts. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def load_texts(path: str, n: int):
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec.get("text") or ""
            title = rec.get("title") or ""
            texts.append(f"{title}\n\n{text}" if title else text)
            if len(texts) >= n:
                break
    return texts


def build_pipeline(model_dir: str, stride: int, max_len: int):
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast, pipeline

    with open(os.path.join(model_dir, "labels.json"), encoding="utf-8") as f:
        ner = json.load(f)["ner"]
    config = BertConfig.from_json_file(os.path.join(model_dir, "config.json"))
    config.num_labels = len(ner)
    config.id2label = {i: t for i, t in enumerate(ner)}
    config.label2id = {t: i for i, t in enumerate(ner)}
    model = BertForTokenClassification(config)
    shipped = load_file(os.path.join(model_dir, "model.safetensors"))
    state = {k: v.float() for k, v in shipped.items() if k.startswith("bert.")}
    state["classifier.weight"] = shipped["ner.weight"].float()
    state["classifier.bias"] = shipped["ner.bias"].float()
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"weights mismatch: missing={missing} unexpected={unexpected}")
    model.eval()
    tok = BertTokenizerFast(vocab_file=os.path.join(model_dir, "vocab.txt"),
                            tokenizer_file=os.path.join(model_dir, "tokenizer.json"),
                            do_lower_case=True, model_max_length=max_len)
    return pipeline("token-classification", model=model, tokenizer=tok, aggregation_strategy="simple",
                    stride=stride, device=torch.device("cpu"))


def matmul_rate(threads: int, tokens: int, seconds: float):
    """GFLOP/s of torch.mm for the MiniLM layer shapes at `tokens` rows, and for 2048x2048."""
    import torch

    torch.set_num_threads(threads)
    shapes = {
        f"{tokens}x384 @ 384x384 (attention projections)": (tokens, 384, 384),
        f"{tokens}x384 @ 384x1536 (feed-forward up)": (tokens, 384, 1536),
        f"{tokens}x1536 @ 1536x384 (feed-forward down)": (tokens, 1536, 384),
        "2048x2048 @ 2048x2048": (2048, 2048, 2048),
    }
    out = {}
    gen = torch.Generator().manual_seed(0)
    for name, (m, k, n) in shapes.items():
        a = torch.randn(m, k, generator=gen)
        b = torch.randn(k, n, generator=gen)
        torch.mm(a, b)  # warm-up (allocations, thread pool)
        reps, t0 = 0, time.perf_counter()
        while True:
            torch.mm(a, b)
            reps += 1
            el = time.perf_counter() - t0
            if el >= seconds:
                break
        out[name] = round(2.0 * m * k * n * reps / el / 1e9, 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("text_jsonl")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=200, help="number of articles (first N of the file)")
    ap.add_argument("--batch-sizes", default="1,8,16,32")
    ap.add_argument("--stride", type=int, default=64, help="overlap in pieces between windows")
    ap.add_argument("--max-len", type=int, default=128, help="pieces per window incl. [CLS]/[SEP]")
    ap.add_argument("--bf16", action="store_true", help="also time the pipeline in bfloat16 at its best batch")
    ap.add_argument("--matmul-seconds", type=float, default=2.0, help="timing per matmul shape")
    args = ap.parse_args()

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    texts = load_texts(args.text_jsonl, args.n)
    if not texts:
        print("bench_python_tagger: no texts", file=sys.stderr)
        return 2
    words = sum(len(t.split()) for t in texts)
    pipe = build_pipeline(args.model_dir, args.stride, args.max_len)
    pipe(texts[:2], batch_size=2)  # warm-up: thread pool, allocator, tokenizer caches

    runs = {}
    entities = None
    for bs in [int(x) for x in args.batch_sizes.split(",") if x.strip()]:
        t0 = time.perf_counter()
        res = pipe(texts, batch_size=bs)
        el = time.perf_counter() - t0
        n_ent = sum(len(r) for r in res)
        entities = n_ent if entities is None else entities
        runs[str(bs)] = {"seconds": round(el, 3), "words_per_s": round(words / el, 1), "entities": n_ent}
    best_bs = max(runs, key=lambda k: runs[k]["words_per_s"])
    # The same pipeline with its weights in bfloat16, at its best batch size: not the reference (the
    # pipeline's default is float32) but reported, so the comparison does not hinge on precision alone.
    bf16 = None
    if args.bf16:
        pipe.model.to(torch.bfloat16)
        pipe(texts[:2], batch_size=2)
        t0 = time.perf_counter()
        res = pipe(texts, batch_size=int(best_bs))
        el = time.perf_counter() - t0
        bf16 = {"batch_size": int(best_bs), "seconds": round(el, 3), "words_per_s": round(words / el, 1),
                "entities": sum(len(r) for r in res)}
    report = {
        "engine": f"transformers {transformers.__version__} pipeline (torch {torch.__version__}, float32, CPU)",
        "model_dir": args.model_dir, "threads": args.threads, "articles": len(texts), "words": words,
        "window": {"max_len": args.max_len, "stride": args.stride},
        "batch": runs, "best": {"batch_size": int(best_bs), **runs[best_bs]}, "bf16_at_best_batch": bf16,
        "matmul_gflops": matmul_rate(args.threads, 1024, args.matmul_seconds),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "note": "speed only: the pipeline passes no case feature, so its labels differ from the tagger's",
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
