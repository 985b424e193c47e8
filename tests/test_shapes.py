"""Shape-stable inference (issue 28): the vocoder's fixed-shape pieces and FastPitch's length buckets
give today's audio, and the models meet a fixed set of shapes whatever the text."""
import numpy as np
import pytest
import torch

from conftest import TINY
from hifigan.audio import MelConfig
from hifigan.errors import MelError
from hifigan.models import Generator
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.pipeline import TextToSpeech, length_bucket
from hifigan.vocoder import Vocoder, piece_plan
from test_pipeline import TINY_FP

CTX = 17


@pytest.mark.parametrize("head", [(), (8, 16, 32)])
def test_piece_plan_covers_every_frame_once_in_few_shapes(head):
    shapes = set()
    for n in range(1, 3000):
        plan = piece_plan(n, CTX, (256, 128, 64, 32, 16), (8, 16, 32), head)
        if plan is None:
            assert n < 49  # too short for any end piece: vocoded in one pass
            continue
        covered = []
        for a, b, k0, k1, skip in plan:
            assert 0 <= a and b <= n and 0 <= k0 < k1 <= b - a and 0 <= skip < k1 - k0
            assert k0 >= min(CTX, a + k0) and (b - a) - k1 >= min(CTX, n - (a + k1))  # context where there is mel
            covered.extend(range(a + k0 + skip, a + k1))
            shapes.add((b - a, k0, k1))
        assert covered == list(range(n))
    assert len(shapes) <= 16, sorted(shapes)  # the same few shapes for 2,999 lengths


def _counting(generator):
    """The input shapes ``generator`` sees (its first convolution's), collected in a set."""
    seen = set()
    generator.conv_pre.register_forward_hook(lambda m, i, o: seen.add(tuple(i[0].shape)))
    return seen


def test_vocoder_pieces_equal_one_pass_and_meet_a_fixed_set_of_shapes():
    torch.manual_seed(0)
    voc = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16), piece_frames=64).eval()
    lengths = list(range(40, 400, 7))
    ones = {}
    for n in lengths:
        ones[n] = voc.generator(torch.randn(1, 80, n, generator=torch.Generator().manual_seed(n)))[0]
    seen = _counting(voc.generator)
    for n in lengths:
        mel, one = torch.randn(1, 80, n, generator=torch.Generator().manual_seed(n)), ones[n]
        torch.testing.assert_close(voc(mel)[0], one, rtol=0, atol=1e-5)
        streamed = torch.cat(list(voc.stream(mel, first_frames=8)))
        torch.testing.assert_close(streamed, one[0].clamp(-1, 1), rtol=0, atol=1e-5)
    one_pass = {(1, 80, n) for n in lengths}
    assert len(seen - one_pass) <= 20 and len(seen & one_pass) <= 2, sorted(seen)


def test_vocoder_pieces_follow_the_cpu_profile(cpu_profile):
    voc = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16)).eval()
    mel = torch.randn(1, 80, 600)
    plan = voc.plan(mel)
    assert (plan is not None) == cpu_profile.shape_stable == (cpu_profile.name == "amx")
    if plan:
        assert max(k1 - k0 for _, _, k0, k1, _ in plan) == 256
    assert voc.plan(torch.randn(2, 80, 600)) is None  # a batch goes as before
    with pytest.raises(MelError, match="piece_frames must be"):
        Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16), piece_frames=4)


def test_length_buckets_have_4_significant_bits():
    assert [length_bucket(n) for n in (1, 16, 17, 31, 33, 100, 255, 257, 1000)] == \
        [16, 16, 18, 32, 36, 104, 256, 288, 1024]
    for n in range(1, 5000):
        b = length_bucket(n)
        assert n <= b <= max(16, n * 1.125)
    assert len({length_bucket(n) for n in range(100, 1000)}) == 28  # 8 an octave: 104-128, then 3 octaves to 1024


@pytest.fixture(scope="module")
def variable_tts():
    """A tiny voice whose durations vary with the text (random weights)."""
    torch.manual_seed(1)
    fp = FastPitch(FastPitchConfig.from_dict({**FastPitchConfig().to_dict(), **TINY_FP})).eval()
    with torch.no_grad():
        fp.duration_predictor.fc.bias.add_(1.2)
    voc = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16), piece_frames=64).eval()
    return fp, voc


TEXTS = ["Short one.", "A sentence of a middling length, with a comma.",
         "And here is a rather longer sentence, which goes on for a while before it stops at last."]


def test_length_buckets_give_the_same_mels_and_audio_and_bucketed_shapes(variable_tts):
    fp, voc = variable_tts
    plain = TextToSpeech(fp, Vocoder(voc.generator, voc.mel_config, piece_frames=None), length_buckets=False)
    stable = TextToSpeech(fp, voc, length_buckets=True)
    widths = set()
    hook = fp.decoder.register_forward_hook(lambda m, i, o: widths.add(i[0].shape[1]))
    for text in TEXTS:
        a, b = plain.synthesize_utterances([text])[0], stable.synthesize_utterances([text])[0]
        assert a.mel.shape == b.mel.shape
        torch.testing.assert_close(b.mel, a.mel, rtol=0, atol=1e-4)
        np.testing.assert_allclose(b.audio, a.audio, rtol=0, atol=1e-4)
        widths.clear()
        stable.synthesize(text)
        assert widths == {length_bucket(a.mel.shape[-1])}
        np.testing.assert_allclose(np.concatenate(list(stable.stream(text))), a.audio, rtol=0, atol=1e-4)
    hook.remove()


def test_length_buckets_follow_the_cpu_profile(variable_tts, cpu_profile):
    fp, voc = variable_tts
    tts = TextToSpeech(fp, voc)
    widths = set()
    hook = fp.encoder.register_forward_hook(lambda m, i, o: widths.add(i[0].shape[1]))
    text = "Seventeen symbols"
    tts.synthesize(text)
    hook.remove()
    n = len(tts.text_processor.encode_text(text))
    assert widths == {length_bucket(n) if cpu_profile.shape_stable else n}
    with pytest.raises(Exception, match="length_buckets must be"):
        TextToSpeech(fp, voc, length_buckets="yes")
