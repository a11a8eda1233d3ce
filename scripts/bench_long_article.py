#!/usr/bin/env python3
"""One long article against the same text as many small ones (stdlib only).

Joins the first BBC articles (data/external/bbc/bbc.jsonl, fetched by scripts/setup) into one
article of about --mb megabytes, runs `claimgraph run` on it and on the same articles kept apart,
alternating, and prints words/s of each (whitespace words of `text`, whole process), its peak
resident memory, the stage timings of the run manifests and the ratio long / many. The throughput issue asks for >= 0.8.

Usage: scripts/bench_long_article.py [--mb 2] [--threads 2] [--repeat 1] [--bin PATH] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_inputs(bbc: Path, megabytes: float, work: Path):
    texts, size = [], 0
    with bbc.open() as f:
        for line in f:
            t = json.loads(line)["text"]
            texts.append(t)
            size += len(t.encode())
            if size >= megabytes * 1e6:
                break
    long_path, many_path = work / "long.jsonl", work / "many.jsonl"
    long_path.write_text(json.dumps({"id": "long-1", "text": "\n\n".join(texts)}) + "\n")
    with many_path.open("w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"many-{i}", "text": t}) + "\n")
    words = sum(len(t.split()) for t in texts)
    return long_path, many_path, len(texts), size, words


def run(binary: str, inp: Path, out: Path, threads: int):
    """Wall seconds, stage timings and peak resident memory (MB) of one `claimgraph run`."""
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "run", str(inp), "-o", str(out), "--threads", str(threads)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench_long_article: {binary} run {inp} failed ({status})")
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    return wall, timings, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--bin", default="target/release/claimgraph")
    ap.add_argument("--bbc", default="data/external/bbc/bbc.jsonl")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        long_path, many_path, n, size, words = build_inputs(Path(args.bbc), args.mb, work)
        print(f"{n} BBC articles, {size / 1e6:.2f} MB, {words} words; --threads {args.threads}")
        results = {"long": [], "many": []}
        for r in range(args.repeat):
            for name, path in (("long", long_path), ("many", many_path)):
                wall, timings, peak = run(args.bin, path, work / f"{name}-{r}", args.threads)
                results[name].append({"wall_s": round(wall, 2), "words_per_s": round(words / wall),
                                      "peak_mb": round(peak), "timings": timings})
                print(f"{name:>4}: {wall:7.2f} s  {words / wall:8.0f} words/s  {peak:6.0f} MB peak  stages {timings}")
    best = {k: max(x["words_per_s"] for x in v) for k, v in results.items()}
    ratio = best["long"] / best["many"]
    print(f"one article / {n} articles: {ratio:.2f}x (best of {args.repeat})")
    if args.json:
        Path(args.json).write_text(json.dumps({"articles": n, "bytes": size, "words": words,
                                               "threads": args.threads, "runs": results, "ratio": ratio}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
