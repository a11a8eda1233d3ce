#!/usr/bin/env python3
"""Grow the attribution cue lexicon from PolNeAR train (which cue words its annotators marked).

Usage: python3 scripts/polnear_cues.py [--data DIR] [--min-count N] [--min-rate R] > cues.tsv
       python3 scripts/polnear_cues.py --statements RUN_DIR ERRORS.jsonl [--min-count N] [--min-rate R]

The second form ranks cues by the statements they gave in a claimgraph run on train (run with the
candidate lemmas added to speech_cues.tsv through --patterns, scored by ../shared/eval/polnear/score.py
--dump ERRORS.jsonl): a cue's rate is the share of its statements that overlapped an annotated content
(not false positives); rows with at least N statements and a rate of at least R are printed.

For every verb form in the train articles, counts how often it is (the last verb of) an annotated
cue and how often it occurs at all; a lemma enters the lexicon when it was a cue at least N times
and in at least R of its occurrences (so "say" and "warn" enter; "go", "make" do not). Lemmas
follow the same rules as the Rust lemmatizer (data/patterns/lemmas.tsv, then suffixes), with the
candidate lemmas taken from the counted words themselves. Prints `lemma<TAB>speech<TAB>cues/occurrences`
rows; data/patterns/speech_cues.tsv keeps its hand-written effects (deny, hedge) and takes the rest.
PolNeAR is read from ../shared (never copied into the repository); only lemma counts come out.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?")
AUX = {"be", "is", "are", "was", "were", "been", "being", "has", "have", "had", "do", "does", "did", "will",
       "would", "can", "could", "may", "might", "should", "must", "also", "not", "first", "repeatedly", "to",
       "often", "once", "just", "already", "publicly", "still", "even", "never", "previously", "later"}
PARTICLES = {"for", "on", "to", "of", "out", "up", "about", "in", "with", "at", "by", "that", "as", "from", "back"}


def irregular() -> dict:
    out = {}
    with open(os.path.join(ROOT, "data/patterns/lemmas.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            form, lemma = line.rstrip("\n").split("\t")[:2]
            out[form] = lemma
    return out


def candidates(w: str):
    out = []

    def strip(suf):
        return w[: -len(suf)] if w.endswith(suf) and len(w) - len(suf) >= 2 else None

    s = strip("ied") or strip("ies")
    if s:
        out.append(s + "y")
    s = strip("ed")
    if s:
        out += [s + "e", s[:-1] if len(s) > 2 and s[-1] == s[-2] else s, s]
    else:
        s = strip("ing")
        if s:
            out += [s + "e", s[:-1] if len(s) > 2 and s[-1] == s[-2] else s, s]
        else:
            s = strip("es")
            if s:
                out += [s, s + "e"]
    s = strip("s")
    if s and not w.endswith("ss"):
        out.append(s)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "external", "polnear", "data", "train"))
    ap.add_argument("--min-count", type=int, default=4)
    ap.add_argument("--min-rate", type=float, default=0.25)
    ap.add_argument("--statements", nargs=2, metavar=("RUN_DIR", "ERRORS"))
    args = ap.parse_args()
    if args.statements:
        return by_statements(*args.statements, args.min_count, args.min_rate)
    if not os.path.isdir(args.data):
        raise SystemExit(f"polnear_cues: {args.data} is missing (PolNeAR, see ../shared/external/README.md)")
    irr = irregular()
    cue_forms: collections.Counter = collections.Counter()
    all_forms: collections.Counter = collections.Counter()
    texts = {}
    for name in sorted(os.listdir(os.path.join(args.data, "text"))):
        with open(os.path.join(args.data, "text", name), encoding="utf-8") as f:
            texts[name[:-4]] = f.read()
        all_forms.update(w.lower() for w in WORD.findall(texts[name[:-4]]))
    for name in sorted(os.listdir(os.path.join(args.data, "attributions"))):
        with open(os.path.join(args.data, "attributions", name), encoding="utf-8") as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 3 or not cols[1].startswith("Cue "):
                    continue
                words = [w.lower() for w in WORD.findall(cols[2])]
                words = [w for w in words if w not in AUX and w not in PARTICLES]
                if words:
                    cue_forms[words[-1]] += 1
    def lemma(w: str) -> str:
        if w in irr:
            return irr[w]
        # The candidate whose other inflections occur ("added": "add" has "adds", "adding"; "ad"
        # has no "ading"); ties go to the Rust lemmatizer's order.
        found = [c for c in candidates(w) if all_forms[c] > 0]
        if found:
            return max(found, key=lambda c: (inflections(c), -found.index(c)))
        return w

    def inflections(c: str) -> int:
        forms = {c + "s", c + "es", c + "ing", c + c[-1] + "ing", c + "ed", c + "d"}
        if c.endswith("e"):
            forms.add(c[:-1] + "ing")
        return sum(1 for f in forms if all_forms[f] > 0)

    cues: collections.Counter = collections.Counter()
    seen: collections.Counter = collections.Counter()
    for w, n in cue_forms.items():
        cues[lemma(w)] += n
    for w, n in all_forms.items():
        lm = lemma(w)
        if lm in cues:
            seen[lm] += n
    rows = [(lm, n, seen[lm]) for lm, n in cues.items() if n >= args.min_count and n / max(seen[lm], 1) >= args.min_rate]
    rows.sort(key=lambda r: (-r[1], r[0]))
    for lm, n, total in rows:
        print(f"{lm}\tspeech\t{n}/{total}")
    print(f"polnear_cues: {len(rows)} lemmas from {sum(cue_forms.values())} cues", file=sys.stderr)
    return 0


def by_statements(run_dir: str, errors: str, min_count: int, min_rate: float) -> int:
    import json

    total: collections.Counter = collections.Counter()
    wrong: collections.Counter = collections.Counter()
    with open(os.path.join(run_dir, "statements.jsonl"), encoding="utf-8") as f:
        for line in f:
            total[json.loads(line)["cue"]] += 1
    with open(errors, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["error"] == "false_positive":
                wrong[e["system"]["cue"]] += 1
    for cue, n in sorted(total.items(), key=lambda x: -x[1]):
        rate = (n - wrong[cue]) / n
        if n >= min_count and rate >= min_rate:
            print(f"{cue}\tspeech\t{n - wrong[cue]}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
