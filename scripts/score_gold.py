#!/usr/bin/env python3
"""Score claimgraph's output tables against the annotated gold set (stdlib only).

Usage: score_gold.py OUT_DIR GOLD_DIR [--json] [--min-mention-f1 X] [--min-entity-f1 X]
                     [--min-link-f1 X] [--min-statement-recall X] [--min-speaker-acc X]
                     [--min-relation-f1 X] [--min-labelled-relation-f1 X]

OUT_DIR holds the pipeline's JSONL tables: mentions.jsonl (required), statements.jsonl and
relations.jsonl (optional: a missing table leaves its section unscored, shown as n/a).
GOLD_DIR holds articles.jsonl and gold.jsonl (see tests/fixtures/gold/README.md). All offsets are
Unicode code points. Only documents in the gold set are scored; other doc_ids are ignored.

Metrics
  mentions    exact span + label precision/recall/F1, overall, per label, entity labels only
  linking     pairwise over gold mentions that have a gold entity and that the system found with
              the exact span: a pair is "same" in gold when the gold entities are equal, in the
              system when the (non-null) entity_ids are equal; P/R/F1 of the system's "same"
              decisions, over all pairs and over cross-document pairs only
  statements  detection: a gold statement is found when a system statement's content covers
              >= 50% of the gold content (and a system statement is correct when it covers >= 50%
              of some gold content); speaker accuracy over found statements (see speaker_ok)
  relations   unlabelled: subject and object match (an argument matches a gold entity when its
              span overlaps a gold mention of that entity in the article, or its entity_id maps to
              it by the majority mapping of linked mentions; a value matches by normalized
              equality); labelled: also the same type. One-to-one, greedy in file order.

Exit status: 0, or 1 when a --min-* threshold is not met (an unscored metric fails its
threshold), 2 on unreadable input.
"""

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict

ENTITY_LABELS = ("PER", "ORG", "LOC", "MISC")
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}


class InputError(Exception):
    pass


def read_jsonl(path, required=True):
    if not os.path.exists(path):
        if required:
            raise InputError(f"missing {path}")
        return None
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{n}: {e}") from e
    return rows


def prf(tp, n_sys, n_gold):
    """Precision, recall, F1; None where the denominator is zero (nothing to judge)."""
    p = tp / n_sys if n_sys else None
    r = tp / n_gold if n_gold else None
    f = (2 * p * r / (p + r) if (p + r) else 0.0) if p is not None and r is not None else None
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "system": n_sys, "gold": n_gold}


def overlap(a0, a1, b0, b1):
    return max(0, min(a1, b1) - max(a0, b0))


def span_of(d):
    """(start, end) of a JSON argument/speaker/content object, or None."""
    if not isinstance(d, dict):
        return None
    s, e = d.get("start"), d.get("end")
    if isinstance(s, int) and isinstance(e, int) and s < e:
        return s, e
    return None


def norm_value(v):
    """Normalize a relation value for comparison: numbers (digits or small number words) to int
    strings, other text lower-cased without leading articles or punctuation."""
    if v is None:
        return None
    t = str(v).strip().lower().replace(",", "")
    t = re.sub(r"^(the|a|an|at least|about|some|all)\s+", "", t)
    if re.fullmatch(r"\d+(\.0+)?", t):
        return str(int(float(t)))
    if t in NUMBER_WORDS:
        return str(NUMBER_WORDS[t])
    return " ".join(re.findall(r"[\w-]+", t))


# ---------------------------------------------------------------------------------------------
# mentions and linking

def score_mentions(gold, sys_mentions):
    gold_set = {(g["doc_id"], m["start"], m["end"], m["label"]) for g in gold.values() for m in g["mentions"]}
    sys_set = {(m.get("doc_id"), m.get("start"), m.get("end"), m.get("label"))
               for m in sys_mentions if m.get("doc_id") in gold}
    out = {"overall": prf(len(gold_set & sys_set), len(sys_set), len(gold_set))}
    g_ent = {x for x in gold_set if x[3] in ENTITY_LABELS}
    s_ent = {x for x in sys_set if x[3] in ENTITY_LABELS}
    out["entity_labels"] = prf(len(g_ent & s_ent), len(s_ent), len(g_ent))
    labels = sorted({x[3] for x in gold_set} | {x[3] for x in sys_set if isinstance(x[3], str)})
    out["per_label"] = {}
    for lab in labels:
        g = {x for x in gold_set if x[3] == lab}
        s = {x for x in sys_set if x[3] == lab}
        out["per_label"][lab] = prf(len(g & s), len(s), len(g))
    return out


def link_items(gold, sys_mentions):
    """[(doc_id, gold_entity, system_entity_id_or_None)] for gold entity mentions found by span."""
    by_span = {}
    for m in sys_mentions:
        key = (m.get("doc_id"), m.get("start"), m.get("end"))
        by_span.setdefault(key, m)  # first row wins when a span is listed twice
    items = []
    for g in gold.values():
        for m in g["mentions"]:
            if not m.get("entity"):
                continue
            sm = by_span.get((g["doc_id"], m["start"], m["end"]))
            if sm is not None:
                items.append((g["doc_id"], m["entity"], sm.get("entity_id")))
    return items


def pairs(counter):
    return sum(n * (n - 1) // 2 for n in counter.values())


def score_linking(gold, items):
    n_gold_entity = sum(1 for g in gold.values() for m in g["mentions"] if m.get("entity"))
    # A null entity_id links to nothing: give each its own singleton cluster.
    sys_ids = [s if s is not None else ("\0none", i) for i, (_, _, s) in enumerate(items)]
    g_c = Counter(e for _, e, _ in items)
    s_c = Counter(sys_ids)
    b_c = Counter(zip((e for _, e, _ in items), sys_ids))
    g_cd = Counter((e, d) for d, e, _ in items)
    s_cd = Counter(zip(sys_ids, (d for d, _, _ in items)))
    b_cd = Counter(zip((e for _, e, _ in items), sys_ids, (d for d, _, _ in items)))
    all_pairs = prf(pairs(b_c), pairs(s_c), pairs(g_c))
    # Cross-document pairs: all pairs minus the pairs inside one document.
    cross = prf(pairs(b_c) - pairs(b_cd), pairs(s_c) - pairs(s_cd), pairs(g_c) - pairs(g_cd))
    return {"mentions_found": len(items), "gold_entity_mentions": n_gold_entity,
            "all_pairs": all_pairs, "cross_document_pairs": cross}


def majority_mapping(items):
    """System entity_id -> the gold entity most of its linked mentions carry (ties: smallest key)."""
    votes = defaultdict(Counter)
    for _, ge, se in items:
        if se is not None:
            votes[se][ge] += 1
    return {se: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for se, c in votes.items()}


# ---------------------------------------------------------------------------------------------
# statements and relations

def entity_spans(gold_doc):
    spans = defaultdict(list)
    for m in gold_doc["mentions"]:
        if m.get("entity"):
            spans[m["entity"]].append((m["start"], m["end"]))
    return spans


def arg_matches_entity(arg, entity, spans, mapping):
    if not isinstance(arg, dict):
        return False
    sp = span_of(arg)
    if sp and any(overlap(sp[0], sp[1], s, e) for s, e in spans.get(entity, ())):
        return True
    eid = arg.get("entity_id")
    return eid is not None and mapping.get(eid) == entity


def words(t):
    return set(re.findall(r"\w+", (t or "").lower()))


def speaker_ok(gst, sst, spans, mapping):
    """Is the system statement's speaker the gold speaker? See the module doc."""
    ssp = sst.get("speaker")
    if gst.get("speaker"):
        if not isinstance(ssp, dict):
            return False
        if arg_matches_entity(ssp, gst["speaker"], spans, mapping):
            return True
        # The gold speaker text itself ("the airline") also counts when it resolves to the entity.
        sp = span_of(ssp)
        return bool(sp and gst.get("speaker_start") is not None
                    and overlap(sp[0], sp[1], gst["speaker_start"], gst["speaker_end"]))
    if gst.get("speaker_text") is None:
        return ssp is None
    if not isinstance(ssp, dict):
        return False
    sp = span_of(ssp)
    if sp and gst.get("speaker_start") is not None:
        return overlap(sp[0], sp[1], gst["speaker_start"], gst["speaker_end"]) > 0
    return bool(words(ssp.get("text")) & words(gst["speaker_text"]))


def score_statements(gold, sys_statements, mapping):
    by_doc = defaultdict(list)
    for s in sys_statements:
        if s.get("doc_id") in gold and span_of(s.get("content")):
            by_doc[s["doc_id"]].append(s)
    n_gold = found = speaker_right = sys_ok = 0
    n_sys = sum(len(v) for v in by_doc.values())
    kind_right = 0
    for did, g in gold.items():
        spans = entity_spans(g)
        golds = g["statements"]
        n_gold += len(golds)
        for gst in golds:
            glen = gst["content_end"] - gst["content_start"]
            best, best_ov = None, 0
            for sst in by_doc.get(did, ()):
                c = span_of(sst["content"])
                ov = overlap(c[0], c[1], gst["content_start"], gst["content_end"])
                if ov > best_ov:
                    best, best_ov = sst, ov
            if best is not None and best_ov * 2 >= glen:
                found += 1
                speaker_right += speaker_ok(gst, best, spans, mapping)
                kind_right += best.get("kind") == gst["kind"]
        for sst in by_doc.get(did, ()):
            c = span_of(sst["content"])
            if any(overlap(c[0], c[1], gs["content_start"], gs["content_end"]) * 2
                   >= gs["content_end"] - gs["content_start"] for gs in golds):
                sys_ok += 1
    det = prf(found, n_sys, n_gold)
    det["precision"] = sys_ok / n_sys if n_sys else None
    p, r = det["precision"], det["recall"]
    det["f1"] = (2 * p * r / (p + r) if (p + r) else 0.0) if p is not None and r is not None else None
    return {"detection": det,
            "speaker_accuracy": speaker_right / found if found else None,
            "kind_accuracy": kind_right / found if found else None,
            "found": found}


def relation_match(gr, sr, spans, mapping, labelled):
    if labelled and sr.get("type") != gr["type"]:
        return False
    if not arg_matches_entity(sr.get("subject"), gr["subject"], spans, mapping):
        return False
    obj = sr.get("object")
    if gr.get("object") is not None:
        return arg_matches_entity(obj, gr["object"], spans, mapping)
    if not isinstance(obj, dict):
        return False
    gv = norm_value(gr["object_value"])
    for cand in (obj.get("value"), obj.get("text")):
        nv = norm_value(cand)
        if nv and (nv == gv or (gv and re.search(r"(^| )" + re.escape(gv) + r"( |$)", nv))):
            return True
    return False


def score_relations(gold, sys_relations, mapping):
    by_doc = defaultdict(list)
    for r in sys_relations:
        if r.get("doc_id") in gold:
            by_doc[r["doc_id"]].append(r)
    n_sys = sum(len(v) for v in by_doc.values())
    n_gold = sum(len(g["relations"]) for g in gold.values())
    out = {}
    for labelled in (False, True):
        tp = pol = mod = 0
        for did, g in gold.items():
            spans = entity_spans(g)
            used = set()
            for gr in g["relations"]:
                for i, sr in enumerate(by_doc.get(did, ())):
                    if i not in used and relation_match(gr, sr, spans, mapping, labelled):
                        used.add(i)
                        tp += 1
                        pol += sr.get("polarity") == gr["polarity"]
                        mod += sr.get("modality") == gr["modality"]
                        break
        res = prf(tp, n_sys, n_gold)
        if labelled:
            res["polarity_accuracy"] = pol / tp if tp else None
            res["modality_accuracy"] = mod / tp if tp else None
        out["labelled" if labelled else "unlabelled"] = res
    return out


# ---------------------------------------------------------------------------------------------

def score(out_dir, gold_dir):
    gold_rows = read_jsonl(os.path.join(gold_dir, "gold.jsonl"))
    gold = {g["doc_id"]: g for g in gold_rows}
    sys_mentions = read_jsonl(os.path.join(out_dir, "mentions.jsonl"))
    sys_statements = read_jsonl(os.path.join(out_dir, "statements.jsonl"), required=False)
    sys_relations = read_jsonl(os.path.join(out_dir, "relations.jsonl"), required=False)
    items = link_items(gold, sys_mentions)
    mapping = majority_mapping(items)
    return {
        "documents": len(gold),
        "mentions": score_mentions(gold, sys_mentions),
        "linking": score_linking(gold, items),
        "statements": None if sys_statements is None else score_statements(gold, sys_statements, mapping),
        "relations": None if sys_relations is None else score_relations(gold, sys_relations, mapping),
    }


def fmt(x):
    return "  n/a" if x is None else f"{x:5.3f}"


def table(res):
    lines = [f"documents: {res['documents']}", "", f"{'metric':<34} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'sys':>6} {'gold':>6}"]

    def row(name, m):
        lines.append(f"{name:<34} {fmt(m['precision']):>6} {fmt(m['recall']):>6} {fmt(m['f1']):>6} "
                     f"{m['tp']:>6} {m['system']:>6} {m['gold']:>6}")

    row("mentions (all labels)", res["mentions"]["overall"])
    row("mentions (PER/ORG/LOC/MISC)", res["mentions"]["entity_labels"])
    for lab, m in res["mentions"]["per_label"].items():
        row(f"  {lab}", m)
    lk = res["linking"]
    row("linking, all pairs", lk["all_pairs"])
    row("linking, cross-document pairs", lk["cross_document_pairs"])
    lines.append(f"  (gold entity mentions found by exact span: {lk['mentions_found']}/{lk['gold_entity_mentions']})")
    st = res["statements"]
    if st is None:
        lines.append("statements: n/a (no statements.jsonl)")
    else:
        row("statements, detection", st["detection"])
        lines.append(f"  speaker accuracy (over found): {fmt(st['speaker_accuracy'])}   kind accuracy: {fmt(st['kind_accuracy'])}")
    rel = res["relations"]
    if rel is None:
        lines.append("relations: n/a (no relations.jsonl)")
    else:
        row("relations, unlabelled", rel["unlabelled"])
        row("relations, labelled (type)", rel["labelled"])
        lines.append(f"  polarity accuracy: {fmt(rel['labelled']['polarity_accuracy'])}   "
                     f"modality accuracy: {fmt(rel['labelled']['modality_accuracy'])} (over labelled matches)")
    return "\n".join(lines)


THRESHOLDS = {
    "min_mention_f1": ("mentions (all labels) F1", lambda r: r["mentions"]["overall"]["f1"]),
    "min_entity_f1": ("mentions (PER/ORG/LOC/MISC) F1", lambda r: r["mentions"]["entity_labels"]["f1"]),
    "min_link_f1": ("linking, all pairs F1", lambda r: r["linking"]["all_pairs"]["f1"]),
    "min_statement_recall": ("statement detection recall", lambda r: r["statements"] and r["statements"]["detection"]["recall"]),
    "min_speaker_acc": ("speaker accuracy", lambda r: r["statements"] and r["statements"]["speaker_accuracy"]),
    "min_relation_f1": ("relations unlabelled F1", lambda r: r["relations"] and r["relations"]["unlabelled"]["f1"]),
    "min_labelled_relation_f1": ("relations labelled F1", lambda r: r["relations"] and r["relations"]["labelled"]["f1"]),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("gold_dir")
    ap.add_argument("--json", action="store_true", help="print all numbers as JSON")
    for name in THRESHOLDS:
        ap.add_argument("--" + name.replace("_", "-"), type=float, default=None, metavar="X")
    args = ap.parse_args(argv)
    try:
        res = score(args.out_dir, args.gold_dir)
    except (InputError, OSError, KeyError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(res, indent=2, sort_keys=True) if args.json else table(res))
    failed = False
    for name, (desc, get) in THRESHOLDS.items():
        want = getattr(args, name)
        if want is None:
            continue
        got = get(res)
        if got is None or got < want:
            print(f"below threshold: {desc} = {fmt(got).strip()} < {want}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
