"""Word timings against an independent aligner: whisper tiny.en's word timestamps.

    python benchmarks/word_timings.py --asr-python ../asr-venv/bin/python [--n 50] [--out DIR]

Synthesises held-out sentences with the default voice (``timestamps=True``), then runs whisper
(faster-whisper, ``word_timestamps=True``: ``../shared/tools/whisper_words.py``, in the ASR
environment of ``../shared/README.md``) on each WAV, matches the two word sequences (difflib, on
lower-case letters), and prints the median and 90th percentile of |start difference| and the words
that disagree most. Whisper's own error sets the floor: against Piper's exact alignments it was
51 ms median, 139 ms at the 90th percentile.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ROOT / "recipes" / "default_voice" / "test_sentences.txt"
TOOLS = ROOT.parent / "shared" / "tools"

WHISPER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from whisper_words import words
print(json.dumps({p: words(p) for p in sys.argv[2:]}))
"""


def key(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asr-python", required=True, help="the ASR environment's python")
    ap.add_argument("--sentences", type=Path, default=SENTENCES)
    ap.add_argument("--n", type=int, default=50, help="first N sentences (default 50)")
    ap.add_argument("--out", type=Path, default=None, help="keep the WAVs and timings here")
    args = ap.parse_args()
    from hifigan import TextToSpeech
    from hifigan.audio import write_wav

    lines = [t.strip() for t in args.sentences.read_text().splitlines() if t.strip()][:args.n]
    out = args.out or Path(tempfile.mkdtemp(prefix="word_timings_"))
    tts = TextToSpeech.from_pretrained()
    ours = {}
    for i, text in enumerate(lines):
        wav = out / f"{i:03d}.wav"
        audio, sr, words = tts.synthesize(text, timestamps=True)
        write_wav(wav, audio, sr)
        ours[str(wav)] = (text, words)
    result = subprocess.run([args.asr_python, "-c", WHISPER, str(TOOLS), *ours], capture_output=True, text=True,
                            check=True)
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    diffs, worst = [], []
    for wav, (text, words) in ours.items():
        a = [key(w.word) for w in words]
        b = [key(w[0]) for w in theirs[wav]]
        for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
            for k in range(block.size):
                w, t = words[block.a + k], theirs[wav][block.b + k]
                d = w.start - t[1]
                diffs.append(abs(d))
                worst.append((abs(d), d, w.word, text))
    diffs = np.array(diffs)
    print(f"{len(lines)} sentences, {diffs.size} words matched with whisper; |start difference| "
          f"median {1000 * np.median(diffs):.0f} ms, 90th percentile {1000 * np.percentile(diffs, 90):.0f} ms, "
          f"mean {1000 * diffs.mean():.0f} ms")
    print("largest disagreements (ours - whisper):")
    for _, d, word, text in sorted(worst, reverse=True)[:10]:
        print(f"  {1000 * d:+5.0f} ms  {word!r} in {text[:70]!r}")
    (out / "summary.json").write_text(json.dumps({"median_s": float(np.median(diffs)), "n": int(diffs.size),
                                                  "p90_s": float(np.percentile(diffs, 90))}))


if __name__ == "__main__":
    main()
