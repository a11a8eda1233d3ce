#!/usr/bin/env python3
"""claimgraph on Apache Spark (PySpark 4.x): the per-document half on the executors, the barrier
on the driver.

    spark-submit --archives target/spark/claimgraph.tar.gz#cg \
        scripts/spark/claimgraph_spark.py INPUT... --out OUT [--format parquet] [--partitions N]

1. Every input (a JSONL file, a folder of them, .gz too, or Parquet with a text column; any path
   Spark understands) is read line by line with its place: the position of the input, the file
   as `claimgraph run` names it, the 1-based line (for Parquet, the row).
2. The lines are repartitioned (hash of the place) and sorted within each partition, and each
   partition is piped through one long-lived `claimgraph map --framed - -o -` from the archive,
   each line sent as a frame ({"input", "file", "line", "record"}), so a record keeps its
   origin and the shard comes back as lines. A map that exits non-zero fails the task with the
   tail of its stderr (which names the record that broke it); Spark retries it, then fails the job.
3. The shards are written with saveAsTextFile (part-*), then `claimgraph merge` runs on the
   driver and writes the dataset (copied to OUT when OUT is not a local path).

For the same JSONL input, the tables equal `claimgraph run`'s byte for byte (tests/spark_job.py).
Lines are split at "\\n" only, as `run` splits them; text that is not valid UTF-8 reaches the job
with replacement characters (where `run` rejects the line).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

from pyspark import SparkFiles
from pyspark.sql import SparkSession

JSONL = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
TEXT_INPUT = "org.apache.hadoop.mapreduce.lib.input.TextInputFormat"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+", help="JSONL files or folders, or Parquet files (any Spark path)")
    p.add_argument("--out", required=True, help="dataset folder (local, or any Hadoop path)")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "parquet"])
    p.add_argument("--partitions", type=int, default=0, help="map tasks [default: Spark's default parallelism]")
    p.add_argument("--threads-per-task", type=int, default=1, help="claimgraph threads in each map task")
    p.add_argument("--shards", help="where the shards go [default: OUT.shards]")
    p.add_argument("--keep-shards", action="store_true", help="keep the shards after the merge")
    p.add_argument("--text-column", default="text", help="the text column of Parquet inputs")
    p.add_argument("--archive", help="local path of the archive, for the driver's merge when Spark did not unpack it here")
    p.add_argument("--map-arg", action="append", default=[], help="extra argument of `claimgraph map` (repeat)")
    p.add_argument("--merge-arg", action="append", default=[], help="extra argument of `claimgraph merge` (repeat)")
    p.add_argument("--master", help="Spark master when not run by spark-submit (local[2], local-cluster[2,1,1024])")
    p.add_argument("--conf", action="append", default=[], help="Spark setting KEY=VALUE (repeat)")
    return p.parse_args(argv)


# --- inputs ---------------------------------------------------------------------------------

def hadoop_path(spark, path):
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p, p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def is_local(path):
    return "://" not in path or path.startswith("file:")


def local(path):
    return path[len("file:"):] if path.startswith("file:") else path


def list_files(spark, given):
    """(shown, uri, kind) of every file of one input, in the order `claimgraph run` reads them:
    a file as given; a folder's files by relative path, shown as the folder joined with it."""
    p, fs = hadoop_path(spark, given)
    status = fs.getFileStatus(p)
    if not status.isDirectory():
        return [(given, status.getPath().toString(), kind_of(given))]
    root = status.getPath().toString().rstrip("/") + "/"
    found = []
    it = fs.listFiles(p, True)
    while it.hasNext():
        uri = it.next().getPath().toString()
        rel = uri[len(root):]
        if any(part.startswith((".", "_")) for part in rel.split("/")):
            continue
        found.append((rel, uri))
    out = []
    for rel, uri in sorted(found):
        out.append((os.path.join(given, rel), uri, kind_of(rel)))
    return out


def kind_of(name):
    low = name.lower()
    if low.endswith(JSONL):
        return "jsonl"
    if low.endswith(".parquet"):
        return "parquet"
    raise SystemExit(f"claimgraph_spark: {name}: this job reads JSONL (.jsonl, .ndjson, .json, .gz) and Parquet; "
                     "convert it, or use `claimgraph run`")


def frames_of(spark, index, shown, uri, kind, text_column):
    """The file's lines as (place, frame) pairs."""
    sc = spark.sparkContext
    if kind == "jsonl":
        # "\n" only, as `claimgraph run` splits lines (Hadoop's default also splits at a lone "\r").
        lines = sc.newAPIHadoopFile(uri, TEXT_INPUT, "org.apache.hadoop.io.LongWritable",
                                    "org.apache.hadoop.io.Text",
                                    conf={"textinputformat.record.delimiter": "\n"}).values()
    else:
        df = spark.read.parquet(uri)
        if text_column not in df.columns:
            raise SystemExit(f"claimgraph_spark: {shown}: no column '{text_column}' (see --text-column)")
        lines = df.toJSON()
    numbered = lines.zipWithIndex()

    def frame(pair):
        line, i = pair
        place = (index, shown, i + 1)
        return place, json.dumps({"input": index, "file": shown, "line": i + 1, "record": line}, ensure_ascii=False)

    return numbered.map(frame)


# --- the map tasks --------------------------------------------------------------------------

def archive_dir():
    """The unpacked archive on this machine."""
    for d in (os.path.join(SparkFiles.getRootDirectory(), "cg"), os.path.abspath("cg")):
        tool = os.path.join(d, "bin", "claimgraph")
        if os.path.exists(tool):
            if not os.access(tool, os.X_OK):  # Spark unpacks a plain .tar without file modes
                os.chmod(tool, 0o755)
            return d
    raise RuntimeError("claimgraph archive not found: pass --archives claimgraph.tar.gz#cg")


def tool_env(cg):
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(cg, "lib") + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env["ORT_DYLIB_PATH"] = os.path.join(cg, "lib", "libonnxruntime.so")
    return env


def map_partition(threads, extra):
    def run(index, frames):
        cg = archive_dir()
        cmd = [os.path.join(cg, "bin", "claimgraph"), "map", "--framed", "-", "-o", "-", "-q",
               "--threads", str(threads), "--model", os.path.join(cg, "model")] + extra
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                    env=tool_env(cg))
            failure = []

            def feed():
                try:
                    for _, frame in frames:
                        proc.stdin.write(frame.encode("utf-8") + b"\n")
                except BrokenPipeError:
                    pass  # the map died: its exit code and stderr say why
                except BaseException as e:  # noqa: BLE001 - reported below, on the task's thread
                    failure.append(e)
                finally:
                    try:
                        proc.stdin.close()
                    except BrokenPipeError:
                        pass

            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()
            for line in proc.stdout:
                yield line.decode("utf-8").rstrip("\n")
            rc = proc.wait()
            feeder.join()
            if failure:
                raise failure[0]
            if rc != 0:
                err.seek(0)
                tail = err.read().decode("utf-8", "replace")[-4000:]
                raise RuntimeError(f"claimgraph map failed (exit {rc}) on partition {index}: {tail}")

    return run


# --- the driver -----------------------------------------------------------------------------

def driver_tool(args):
    try:
        return archive_dir()
    except RuntimeError:
        if not args.archive:
            raise
    where = tempfile.mkdtemp(prefix="claimgraph-cg-")
    with tarfile.open(args.archive) as t:
        t.extractall(where, filter="tar")
    return where


def fetch(spark, uri, dest):
    p, fs = hadoop_path(spark, uri)
    fs.copyToLocalFile(False, p, spark.sparkContext._jvm.org.apache.hadoop.fs.Path(dest), True)


def say(msg, since):
    print(f"claimgraph_spark: {msg} ({time.time() - since:.1f} s)", file=sys.stderr, flush=True)
    return time.time()


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    t = time.time()
    builder = SparkSession.builder.appName("claimgraph")
    if args.master:
        builder = builder.master(args.master)
    if args.archive and not any(c.startswith("spark.archives=") for c in args.conf):
        builder = builder.config("spark.archives", f"{os.path.abspath(args.archive)}#cg")
    for c in args.conf:
        k, _, v = c.partition("=")
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    # The executors import this file when the job is called from another module (tests/spark_job.py).
    sc.addPyFile(os.path.abspath(__file__))
    t = say(f"Spark started, master {sc.master}", t)
    try:
        files = [(i, *f) for i, given in enumerate(args.inputs) for f in list_files(spark, given)]
        if not files:
            raise SystemExit("claimgraph_spark: no input files")
        parts = [frames_of(spark, i, shown, uri, kind, args.text_column) for i, shown, uri, kind in files]
        frames = sc.union(parts) if len(parts) > 1 else parts[0]
        n = args.partitions or sc.defaultParallelism
        extra = list(args.map_arg)
        if args.text_column != "text":
            extra += ["--field", f"text={args.text_column}"]
        shards = (args.shards or args.out.rstrip("/") + ".shards")
        if is_local(shards) and os.path.exists(local(shards)):
            shutil.rmtree(local(shards))
        (frames.repartitionAndSortWithinPartitions(n)
               .mapPartitionsWithIndex(map_partition(args.threads_per_task, extra))
               .saveAsTextFile(shards))
        t = say(f"{len(files)} input files mapped by {n} tasks into {shards}", t)

        cg = driver_tool(args)
        with tempfile.TemporaryDirectory(prefix="claimgraph-merge-") as tmp:
            shard_dir = local(shards) if is_local(shards) else os.path.join(tmp, "shards")
            if not is_local(shards):
                fetch(spark, shards, shard_dir)
            out = local(args.out) if is_local(args.out) else os.path.join(tmp, "out")
            cmd = [os.path.join(cg, "bin", "claimgraph"), "merge", shard_dir, "-o", out,
                   "--format", args.format] + args.merge_arg
            rc = subprocess.run(cmd, env=tool_env(cg)).returncode
            if rc not in (0, 2):  # 2: some records were rejected (listed in errors)
                raise SystemExit(f"claimgraph_spark: merge failed (exit {rc})")
            t = say(f"merged into {args.out}", t)
            if not is_local(args.out):
                p, fs = hadoop_path(spark, args.out)
                fs.copyFromLocalFile(False, True, sc._jvm.org.apache.hadoop.fs.Path(out), p)
        if not args.keep_shards and is_local(shards):
            shutil.rmtree(local(shards))
        return rc
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
