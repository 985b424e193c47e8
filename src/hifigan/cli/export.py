"""``hifigan export onnx``: both models as ONNX graphs with their manifest."""
from __future__ import annotations

import sys

from hifigan.checkpoints import ONNX_FILES, ONNX_MANIFEST
from hifigan.cli.common import CliError
from hifigan.onnx_export import DEFAULT_OPSET, export_pretrained

NAME = "export"


def add_parser(sub) -> None:
    ex = sub.add_parser("export", help="export the models for other runtimes (onnx)")
    exsub = ex.add_subparsers(dest="format", metavar="FORMAT")
    eo = exsub.add_parser("onnx", help="FastPitch and the HiFi-GAN generator as ONNX graphs",
                          description="Write DIR/fastpitch.onnx (text ids, pace, pitch shift/amplify, energy scale "
                                      "-> mel and lengths), DIR/generator.onnx (mel -> audio) and "
                                      "DIR/hifigan_onnx.json (configs and text settings), all or nothing. Run them "
                                      "with 'hifigan synthesize --backend onnx --fastpitch DIR' or "
                                      "TextToSpeech.from_onnx(DIR). Needs pip install 'hifigan[onnx]'.")
    eo.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (created)")
    eo.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                    help="as for synthesize: 'default' (the default), 'nvidia' or a FastPitch checkpoint")
    eo.add_argument("--vocoder", default=None, metavar="NAME|PATH",
                    help="lj_v1, universal_v1, joe_v1 or a path (default: the voice's own, lj_v1 for a checkpoint path)")
    eo.add_argument("--opset", type=int, default=None, metavar="N", help="ONNX opset (default 17)")


def run(args) -> int:
    if args.format != "onnx":
        raise CliError("say what to export to: hifigan export onnx -o DIR")
    folder = export_pretrained(args.output, args.fastpitch, args.vocoder,
                               DEFAULT_OPSET if args.opset is None else args.opset)
    sizes = ", ".join(f"{name} ({(folder / name).stat().st_size / 1e6:.1f} MB)" for name in ONNX_FILES.values())
    print(f"wrote {sizes} and {ONNX_MANIFEST} to {folder}", file=sys.stderr)
    return 0
