"""Reading and writing checkpoints: the one place that knows file formats.

Vocoder (HiFi-GAN generator) formats read (FastPitch: see the end of this file):

* the original authors' ``g_XXXXXXXX`` files: ``{'generator': state_dict}`` with legacy
  ``weight_g``/``weight_v`` keys and flat ``resblocks.N`` keys; the architecture comes from a
  ``config.json`` beside the file, a config given by the caller, or the V1/V2/V3 preset whose
  shapes match;
* NVIDIA DeepLearningExamples' ``hifigan_gen_checkpoint_*.pt``: ``{'generator', 'config',
  'train_setup', ...}``, possibly with DDP ``module.`` prefixes, nested ``resblocks.i.j`` keys or
  the older flat ones;
* ours: a ``.safetensors`` file whose metadata key ``hifigan`` holds the JSON config.

Every file is loaded with ``torch.load(weights_only=True)``; every failure is a
:class:`CheckpointError` with a one-line message. ONNX export folders (``hifigan_onnx.json``) are
described at the end; their failures are :class:`OnnxError`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from hifigan.audio import MelConfig
from hifigan.errors import CheckpointError, OnnxError
from hifigan.files import atomic_output
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.models.hifigan import PRESETS, Generator, GeneratorConfig

FORMAT_VERSION = 1
GENERATOR_KIND = "hifigan-generator"
_WN_LEGACY = {"weight_g": "parametrizations.weight.original0",
              "weight_v": "parametrizations.weight.original1"}


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def torch_load(path) -> object:
    """``torch.load`` restricted to tensors and plain containers, with one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the checkpoint file is empty")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"{path}: not a loadable PyTorch checkpoint, it may be truncated or "
                              f"corrupt ({_first_line(e)})") from None


def is_safetensors(path) -> bool:
    with open(path, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{"


# ---------------------------------------------------------------- state-dict normalisation

def strip_prefix(sd: dict, prefix: str = "module.") -> dict:
    return {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in sd.items()}


def normalize_generator_state_dict(sd: dict) -> dict:
    """Map the authors' and NVIDIA's key names onto ours.

    - DDP ``module.`` prefixes are removed;
    - NVIDIA's nested ``resblocks.{i}.{j}.`` become flat ``resblocks.{i*K + j}.``;
    - legacy weight-norm ``weight_g``/``weight_v`` become ``parametrizations.weight.original0/1``.
    """
    sd = strip_prefix(sd)
    nested = re.compile(r"^resblocks\.(\d+)\.(\d+)\.")
    groups = [m for m in map(nested.match, sd) if m]
    if groups:
        n_kernels = 1 + max(int(m.group(2)) for m in groups)
        sd = {nested.sub(lambda m: f"resblocks.{int(m.group(1)) * n_kernels + int(m.group(2))}.", k): v
              for k, v in sd.items()}
    out = {}
    for k, v in sd.items():
        stem, _, leaf = k.rpartition(".")
        out[f"{stem}.{_WN_LEGACY[leaf]}" if leaf in _WN_LEGACY else k] = v
    return out


def _weight_normed(sd: dict) -> bool:
    return any(".parametrizations.weight." in k for k in sd)


def _fit_trailing_dims(sd: dict, model_sd: dict) -> dict:
    """NVIDIA's loader tolerates a trailing singleton dim (Conv1d weights saved as Conv2d)."""
    out = dict(sd)
    for k, v in sd.items():
        ref = model_sd.get(k)
        if ref is None or not isinstance(v, torch.Tensor):
            continue
        if v.dim() == ref.dim() + 1 and v.shape[-1] == 1:
            out[k] = v.squeeze(-1)
        elif v.dim() + 1 == ref.dim() and ref.shape[-1] == 1:
            out[k] = v.unsqueeze(-1)
    return out


def _summarize(keys, n: int = 3) -> str:
    keys = sorted(keys)
    more = f" and {len(keys) - n} more" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def state_dict_mismatch(sd: dict, model_sd: dict) -> str | None:
    """A one-line description of how ``sd`` fails to fit ``model_sd``, or None if it fits."""
    missing = model_sd.keys() - sd.keys()
    unexpected = sd.keys() - model_sd.keys()
    shapes = [f"{k} {tuple(sd[k].shape)} vs {tuple(model_sd[k].shape)}"
              for k in sorted(sd.keys() & model_sd.keys())
              if not isinstance(sd[k], torch.Tensor) or sd[k].shape != model_sd[k].shape]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing keys ({_summarize(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected keys ({_summarize(unexpected)})")
    if shapes:
        parts.append(f"{len(shapes)} shape mismatches ({'; '.join(shapes[:2])}"
                     f"{' ...' if len(shapes) > 2 else ''})")
    return "; ".join(parts) or None


def _non_finite(sd: dict) -> list[str]:
    return [k for k, v in sd.items() if v.is_floating_point() and not torch.isfinite(v).all()]


def build_generator(sd: dict, config: GeneratorConfig, source) -> Generator:
    """Instantiate a generator for ``config`` and load ``sd`` (already normalised) strictly."""
    model = Generator(config, weight_norm=_weight_normed(sd))
    model_sd = model.state_dict()
    sd = _fit_trailing_dims(sd, model_sd)
    problem = state_dict_mismatch(sd, model_sd)
    if problem:
        raise CheckpointError(f"{source}: the weights do not fit a HiFi-GAN generator with this "
                              f"config: {problem}")
    bad = _non_finite(sd)
    if bad:
        raise CheckpointError(f"{source}: NaN or infinite weights in {_summarize(bad)}")
    model.load_state_dict(sd)
    return model


def guess_generator_config(sd: dict, n_mels: int | None = None) -> GeneratorConfig | None:
    """The paper preset (V1, V2, V3) whose parameter shapes match ``sd``, if any."""
    for preset in PRESETS.values():
        config = GeneratorConfig.from_dict({**preset.to_dict(), "n_mels": n_mels or preset.n_mels})
        model_sd = Generator(config, weight_norm=_weight_normed(sd)).state_dict()
        if state_dict_mismatch(_fit_trailing_dims(sd, model_sd), model_sd) is None:
            return config
    return None


def _in_channels(sd: dict) -> int | None:
    for k in ("conv_pre.weight", "conv_pre.parametrizations.weight.original1"):
        if k in sd:
            return int(sd[k].shape[1])
    return None


# ---------------------------------------------------------------- vocoder checkpoints

def _mel_config_from_authors(cfg: dict) -> MelConfig:
    return MelConfig(sample_rate=cfg.get("sampling_rate", 22050), n_fft=cfg.get("n_fft", 1024),
                     hop_length=cfg.get("hop_size", 256), win_length=cfg.get("win_size", 1024),
                     n_mels=cfg.get("num_mels", 80), f_min=cfg.get("fmin", 0.0),
                     f_max=cfg.get("fmax", 8000.0), convention="hifigan")


def _mel_config_from_nvidia(setup: dict, n_mels: int) -> MelConfig:
    return MelConfig(sample_rate=setup.get("sampling_rate", 22050),
                     n_fft=setup.get("filter_length", 1024), hop_length=setup.get("hop_length", 256),
                     win_length=setup.get("win_length", 1024), n_mels=setup.get("num_mels", n_mels),
                     f_min=setup.get("mel_fmin", 0.0), f_max=setup.get("mel_fmax", 8000.0),
                     convention="hifigan")


def _read_json(path: Path) -> dict:
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable JSON config ({_first_line(e)})") from None
    if not isinstance(d, dict):
        raise CheckpointError(f"{path}: the config must be a JSON object")
    return d


def load_generator_checkpoint(path, config: dict | str | Path | None = None
                              ) -> tuple[Generator, MelConfig, dict]:
    """Load any supported HiFi-GAN generator file.

    Returns ``(generator, mel_config, train_setup)``; the generator keeps the weight norm it
    was saved with and is in train mode, as constructed.
    ``config`` (a dict or a JSON path in the authors' or NVIDIA's layout) overrides what the file says.
    """
    path = Path(path)
    override = _read_json(Path(config)) if isinstance(config, (str, Path)) else config
    if path.is_file() and is_safetensors(path):
        return _load_ours(path, override)
    ckpt = torch_load(path)
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: expected a dict checkpoint, found {type(ckpt).__name__}")
    if "generator" not in ckpt:
        kind = ("a FastPitch checkpoint" if "state_dict" in ckpt else
                "a HiFi-GAN discriminator checkpoint (use the generator file, g_* or hifigan_gen_*)"
                if {"mpd", "msd"} & ckpt.keys() else f"keys {_summarize(map(str, ckpt))}")
        raise CheckpointError(f"{path}: not a HiFi-GAN generator checkpoint: found {kind}")
    sd = ckpt["generator"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{path}: 'generator' is not a state dict of tensors")
    sd = normalize_generator_state_dict(sd)
    n_mels = _in_channels(sd)
    train_setup = ckpt.get("train_setup") or {}
    beside = path.with_name("config.json")
    if override is None and isinstance(ckpt.get("config"), dict):  # NVIDIA
        gen_cfg = GeneratorConfig.from_dict({"n_mels": n_mels or 80, **ckpt["config"]})
        mel_cfg = _mel_config_from_nvidia(train_setup, gen_cfg.n_mels)
    else:
        if override is None and beside.is_file():
            override = _read_json(beside)
        if override is not None:
            try:
                gen_cfg = GeneratorConfig.from_dict({"n_mels": n_mels or 80, **override})
            except (TypeError, ValueError) as e:
                raise CheckpointError(f"{path}: bad generator config ({_first_line(e)})") from None
            mel_cfg = _mel_config_from_authors(override) if "hop_size" in override or \
                "sampling_rate" in override else MelConfig(n_mels=gen_cfg.n_mels)
        else:
            gen_cfg = guess_generator_config(sd, n_mels)
            if gen_cfg is None:
                raise CheckpointError(f"{path}: no config.json beside the file and the weights match "
                                      f"none of the V1/V2/V3 presets; pass the training config")
            mel_cfg = MelConfig(n_mels=gen_cfg.n_mels)
    _check_consistent(path, gen_cfg, mel_cfg)
    return build_generator(sd, gen_cfg, path), mel_cfg, dict(train_setup)


def _check_consistent(source, gen_cfg: GeneratorConfig, mel_cfg: MelConfig) -> None:
    if gen_cfg.hop_length != mel_cfg.hop_length or gen_cfg.n_mels != mel_cfg.n_mels:
        raise CheckpointError(
            f"{source}: generator (hop {gen_cfg.hop_length}, {gen_cfg.n_mels} mels) does not match "
            f"its audio config (hop {mel_cfg.hop_length}, {mel_cfg.n_mels} mels)")


def save_generator(path, generator: Generator, mel_config: MelConfig, extra: dict | None = None) -> Path:
    """Write our format: safetensors weights with the configs as JSON metadata (atomically)."""
    path = Path(path)
    meta = {"format_version": FORMAT_VERSION, "kind": GENERATOR_KIND,
            "generator": generator.config.to_dict(), "audio": mel_config.to_dict(), **(extra or {})}
    return _save_safetensors(path, generator, meta)


def _save_safetensors(path: Path, module: torch.nn.Module, meta: dict) -> Path:
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    with atomic_output(path) as tmp:
        save_file(tensors, str(tmp), metadata={"hifigan": json.dumps(meta)})
    return path


def read_safetensors(path) -> tuple[dict, dict]:
    """``(tensors, metadata)`` of one of our files, with one-line errors."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get("hifigan")
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:
        raise CheckpointError(f"{path}: not a loadable safetensors file, it may be truncated or "
                              f"corrupt ({_first_line(e)})") from None
    if raw is None:
        raise CheckpointError(f"{path}: a safetensors file without hifigan metadata (not saved by this package)")
    try:
        meta = json.loads(raw)
    except ValueError:
        raise CheckpointError(f"{path}: the hifigan metadata is not valid JSON") from None
    return tensors, meta


def _load_ours(path: Path, override: dict | None) -> tuple[Generator, MelConfig, dict]:
    sd, meta = read_safetensors(path)
    if meta.get("kind") != GENERATOR_KIND:
        raise CheckpointError(f"{path}: holds a {meta.get('kind', 'unknown')!r} model, not a HiFi-GAN generator")
    try:
        gen_cfg = GeneratorConfig.from_dict(override or meta["generator"])
        mel_cfg = MelConfig.from_dict(meta.get("audio", {}))
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad config in metadata ({_first_line(e)})") from None
    _check_consistent(path, gen_cfg, mel_cfg)
    return build_generator(sd, gen_cfg, path), mel_cfg, meta.get("train_setup", {})


# ---------------------------------------------------------------- HiFi-GAN discriminator checkpoints
#
# For fine-tuning (the discriminators themselves live in ``hifigan.train``; this reads files only):
# the authors' ``do_XXXXXXXX`` ``{'mpd', 'msd', 'optim_g', 'optim_d', 'steps', 'epoch'}``; NVIDIA's
# ``hifigan_discrim_checkpoint_*.pt``, the same plus ``mpd_ema``, ``msd_ema``, ``scaler_g``,
# ``scaler_d``, ``train_state``; and our training states ``state_*.pt`` (``modules``, ``optimizers``).

def normalize_discriminator_state_dict(sd: dict) -> dict:
    """The authors'/NVIDIA's MPD or MSD keys onto ours: DDP ``module.`` prefixes removed, weight
    norm ``weight_g``/``weight_v`` -> ``parametrizations.weight.original0/1``. Spectral-normed layers
    (those with ``weight_orig``) keep ``weight_orig``/``weight_u``/``weight_v``, as ours."""
    sd = strip_prefix(sd)
    spectral = {k.rpartition(".")[0] for k in sd if k.endswith(".weight_orig")}
    out = {}
    for k, v in sd.items():
        stem, _, leaf = k.rpartition(".")
        out[f"{stem}.{_WN_LEGACY[leaf]}" if leaf in _WN_LEGACY and stem not in spectral else k] = v
    return out


def load_discriminator_checkpoint(path) -> dict:
    """A HiFi-GAN discriminator file: ``{'mpd', 'msd'}`` state dicts in our key names,
    ``optim_g`` / ``optim_d`` optimizer state dicts (or None), ``steps``, ``epoch`` (or None) and
    ``layout``: ``'authors'``, ``'nvidia'`` or ``'ours'``."""
    path = Path(path)
    ckpt = torch_load(path)
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: expected a dict checkpoint, found {type(ckpt).__name__}")
    if isinstance(ckpt.get("modules"), dict) and {"mpd", "msd"} <= ckpt["modules"].keys():  # ours
        opts = ckpt.get("optimizers") or {}
        out = {"mpd": ckpt["modules"]["mpd"], "msd": ckpt["modules"]["msd"], "optim_g": opts.get("generator"),
               "optim_d": opts.get("discriminator"), "steps": ckpt.get("step"), "epoch": ckpt.get("epoch"),
               "layout": "ours"}
    elif {"mpd", "msd"} <= ckpt.keys():
        layout = "nvidia" if {"train_state", "scaler_d", "mpd_ema"} & ckpt.keys() else "authors"
        out = {"mpd": ckpt["mpd"], "msd": ckpt["msd"], "optim_g": ckpt.get("optim_g"),
               "optim_d": ckpt.get("optim_d"), "steps": ckpt.get("steps"), "epoch": ckpt.get("epoch"),
               "layout": layout}
    else:
        kind = "a HiFi-GAN generator checkpoint (g_* or hifigan_gen_*)" if "generator" in ckpt else \
            f"keys {_summarize(map(str, ckpt))}"
        raise CheckpointError(f"{path}: not a HiFi-GAN discriminator checkpoint (mpd, msd): found {kind}")
    for name in ("mpd", "msd"):
        sd = out[name]
        if not isinstance(sd, dict) or not sd or not all(isinstance(v, torch.Tensor) for v in sd.values()):
            raise CheckpointError(f"{path}: {name!r} is not a state dict of tensors")
        out[name] = normalize_discriminator_state_dict(sd)
        bad = _non_finite(out[name])
        if bad:
            raise CheckpointError(f"{path}: NaN or infinite weights in {name} {_summarize(bad)}")
    for name in ("optim_g", "optim_d"):
        o = out[name]
        if o is not None and not (isinstance(o, dict) and isinstance(o.get("state"), dict)
                                  and isinstance(o.get("param_groups"), list)):
            raise CheckpointError(f"{path}: {name!r} is not an optimizer state dict")
    return out


def discriminator_companion(generator_path) -> Path | None:
    """The discriminator file saved beside a generator file: the authors' ``g_N`` -> ``do_N``,
    NVIDIA's ``hifigan_gen_checkpoint_N.pt`` -> ``hifigan_discrim_checkpoint_N.pt``, our
    ``hifigan_N.safetensors`` -> ``state_N.pt``; None if there is none."""
    p = Path(generator_path)
    for pattern, repl in ((r"^g_(\d+)$", r"do_\1"), (r"^hifigan_gen_checkpoint_(\d+)(.*)$", r"hifigan_discrim_checkpoint_\1\2"),
                          (r"^hifigan_(\d+)\.safetensors$", r"state_\1.pt")):
        if re.match(pattern, p.name):
            q = p.with_name(re.sub(pattern, repl, p.name))
            return q if q.is_file() else None
    return None


# ---------------------------------------------------------------- FastPitch checkpoints
#
# NVIDIA DeepLearningExamples' FastPitch 1.1 files (``FastPitch_checkpoint_*.pt``,
# ``nvidia_fastpitch_210824+cfg.pt``): ``{'state_dict', 'config', 'train_setup', ...}``, possibly
# with DDP ``module.`` prefixes and possibly without the training-only aligner (``attention.*``).
# Ours: a ``.safetensors`` file whose ``hifigan`` metadata has ``"kind": "fastpitch"``.

FASTPITCH_KIND = "fastpitch"


def _wrong_model(path, ckpt: dict) -> str:
    if "generator" in ckpt:
        return f"{path}: is a HiFi-GAN generator checkpoint, not FastPitch (load it with load_vocoder)"
    if {"mpd", "msd"} & ckpt.keys():
        return f"{path}: is a HiFi-GAN discriminator checkpoint, not FastPitch"
    return f"{path}: not a FastPitch checkpoint: found keys {_summarize(map(str, ckpt))}"


def _guess_fastpitch_config(sd: dict) -> FastPitchConfig:
    """NVIDIA's defaults with the sizes that the weights show (for files without a config)."""
    d = {}
    if "encoder.word_emb.weight" in sd:
        n_symbols, dim = sd["encoder.word_emb.weight"].shape
        d.update(n_symbols=n_symbols, symbols_embedding_dim=dim, in_fft_output_size=dim,
                 out_fft_output_size=dim)
    if "proj.weight" in sd:
        d["n_mel_channels"] = sd["proj.weight"].shape[0]
    if "speaker_emb.weight" in sd:
        d["n_speakers"] = sd["speaker_emb.weight"].shape[0]
    d["energy_conditioning"] = "energy_emb.weight" in sd
    for part, prefix in (("encoder", "in_fft"), ("decoder", "out_fft")):
        layers = {int(k.split(".")[2]) for k in sd if k.startswith(f"{part}.layers.")}
        if layers:
            d[f"{prefix}_n_layers"] = max(layers) + 1
    return FastPitchConfig.from_dict(d)


def build_fastpitch(sd: dict, config: FastPitchConfig, source) -> FastPitch:
    """A FastPitch for ``config`` with ``sd`` (prefixes already stripped) loaded strictly, except
    that a file without any ``attention.*`` key (the training-only aligner) keeps a fresh one."""
    if not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{source}: the state dict holds values that are not tensors")
    model = FastPitch(config)
    model_sd = model.state_dict()
    if not any(k.startswith("attention.") for k in sd):
        sd = {**sd, **{k: v for k, v in model_sd.items() if k.startswith("attention.")}}
    problem = state_dict_mismatch(sd, model_sd)
    if problem:
        raise CheckpointError(f"{source}: the weights do not fit a FastPitch with this config: {problem}")
    bad = _non_finite(sd)
    if bad:
        raise CheckpointError(f"{source}: NaN or infinite weights in {_summarize(bad)}")
    model.load_state_dict(sd)
    return model.eval()


def load_fastpitch_checkpoint(path) -> tuple[FastPitch, FastPitchConfig, dict]:
    """Load NVIDIA's FastPitch 1.1 checkpoint or ours.

    Returns ``(fastpitch, config, train_setup)``; the model is in eval mode, on the CPU.
    """
    path = Path(path)
    if path.is_file() and is_safetensors(path):
        sd, meta = read_safetensors(path)
        if meta.get("kind") == GENERATOR_KIND:
            raise CheckpointError(f"{path}: is a HiFi-GAN generator checkpoint, not FastPitch "
                                  f"(load it with load_vocoder)")
        if meta.get("kind") != FASTPITCH_KIND:
            raise CheckpointError(f"{path}: holds a {meta.get('kind', 'unknown')!r} model, not FastPitch")
        cfg, setup = meta.get("fastpitch"), meta.get("train_setup") or {}
    else:
        ckpt = torch_load(path)
        if not isinstance(ckpt, dict):
            raise CheckpointError(f"{path}: expected a dict checkpoint, found {type(ckpt).__name__}")
        if "state_dict" in ckpt:
            sd, cfg, setup = ckpt["state_dict"], ckpt.get("config"), ckpt.get("train_setup") or {}
        elif ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()) and \
                "encoder.word_emb.weight" in strip_prefix(ckpt):  # a bare state dict
            sd, cfg, setup = ckpt, None, {}
        else:
            raise CheckpointError(_wrong_model(path, ckpt))
        if not isinstance(sd, dict):
            raise CheckpointError(f"{path}: 'state_dict' is not a state dict of tensors")
        sd = strip_prefix(sd)
    if cfg is not None and not isinstance(cfg, dict):
        raise CheckpointError(f"{path}: the FastPitch config is not a dict")
    try:
        config = FastPitchConfig.from_dict(cfg) if cfg is not None else _guess_fastpitch_config(sd)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad FastPitch config ({_first_line(e)})") from None
    return build_fastpitch(sd, config, path), config, dict(setup if isinstance(setup, dict) else {})


def save_fastpitch(path, model: FastPitch, extra: dict | None = None) -> Path:
    """Write our format: safetensors weights with the FastPitch config as JSON metadata (atomically)."""
    path = Path(path)
    meta = {"format_version": FORMAT_VERSION, "kind": FASTPITCH_KIND,
            "fastpitch": model.config.to_dict(), **(extra or {})}
    return _save_safetensors(path, model, meta)


# ---------------------------------------------------------------- ONNX export folders
#
# ``hifigan export onnx -o DIR`` writes ``DIR/fastpitch.onnx``, ``DIR/generator.onnx`` and
# ``DIR/hifigan_onnx.json``, which holds everything needed to run the two graphs without the
# checkpoints (see :func:`read_onnx_manifest`); a vocoder-only folder has no ``fastpitch`` part.

ONNX_MANIFEST = "hifigan_onnx.json"
ONNX_KIND = "hifigan-onnx"
ONNX_FILES = {"fastpitch": "fastpitch.onnx", "vocoder": "generator.onnx"}


def write_onnx_manifest(path, manifest: dict) -> Path:
    """Write the manifest JSON to ``path`` as it is (the caller makes it atomic)."""
    path = Path(path)
    path.write_text(json.dumps({"format_version": FORMAT_VERSION, "kind": ONNX_KIND, **manifest}, indent=2,
                               sort_keys=False) + "\n")
    return path


def read_onnx_manifest(folder, parts=("fastpitch", "vocoder"), verify: bool = True) -> dict:
    """Read and check an ONNX export folder; every problem is a one-line :class:`OnnxError`.

    ``parts``: which models it must hold. Returns the manifest with, for each part present, ``path``
    (the ``.onnx`` file) and the configs parsed: ``fastpitch.config`` a :class:`FastPitchConfig`,
    ``vocoder.generator`` a :class:`GeneratorConfig` and ``vocoder.audio`` a :class:`MelConfig`.
    With ``verify`` each file's SHA-256 must be the one recorded (a damaged or replaced file fails).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OnnxError(f"{folder}: no such ONNX export folder (make one with: hifigan export onnx -o {folder})")
    index = folder / ONNX_MANIFEST
    if not index.is_file():
        raise OnnxError(f"{folder}: not an ONNX export folder, {ONNX_MANIFEST} is missing "
                        f"(make one with: hifigan export onnx -o {folder})")
    try:
        m = json.loads(index.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise OnnxError(f"{index}: not readable JSON ({_first_line(e)})") from None
    if not isinstance(m, dict) or m.get("kind") != ONNX_KIND:
        raise OnnxError(f"{index}: not a hifigan ONNX manifest")
    if m.get("format_version") != FORMAT_VERSION:
        raise OnnxError(f"{index}: format version {m.get('format_version')!r}, this hifigan reads {FORMAT_VERSION}")
    for part in parts:
        if not isinstance(m.get(part), dict):
            raise OnnxError(f"{folder}: the export has no {part} ({ONNX_FILES[part]}); export it with "
                            f"hifigan export onnx")
    for part in ("fastpitch", "vocoder"):
        entry = m.get(part)
        if not isinstance(entry, dict):
            m.pop(part, None)
            continue
        path = folder / ONNX_FILES[part]
        if not path.is_file():
            raise OnnxError(f"{path}: missing from the ONNX export folder")
        if verify and entry.get("sha256") != file_sha256(path):
            raise OnnxError(f"{path}: damaged or replaced (its SHA-256 differs from the one in {ONNX_MANIFEST})")
        try:
            if part == "fastpitch":
                entry["config"] = FastPitchConfig.from_dict(entry["config"])
                float(entry["pitch_mean"]), float(entry["pitch_std"])
                if not isinstance(entry.get("text"), dict):
                    raise ValueError("no text settings")
                entry["text"] = {k: v for k, v in entry["text"].items()
                                 if k in ("symbol_set", "cleaners", "p_arpabet", "handle_ambiguous")}
            else:
                entry["generator"] = GeneratorConfig.from_dict(entry["generator"])
                entry["audio"] = MelConfig.from_dict(entry["audio"])
        except (KeyError, TypeError, ValueError) as e:
            raise OnnxError(f"{index}: bad {part} entry ({_first_line(e)})") from None
        if part == "vocoder":
            try:
                _check_consistent(index, entry["generator"], entry["audio"])
            except CheckpointError as e:
                raise OnnxError(str(e)) from None
        entry["path"] = path
    return m


def file_sha256(path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
