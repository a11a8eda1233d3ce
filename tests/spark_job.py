#!/usr/bin/env python3
"""The Spark job, for real: PySpark in local[2] and in local-cluster[2,1,1024] (a master and two
worker JVMs whose executors unpack the archive), over the sample articles plus generated ones
and a few bad records; the dataset must equal `claimgraph run` on the same input (DuckDB for the
Parquet tables, bytes for all). Then a job whose map cannot start must fail with its error.

The three jobs run in this one process, one after the other, so the driver's JVM starts once.
Run by tests/tests.rs (`spark` module) after scripts/spark/setup; alone:
    .venv/bin/python tests/spark_job.py [--generated 200] [--no-cluster] [--keep DIR]
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import duckdb

os.environ.update(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "spark"))
import claimgraph_spark  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, "target", "release", "claimgraph")
JOB = os.path.join(REPO, "scripts", "spark", "claimgraph_spark.py")
ARCHIVE = os.path.join(REPO, "target", "spark", "claimgraph.tar")
TABLES = ["documents", "errors", "mentions", "entities", "statements", "relations", "facts", "conflicts"]

# Cheap JVMs: no JIT tiers past C1, the serial collector, no UI, few shuffle partitions.
JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss4m"
CONF = [
    f"spark.driver.extraJavaOptions={JVM}",
    f"spark.executor.extraJavaOptions={JVM}",
    "spark.ui.enabled=false",
    "spark.ui.showConsoleProgress=false",
    "spark.sql.shuffle.partitions=2",
    "spark.driver.host=127.0.0.1",
    "spark.driver.bindAddress=127.0.0.1",
    "spark.executor.memory=640m",
    "spark.driver.memory=768m",
    "spark.python.worker.reuse=true",
]

PEOPLE = ["Abdul Rahim Qasimi", "Sunita Rai", "Mohammad Ishaq Rahmani", "Laila Haidari", "Tomas Novak",
          "Grace Mwangi", "Arjun Mehta", "Elena Petrova", "Kwame Mensah", "Farid Zaman"]
ORGS = ["Northern Alliance Front", "Everest Wings Aviation", "Vardhan Industries", "Altyn Ore",
        "the Interior Ministry", "the United Nations", "Kabul Bank", "Himalaya Power"]
PLACES = ["Kabul", "Nahrin", "Kathmandu", "Baghlan", "Takhar", "Pokhara", "Almaty", "Mumbai"]
OUTLETS = ["Frontier Wire", "Kabul Ledger", "Asia Courier", "Global Dispatch", "The Daily Meridian"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
TEMPLATES = [
    "{per}, the director of {org}, said on {day} that {n} people had been killed in {loc}.",
    "\"We will not accept this,\" {per} told reporters in {loc}.",
    "{org} denied any role in the attack on {loc}, according to a statement.",
    "Police in {loc} said {n} officers were wounded on {day}.",
    "{org} agreed to acquire {org2} for {n} million dollars, {per} said.",
    "Officials said {per} had met the leaders of {org} in {loc} on {day}.",
    "{per} is the commander of {org}, a group active around {loc}.",
    "The talks in {loc} ended without agreement, {per} said.",
]


def generated(n, rng):
    for i in range(n):
        words = {"per": rng.choice(PEOPLE), "org": rng.choice(ORGS), "org2": rng.choice(ORGS),
                 "loc": rng.choice(PLACES), "day": rng.choice(DAYS), "n": rng.randint(2, 60)}
        text = " ".join(rng.choice(TEMPLATES).format(**words) for _ in range(rng.randint(3, 7)))
        yield {"id": f"gen-{i:04d}", "title": f"Report {i}", "source": rng.choice(OUTLETS),
               "published": f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "text": text}


def make_input(dir_, n):
    """A folder: the sample articles, and generated ones with bad records among them."""
    os.makedirs(dir_)
    shutil.copy(os.path.join(REPO, "data", "sample", "articles.jsonl"), os.path.join(dir_, "a-sample.jsonl"))
    rng = random.Random(14)
    lines = [json.dumps(a, ensure_ascii=False) for a in generated(n, rng)]
    bad = ['{"id": "sample-02", "text": "A record with the id of a sample article."}',
           '{"id": "broken", "text": ', "", '{"id": "no-text"}', "[1, 2]",
           '{"text": "No id: the Interior Ministry said on Monday that 3 people died in Kabul."}']
    for k, b in enumerate(bad):
        lines.insert(1 + k * (len(lines) // len(bad)), b)
    with open(os.path.join(dir_, "b-generated.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines) + 12


def sh(cmd, ok=(0,), **kw):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode not in ok:
        sys.stderr.write(p.stdout[-3000:] + p.stderr[-6000:])
        raise SystemExit(f"FAILED ({p.returncode}): {' '.join(cmd)}")
    return p, time.time() - t


def spark(inputs, out, fmt, master, extra=(), partitions=3):
    """Runs the job here (the driver's JVM is started once, then reused); returns its exit code
    and seconds."""
    argv = [*inputs, "--out", out, "--format", fmt, "--master", master, "--archive", ARCHIVE,
            "--partitions", str(partitions)]
    for c in CONF:
        argv += ["--conf", c]
    t = time.time()
    rc = claimgraph_spark.main(argv + list(extra))
    assert rc in (0, 2), f"the job exited {rc}"
    return time.time() - t


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def same_parquet(a, b):
    db = duckdb.connect()
    for t in TABLES:
        pa, pb = os.path.join(a, f"{t}.parquet"), os.path.join(b, f"{t}.parquet")
        na = db.execute(f"SELECT count(*) FROM '{pa}'").fetchone()[0]
        nb = db.execute(f"SELECT count(*) FROM '{pb}'").fetchone()[0]
        assert na == nb, f"{t}: {na} rows from run, {nb} from Spark"
        for x, y in ((pa, pb), (pb, pa)):
            extra = db.execute(f"SELECT count(*) FROM (SELECT * FROM '{x}' EXCEPT ALL SELECT * FROM '{y}')").fetchone()[0]
            assert extra == 0, f"{t}: {extra} rows of {x} are not in {y}"
        assert sha(pa) == sha(pb), f"{t}.parquet: same rows, different bytes"
    return db.execute(f"SELECT count(*) FROM '{os.path.join(a, 'documents.parquet')}'").fetchone()[0]


def same_jsonl(a, b):
    for t in TABLES:
        assert sha(os.path.join(a, f"{t}.jsonl")) == sha(os.path.join(b, f"{t}.jsonl")), f"{t}.jsonl differs"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--generated", type=int, default=200)
    ap.add_argument("--no-cluster", action="store_true")
    ap.add_argument("--keep", help="work in this folder and keep it")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="claimgraph-spark-test-")
    if args.keep and os.path.exists(work):
        shutil.rmtree(work)
    try:
        inp = os.path.join(work, "in")
        records = make_input(inp, args.generated)
        cache = os.path.join(work, "cache")
        run_j = os.path.join(work, "run-jsonl")
        _, t_run = sh([BIN, "run", inp, "-o", run_j, "--threads", "2", "-q", "--cache", cache], ok=(2,))
        run_p = os.path.join(work, "run-parquet")
        sh([BIN, "run", inp, "-o", run_p, "--threads", "2", "-q", "--cache", cache, "--format", "parquet"], ok=(2,))

        out = os.path.join(work, "spark-parquet")
        t_local = spark([inp], out, "parquet", "local[2]", ["--keep-shards"])
        n = same_parquet(run_p, out)
        assert n == records - 1, f"{n} documents rows for {records} records (one blank line)"
        m = json.load(open(os.path.join(out, "manifest.json")))
        assert len(m["shards"]) == 3 and all(s["path"].split("/")[-1].startswith("part-") for s in m["shards"]), m["shards"]
        assert sum(s["records"] for s in m["shards"]) == n
        print(f"spark local[2]: {n} records, 3 map tasks, tables equal `claimgraph run` "
              f"(DuckDB rows and bytes); run {t_run:.0f} s, job {t_local:.0f} s")

        if not args.no_cluster:
            out = os.path.join(work, "spark-cluster")
            t_cluster = spark([inp], out, "jsonl", "local-cluster[2,1,1024]", partitions=2)
            same_jsonl(run_j, out)
            print(f"spark local-cluster[2,1,1024]: 2 executors, 2 map tasks, JSONL tables byte-identical to `claimgraph run`; job {t_cluster:.0f} s")

        small = os.path.join(work, "small")
        os.makedirs(small)
        shutil.copy(os.path.join(REPO, "data", "sample", "articles.jsonl"), small)
        try:
            spark([small], os.path.join(work, "failed"), "jsonl", "local[2]",
                  ["--map-arg=--patterns", "--map-arg=/nonexistent/patterns"])
            raise AssertionError("a job whose map tasks fail succeeded")
        except Exception as e:  # noqa: BLE001 - Py4JJavaError, whose text carries the task's error
            said = str(e)
        assert "claimgraph map failed" in said and "/nonexistent/patterns" in said, said[-3000:]
        assert not os.path.exists(os.path.join(work, "failed", "manifest.json"))
        print("spark: a map task that fails fails the job, with the map's error")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
