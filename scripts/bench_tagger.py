"""Speed of claimgraph's tagger side by side with the transformers pipeline.

Same weights, same articles (the first N BBC News articles), same thread count, one run after the
other on the same machine. Words = whitespace-split words of the input texts, for every system.
The roofline: the libtorch float32 matrix-multiply rate measured by the Python side at the same
thread count, against the FLOPs the encoder actually ran (from claimgraph's manifest).

    .venv/bin/python scripts/bench_tagger.py [--n 300] [--threads 2]

Prints a Markdown table; JSON details go to bench/results/.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/claimgraph")
MODEL = os.path.join(ROOT, "models/claimgraph-tagger")

# MiniLM-L6 (hidden 384, 12 heads, FFN 1536): multiply-adds per position and layer in the
# dense projections (4 x 384^2 + 2 x 384 x 1536), x2 FLOPs, x6 layers; attention scores add
# 2 x 2 x L x 384 per position and layer for a window of L positions.
DENSE_FLOP_PER_POSITION = 2 * 6 * (4 * 384 * 384 + 2 * 384 * 1536)


def attention_flop_per_position(window):
    return 2 * 6 * 2 * window * 384


def run_claimgraph(inp, threads, batch, precision):
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([BIN, "run", inp, "-o", out, "--threads", str(threads), "--batch-size", str(batch),
                        "--precision", precision, "--device", "cpu", "-q"], check=True)
        wall = time.perf_counter() - t0
        with open(os.path.join(out, "manifest.json")) as f:
            return wall, json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="4,8,16")
    ap.add_argument("--precisions", default="f32,bf16,int8",
                    help="claimgraph precisions to run (int8 = the ONNX Runtime engine)")
    args = ap.parse_args()

    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    inp = os.path.join(ROOT, f"bench/results/bbc-{args.n}.jsonl")
    with open(os.path.join(ROOT, "data/external/bbc/bbc.jsonl")) as src, open(inp, "w") as dst:
        lines = [l for _, l in zip(range(args.n), src)]
        dst.writelines(lines)
    words = sum(len(json.loads(l)["text"].split()) for l in lines)

    rows, results = [], {"articles": args.n, "words": words, "threads": args.threads, "claimgraph": []}
    for precision in args.precisions.split(","):
        # The int8 engine runs one window per call whatever --batch-size says (see onnx_engine.rs).
        for bs in [1] if precision == "int8" else [int(b) for b in args.batches.split(",")]:
            wall, m = run_claimgraph(inp, args.threads, bs, precision)
            tag = m["timings"]["tag"]
            work = m["model"]["work"]
            avg_window = work["positions"] / max(work["windows"], 1)
            flop = work["positions"] * (DENSE_FLOP_PER_POSITION + attention_flop_per_position(avg_window))
            r = {"precision": precision, "batch": bs, "wall_s": round(wall, 2), "tag_s": tag,
                 "words_per_s_run": round(words / wall), "words_per_s_tag": round(words / tag),
                 "pieces_per_s": round(work["pieces"] / tag), "positions_per_s": round(work["positions"] / tag),
                 "gflops_achieved": round(flop / tag / 1e9, 1), "work": work}
            results["claimgraph"].append(r)
            print(json.dumps(r), file=sys.stderr)

    # The pipeline gets the model's own window size, with half-window overlap as the Rust tagger.
    with open(os.path.join(MODEL, "tagger.json")) as f:
        max_len = json.load(f)["max_pieces"]
    py = subprocess.run([os.path.join(ROOT, ".venv/bin/python"), os.path.join(ROOT, "scripts/bench_python_tagger.py"),
                         MODEL, inp, "--threads", str(args.threads), "--n", str(args.n), "--batch-sizes", "1,8,16,32",
                         "--max-len", str(max_len), "--stride", str(max_len // 2), "--bf16"],
                        check=True, capture_output=True, text=True)
    pyr = json.loads(py.stdout)
    results["python"] = pyr
    with open(os.path.join(ROOT, "bench/results/bench_tagger.json"), "w") as f:
        json.dump(results, f, indent=1)

    best_py = pyr["best"]["words_per_s"]
    mm = pyr["matmul_gflops"]
    roof = max(v for k, v in mm.items() if "1024x" in k)
    print(f"\n{args.n} BBC articles, {words} words, {args.threads} threads, {os.cpu_count()} cores\n")
    print("| system | precision | batch | words/s (whole run) | words/s (tagging) | vs Python best | GFLOP/s achieved | of roofline |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results["claimgraph"]:
        print(f"| claimgraph | {r['precision']} | {r['batch']} | {r['words_per_s_run']} | {r['words_per_s_tag']} | "
              f"{r['words_per_s_run'] / best_py:.2f}x | {r['gflops_achieved']} | {r['gflops_achieved'] / roof:.0%} |")
    for bs, r in pyr["batch"].items():
        print(f"| transformers pipeline | f32 | {bs} | {r['words_per_s']:.0f} | - | {r['words_per_s'] / best_py:.2f}x | - | - |")
    if pyr.get("bf16_at_best_batch"):
        r = pyr["bf16_at_best_batch"]
        print(f"| transformers pipeline | bf16 | {r['batch_size']} | {r['words_per_s']:.0f} | - | "
              f"{r['words_per_s'] / best_py:.2f}x | - | - |")
    print(f"\nlibtorch float32 matmul at {args.threads} threads (GFLOP/s): " + ", ".join(f"{k}: {v}" for k, v in mm.items()))
    print(f"roofline used: {roof} GFLOP/s (best of the model's own layer shapes)")


if __name__ == "__main__":
    sys.exit(main())
