#!/usr/bin/env python3
"""How big and how fast is `claimgraph report` on a large run?

Makes a synthetic run of N documents (default 100,000) from a real run of the sample (copies
of its 12 articles with fresh ids; every 10 copies share one set of renamed entities, so
entities, facts and conflicts grow with the corpus too), with its input file and a manifest
whose hashes match, then measures:
  - `claimgraph report` wall time and the HTML file's size;
  - `chromium --headless --dump-dom` wall time (start, load, parse, render, dump);
  - the time from navigation to the page's first self-check, and to a few views, over the
    DevTools protocol (scripts/report_browser.py).

Usage: scripts/bench_report.py [--docs N] [--sample-run out/sample] [--out out/bench_report]
"""
import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GROUP = 10  # copies of the sample that share one set of entities


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rename(obj, copy, group):
    """Doc ids get the copy number, entity ids and names the group number."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(v, str) and k in ("doc_id", "mention_id", "statement_id", "relation_id"):
                out[k] = f"{v.split('#')[0]}-{copy}" + ("#" + v.split("#", 1)[1] if "#" in v else "")
            elif isinstance(v, str) and (k.endswith("entity_id") or k in ("fact_id", "conflict_id", "object")) and v[:1] in "Efc":
                out[k] = f"{v}-{group}"
            elif isinstance(v, str) and k in ("name", "subject_name", "object_name"):
                out[k] = f"{v} {group}"
            elif k == "doc_ids" and isinstance(v, list):
                out[k] = [f"{d}-{copy}" for d in v]
            else:
                out[k] = rename(v, copy, group)
        return out
    if isinstance(obj, list):
        return [rename(x, copy, group) for x in obj]
    return obj


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


def synthesize(sample_run, articles, n_docs, out):
    copies = max(1, n_docs // len(articles))
    out.mkdir(parents=True, exist_ok=True)
    inp = out / "articles.jsonl"
    with open(inp, "w") as f:
        for c in range(copies):
            for a in articles:
                f.write(json.dumps(dict(a, id=f"{a['id']}-{c}"), ensure_ascii=False) + "\n")
    tables = {t: jsonl(sample_run / f"{t}.jsonl") for t in
              ("documents", "mentions", "entities", "statements", "relations", "facts", "conflicts")}
    run = out / "run"
    run.mkdir(exist_ok=True)
    counts = {}
    for t in ("documents", "mentions", "statements", "relations"):
        with open(run / f"{t}.jsonl", "w") as f:
            for c in range(copies):
                for r in tables[t]:
                    r = rename(r, c, c // GROUP)
                    if t == "documents":
                        r["source_file"] = str(inp)
                        r["source_line"] = c * len(articles) + r["source_line"]
                    f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
        counts[t] = copies * len(tables[t])
    groups = (copies + GROUP - 1) // GROUP
    for t in ("entities", "facts", "conflicts"):
        rows = []
        for g in range(groups):
            members = range(g * GROUP, min(copies, (g + 1) * GROUP))
            for r in tables[t]:
                x = rename(r, g * GROUP, g)
                if t == "facts":
                    x["doc_ids"] = [f"{d}-{c}" for d in r["doc_ids"] for c in members]
                    x["support"] = len(x["doc_ids"])
                if t == "entities":
                    x["doc_count"] *= len(members)
                    x["mention_count"] *= len(members)
                rows.append(x)
        write_jsonl(run / f"{t}.jsonl", rows)
        counts[t] = len(rows)
    (run / "errors.jsonl").write_text("")
    m = json.loads((sample_run / "manifest.json").read_text())
    data = inp.read_bytes()
    m["inputs"] = [{"path": str(inp), "format": "jsonl", "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(), "records": counts["documents"]}]
    m["counts"] = {"records": counts["documents"], "ok": counts["documents"], "rejected": 0, **counts}
    del m["counts"]["documents"]
    (run / "manifest.json").write_text(json.dumps(m, indent=2))
    return run, counts


def timed(cmd):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {p.stderr[-2000:]}")
    return time.time() - t, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--sample-run", default="out/sample")
    ap.add_argument("--out", default="out/bench_report")
    a = ap.parse_args()
    sample_run, out = REPO / a.sample_run, REPO / a.out
    if not (sample_run / "manifest.json").is_file():
        sys.exit(f"{sample_run}: run scripts/demo (or claimgraph run data/sample/articles.jsonl -o {a.sample_run}) first")
    shutil.rmtree(out, ignore_errors=True)
    t = time.time()
    run, counts = synthesize(sample_run, jsonl(REPO / "data/sample/articles.jsonl"), a.docs, out)
    print(f"synthetic run: {counts} in {time.time() - t:.0f} s -> {run}", file=sys.stderr)
    html = out / "report.html"
    secs, _ = timed([str(REPO / "target/release/claimgraph"), "report", str(run), "-o", str(html)])
    size = html.stat().st_size
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    result = {"documents": counts["documents"], "tables": counts, "report_seconds": round(secs, 1),
              "html_bytes": size}
    if chromium:
        profile = out / "profile"
        dump = [chromium, "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={profile}",
                "--virtual-time-budget=60000", "--dump-dom", html.resolve().as_uri()]
        secs, dom = timed(dump)
        result["dump_dom_seconds"] = round(secs, 1)
        result["dump_dom_ready"] = '"ready":true' in dom
        views = [["entities", "entities", None], ["facts", "facts", None], ["documents", "documents", None],
                 ["document", "doc/sample-01-0", None]]
        secs, cdp = timed([sys.executable, str(REPO / "scripts/report_browser.py"), str(html), "--out",
                           str(out / "shots"), "--views", json.dumps(views)])
        r = json.loads(cdp)
        result["first_view_ms"] = r["load_ms"]
        result["view_ms"] = {k: v["ms"] for k, v in r["views"].items()}
        result["first_view_timing_ms"] = r.get("first_timing")
        result["browser_session_seconds"] = round(secs, 1)
        result["console_errors"] = r["console_errors"] + r["exceptions"]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
