#!/usr/bin/env python3
"""Tests for score_gold.py and gold_tool.py: `python3 scripts/test_score_gold.py` (stdlib only)."""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gold_tool  # noqa: E402
import score_gold  # noqa: E402

GOLD_DIR = os.path.join(HERE, "..", "tests", "fixtures", "gold")


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def sys_id(entity):
    # The system's ids are its own strings; only equality between them matters.
    return None if entity is None else "E-" + entity.upper()


def perfect_output(gold_rows, out_dir):
    """System tables that say exactly what the gold says."""
    mentions, statements, relations = [], [], []
    for g in gold_rows:
        first = {}
        for i, m in enumerate(g["mentions"]):
            mentions.append({"doc_id": g["doc_id"], "mention_id": f"{g['doc_id']}-m{i}", "sentence": 0,
                             "start": m["start"], "end": m["end"], "text": m["text"], "label": m["label"],
                             "score": 1.0, "entity_id": sys_id(m["entity"])})
            first.setdefault(m["entity"], m)
        for i, s in enumerate(g["statements"]):
            sp = None
            if s["speaker_text"] is not None:
                sp = {"entity_id": sys_id(s["speaker"]), "text": s["speaker_text"],
                      "start": s["speaker_start"], "end": s["speaker_end"]}
            statements.append({"doc_id": g["doc_id"], "statement_id": f"{g['doc_id']}-s{i}", "speaker": sp,
                               "cue": "say", "kind": s["kind"], "score": 1.0,
                               "content": {"text": s["content"], "start": s["content_start"], "end": s["content_end"]}})
        for i, r in enumerate(g["relations"]):
            subj = first[r["subject"]]
            if r["object"] is not None:
                o = first[r["object"]]
                obj = {"entity_id": sys_id(r["object"]), "text": o["text"], "start": o["start"], "end": o["end"], "value": None}
            else:
                obj = {"entity_id": None, "text": r["object_value"], "start": None, "end": None, "value": r["object_value"]}
            relations.append({"doc_id": g["doc_id"], "relation_id": f"{g['doc_id']}-r{i}", "sentence": 0,
                              "subject": {"entity_id": sys_id(r["subject"]), "text": subj["text"],
                                          "start": subj["start"], "end": subj["end"]},
                              "object": obj, "predicate": r["predicate"], "type": r["type"],
                              "polarity": r["polarity"], "modality": r["modality"], "attributed_to": None,
                              "evidence": "", "score": 1.0})
    write_jsonl(os.path.join(out_dir, "mentions.jsonl"), mentions)
    write_jsonl(os.path.join(out_dir, "statements.jsonl"), statements)
    write_jsonl(os.path.join(out_dir, "relations.jsonl"), relations)


def run_main(args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = score_gold.main(args)
    return rc, out.getvalue()


class RealGold(unittest.TestCase):
    def test_committed_gold_is_valid(self):
        arts = gold_tool.read_jsonl(os.path.join(GOLD_DIR, "articles.jsonl"))
        golds = gold_tool.read_jsonl(os.path.join(GOLD_DIR, "gold.jsonl"))
        self.assertGreaterEqual(len(arts), 32)
        self.assertEqual(gold_tool.validate(arts, golds), [])

    def test_sources_rebuild_to_committed_files(self):
        arts, golds = gold_tool.load_sources(os.path.join(GOLD_DIR, "src"))
        self.assertEqual(arts, gold_tool.read_jsonl(os.path.join(GOLD_DIR, "articles.jsonl")))
        self.assertEqual(golds, gold_tool.read_jsonl(os.path.join(GOLD_DIR, "gold.jsonl")))

    def test_perfect_output_scores_one(self):
        golds = gold_tool.read_jsonl(os.path.join(GOLD_DIR, "gold.jsonl"))
        with tempfile.TemporaryDirectory() as out:
            perfect_output(golds, out)
            res = score_gold.score(out, GOLD_DIR)
        for key in ("overall", "entity_labels"):
            self.assertEqual(res["mentions"][key]["f1"], 1.0, key)
        for lab, m in res["mentions"]["per_label"].items():
            self.assertEqual(m["f1"], 1.0, lab)
        self.assertEqual(res["linking"]["all_pairs"]["f1"], 1.0)
        self.assertEqual(res["linking"]["cross_document_pairs"]["f1"], 1.0)
        self.assertEqual(res["statements"]["detection"]["f1"], 1.0)
        self.assertEqual(res["statements"]["speaker_accuracy"], 1.0)
        self.assertEqual(res["relations"]["unlabelled"]["f1"], 1.0)
        self.assertEqual(res["relations"]["labelled"]["f1"], 1.0)

    def test_perturbed_output_scores_lower(self):
        golds = gold_tool.read_jsonl(os.path.join(GOLD_DIR, "gold.jsonl"))
        with tempfile.TemporaryDirectory() as out:
            perfect_output(golds, out)
            rows = gold_tool.read_jsonl(os.path.join(out, "mentions.jsonl"))
            # Drop every third mention, relabel every fifth, and collapse all PER ids into one.
            rows = [r for i, r in enumerate(rows) if i % 3]
            for i, r in enumerate(rows):
                if i % 5 == 0:
                    r["label"] = "MISC" if r["label"] != "MISC" else "ORG"
                if r["label"] == "PER":
                    r["entity_id"] = "E-ANYONE"
            write_jsonl(os.path.join(out, "mentions.jsonl"), rows)
            rels = gold_tool.read_jsonl(os.path.join(out, "relations.jsonl"))
            for r in rels[::2]:
                r["type"] = "oppose" if r["type"] != "oppose" else "accuse"
            write_jsonl(os.path.join(out, "relations.jsonl"), rels)
            res = score_gold.score(out, GOLD_DIR)
            rc, _ = run_main([out, GOLD_DIR, "--min-mention-f1", "0.9"])
        self.assertLess(res["mentions"]["overall"]["recall"], 0.7)
        self.assertLess(res["mentions"]["overall"]["precision"], 1.0)
        self.assertLess(res["linking"]["all_pairs"]["precision"], 1.0)
        self.assertEqual(res["relations"]["unlabelled"]["f1"], 1.0)
        self.assertLess(res["relations"]["labelled"]["f1"], 0.6)
        self.assertEqual(rc, 1)


class Synthetic(unittest.TestCase):
    """A two-document gold small enough to work out every number by hand."""

    TEXT1 = "Ali Khan met Bob Day in Kabul. Khan said the deal was off, and 14 died." + " More." * 90
    TEXT2 = "Ali Khan left." + " More." * 100

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.gold_dir = os.path.join(self.tmp.name, "gold")
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.gold_dir)
        os.makedirs(self.out)
        t1 = self.TEXT1

        def m(text, label, ent, occ=0, t=t1):
            s = gold_tool.occurrences(t, text)[occ]
            return {"start": s, "end": s + len(text), "text": text, "label": label, "entity": ent}

        c0 = t1.index("the deal")
        gold = [
            {"doc_id": "d1",
             "mentions": [m("Ali Khan", "PER", "per:khan"), m("Bob Day", "PER", "per:day"),
                          m("Kabul", "LOC", "loc:kabul"), m("Khan", "PER", "per:khan", 1), m("14", "CARDINAL", None)],
             "statements": [
                 {"speaker": "per:khan", "speaker_text": "Khan", "speaker_start": t1.index("Khan said"),
                  "speaker_end": t1.index("Khan said") + 4, "content_start": c0, "content_end": c0 + 16,
                  "content": t1[c0:c0 + 16], "kind": "indirect"},
                 {"speaker": None, "speaker_text": None, "speaker_start": None, "speaker_end": None,
                  "content_start": 0, "content_end": 29, "content": t1[:29], "kind": "indirect"}],
             "relations": [
                 {"subject": "per:khan", "predicate": "meet", "type": "oppose", "object": "per:day",
                  "object_value": None, "polarity": "positive", "modality": "asserted"},
                 {"subject": "loc:kabul", "predicate": "kill", "type": "kill", "object": None,
                  "object_value": "14", "polarity": "positive", "modality": "asserted"}]},
            {"doc_id": "d2", "mentions": [m("Ali Khan", "PER", "per:khan", t=self.TEXT2)],
             "statements": [], "relations": []},
        ]
        arts = [{"id": "d1", "title": "t", "source": "s", "url": "u", "published": "2025-01-01", "text": t1},
                {"id": "d2", "title": "t", "source": "s", "url": "u", "published": "2025-01-01", "text": self.TEXT2}]
        self.assertEqual(gold_tool.validate(arts, gold), [])
        write_jsonl(os.path.join(self.gold_dir, "gold.jsonl"), gold)
        write_jsonl(os.path.join(self.gold_dir, "articles.jsonl"), arts)
        self.gold = gold

    def tearDown(self):
        self.tmp.cleanup()

    def sysm(self, doc, start, end, label, eid):
        return {"doc_id": doc, "mention_id": "x", "sentence": 0, "start": start, "end": end, "text": "",
                "label": label, "score": 1.0, "entity_id": eid}

    def test_mentions_linking_statements_relations(self):
        g = {m["text"] + str(m["start"]): m for m in self.gold[0]["mentions"]}
        ali, bob, kabul, khan = g["Ali Khan0"], g["Bob Day13"], g["Kabul24"], g["Khan31"]
        mentions = [
            self.sysm("d1", ali["start"], ali["end"], "PER", "X"),        # right
            self.sysm("d1", bob["start"], bob["end"], "ORG", "X"),        # wrong label, wrong link
            self.sysm("d1", khan["start"], khan["end"], "PER", "X"),      # right
            self.sysm("d1", 60, 63, "LOC", None),                          # spurious
            self.sysm("d2", 0, 8, "PER", "Y"),                             # right span, split entity
            self.sysm("zz", 0, 3, "PER", "X"),                             # not a gold doc: ignored
        ]
        write_jsonl(os.path.join(self.out, "mentions.jsonl"), mentions)
        c0 = self.TEXT1.index("the deal")
        write_jsonl(os.path.join(self.out, "statements.jsonl"), [
            {"doc_id": "d1", "statement_id": "s", "cue": "say", "kind": "direct", "score": 1,
             "speaker": {"entity_id": None, "text": "Ali Khan", "start": 0, "end": 8},
             "content": {"text": "", "start": c0 + 5, "end": c0 + 20}},   # covers 11/16 of gold 1
            {"doc_id": "d1", "statement_id": "s2", "cue": "say", "kind": "direct", "score": 1,
             "speaker": None, "content": {"text": "", "start": 0, "end": 10}},  # 10/29: too little
        ])
        write_jsonl(os.path.join(self.out, "relations.jsonl"), [
            {"doc_id": "d1", "subject": {"entity_id": None, "text": "Khan", "start": khan["start"], "end": khan["end"]},
             "object": {"entity_id": "X", "text": "", "start": None, "end": None, "value": None},
             "type": "accuse", "polarity": "positive", "modality": "asserted"},
            {"doc_id": "d1", "subject": {"entity_id": None, "text": "Kabul", "start": kabul["start"], "end": kabul["end"]},
             "object": {"entity_id": None, "text": "fourteen", "start": None, "end": None, "value": None},
             "type": "kill", "polarity": "negative", "modality": "asserted"},
            {"doc_id": "d1", "subject": {"entity_id": "Q", "text": "Bob", "start": 100, "end": 103},
             "object": {"entity_id": None, "text": "", "start": None, "end": None, "value": "14"},
             "type": "kill", "polarity": "positive", "modality": "asserted"},
        ])
        res = score_gold.score(self.out, self.gold_dir)
        mo = res["mentions"]["overall"]
        self.assertEqual((mo["tp"], mo["system"], mo["gold"]), (3, 5, 6))
        self.assertAlmostEqual(res["mentions"]["per_label"]["PER"]["precision"], 1.0)
        self.assertAlmostEqual(res["mentions"]["per_label"]["PER"]["recall"], 0.75)
        self.assertEqual(res["mentions"]["per_label"]["ORG"]["precision"], 0.0)
        self.assertIsNone(res["mentions"]["per_label"]["ORG"]["recall"])
        # Found by span: Ali(X) Bob(X) Khan(X) in d1, Ali(Y) in d2.  Gold pairs: khan x3 -> 3.
        # System pairs: X x3 -> 3, of which (Ali, Khan) is right.
        lk = res["linking"]["all_pairs"]
        self.assertEqual((lk["tp"], lk["system"], lk["gold"]), (1, 3, 3))
        cd = res["linking"]["cross_document_pairs"]
        self.assertEqual((cd["tp"], cd["system"], cd["gold"]), (0, 0, 2))
        self.assertIsNone(cd["precision"])
        st = res["statements"]
        self.assertEqual(st["detection"]["recall"], 0.5)
        self.assertEqual(st["detection"]["precision"], 0.5)
        self.assertEqual(st["speaker_accuracy"], 1.0)  # "Ali Khan" overlaps a per:khan mention
        self.assertEqual(st["kind_accuracy"], 0.0)
        # X maps to per:khan (2 of 3 votes), so the first relation's object does not match per:day.
        un = res["relations"]["unlabelled"]
        self.assertEqual((un["tp"], un["system"], un["gold"]), (1, 3, 2))
        lab = res["relations"]["labelled"]
        self.assertEqual(lab["tp"], 1)
        self.assertEqual(lab["polarity_accuracy"], 0.0)

    def test_missing_optional_tables_and_thresholds(self):
        write_jsonl(os.path.join(self.out, "mentions.jsonl"),
                    [self.sysm("d1", m["start"], m["end"], m["label"], m["entity"]) for m in self.gold[0]["mentions"]]
                    + [self.sysm("d2", 0, 8, "PER", "per:khan")])
        rc, text = run_main([self.out, self.gold_dir, "--min-mention-f1", "1.0", "--min-link-f1", "1.0"])
        self.assertEqual(rc, 0)
        self.assertIn("statements: n/a", text)
        rc, _ = run_main([self.out, self.gold_dir, "--min-statement-recall", "0.1"])
        self.assertEqual(rc, 1)
        rc, text = run_main([self.out, self.gold_dir, "--json"])
        self.assertEqual(json.loads(text)["mentions"]["overall"]["f1"], 1.0)

    def test_unreadable_input(self):
        rc, _ = run_main([self.out, self.gold_dir])  # no mentions.jsonl
        self.assertEqual(rc, 2)

    def test_value_normalization(self):
        self.assertEqual(score_gold.norm_value("Fourteen"), "14")
        self.assertEqual(score_gold.norm_value("at least 1,200"), "1200")
        self.assertEqual(score_gold.norm_value("the police chief"), "police chief")


class GoldToolValidation(unittest.TestCase):
    ART = {"id": "a", "title": "t", "source": "s", "url": "u", "published": "2025-01-01",
           "text": "Karimi Group hired Karimi in Ghazni." + " More." * 100}

    def gold(self, mentions, relations=(), statements=()):
        return {"doc_id": "a", "mentions": list(mentions), "relations": list(relations), "statements": list(statements)}

    def test_occurrences_are_whole_words(self):
        self.assertEqual(gold_tool.occurrences("Karimis and Karimi's Karimi", "Karimi"), [12, 21])
        self.assertEqual(gold_tool.occurrences("Corp. Corp.", "Corp."), [0, 6])

    def test_detects_errors(self):
        good = {"start": 0, "end": 12, "text": "Karimi Group", "label": "ORG", "entity": "org:karimi_group"}
        self.assertEqual(gold_tool.validate([self.ART], [self.gold([good])]), [])
        cases = [
            [dict(good, text="Karimi Grou")],                                   # text mismatch
            [good, {"start": 0, "end": 6, "text": "Karimi", "label": "PER", "entity": "per:k"}],  # overlap
            [dict(good, entity="per:karimi_group")],                            # prefix vs label
            [dict(good, label="CARDINAL")],                                     # value with entity
            [dict(good, label="FAC")],                                          # unknown label
            [good, {"start": 19, "end": 25, "text": "Karimi", "label": "PER", "entity": "org:karimi_group"}],
        ]
        for ms in cases:
            self.assertNotEqual(gold_tool.validate([self.ART], [self.gold(ms)]), [], ms)
        bad_rel = {"subject": "org:karimi_group", "predicate": "p", "type": "acquire", "object": "per:nobody",
                   "object_value": None, "polarity": "positive", "modality": "asserted"}
        self.assertNotEqual(gold_tool.validate([self.ART], [self.gold([good], [bad_rel])]), [])
        bad_kill = dict(bad_rel, type="kill", object=None, object_value="many")
        self.assertNotEqual(gold_tool.validate([self.ART], [self.gold([good], [bad_kill])]), [])
        short = dict(self.ART, text="Karimi Group hired Karimi in Ghazni.")
        self.assertNotEqual(gold_tool.validate([short], [self.gold([good])]), [])

    def test_build_doc_resolves_and_rejects(self):
        spec = dict(self.ART, mentions=[("Karimi", "PER", "per:karimi", 1), ("Ghazni", "LOC", "loc:ghazni_city", 0)])
        lex = {"Karimi Group": ("ORG", "org:karimi_group")}
        _, g = gold_tool.build_doc(spec, lex)
        self.assertEqual([(m["text"], m["start"]) for m in g["mentions"]],
                         [("Karimi Group", 0), ("Karimi", 19), ("Ghazni", 29)])
        # Occurrence 0 of "Karimi" is inside "Karimi Group": the lexicon name would be cut, so fail.
        spec["mentions"][0] = ("Karimi", "PER", "per:karimi", 0)
        with self.assertRaises(gold_tool.GoldError):
            gold_tool.build_doc(spec, lex)
        spec["mentions"][0] = ("Karimi", "PER", "per:karimi", 5)
        with self.assertRaises(gold_tool.GoldError):
            gold_tool.build_doc(spec, lex)


if __name__ == "__main__":
    unittest.main()
