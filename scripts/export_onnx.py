#!/usr/bin/env python3
"""Export a claimgraph tagger to ONNX with int8 weights, for the Rust ONNX Runtime engine.

Usage: .venv/bin/python scripts/export_onnx.py [MODEL_DIR] [--force] [--check CONLL_FILE]

Writes MODEL_DIR/model.int8.onnx: the encoder and its three heads (softmax probabilities, outputs
`ner`, `pos`, `chunk`; with a parser (parser.json), also `hidden`: the parser's weighted sum of the
six layers' outputs; inputs `input_ids`, `token_type_ids`, `attention_mask`, dynamic batch and
length), exported from model.safetensors in float32 with torch.onnx (opset 17), then dynamically
quantized by onnxruntime.quantization: MatMul weights int8 with one scale per output channel (`--variant`),
activations quantized per batch at run time. Per-tensor scales cost 0.4 NER F1 on CoNLL-2003 test;
per-channel ones cost nothing measurable (MODEL.md).

The file is derived, so it is git-ignored and made by scripts/setup; MODEL_DIR/model.int8.onnx.sha256
records the safetensors (and parser.json) it came from, and a re-run with the same weights does nothing. The export
checks that ONNX Runtime's float32 graph reproduces PyTorch's probabilities before quantizing.
With a parser, the export also writes MODEL_DIR/parser.int8.onnx: the parser head (parser.onnx)
with its BiLSTM and MatMul weights dynamically quantized (int8, one scale per output channel, 7-bit so
AVX2's u8 x s8 kernel cannot saturate). It ran 2.4x faster than the float32 head and moved EWT test
LAS from 80.86 to 80.91 (MODEL.md, "Parser head"); the int8 engine uses it, libtorch the float32 one.
`--check` then prints the F1 of the int8 model on a CoNLL file through the Python evaluation, one
window per run as the Rust engine does (activation scales are per batch, so batch-mates would matter).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tagger_common as tc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = ["input_ids", "token_type_ids", "attention_mask"]


class OnnxTagger:
    """An ONNX Runtime session that looks like the PyTorch tagger to tagger_common.predict."""

    def __init__(self, path: str, threads: int = 2):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])

    def eval(self):
        return self

    def __call__(self, ids, types, mask):
        import numpy as np
        import torch

        feed = {"input_ids": ids.numpy(), "token_type_ids": types.numpy(), "attention_mask": mask.numpy()}
        outs = self.session.run(list(tc.HEADS), feed)
        # predict() applies softmax to what it gets; log-probabilities give the same probabilities back.
        return {h: torch.from_numpy(np.log(np.maximum(p, 1e-30))) for h, p in zip(tc.HEADS, outs)}


def export(model_dir: str, dest: str, variant: Optional[str] = None, keep_f32: Optional[str] = None) -> None:
    import numpy as np
    import onnxruntime as ort
    import torch

    torch.manual_seed(0)
    model, _labels, _piecer, _case = tc.load_tagger(model_dir)
    model = model.float().eval()

    class Probabilities(torch.nn.Module):
        def __init__(self, tagger):
            super().__init__()
            self.tagger = tagger

        def forward(self, input_ids, token_type_ids, attention_mask):
            out = self.tagger.bert(input_ids=input_ids, token_type_ids=token_type_ids,
                                   attention_mask=attention_mask, output_hidden_states=True)
            h = out.last_hidden_state
            probs = tuple(getattr(self.tagger, n)(h).softmax(-1) for n in tc.HEADS)
            if mix is None:
                return probs
            # The parser's input: its weighted sum of the six layers' outputs (parser.json).
            hidden = sum(w * out.hidden_states[i + 1] for i, w in enumerate(mix))
            return probs + (hidden,)

    mix = parser_mix(model_dir)
    outputs = list(tc.HEADS) + (["hidden"] if mix is not None else [])
    wrapped = Probabilities(model).eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 20000, (3, 40), generator=g)
    ids[:, 0] = 101
    types = torch.randint(0, 3, (3, 40), generator=g)
    mask = torch.ones(3, 40, dtype=torch.long)
    mask[1, 30:] = 0
    axes = {n: {0: "batch", 1: "pieces"} for n in INPUTS + outputs}
    with tempfile.TemporaryDirectory() as tmp:
        f32 = os.path.join(tmp, "model.f32.onnx")
        with torch.inference_mode():
            torch.onnx.export(wrapped, (ids, types, mask), f32, input_names=INPUTS, output_names=outputs,
                              dynamic_axes=axes, opset_version=17, do_constant_folding=True)
            want = [t.numpy() for t in wrapped(ids, types, mask)]
        got = ort.InferenceSession(f32, providers=["CPUExecutionProvider"]).run(
            outputs, {"input_ids": ids.numpy(), "token_type_ids": types.numpy(), "attention_mask": mask.numpy()})
        worst = max(float(np.abs(a - b).max()) for a, b in zip(want, got))
        if worst > 1e-4:
            raise SystemExit(f"export_onnx: ONNX float32 differs from PyTorch by {worst:.2e}")
        print(f"export_onnx: float32 graph matches PyTorch (max |diff| {worst:.1e})", file=sys.stderr)
        if keep_f32:
            import shutil

            shutil.copy(f32, keep_f32)
        tmp_out = dest + ".tmp"
        quantize(f32, tmp_out, variant)
        os.replace(tmp_out, dest)


# Quantization variants (`--variant`; MODEL.md "int8 variants measured"): weight type, one scale per
# output channel or per tensor, and 7-bit weights (reduce_range, which keeps AVX2's u8 x s8 kernel
# from saturating its 16-bit sums).
VARIANTS = {
    "s8-channel": {"weight_type": "QInt8", "per_channel": True, "reduce_range": False},
    "s8-channel-rr": {"weight_type": "QInt8", "per_channel": True, "reduce_range": True},
    "u8-channel": {"weight_type": "QUInt8", "per_channel": True, "reduce_range": False},
}
# Shipped: 7-bit weights (s8-channel-rr). On AVX2 they cannot overflow the int16 pair sums of the
# u8 x s8 kernel (vpmaddubsw saturates), which 8-bit weights do: CoNLL-2003 test NER F1 90.17 on an
# AVX2-only CPU against 89.88 for 8 bits, and 90.15 against 89.93 on AVX-512 VNNI, at the same speed
# (MODEL.md, "int8 variants measured").
DEFAULT_VARIANT = "s8-channel-rr"


# The export recipe as the stamp records it; src/model/onnx_engine.rs EXPORT_RECIPE must match. Change it
# whenever the export changes (opset, outputs, quantization), so that old exports are redone.
RECIPE_VERSION = "recipe=3"


def recipe(variant: Optional[str] = None) -> str:
    return f"{RECIPE_VERSION}:{variant or DEFAULT_VARIANT}"


def quantize(f32: str, dest: str, variant: Optional[str] = None) -> None:
    """Dynamic quantization of every MatMul of the float32 graph `f32` into `dest`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    v = VARIANTS[variant or DEFAULT_VARIANT]
    quantize_dynamic(f32, dest, weight_type=getattr(QuantType, v["weight_type"]), per_channel=v["per_channel"],
                     reduce_range=v["reduce_range"])


PARSER_F32 = "parser.onnx"
PARSER_INT8 = "parser.int8.onnx"


def quantize_parser(src: str, dest: str) -> None:
    """The parser head with int8 weights: its LSTM (DynamicQuantizeLSTM) and MatMuls, one scale per
    output channel, 7-bit (reduce_range). The Rust parser feeds it the same inputs as parser.onnx."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp_out = dest + ".tmp"
    quantize_dynamic(src, tmp_out, weight_type=QuantType.QInt8, op_types_to_quantize=["LSTM", "MatMul", "Gemm"],
                     per_channel=True, reduce_range=True)
    os.replace(tmp_out, dest)
    print(f"export_onnx: wrote {dest} ({os.path.getsize(dest) / 1e6:.1f} MB)", file=sys.stderr)


def parser_mix(model_dir: str):
    """The parser's layer weights (parser.json), or None for a model without a parser."""
    path = os.path.join(model_dir, "parser.json")
    if not os.path.exists(path):
        return None
    import json

    with open(path, encoding="utf-8") as f:
        return [float(w) for w in json.load(f)["layer_weights"]]


def export_source(model_dir: str, variant: Optional[str] = None) -> str:
    """What the export is made from: the sha256 of model.safetensors, then those of parser.json
    (its layer weights are baked into the `hidden` output) and parser.onnx (quantized into
    parser.int8.onnx) when there is a parser, then the recipe
    (`recipe()`: RECIPE_VERSION and the variant; an export made by an older recipe is stale too).
    src/model/onnx_engine.rs checks the hashes and RECIPE_VERSION."""
    parts = [tc.sha256_file(os.path.join(model_dir, "model.safetensors"))]
    if os.path.exists(os.path.join(model_dir, "parser.json")):
        parts.append(tc.sha256_file(os.path.join(model_dir, "parser.json")))
        parts.append(tc.sha256_file(os.path.join(model_dir, PARSER_F32)))
    parts.append(recipe(variant))
    return " ".join(parts)


def ensure_export(model_dir: str, force: bool = False, variant: Optional[str] = None) -> str:
    """Export MODEL_DIR/model.int8.onnx unless its stamp says it came from the current weights; then
    write the stamp (`export_source`) that the Rust engine checks. Returns the path."""
    dest = os.path.join(model_dir, "model.int8.onnx")
    stamp = dest + ".sha256"
    source = export_source(model_dir, variant)
    current = open(stamp).read().strip() if os.path.exists(stamp) else None
    parser_int8 = os.path.join(model_dir, PARSER_INT8)
    has_parser = os.path.exists(os.path.join(model_dir, PARSER_F32))
    if force or current != source or not os.path.exists(dest) or (has_parser and not os.path.exists(parser_int8)):
        export(model_dir, dest, variant)
        if has_parser:
            quantize_parser(os.path.join(model_dir, PARSER_F32), parser_int8)
        with open(stamp, "w") as f:
            f.write(source + "\n")
        print(f"export_onnx: wrote {dest} ({os.path.getsize(dest) / 1e6:.1f} MB)", file=sys.stderr)
    else:
        print(f"export_onnx: {dest} is up to date", file=sys.stderr)
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", nargs="?", default=os.path.join(ROOT, "models/claimgraph-tagger"))
    ap.add_argument("--force", action="store_true", help="export even if the weights did not change")
    ap.add_argument("--check", metavar="CONLL_FILE", help="evaluate the int8 model on this CoNLL file")
    ap.add_argument("--variant", choices=sorted(VARIANTS), default=DEFAULT_VARIANT,
                    help=f"quantization (default {DEFAULT_VARIANT}; MODEL.md, int8 variants measured)")
    args = ap.parse_args()

    import logging

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's pre-processing advice
    dest = ensure_export(args.model_dir, force=args.force, variant=args.variant)

    if args.check:
        import torch

        torch.set_num_threads(2)
        _model, labels, piecer, case_feature = tc.load_tagger(args.model_dir)
        spec = tc.tagger_spec(args.model_dir)
        docs = tc.read_conll(args.check)
        pred = tc.predict(OnnxTagger(dest), piecer, labels, docs, case_feature, batch_size=1,
                          **tc.spec_decoding(spec))
        s = tc.evaluate(docs, pred)
        print(f"int8 on {args.check}: NER F1 {100 * s['ner']['f1']:.2f}  POS {100 * s['pos']['accuracy']:.2f}  "
              f"chunk F1 {100 * s['chunk']['f1']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
