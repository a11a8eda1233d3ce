#!/usr/bin/env python3
"""Build and validate the annotated gold set in tests/fixtures/gold/ (stdlib only).

Annotations are written by hand in small Python source files (tests/fixtures/gold/src/*.py)
as *(text, occurrence index)* pairs, never as raw offsets: offsets typed by hand drift as soon
as a sentence is edited.  This tool turns the sources into

  articles.jsonl  one article per line: id, title, source, url, published, text
  gold.jsonl      one annotation record per article: doc_id, mentions, statements, relations

with Unicode code-point offsets (Python str indices, end exclusive), and validates every record.

Source files are executed with two functions in scope:

  EVENT(lex={surface: (label, entity_key), ...})     (weekday names are added as DATE)
      A lexicon shared by the articles that follow it.  Every whole-word occurrence of a
      surface in an article is annotated, longest surface first, unless an explicit mention
      already covers it or it is listed in the article's `skip`.  This keeps the tedious part
      (every "Qasimi", every "NAF") consistent across outlets.

  DOC(id, title, source, url, published, text,
      mentions=[(text, label, entity_or_None, occ)],   occ: int (0-based) or "*" (all)
      skip=[(text, occ)],                              lexicon occurrences left unannotated
      statements=[S(speaker_entity_or_None, speaker_text, content, kind)],
                  speaker_text / content: text or (text, occ); kind: direct|indirect|mixed
      relations=[(subject, predicate, type, object_entity_or_None, object_value_or_None,
                  polarity, modality)])

Occurrences are counted over whole-word matches (no letter or digit directly before or after),
so "Karimi" does not match inside "Karimis" but does in "Karimi's".

Usage:
  gold_tool.py build [GOLD_DIR]   sources -> articles.jsonl + gold.jsonl, then check
  gold_tool.py check [GOLD_DIR]   validate the two JSONL files as they are (exit 1 on error)
  gold_tool.py lint  [GOLD_DIR]   list capitalized words and numbers no mention covers
"""

import json
import os
import re
import sys

LABELS = ("PER", "ORG", "LOC", "MISC", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL")
ENTITY_LABELS = ("PER", "ORG", "LOC", "MISC")
KEY_PREFIX = {"PER": "per:", "ORG": "org:", "LOC": "loc:", "MISC": "misc:"}
REL_TYPES = ("role", "member_of", "leader_of", "part_of", "family", "located_in", "attack",
             "claim_responsibility", "accuse", "acquire", "investigate", "oppose", "condemn",
             "kill", "injure",
             # also in docs/SCHEMA.md, not used by the current gold
             "arrest", "meet", "support", "sue", "employ")
# Types whose object is a number (a count), not an entity.
VALUE_TYPES = ("kill", "injure")
POLARITIES = ("positive", "negative")
MODALITIES = ("asserted", "hedged", "reported")
KINDS = ("direct", "indirect", "mixed")
ARTICLE_FIELDS = ("id", "title", "source", "url", "published", "text")
# Gold articles are short news items: long enough for cross-sentence cases, short to annotate.
MIN_WORDS, MAX_WORDS = 100, 250

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "gold")


class GoldError(Exception):
    pass


def occurrences(text, needle):
    """Start offsets of whole-word occurrences of `needle` in `text`."""
    if not needle:
        raise GoldError("empty annotation text")
    out = []
    i = text.find(needle)
    while i >= 0:
        before = text[i - 1] if i > 0 else " "
        after = text[i + len(needle)] if i + len(needle) < len(text) else " "
        # Only enforce the boundary on sides where the needle itself is alphanumeric, so that
        # a needle ending in "." (e.g. "Corp.") still matches before a space.
        ok_before = not (before.isalnum() and needle[0].isalnum())
        ok_after = not (after.isalnum() and needle[-1].isalnum())
        if ok_before and ok_after:
            out.append(i)
        i = text.find(needle, i + 1)
    return out


def locate(text, needle, occ, doc_id):
    """(start, end) of occurrence `occ` of `needle`; a GoldError names the article when absent."""
    occ_list = occurrences(text, needle)
    if not isinstance(occ, int) or occ < 0 or occ >= len(occ_list):
        raise GoldError(f"{doc_id}: {needle!r} occurrence {occ} not found ({len(occ_list)} present)")
    s = occ_list[occ]
    return s, s + len(needle)


def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def build_doc(spec, lex):
    """Resolve one DOC(...) spec against the current lexicon into (article, gold)."""
    doc_id = spec["id"]
    text = spec["text"]
    claimed = []  # (start, end, label, entity)

    def claim(start, end, label, entity, explicit):
        for c in claimed:
            if overlaps((start, end), c):
                # A lexicon surface that sticks out of an explicit mention means the explicit
                # occurrence index probably points at the wrong "Karimi" (one inside "Karimi
                # Group"); fail instead of silently dropping the longer name.
                if explicit or not (c[0] <= start and end <= c[1]):
                    raise GoldError(f"{doc_id}: {text[start:end]!r}@{start} overlaps {text[c[0]:c[1]]!r}@{c[0]}")
                return
        claimed.append((start, end, label, entity))

    for m in spec.get("mentions", []):
        if len(m) != 4:
            raise GoldError(f"{doc_id}: mention must be (text, label, entity, occ): {m!r}")
        needle, label, entity, occ = m
        if occ == "*":
            starts = occurrences(text, needle)
            if not starts:
                raise GoldError(f"{doc_id}: {needle!r} not found")
            for s in starts:
                claim(s, s + len(needle), label, entity, True)
        else:
            s, e = locate(text, needle, occ, doc_id)
            claim(s, e, label, entity, True)

    skipped = set()
    for needle, occ in spec.get("skip", []):
        skipped.add(locate(text, needle, occ, doc_id))

    # Longest surface first, so "Karimi Group" wins over "Karimi".
    for surface in sorted(lex, key=lambda s: (-len(s), s)):
        label, entity = lex[surface]
        for s in occurrences(text, surface):
            if (s, s + len(surface)) in skipped:
                continue
            claim(s, s + len(surface), label, entity, False)

    claimed.sort()
    mentions = [{"start": s, "end": e, "text": text[s:e], "label": l, "entity": ent}
                for s, e, l, ent in claimed]

    statements = []
    for st in spec.get("statements", []):
        cs, ce = locate(text, st["content"][0], st["content"][1], doc_id)
        rec = {"speaker": st.get("speaker"), "speaker_text": None, "speaker_start": None,
               "speaker_end": None, "content_start": cs, "content_end": ce,
               "content": text[cs:ce], "kind": st["kind"]}
        if st.get("speaker_text"):
            ss, se = locate(text, st["speaker_text"][0], st["speaker_text"][1], doc_id)
            rec.update(speaker_text=text[ss:se], speaker_start=ss, speaker_end=se)
        statements.append(rec)

    relations = []
    for r in spec.get("relations", []):
        if len(r) != 7:
            raise GoldError(f"{doc_id}: relation must have 7 fields: {r!r}")
        subj, pred, rtype, obj, val, pol, mod = r
        relations.append({"subject": subj, "predicate": pred, "type": rtype, "object": obj,
                          "object_value": None if val is None else str(val),
                          "polarity": pol, "modality": mod})

    article = {k: spec[k] for k in ARTICLE_FIELDS}
    gold = {"doc_id": doc_id, "mentions": mentions, "statements": statements, "relations": relations}
    return article, gold


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def S(speaker, speaker_text, content, kind):
    """Statement shorthand for source files: a plain string means occurrence 0."""
    def occ(x):
        return None if x is None else ((x, 0) if isinstance(x, str) else tuple(x))
    return {"speaker": speaker, "speaker_text": occ(speaker_text), "content": occ(content), "kind": kind}


def load_sources(src_dir):
    """Execute every source file in name order; returns (articles, golds)."""
    articles, golds = [], []
    files = sorted(f for f in os.listdir(src_dir) if f.endswith(".py"))
    if not files:
        raise GoldError(f"no source files in {src_dir}")
    for name in files:
        state = {"lex": {}}

        def EVENT(lex):
            # Weekday names are always DATE values; an event may override them.
            state["lex"] = {**{d: ("DATE", None) for d in WEEKDAYS}, **lex}

        def DOC(**spec):
            missing = [k for k in ARTICLE_FIELDS if k not in spec]
            if missing:
                raise GoldError(f"{name}: DOC missing {missing}")
            a, g = build_doc(spec, state["lex"])
            articles.append(a)
            golds.append(g)

        path = os.path.join(src_dir, name)
        with open(path, encoding="utf-8") as f:
            code = compile(f.read(), path, "exec")
        exec(code, {"EVENT": EVENT, "DOC": DOC, "S": S})
    return articles, golds


def validate(articles, golds):
    """All problems found, as strings; an empty list means the set is valid."""
    errs = []
    ids = [a.get("id") for a in articles]
    if len(set(ids)) != len(ids):
        errs.append("duplicate article ids")
    if [g.get("doc_id") for g in golds] != ids:
        errs.append("gold.jsonl doc_ids do not match articles.jsonl ids (same order expected)")
    key_label = {}
    for a, g in zip(articles, golds):
        did = a.get("id")
        for k in ARTICLE_FIELDS:
            if not isinstance(a.get(k), str) or not a.get(k):
                errs.append(f"{did}: article field {k!r} missing or empty")
        text = a.get("text", "")
        n_words = len(text.split())
        if not MIN_WORDS <= n_words <= MAX_WORDS:
            errs.append(f"{did}: {n_words} words, outside {MIN_WORDS}-{MAX_WORDS}")
        if not re.match(r"^\d{4}-\d{2}-\d{2}", a.get("published", "")):
            errs.append(f"{did}: published is not an ISO date")
        ms = g.get("mentions", [])
        doc_entities = set()
        prev = None
        for m in ms:
            s, e, lab, ent = m.get("start"), m.get("end"), m.get("label"), m.get("entity")
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
                errs.append(f"{did}: bad offsets {m!r}")
                continue
            if text[s:e] != m.get("text"):
                errs.append(f"{did}: text mismatch at {s}:{e}: {text[s:e]!r} != {m.get('text')!r}")
            if text[s:e] != text[s:e].strip():
                errs.append(f"{did}: mention {m.get('text')!r} has surrounding whitespace")
            if lab not in LABELS:
                errs.append(f"{did}: unknown label {lab!r}")
            elif lab in ENTITY_LABELS:
                if not isinstance(ent, str) or not ent.startswith(KEY_PREFIX[lab]):
                    errs.append(f"{did}: {lab} mention {m.get('text')!r} needs an entity key starting {KEY_PREFIX[lab]!r}, got {ent!r}")
                else:
                    if not re.fullmatch(r"[a-z]+:[a-z0-9_]+", ent):
                        errs.append(f"{did}: malformed entity key {ent!r}")
                    if key_label.setdefault(ent, lab) != lab:
                        errs.append(f"{did}: entity {ent!r} used as {lab} and {key_label[ent]}")
                    doc_entities.add(ent)
            elif ent is not None:
                errs.append(f"{did}: value mention {m.get('text')!r} ({lab}) must have entity null")
            if prev is not None:
                if (s, e) < (prev[0], prev[1]):
                    errs.append(f"{did}: mentions not sorted at {s}")
                if s < prev[1]:
                    # Flat annotation (CoNLL): no nesting, whatever the labels.
                    errs.append(f"{did}: overlapping mentions {prev[2]!r} and {m.get('text')!r}")
            prev = (s, e, m.get("text"))
        for st in g.get("statements", []):
            cs, ce = st.get("content_start"), st.get("content_end")
            if not (isinstance(cs, int) and isinstance(ce, int) and 0 <= cs < ce <= len(text)) or text[cs:ce] != st.get("content"):
                errs.append(f"{did}: statement content offsets do not match: {st.get('content')!r}")
            if st.get("kind") not in KINDS:
                errs.append(f"{did}: statement kind {st.get('kind')!r}")
            sp = st.get("speaker")
            if sp is not None and sp not in doc_entities:
                errs.append(f"{did}: statement speaker {sp!r} has no mention in the article")
            if st.get("speaker_text") is not None:
                ss, se = st.get("speaker_start"), st.get("speaker_end")
                if not (isinstance(ss, int) and isinstance(se, int)) or text[ss:se] != st["speaker_text"]:
                    errs.append(f"{did}: speaker_text offsets do not match {st['speaker_text']!r}")
            elif sp is not None:
                errs.append(f"{did}: named speaker {sp!r} without speaker_text")
        for r in g.get("relations", []):
            if r.get("type") not in REL_TYPES:
                errs.append(f"{did}: relation type {r.get('type')!r}")
            if r.get("polarity") not in POLARITIES or r.get("modality") not in MODALITIES:
                errs.append(f"{did}: relation polarity/modality {r.get('polarity')!r}/{r.get('modality')!r}")
            if not isinstance(r.get("predicate"), str) or not r.get("predicate"):
                errs.append(f"{did}: relation without predicate")
            if r.get("subject") not in doc_entities:
                errs.append(f"{did}: relation subject {r.get('subject')!r} has no mention in the article")
            obj, val = r.get("object"), r.get("object_value")
            if (obj is None) == (val is None):
                errs.append(f"{did}: relation needs exactly one of object / object_value: {r!r}")
            if obj is not None and obj not in doc_entities:
                errs.append(f"{did}: relation object {obj!r} has no mention in the article")
            if r.get("type") in VALUE_TYPES and val is not None and not re.fullmatch(r"\d+", val):
                errs.append(f"{did}: {r.get('type')} count must be a number, got {val!r}")
    return errs


def lint(articles, golds):
    """Words that look like they should be annotated but are not (for the annotator to review)."""
    number_words = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                    "eleven", "twelve", "dozen", "dozens", "hundred", "hundreds", "thousand", "million", "billion"}
    out = []
    for a, g in zip(articles, golds):
        text = a["text"]
        covered = [(m["start"], m["end"]) for m in g["mentions"]]
        for mt in re.finditer(r"[A-Za-zÀ-ÿ][\w'’.-]*|\d[\d,.]*", text):
            s, e = mt.span()
            if any(cs <= s < ce for cs, ce in covered):
                continue
            w = mt.group()
            start_of_sentence = s == 0 or re.search(r'(?:[.!?]["”]?\s+|\n\s*|[“"]\s*|—\s+)$', text[max(0, s - 4):s])
            if (w[0].isupper() and not start_of_sentence) or w[0].isdigit() or w.lower() in number_words:
                out.append(f"{a['id']}: {w!r} at {s}")
    return out


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main(argv):
    if len(argv) < 2 or argv[1] not in ("build", "check", "lint"):
        print(__doc__, file=sys.stderr)
        return 2
    gold_dir = argv[2] if len(argv) > 2 else DEFAULT_DIR
    try:
        if argv[1] == "build":
            articles, golds = load_sources(os.path.join(gold_dir, "src"))
            errs = validate(articles, golds)
            if not errs:
                write_jsonl(os.path.join(gold_dir, "articles.jsonl"), articles)
                write_jsonl(os.path.join(gold_dir, "gold.jsonl"), golds)
        else:
            articles = read_jsonl(os.path.join(gold_dir, "articles.jsonl"))
            golds = read_jsonl(os.path.join(gold_dir, "gold.jsonl"))
            errs = validate(articles, golds)
            if argv[1] == "lint":
                for line in lint(articles, golds):
                    print(line)
    except (GoldError, OSError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for e in errs:
        print(f"invalid: {e}", file=sys.stderr)
    if errs:
        return 1
    n_m = sum(len(g["mentions"]) for g in golds)
    n_s = sum(len(g["statements"]) for g in golds)
    n_r = sum(len(g["relations"]) for g in golds)
    n_e = len({m["entity"] for g in golds for m in g["mentions"] if m["entity"]})
    print(f"ok: {len(articles)} articles, {n_m} mentions, {n_e} entities, {n_s} statements, {n_r} relations",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
