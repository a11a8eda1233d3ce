"""Shared code for the claimgraph tagger: CoNLL reading, word-piece windows, the model, decoding, metrics.

The Rust inference (src/tagger, written separately) mirrors the choices made here, so they are spelled
out precisely:

* Words are tokenized one at a time with the base ``tokenizer.json`` and no special tokens; a word that
  yields no piece becomes ``[UNK]``; at most ``MAX_PIECES_PER_WORD`` (16) pieces are kept per word.
* Case feature (``tagger.json`` ``case_feature``, see ``case_type``): every piece of a word gets the
  word's type id; ``type_id_shape3`` (current): 0 = first character not upper-case, 2 = ALL CAPS, 1 =
  other capitalized words; ``type_id_first_upper`` (first release): 1 when ``word[0].isupper()``.
  ``[CLS]``, ``[SEP]`` and padding get type id 0.
* A CoNLL article (between ``-DOCSTART-`` lines) is one sequence of words. A window holds at most
  ``MAX_CONTENT`` = max_pieces - 2 content pieces (``tagger.json``; 254 now, 126 in the first
  release), always whole words: ``[CLS] pieces [SEP]`` is at most max_pieces.
* Inference windows (``inference_windows``): the first window starts at word 0 and takes words greedily
  while the piece count stays <= 126. If it reaches the end of the article, that is the only window.
  Otherwise the next window starts at the first word j > start whose piece offset from the window's
  start is >= stride = floor(MAX_CONTENT * 0.5) (if no such word lies inside the window, at the
  window's end), and so on until a window reaches the last word. With ``context_pieces`` in
  ``tagger.json`` (current), ``context_windows`` instead: windows sharing at least twice that many pieces
  where they meet, no more positions than that needs (same as ``src/model/windows.rs``).
* Each word takes its labels from the window in which its first piece is farthest from the nearer edge of
  the window's content, distance = min(p, L - 1 - p) with p the 0-based index of the word's first piece
  among the window's L content pieces; ties go to the earlier window.
* Each head gives probabilities at the word's first piece. POS takes the argmax. NER first gets the
  article-wide consistency step (``doc_consistency``, weight ``tagger.json`` ``consistency``). NER and
  chunk then take either the argmax (``decode: argmax``) or the most probable valid IOB2 sequence of the
  article (``decode: viterbi``; for NER, each step's score adds ``transition_weight`` times the log
  probability of the label bigram in the training data, ``tagger.json`` ``ner_transitions``), and are
  repaired per sentence (an ``I-X`` at the sentence start, after
  ``O`` or after a different type becomes ``B-X``). Entity spans never cross a sentence boundary.
* Metrics follow conlleval: a span starts at ``B-X``, or at ``I-X`` after ``O``/another type/sentence
  start; it is correct when start, end and type all match the gold span.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

MAX_PIECES = 128  # set per model by set_max_pieces() (tagger.json "max_pieces")
MAX_CONTENT = MAX_PIECES - 2
MAX_PIECES_PER_WORD = 16
STRIDE_FRACTION = 0.5
# Pieces of context at window cuts (tagger.json "context_pieces"; set by set_context()). None: the
# older plan, windows overlapping by half (STRIDE_FRACTION).
CONTEXT_PIECES: Optional[int] = None
# Case features carried by the token type ids, with the number of type ids each needs.
CASE_FEATURES = {"none": 1, "type_id_first_upper": 2, "type_id_shape3": 3}
CASE_FEATURE = "type_id_shape3"


def set_context(n: Optional[int]) -> None:
    """Inference windows by context (``tagger.json`` ``context_pieces``), or None for the half-overlap plan."""
    global CONTEXT_PIECES
    CONTEXT_PIECES = None if n is None else int(n)


def set_max_pieces(n: int) -> None:
    """Window size in pieces, [CLS] and [SEP] included (128 and 256 are the sizes used so far)."""
    global MAX_PIECES, MAX_CONTENT
    if n < 3 + MAX_PIECES_PER_WORD or n > 512:
        raise ValueError(f"max_pieces {n} out of range")
    MAX_PIECES = n
    MAX_CONTENT = n - 2
HEADS = ("ner", "pos", "chunk")


# ----------------------------------------------------------------------------------------------- data

@dataclass
class Document:
    """One CoNLL article: words with their gold columns, and sentence ids per word."""

    words: List[str] = field(default_factory=list)
    pos: List[str] = field(default_factory=list)
    chunk: List[str] = field(default_factory=list)
    ner: List[str] = field(default_factory=list)
    sentence: List[int] = field(default_factory=list)  # sentence index inside the document


def read_conll(path: str) -> List[Document]:
    """Read a CoNLL-2003 file (token POS chunk NER). ``-DOCSTART-`` starts a new article."""
    docs: List[Document] = []
    cur = Document()
    sent = 0
    in_sentence = False

    def flush() -> None:
        nonlocal cur, sent, in_sentence
        if cur.words:
            docs.append(cur)
        cur = Document()
        sent = 0
        in_sentence = False

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                if in_sentence:
                    sent += 1
                    in_sentence = False
                continue
            cols = line.split()
            if cols[0] == "-DOCSTART-":
                flush()
                continue
            if len(cols) < 4:
                raise ValueError(f"{path}: expected 4 columns, got {line!r}")
            cur.words.append(cols[0])
            cur.pos.append(cols[1])
            cur.chunk.append(cols[2])
            cur.ner.append(cols[3])
            cur.sentence.append(sent)
            in_sentence = True
    flush()
    return docs


def build_labels(docs: Sequence[Document]) -> Dict[str, List[str]]:
    """Sorted label lists from the training data; "O" first for ner and chunk."""
    out: Dict[str, List[str]] = {}
    for head in HEADS:
        vals = sorted({t for d in docs for t in getattr(d, head)})
        if head in ("ner", "chunk"):
            vals = ["O"] + [v for v in vals if v != "O"]
        out[head] = vals
    return out


# ------------------------------------------------------------------------------------------ word pieces

class WordPiecer:
    """Tokenizes single words with the base tokenizer (cached: CoNLL words repeat a lot)."""

    def __init__(self, tokenizer_json: str):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(tokenizer_json)
        # The shipped tokenizer.json pads/truncates to 128; per-word tokenization must do neither.
        self.tok.no_truncation()
        self.tok.no_padding()
        self.unk = self.tok.token_to_id("[UNK]")
        self.cls = self.tok.token_to_id("[CLS]")
        self.sep = self.tok.token_to_id("[SEP]")
        self.pad = self.tok.token_to_id("[PAD]")
        if None in (self.unk, self.cls, self.sep, self.pad):
            raise ValueError("tokenizer lacks [UNK]/[CLS]/[SEP]/[PAD]")
        self.cache: Dict[str, List[int]] = {}

    def pieces(self, word: str) -> List[int]:
        ids = self.cache.get(word)
        if ids is None:
            ids = self.tok.encode(word, add_special_tokens=False).ids[:MAX_PIECES_PER_WORD]
            if not ids:
                ids = [self.unk]
            self.cache[word] = ids
        return ids

    def prime(self, words: Iterable[str]) -> None:
        todo = sorted({w for w in words if w not in self.cache})
        for w, enc in zip(todo, self.tok.encode_batch(todo, add_special_tokens=False)):
            ids = enc.ids[:MAX_PIECES_PER_WORD]
            self.cache[w] = ids if ids else [self.unk]


def case_type(word: str, feature: str = CASE_FEATURE) -> int:
    """Token type id of a word's pieces.

    ``type_id_first_upper``: 1 when the first character is upper-case, else 0.
    ``type_id_shape3``: 0 = first character not upper-case; 2 = ALL CAPS (at least two cased characters,
    none lower-case: "NATO", "U.S.", "KABUL"); 1 = any other word starting upper-case ("Kabul", "I", "McCain").
    """
    if feature == "none" or not word[:1].isupper():
        return 0
    if feature == "type_id_first_upper":
        return 1
    cased = [c for c in word if c.isupper() or c.islower()]
    if len(cased) >= 2 and not any(c.islower() for c in cased):
        return 2
    return 1


# -------------------------------------------------------------------------------------------- windows

def greedy_end(counts: Sequence[int], start: int) -> int:
    """Largest end such that words[start:end] fit in MAX_CONTENT pieces (always >= start + 1)."""
    total = 0
    end = start
    while end < len(counts) and total + counts[end] <= MAX_CONTENT:
        total += counts[end]
        end += 1
    return max(end, start + 1)


def context_windows(counts: Sequence[int], context: int) -> List[Tuple[int, int]]:
    """Word-aligned windows sharing at least 2 * context pieces where they meet, as few positions as that
    allows (mirrors src/model/windows.rs ``plan_context``): with P pieces and overlap ov = min(2 * context,
    MAX_CONTENT // 2), k = ceil((P - ov) / (MAX_CONTENT - ov)) windows of about
    len = ceil((P + (k - 1) * ov) / k) pieces; each takes words while they fit in len, the next starts at
    the last word whose first piece is at or before the window's end minus ov (at least one word later),
    and a window that can reach the end within MAX_CONTENT does."""
    n = len(counts)
    if n == 0:
        return []
    first = [0]
    for c in counts:
        first.append(first[-1] + max(c, 1))
    total = first[n]
    ov = min(2 * context, MAX_CONTENT // 2)
    k = 1 if total <= MAX_CONTENT else -(-(total - ov) // (MAX_CONTENT - ov))
    length = min(-(-(total + (k - 1) * ov) // k), MAX_CONTENT)
    out: List[Tuple[int, int]] = []
    start = 0
    while start < n:
        if first[n] - first[start] <= MAX_CONTENT:
            out.append((start, n))
            break
        end = start + 1
        while end < n and first[end + 1] - first[start] <= length:
            end += 1
        out.append((start, end))
        target = max(first[end] - ov, 0)
        nxt = start + 1
        while nxt + 1 < end and first[nxt + 1] <= target:
            nxt += 1
        start = nxt
    return out


def inference_windows(counts: Sequence[int]) -> List[Tuple[int, int]]:
    """Overlapping word-aligned windows (start, end) covering all words; see module doc."""
    n = len(counts)
    if n == 0:
        return []
    if CONTEXT_PIECES is not None:
        return context_windows(counts, CONTEXT_PIECES)
    stride = int(math.floor(MAX_CONTENT * STRIDE_FRACTION))
    out: List[Tuple[int, int]] = []
    start = 0
    while True:
        end = greedy_end(counts, start)
        out.append((start, end))
        if end >= n:
            return out
        nxt = end
        off = 0
        for j in range(start, end):
            if off >= stride and j > start:
                nxt = j
                break
            off += counts[j]
        start = nxt


def training_windows(counts: Sequence[int], offset: int) -> List[Tuple[int, int]]:
    """Non-overlapping windows: words[0:offset] first (if offset > 0), then greedy from offset."""
    n = len(counts)
    out: List[Tuple[int, int]] = []
    start = 0
    if 0 < offset < n:
        # offset is drawn below the first greedy window's end, so words[0:offset] fit in one window.
        out.append((0, offset))
        start = offset
    while start < n:
        end = greedy_end(counts, start)
        out.append((start, end))
        start = end
    return out


def assign_windows(counts: Sequence[int], windows: Sequence[Tuple[int, int]]) -> List[int]:
    """For each word, the index of the window whose content keeps its first piece farthest from an edge."""
    best_win = [-1] * len(counts)
    best_dist = [-1] * len(counts)
    for wi, (s, e) in enumerate(windows):
        length = sum(counts[s:e])
        p = 0
        for i in range(s, e):
            dist = min(p, length - 1 - p)
            if dist > best_dist[i]:  # strict: ties keep the earlier window
                best_dist[i] = dist
                best_win[i] = wi
            p += counts[i]
    return best_win


@dataclass
class Window:
    doc: int
    start: int
    end: int
    input_ids: List[int]
    type_ids: List[int]
    first_piece: List[int]  # position (incl. [CLS]) of each word's first piece, words start..end


def make_window(doc_idx: int, words: Sequence[str], piecer: WordPiecer, start: int, end: int,
                case_feature: str = CASE_FEATURE) -> Window:
    ids = [piecer.cls]
    types = [0]
    firsts: List[int] = []
    for w in words[start:end]:
        p = piecer.pieces(w)
        firsts.append(len(ids))
        ids.extend(p)
        types.extend([case_type(w, case_feature)] * len(p))
    ids.append(piecer.sep)
    types.append(0)
    return Window(doc_idx, start, end, ids, types, firsts)


# ---------------------------------------------------------------------------------------------- model

def build_model(config_path: str, labels: Dict[str, List[str]], type_vocab: Optional[int] = None):
    import torch
    from torch import nn
    from transformers import BertConfig, BertModel

    class Tagger(nn.Module):
        """BertModel + dropout + three linear heads on the last hidden state."""

        def __init__(self, config: BertConfig, sizes: Dict[str, int]):
            super().__init__()
            self.bert = BertModel(config, add_pooling_layer=False)
            self.dropout = nn.Dropout(0.1)
            self.ner = nn.Linear(config.hidden_size, sizes["ner"])
            self.pos = nn.Linear(config.hidden_size, sizes["pos"])
            self.chunk = nn.Linear(config.hidden_size, sizes["chunk"])

        def forward(self, input_ids, token_type_ids, attention_mask):
            h = self.bert(input_ids=input_ids, token_type_ids=token_type_ids,
                          attention_mask=attention_mask).last_hidden_state
            h = self.dropout(h)
            return {"ner": self.ner(h), "pos": self.pos(h), "chunk": self.chunk(h)}

    config = BertConfig.from_json_file(config_path)
    # Eager attention: identical maths on every torch build (sdpa may pick different kernels).
    config._attn_implementation = "eager"
    if type_vocab is not None:
        config.type_vocab_size = max(type_vocab, 2)
    return Tagger(config, {k: len(v) for k, v in labels.items()})


def load_base_weights(model, safetensors_path: str) -> None:
    """Load the base encoder (names without the ``bert.`` prefix) into ``model.bert``."""
    import torch
    from safetensors.torch import load_file

    state = load_file(safetensors_path)
    state = {k: v for k, v in state.items()
             if not k.startswith("pooler.") and not k.endswith("position_ids")}
    key = "embeddings.token_type_embeddings.weight"
    want = model.bert.embeddings.token_type_embeddings.weight.shape[0]
    if key in state and state[key].shape[0] < want:
        # Extra case types start as copies of the base model's type 1 ("upper-case" so far).
        t = state[key]
        state[key] = torch.cat([t] + [t[1:2].clone() for _ in range(want - t.shape[0])], 0)
    missing, unexpected = model.bert.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"base weights mismatch: missing={missing} unexpected={unexpected}")


def tagger_spec(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "tagger.json"), encoding="utf-8") as f:
        return json.load(f)


def load_tagger(model_dir: str):
    """Load a shipped tagger folder; float16 weights are widened to float32."""
    import torch
    from safetensors.torch import load_file

    with open(os.path.join(model_dir, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    with open(os.path.join(model_dir, "tagger.json"), encoding="utf-8") as f:
        tcfg = json.load(f)
    if tcfg.get("max_pieces_per_word") != MAX_PIECES_PER_WORD or tcfg.get("case_feature") not in CASE_FEATURES:
        raise ValueError(f"unsupported tagger.json: {tcfg}")
    set_max_pieces(int(tcfg["max_pieces"]))
    set_context(tcfg.get("context_pieces"))
    model = build_model(os.path.join(model_dir, "config.json"), labels)
    state = {k: v.float() for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"weights mismatch: missing={missing} unexpected={unexpected}")
    model.eval()
    piecer = WordPiecer(os.path.join(model_dir, "tokenizer.json"))
    return model, labels, piecer, tcfg["case_feature"]


def collate(windows: Sequence[Window], pad_id: int):
    import torch

    width = max(len(w.input_ids) for w in windows)
    ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(windows), width), dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for i, w in enumerate(windows):
        n = len(w.input_ids)
        ids[i, :n] = torch.tensor(w.input_ids)
        types[i, :n] = torch.tensor(w.type_ids)
        mask[i, :n] = 1
    return ids, types, mask


# --------------------------------------------------------------------------------------------- decode

def repair_bio(tags: Sequence[str], sentence: Sequence[int]) -> List[str]:
    """I-X at a sentence start, after O or after another type becomes B-X."""
    out: List[str] = []
    for i, t in enumerate(tags):
        if t.startswith("I-"):
            prev = out[i - 1] if i > 0 and sentence[i - 1] == sentence[i] else "O"
            if prev == "O" or prev[2:] != t[2:]:
                t = "B-" + t[2:]
        out.append(t)
    return out


def transition_log_probs(docs: Sequence[Document], labels: Sequence[str]) -> List[List[float]]:
    """log P(next label | label) over consecutive words of the same article (sentence ends included, as
    the tagger decodes whole articles), add-one smoothed. Row = previous label, column = next."""
    idx = {l: i for i, l in enumerate(labels)}
    n = len(labels)
    counts = [[1.0] * n for _ in range(n)]
    for d in docs:
        for a, b in zip(d.ner, d.ner[1:]):
            counts[idx[a]][idx[b]] += 1
    return [[round(math.log(c / sum(row)), 6) for c in row] for row in counts]


def viterbi_iob2(probs: Sequence[Sequence[float]], labels: Sequence[str],
                 transitions: Optional[Sequence[Sequence[float]]] = None, weight: float = 0.0) -> List[int]:
    """The most probable label sequence that is valid IOB2 (an ``I-X`` only after ``B-X`` or ``I-X``).

    Scores are the sum of the log-probabilities of the chosen labels, plus ``weight`` times
    ``transitions[prev][next]`` (log bigram probabilities of the training labels) at each step when
    given. Ties go to the lower label index. Runs over a whole document (as the Rust tagger does);
    conlleval still cuts spans at sentence boundaries.
    """
    n = len(labels)
    inside = [l[2:] if l.startswith("I-") else None for l in labels]
    allowed_prev = [[j for j in range(n) if inside[i] is None or labels[j][2:] == inside[i] and labels[j][:2] in ("B-", "I-")]
                    for i in range(n)]
    neg = float("-inf")
    if not probs:
        return []
    lp = [[math.log(max(p, 1e-30)) for p in row] for row in probs]
    use_t = transitions is not None and weight != 0.0
    score = [lp[0][i] if inside[i] is None else neg for i in range(n)]
    back: List[List[int]] = []
    for t in range(1, len(lp)):
        new_score = [neg] * n
        bp = [0] * n
        for i in range(n):
            best_j, best = -1, neg
            for j in allowed_prev[i]:
                s = score[j] + weight * transitions[j][i] if use_t else score[j]
                if s > best:
                    best_j, best = j, s
            if best_j >= 0:
                new_score[i] = best + lp[t][i]
                bp[i] = best_j
        back.append(bp)
        score = new_score
    i = max(range(n), key=lambda k: (score[k], -k))
    path = [i]
    for bp in reversed(back):
        i = bp[i]
        path.append(i)
    return path[::-1]


DECODERS = ("argmax", "viterbi")


def doc_consistency(rows: Sequence[Sequence[float]], words: Sequence[str], labels: Sequence[str],
                    weight: float) -> List[List[float]]:
    """Pulls the NER type of repeated capitalized words in one article towards their article-wide mean.

    Words starting upper-case are grouped by their lower-cased form. For each word of a group of two or
    more, the type distribution q (O, and each type summing its B- and I- probability) becomes
    ``(1 - weight) * q + weight * mean(q over the group)``; B- and I- of a type keep their ratio. Tuned on
    valid (weight 0.8: +0.4 NER F1 after Viterbi decoding). ``weight`` 0 returns the rows unchanged.
    """
    out = [list(r) for r in rows]
    if weight <= 0:
        return out
    key_of = ["O" if l == "O" else l[2:] for l in labels]
    keys = sorted(set(key_of))
    members = {k: [i for i, x in enumerate(key_of) if x == k] for k in keys}
    groups: Dict[str, List[int]] = {}
    for i, w in enumerate(words):
        if w[:1].isupper():
            groups.setdefault(w.lower(), []).append(i)
    for idx in groups.values():
        if len(idx) < 2:
            continue
        qs = [{k: sum(rows[i][j] for j in members[k]) for k in keys} for i in idx]
        mean = {k: sum(q[k] for q in qs) / len(qs) for k in keys}
        for i, q in zip(idx, qs):
            for k in keys:
                new = (1 - weight) * q[k] + weight * mean[k]
                for j in members[k]:
                    out[i][j] = rows[i][j] / q[k] * new if q[k] > 0 else new / len(members[k])
    return out


def word_probs(model, piecer: WordPiecer, docs: Sequence[Document], case_feature: str = CASE_FEATURE,
               batch_size: int = 32) -> List[Dict[str, List[List[float]]]]:
    """Per document and head, each word's label probabilities (at its first piece, in its window)."""
    import torch

    piecer.prime(w for d in docs for w in d.words)
    windows: List[Window] = []
    owner: List[List[int]] = []  # per doc, per word: index into `windows`
    for di, d in enumerate(docs):
        counts = [len(piecer.pieces(w)) for w in d.words]
        spans = inference_windows(counts)
        base = len(windows)
        for s, e in spans:
            windows.append(make_window(di, d.words, piecer, s, e, case_feature))
        owner.append([base + k for k in assign_windows(counts, spans)])

    results: List[Optional[Dict[str, "torch.Tensor"]]] = [None] * len(windows)
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
    model.eval()
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            batch = [windows[i] for i in idx]
            ids, types, mask = collate(batch, piecer.pad)
            logits = model(ids, types, mask)
            probs = {h: logits[h].float().softmax(-1) for h in HEADS}
            for row, wi in enumerate(idx):
                fp = torch.tensor(windows[wi].first_piece)
                results[wi] = {h: probs[h][row, fp] for h in HEADS}

    out: List[Dict[str, List[List[float]]]] = []
    for di, d in enumerate(docs):
        rows: Dict[str, List[List[float]]] = {h: [] for h in HEADS}
        for i in range(len(d.words)):
            w = windows[owner[di][i]]
            r = results[owner[di][i]]
            for h in HEADS:
                rows[h].append(r[h][i - w.start].tolist())
        out.append(rows)
    return out


def decode_tags(probs: Sequence[Dict[str, List[List[float]]]], labels: Dict[str, List[str]],
                docs: Sequence[Document], decode: str = "argmax",
                consistency: float = 0.0, transitions: Optional[Sequence[Sequence[float]]] = None,
                transition_weight: float = 0.0) -> List[Dict[str, List[str]]]:
    """Tags from word probabilities.

    ``decode="argmax"``: each word's most probable label, then IOB2 repair per sentence.
    ``decode="viterbi"``: NER and chunk take the most probable valid IOB2 sequence per document; NER
    adds ``transition_weight`` x the training data's label-bigram log probabilities when given.
    """
    if decode not in DECODERS:
        raise ValueError(f"unknown decode {decode!r}")
    out: List[Dict[str, List[str]]] = []
    for rows, d in zip(probs, docs):
        if consistency > 0:
            rows = dict(rows, ner=doc_consistency(rows["ner"], d.words, labels["ner"], consistency))
        tags: Dict[str, List[str]] = {}
        for h in HEADS:
            if decode == "viterbi" and h in ("ner", "chunk"):
                t, w = (transitions, transition_weight) if h == "ner" else (None, 0.0)
                tags[h] = [labels[h][k] for k in viterbi_iob2(rows[h], labels[h], t, w)]
            else:
                # The first maximum, like torch.argmax on CPU and the Rust argmax.
                tags[h] = [labels[h][max(range(len(row)), key=lambda k: (row[k], -k))] for row in rows[h]]
        tags["ner"] = repair_bio(tags["ner"], d.sentence)
        tags["chunk"] = repair_bio(tags["chunk"], d.sentence)
        out.append(tags)
    return out


def predict(model, piecer: WordPiecer, labels: Dict[str, List[str]], docs: Sequence[Document],
            case_feature: str = CASE_FEATURE, batch_size: int = 32, decode: str = "argmax",
            consistency: float = 0.0, transitions: Optional[Sequence[Sequence[float]]] = None,
            transition_weight: float = 0.0) -> List[Dict[str, List[str]]]:
    """Tag every word of every document with overlapping windows; returns tags per head."""
    probs = word_probs(model, piecer, docs, case_feature, batch_size)
    return decode_tags(probs, labels, docs, decode, consistency, transitions, transition_weight)


def spec_decoding(spec: dict) -> dict:
    """The decoding options of a model's tagger.json, as keyword arguments of ``predict``/``decode_tags``."""
    return {"decode": spec.get("decode", "argmax"), "consistency": spec.get("consistency", 0.0),
            "transitions": spec.get("ner_transitions"), "transition_weight": spec.get("transition_weight", 0.0)}


# -------------------------------------------------------------------------------------------- metrics

def spans(tags: Sequence[str], sentence: Sequence[int]) -> List[Tuple[int, int, str]]:
    """conlleval spans (start, end exclusive, type); a span never crosses a sentence boundary."""
    out: List[Tuple[int, int, str]] = []
    start: Optional[int] = None
    typ = ""
    for i, t in enumerate(tags):
        new_sentence = i == 0 or sentence[i] != sentence[i - 1]
        if t == "O" or "-" not in t:
            kind, ty = "O", ""
        else:
            kind, ty = t[0], t[2:]
        begins = kind == "B" or (kind == "I" and (new_sentence or start is None or ty != typ))
        if start is not None and (kind == "O" or begins or new_sentence):
            out.append((start, i, typ))
            start = None
        if kind != "O" and start is None:
            start, typ = i, ty
    if start is not None:
        out.append((start, len(tags), typ))
    return out


def prf(correct: int, pred: int, gold: int) -> Dict[str, float]:
    p = correct / pred if pred else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def span_scores(gold_docs: Sequence[Document], pred: Sequence[Dict[str, List[str]]], head: str):
    gold_all: List[Tuple[int, int, int, str]] = []
    pred_all: List[Tuple[int, int, int, str]] = []
    for di, d in enumerate(gold_docs):
        gold_all += [(di, s, e, t) for s, e, t in spans(getattr(d, head), d.sentence)]
        pred_all += [(di, s, e, t) for s, e, t in spans(pred[di][head], d.sentence)]
    gs, ps = set(gold_all), set(pred_all)
    overall = prf(len(gs & ps), len(ps), len(gs))
    per_type = {}
    for ty in sorted({x[3] for x in gs | ps}):
        g = {x for x in gs if x[3] == ty}
        p = {x for x in ps if x[3] == ty}
        per_type[ty] = prf(len(g & p), len(p), len(g))
    overall["per_type"] = per_type
    return overall


def evaluate(gold_docs: Sequence[Document], pred: Sequence[Dict[str, List[str]]]) -> dict:
    ner = span_scores(gold_docs, pred, "ner")
    chunk = span_scores(gold_docs, pred, "chunk")
    n = sum(len(d.words) for d in gold_docs)
    ok = sum(g == p for d, pr in zip(gold_docs, pred) for g, p in zip(d.pos, pr["pos"]))
    return {"ner": ner, "pos": {"accuracy": ok / n if n else 0.0}, "chunk": {"f1": chunk["f1"]}}


def sha256_file(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------ self-test

def _self_test() -> None:
    """Checks of the pure-Python parts (no model): `python scripts/tagger_common.py`."""
    import tempfile

    # Windows always respect the piece budget, cover every word, and progress.
    import random as _random

    rng = _random.Random(7)
    for _ in range(300):
        counts = [rng.randint(1, MAX_PIECES_PER_WORD if rng.random() < 0.1 else 3)
                  for _ in range(rng.randint(1, 400))]
        wins = inference_windows(counts)
        assert wins[0][0] == 0 and wins[-1][1] == len(counts)
        for (s, e), (s2, _) in zip(wins, wins[1:]):
            assert s < s2 <= e, (s, e, s2)  # overlapping or touching, never a gap
        for s, e in wins:
            assert sum(counts[s:e]) <= MAX_CONTENT and e > s
        owner = assign_windows(counts, wins)
        assert all(0 <= o < len(wins) and wins[o][0] <= i < wins[o][1] for i, o in enumerate(owner))
        off = rng.randrange(0, greedy_end(counts, 0))
        tw = training_windows(counts, off)
        assert [i for s, e in tw for i in range(s, e)] == list(range(len(counts)))
        assert all(sum(counts[s:e]) <= MAX_CONTENT for s, e in tw)
    # The context plan: coverage, at least 2 * context shared pieces at every cut, few positions.
    saved = MAX_CONTENT
    set_max_pieces(256)
    for _ in range(200):
        counts = [rng.randint(1, 3) for _ in range(rng.randint(1, 900))]
        wins = context_windows(counts, 24)
        assert wins[0][0] == 0 and wins[-1][1] == len(counts)
        first = [sum(counts[:i]) for i in range(len(counts) + 1)]
        for (s, e), (s2, _) in zip(wins, wins[1:]):
            assert s < s2 and first[s2] + 48 <= first[e], (s, e, s2)
        assert all(first[e] - first[s] <= MAX_CONTENT for s, e in wins)
    assert len(context_windows([1] * 1000, 24)) == 5 and len(context_windows([1] * 254, 24)) == 1
    assert len(context_windows([1] * 255, 24)) == 2
    set_max_pieces(saved + 2)
    # A short article is one window; a long one strides by about half a window.
    assert inference_windows([1] * 50) == [(0, 50)]
    assert inference_windows([1] * 200) == [(0, 126), (63, 189), (126, 200)]
    # Word 100 sits at p=100 of window 0 (dist 25) and p=37 of window 1 (dist 37): window 1 wins.
    owner = assign_windows([1] * 200, inference_windows([1] * 200))
    assert owner[100] == 1 and owner[10] == 0 and owner[199] == 2
    # Tie (same distance in two windows) goes to the earlier window.
    assert assign_windows([1] * 4, [(0, 3), (1, 4)])[1] == 0

    # BIO repair and conlleval spans.
    sent = [0, 0, 0, 0, 1, 1]
    assert repair_bio(["I-PER", "I-PER", "I-LOC", "O", "I-ORG", "B-ORG"], sent) == \
        ["B-PER", "I-PER", "B-LOC", "O", "B-ORG", "B-ORG"]
    assert spans(["B-PER", "I-PER", "I-LOC", "O", "I-ORG", "I-ORG"], sent) == \
        [(0, 2, "PER"), (2, 3, "LOC"), (4, 6, "ORG")]
    # A span is cut at a sentence boundary even when the tags would continue it.
    assert spans(["O", "O", "O", "B-ORG", "I-ORG", "O"], sent) == [(3, 4, "ORG"), (4, 5, "ORG")]

    # Viterbi: the same cases as the Rust unit test (src/model/tagger.rs).
    names = ["O", "B-ORG", "B-PER", "I-ORG", "I-PER"]
    assert viterbi_iob2([[0.05, 0.80, 0.10, 0.03, 0.02], [0.10, 0.05, 0.05, 0.35, 0.45],
                         [0.90, 0.02, 0.02, 0.03, 0.03]], names) == [1, 3, 0]
    assert viterbi_iob2([[0.1, 0.1, 0.2, 0.0, 0.6]], names) == [2]
    assert viterbi_iob2([[0.1, 0.1, 0.7, 0.05, 0.05], [0.1, 0.1, 0.1, 0.1, 0.6]], names) == [2, 4]
    # Transitions: a weak B-ORG after O loses to O when O -> B-ORG is rare; without weight it wins.
    doc = Document(words=list("abcdef"), ner=["O", "O", "O", "O", "B-ORG", "I-ORG"], sentence=[0] * 6)
    tr = transition_log_probs([doc], names)
    assert abs(math.exp(tr[0][0]) - 4 / 9) < 1e-6 and abs(math.exp(tr[0][1]) - 2 / 9) < 1e-6
    amb = [[0.9, 0.02, 0.04, 0.02, 0.02], [0.45, 0.5, 0.01, 0.02, 0.02]]
    assert viterbi_iob2(amb, names, tr, 0.0) == [0, 1]
    assert viterbi_iob2(amb, names, tr, 1.0) == [0, 0]
    # Consistency: "Karimi" twice, once leaning PER and once ORG, both move towards the mean; "the" is
    # lower-case and untouched; B/I ratios inside a type are kept.
    nl = ["O", "B-ORG", "B-PER", "I-ORG", "I-PER"]
    rows = [[0.1, 0.1, 0.6, 0.0, 0.2], [0.9, 0.1, 0.0, 0.0, 0.0], [0.1, 0.5, 0.3, 0.1, 0.0]]
    sm = doc_consistency(rows, ["Karimi", "the", "Karimi"], nl, 0.5)
    assert sm[1] == rows[1]
    assert abs(sum(sm[0]) - 1) < 1e-9 and abs(sm[0][2] / sm[0][4] - 3) < 1e-9
    assert abs((sm[0][1] + sm[0][3]) - (0.5 * 0.1 + 0.5 * 0.35)) < 1e-9  # ORG mass: 0.1 -> halfway to 0.35
    assert doc_consistency(rows, ["Karimi", "the", "Karimi"], nl, 0.0) == rows
    assert case_type("NATO") == 2 and case_type("Kabul") == 1 and case_type("KABUL-based") == 1
    assert case_type("NATO", "type_id_first_upper") == 1 and case_type("NATO", "none") == 0

    text = ("-DOCSTART- -X- -X- O\n\nRebels NNS B-NP O\nleft VBD B-VP O\nKabul NNP B-NP B-LOC\n. . O O\n\n"
            "Mr NNP B-NP O\nAbdel NNP I-NP B-PER\nRahman NNP I-NP I-PER\nspoke VBD B-VP O\n\n"
            "-DOCSTART- -X- -X- O\n\nNATO NNP B-NP B-ORG\nsaid VBD B-VP O\n")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(text)
    try:
        docs = read_conll(f.name)
    finally:
        os.unlink(f.name)
    assert len(docs) == 2 and docs[0].words[4] == "Mr" and docs[0].sentence == [0, 0, 0, 0, 1, 1, 1, 1]
    labels = build_labels(docs)
    assert labels["ner"] == ["O", "B-LOC", "B-ORG", "B-PER", "I-PER"] and labels["chunk"][0] == "O"

    # Scores: one wrong boundary (PER split) and one missed entity.
    pred = [{"ner": ["O", "O", "B-LOC", "O", "O", "B-PER", "B-PER", "O"], "pos": list(docs[0].pos),
             "chunk": list(docs[0].chunk)},
            {"ner": ["O", "O"], "pos": ["NNP", "NN"], "chunk": list(docs[1].chunk)}]
    s = evaluate(docs, pred)
    assert abs(s["ner"]["precision"] - 1 / 3) < 1e-9 and abs(s["ner"]["recall"] - 1 / 3) < 1e-9
    assert s["ner"]["per_type"]["LOC"]["f1"] == 1.0 and s["ner"]["per_type"]["ORG"]["recall"] == 0.0
    assert abs(s["pos"]["accuracy"] - 9 / 10) < 1e-9 and s["chunk"]["f1"] == 1.0
    print("tagger_common self-test: ok")


if __name__ == "__main__":
    _self_test()
