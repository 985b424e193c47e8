#!/usr/bin/env bash
# The default voice's own vocoder: lj_v1 fine-tuned as a GAN on the teacher's audio (issue 26).
# One command from scratch, and resumable: run it again (in a later session too) and it goes on
# from the last checkpoint of the stage it stopped in.
#   bash recipes/default_voice/vocoder.sh [STAGE1_STEPS [STAGE2_STEPS]]
# Stage 1: the teacher's own mels (discriminators warmed first: lj_v1 ships without them).
# Stage 2: FastPitch's teacher-forced mels of the same clips (as the HiFi-GAN paper and NVIDIA
# fine-tune on their acoustic model's output), from stage 1's generator and discriminators.
# Everything lives in $HIFIGAN_CACHE (default ~/.cache/hifigan): joe_corpus, joe_prepared,
# joe_mels, joe_vocoder_s1, joe_vocoder_s2. Pause it with SIGSTOP while timing anything.
# The EMA generator of every 200th step stays in the run's checkpoints/ (for evaluation); the
# resume states are pruned to the last two.
# On a machine without the cache, stage 1 can go on from a kept generator instead of lj_v1, with
# fresh discriminators warmed again and a new run folder (its steps count from 0):
#   S1_INIT=joe_v1 \
#   S1_RUN=~/.cache/hifigan/joe_vocoder_s1b bash recipes/default_voice/vocoder.sh
# S1_DISC_LR sets stage 1's discriminator learning rate apart from the generator's 1e-4 (fresh
# discriminators beside joe_v1 stayed at chance through a 300-step warm-up at 1e-4).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${HIFIGAN_CACHE:-$HOME/.cache/hifigan}"
steps1="${1:-3000}"
steps2="${2:-3000}"
init1="${S1_INIT:-lj_v1}"
disc_lr1=(); [ -n "${S1_DISC_LR:-}" ] && disc_lr1=(--lr-discriminators "$S1_DISC_LR")
hifigan="${HIFIGAN:-$root/.venv/bin/hifigan}"
python="$(dirname "$hifigan")/python"
corpus="$cache/joe_corpus" prepared="$cache/joe_prepared" mels="$cache/joe_mels"
run1="${S1_RUN:-$cache/joe_vocoder_s1}" run2="$cache/joe_vocoder_s2"
mkdir -p "$cache"

[ -f "$corpus/metadata.csv" ] || bash "$here/corpus.sh" "$corpus" --n-train 1600
[ -f "$prepared/manifest.json" ] || "$hifigan" prepare "$corpus" -o "$prepared"

# bf16 where the CPU multiplies it natively (AMX, AVX512-BF16), else fp32
precision="$("$python" -c 'from hifigan.precision import cpu_has_native_bf16; print("bf16" if cpu_has_native_bf16() else "fp32")')"
# chosen by the first try's curve (issue 26): batch 8, lr 1e-4 (lj_v1 is already good; 2e-4 undid it
# faster than the discriminators learned), 300 discriminator-only steps, EMA of the generator
common=(--batch-size 8 --precision "$precision" --lr 1e-4 --lr-decay 0.999 --ema 0.999
        --val-every 200 --ckpt-every 100 --keep-last 2 --keep-every 200 --val-clips 8 --no-progress)

last_step() {  # the newest checkpoint's step of a run folder, 0 if none
  ls "$1/checkpoints" 2>/dev/null | sed -n 's/^state_0*\([0-9][0-9]*\)\.pt$/\1/p' | sort -n | tail -1 | grep . || echo 0
}

if [ "$(last_step "$run1")" -lt "$steps1" ]; then
  resume=(); [ "$(last_step "$run1")" -gt 0 ] && resume=(--resume)
  "$hifigan" train vocoder "$prepared" -o "$run1" --init-from "$init1" --warmup-discriminators 300 \
    --steps "$steps1" "${common[@]}" "${disc_lr1[@]}" "${resume[@]}"
fi

[ -f "$mels/.done" ] || { "$hifigan" extract-mels "$prepared" -o "$mels" --fastpitch default && touch "$mels/.done"; }
if [ "$(last_step "$run2")" -lt "$steps2" ]; then
  if [ "$(last_step "$run2")" -gt 0 ]; then
    init=(--resume)
  else
    s1="$(ls "$run1"/checkpoints/hifigan_*.safetensors | sort | tail -1)"
    init=(--init-from "$s1")  # its discriminators come from the state_* file beside it
  fi
  "$hifigan" train vocoder "$prepared" -o "$run2" --mels-from "$mels" --steps "$steps2" "${common[@]}" "${init[@]}"
fi
