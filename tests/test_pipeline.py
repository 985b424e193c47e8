"""End to end: NVIDIA-format checkpoints in $TORCH_HOME, the seed page's code via torch.hub,
the TextToSpeech pipeline and `hifigan synthesize`."""
import copy
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from conftest import NVIDIA_TRAIN_SETUP, TINY, nvidia_config, to_nvidia_nested
from hifigan.audio import MelConfig
from hifigan.checkpoints import save_generator
from hifigan.cli import main
from hifigan.errors import HifiganError, TextError
from hifigan.models import Generator, GeneratorConfig
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.pipeline import PitchTransform, TextToSpeech, stream_start
from hifigan.vocoder import Vocoder

REPO = str(Path(__file__).resolve().parents[1])
FRAMES_PER_SYMBOL = 3
TINY_FP = dict(symbols_embedding_dim=32, in_fft_n_layers=1, in_fft_n_heads=2, in_fft_d_head=16,
               in_fft_conv1d_filter_size=64, in_fft_output_size=32, out_fft_n_layers=1, out_fft_n_heads=2,
               out_fft_d_head=16, out_fft_conv1d_filter_size=64, out_fft_output_size=32,
               dur_predictor_filter_size=32, pitch_predictor_filter_size=32, energy_predictor_filter_size=32)


def make_fastpitch(**overrides) -> FastPitch:
    """Random weights, but a duration predictor that says 3 frames for every symbol."""
    model = FastPitch(FastPitchConfig.from_dict({**FastPitchConfig().to_dict(), **overrides}))
    with torch.no_grad():
        model.duration_predictor.fc.weight.zero_()
        model.duration_predictor.fc.bias.fill_(math.log(1 + FRAMES_PER_SYMBOL))
    return model.eval()


def nvidia_fastpitch_ckpt(model: FastPitch, prefix="module."):
    return {"state_dict": {prefix + k: v for k, v in model.state_dict().items()}, "config": model.config.to_dict(),
            "train_setup": {}, "epoch": 1000, "iteration": 100000, "optimizer": None}


def nvidia_hifigan_ckpt(config: GeneratorConfig, train_setup: dict):
    g = Generator(config)
    return {"generator": to_nvidia_nested(g.state_dict(), len(config.resblock_kernel_sizes)),
            "gen_ema": None, "config": nvidia_config(config), "train_setup": train_setup,
            "train_state": {"epoch": 10000, "iters_all": 1}}


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    (tmp_path / "torch" / "checkpoints").mkdir(parents=True)
    return tmp_path / "torch" / "checkpoints"


def install_nvidia_files(ckpt_dir: Path, size: str):
    if size == "tiny":
        fp, gen_cfg, setup = make_fastpitch(**TINY_FP), TINY, {**NVIDIA_TRAIN_SETUP, "hop_length": 16}
    else:
        fp, gen_cfg, setup = make_fastpitch(), GeneratorConfig(), NVIDIA_TRAIN_SETUP
    torch.save(nvidia_fastpitch_ckpt(fp), ckpt_dir / "nvidia_fastpitch_210824+cfg.pt")
    torch.save(nvidia_hifigan_ckpt(gen_cfg, setup), ckpt_dir / "hifigan_gen_checkpoint_10000_ft.pt")
    return fp, gen_cfg


# ---------------------------------------------------------------- the seed page, via torch.hub

@pytest.mark.parametrize("size", ["tiny", "default"])
def test_seed_page_example_runs_to_audio_wav(torch_home, tmp_path, monkeypatch, size):
    import matplotlib

    matplotlib.use("Agg")
    _, gen_cfg = install_nvidia_files(torch_home, size)
    monkeypatch.chdir(tmp_path)
    # ---- the seed page's code, with this repository and source='local' (IPython display left out)
    import matplotlib.pyplot as plt

    warnings.filterwarnings('ignore')
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    fastpitch, generator_train_setup = torch.hub.load(REPO, 'nvidia_fastpitch', source='local')
    hifigan, vocoder_train_setup, denoiser = torch.hub.load(REPO, 'nvidia_hifigan', source='local')
    CHECKPOINT_SPECIFIC_ARGS = [
        'sampling_rate', 'hop_length', 'win_length', 'p_arpabet', 'text_cleaners',
        'symbol_set', 'max_wav_value', 'prepend_space_to_text',
        'append_space_to_text']
    for k in CHECKPOINT_SPECIFIC_ARGS:
        v1 = generator_train_setup.get(k, None)
        v2 = vocoder_train_setup.get(k, None)
        assert v1 is None or v2 is None or v1 == v2, \
            f'{k} mismatch in spectrogram generator and vocoder'
    fastpitch.to(device)
    hifigan.to(device)
    denoiser.to(device)
    tp = torch.hub.load(REPO, 'nvidia_textprocessing_utils', cmudict_path=None, heteronyms_path=None, source='local')
    text = "Say this smoothly, to prove you are not a robot."
    batches = tp.prepare_input_sequence([text], batch_size=1)
    gen_kw = {'pace': 1.0,
              'speaker': 0,
              'pitch_tgt': None,
              'pitch_transform': None}
    denoising_strength = 0.005
    for batch in batches:
        with torch.no_grad():
            mel, mel_lens, *_ = fastpitch(batch['text'].to(device), **gen_kw)
            audios = hifigan(mel).float()
            audios = denoiser(audios.squeeze(1), denoising_strength)
            audios = audios.squeeze(1) * vocoder_train_setup['max_wav_value']
    plt.figure(figsize=(10, 12))
    res_mel = mel[0].detach().cpu().numpy()
    plt.imshow(res_mel, origin='lower')
    plt.xlabel('time')
    plt.ylabel('frequency')
    _ = plt.title('Spectrogram')
    audio_numpy = audios[0].cpu().numpy()
    from scipy.io.wavfile import write
    write("audio.wav", vocoder_train_setup['sampling_rate'], audio_numpy)
    plt.close("all")
    # ---- what came out
    n_ids = batches[0]["text_lens"][0].item()
    assert not fastpitch.training and not hifigan.training
    assert mel.shape == (1, 80, n_ids * FRAMES_PER_SYMBOL) and mel_lens.tolist() == [n_ids * FRAMES_PER_SYMBOL]
    rate, written = __import__("scipy.io.wavfile").io.wavfile.read("audio.wav")
    assert rate == 22050 and written.shape == (n_ids * FRAMES_PER_SYMBOL * gen_cfg.hop_length,)
    assert np.isfinite(written).all()


def test_hub_without_files_says_where_to_put_them(torch_home):
    with pytest.raises(HifiganError, match=re.escape(str(torch_home / "nvidia_fastpitch_210824+cfg.pt"))):
        torch.hub.load(REPO, "nvidia_fastpitch", source="local")
    with pytest.raises(HifiganError, match="hifigan_gen_checkpoint_10000_ft.pt"):
        torch.hub.load(REPO, "nvidia_hifigan", source="local")


def test_hub_checkpoint_keyword_and_unpretrained(tmp_path):
    fp = make_fastpitch(**TINY_FP)
    torch.save(nvidia_fastpitch_ckpt(fp, prefix=""), tmp_path / "fp.pt")
    model, setup = torch.hub.load(REPO, "nvidia_fastpitch", source="local", checkpoint=tmp_path / "fp.pt")
    assert not model.training and setup == {}
    ids = torch.tensor([[20, 30, 40, 11, 50]])
    with torch.no_grad():
        torch.testing.assert_close(model(ids)[0], fp.infer(ids)[0])
    bare, _ = torch.hub.load(REPO, "nvidia_fastpitch", pretrained=False, source="local", n_speakers=3)
    assert bare.config.n_speakers == 3
    voc, _, den = torch.hub.load(REPO, "nvidia_hifigan", pretrained=False, source="local", upsample_initial_channel=32)
    assert den is None and voc.generator.config.upsample_initial_channel == 32
    lj = torch.hub.load(REPO, "hifigan", "lj_v1", source="local")
    assert isinstance(lj, Vocoder) and lj.sample_rate == 22050


# ---------------------------------------------------------------- TextToSpeech

@pytest.fixture(scope="module")
def tiny_tts():
    torch.manual_seed(0)
    fp = make_fastpitch(**TINY_FP, n_speakers=2)
    vocoder = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16)).eval()
    return TextToSpeech(fp, vocoder, batch_size=2)


def test_batched_results_are_in_input_order_and_trimmed(tiny_tts):
    texts = ["A long sentence with quite a few words in it.", "Short.", "A medium one here."]
    utts = tiny_tts.synthesize_utterances(texts)
    for text, utt in zip(texts, utts):
        n = len(tiny_tts.text_processor.encode_text(text))
        assert utt.mel.shape == (80, n * FRAMES_PER_SYMBOL)
        assert utt.audio.shape == (n * FRAMES_PER_SYMBOL * 16,) and utt.audio.dtype == np.float32
        alone, _ = tiny_tts.synthesize(text)
        np.testing.assert_allclose(utt.audio, alone, atol=1e-5)  # batching and padding change nothing


def test_long_text_is_split_and_joined_with_pauses(tiny_tts):
    text = "First sentence here. Second one follows! And a third?"
    audio, sr = tiny_tts.synthesize(text)
    lens = [len(tiny_tts.text_processor.encode_text(s)) * FRAMES_PER_SYMBOL * 16
            for s in ["First sentence here.", "Second one follows!", "And a third?"]]
    pause = round(0.2 * sr)
    assert len(audio) == sum(lens) + 2 * pause
    assert not audio[lens[0]:lens[0] + pause].any()


def test_pace_pitch_energy_and_speaker(tiny_tts):
    base, _ = tiny_tts.synthesize("Hello there.")
    fast, _ = tiny_tts.synthesize("Hello there.", pace=1.5)
    assert len(fast) == pytest.approx(len(base) / 1.5, rel=0.05)
    calls = []

    def spy(pitch, lens, mean, std):
        calls.append((pitch.shape, lens.tolist(), float(mean), float(std)))
        return pitch

    tiny_tts.synthesize("Hello there.", pitch=spy)
    n = len(tiny_tts.text_processor.encode_text("Hello there."))
    assert calls and calls[0][1] == [n]
    flat, _ = tiny_tts.synthesize("Hello there.", pitch=PitchTransform(flatten=True))
    assert not np.allclose(flat, base)
    louder, _ = tiny_tts.synthesize("Hello there.", energy_scale=2.0)
    assert louder.shape == base.shape and not np.allclose(louder, base)
    other, _ = tiny_tts.synthesize("Hello there.", speaker=1)
    assert not np.allclose(other, base)


def test_pitch_transform_matches_nvidias_formula():
    pitch, std = torch.tensor([[1.0, -2.0, 0.5]]), 50.0
    t = PitchTransform(invert=True, amplify=2.0, shift_hz=25.0)
    torch.testing.assert_close(t(pitch, None, 200.0, std), pitch * -1.0 * 2.0 + 25.0 / std)
    assert PitchTransform(flatten=True)(pitch, None, 0, std).abs().sum() == 0 and not PitchTransform()


@pytest.mark.parametrize("kw,pattern", [(dict(pace=0), "pace"), (dict(pace=-1.0), "pace"),
                                        (dict(pace=float("nan")), "pace"), (dict(speaker=2), "speaker 2 out of range"),
                                        (dict(speaker=-1), "out of range")])
def test_bad_arguments(tiny_tts, kw, pattern):
    with pytest.raises(HifiganError, match=pattern):
        tiny_tts.synthesize("Hello.", **kw)


def test_bad_texts(tiny_tts):
    with pytest.raises(TextError, match="text 2 is empty"):
        tiny_tts.synthesize_utterances(["Fine.", "  "])
    with pytest.raises(TextError, match="nothing to say"):
        tiny_tts.synthesize("🎉 🔥")


def test_mismatched_models():
    fp = make_fastpitch(**TINY_FP, n_mel_channels=64)
    with pytest.raises(HifiganError, match="64-channel"):
        TextToSpeech(fp, Vocoder(Generator(TINY), MelConfig(hop_length=16)))


# ---------------------------------------------------------------- hifigan synthesize

@pytest.fixture
def tiny_files(tmp_path):
    from hifigan.checkpoints import save_fastpitch

    fp = save_fastpitch(tmp_path / "fp.safetensors", make_fastpitch(**TINY_FP, n_speakers=2))
    voc = save_generator(tmp_path / "voc.safetensors", Generator(TINY, weight_norm=False), MelConfig(hop_length=16))
    return ["--fastpitch", str(fp), "--vocoder", str(voc)]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_cli_one_text_with_mel_and_plot(tmp_path, capsys, tiny_files):
    out = tmp_path / "o" / "hello.wav"
    code, err = run(capsys, "synthesize", "Hello world.", "-o", out, "--save-mel", "--plot", tmp_path / "s.png",
                    "--pace", "1.25", "--pitch-shift", "20", "--denoise", "0.01", *tiny_files)
    assert code == 0, err
    mel = np.load(out.with_suffix(".npy"))
    assert mel.shape[0] == 80 and sf.info(str(out)).frames == mel.shape[1] * 16
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_file_in_line_order_with_progress(tmp_path, capsys, tiny_files):
    lines = ["The first line is the longest line of all.", "Second.", "Third line, medium."]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    code, err = run(capsys, "synthesize", "-i", tmp_path / "in.txt", "-o", tmp_path / "out", "--batch-size", "2",
                    "--plot", tmp_path / "plots", *tiny_files)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0001.wav", "0002.wav", "0003.wav"]
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["0001.png", "0002.png", "0003.png"]
    durations = [sf.info(str(tmp_path / "out" / f"000{i}.wav")).frames for i in (1, 2, 3)]
    assert durations[0] > durations[2] > durations[1]
    assert "3/3" in err


def test_cli_stdin(tmp_path, capsys, monkeypatch, tiny_files):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("One.\nTwo.\n"))
    code, err = run(capsys, "synthesize", "-i", "-", "-o", tmp_path / "out", *tiny_files)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0001.wav", "0002.wav"]


@pytest.mark.parametrize("content,argv,pattern", [
    ("Fine.\n\nAlso fine.\n", [], "line 2: empty line"),
    ("Fine.\n🎉🔥\n", [], "line 2: nothing to say"),
    ("Fine.\n", ["--speaker", "5"], "speaker 5 out of range"),
    ("Fine.\n", ["--pace", "0"], "--pace must be > 0"),
    ("Fine.\n", ["--pace", "-2"], "--pace must be > 0"),
])
def test_cli_bad_input_names_the_line_or_argument(tmp_path, capsys, tiny_files, content, argv, pattern):
    (tmp_path / "in.txt").write_text(content)
    code, err = run(capsys, "synthesize", "-i", tmp_path / "in.txt", "-o", tmp_path / "out", *tiny_files, *argv)
    assert code == 1 and pattern in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_wrong_checkpoints_and_missing_voice(tmp_path, capsys, tiny_files, torch_home):
    voc = tiny_files[3]
    code, err = run(capsys, "synthesize", "Hi.", "-o", tmp_path / "a.wav", "--fastpitch", voc, "--vocoder", voc)
    assert code == 1 and "not FastPitch" in err, err
    code, err = run(capsys, "synthesize", "Hi.", "-o", tmp_path / "a.wav", "--fastpitch", "nvidia", "--vocoder", voc)
    assert code == 1 and "nothing is downloaded" in err and "nvidia_fastpitch_210824+cfg.pt" in err
    code, err = run(capsys, "synthesize", "Hi.", "-o", tmp_path / "a.wav", "--fastpitch", "joe", "--vocoder", voc)
    assert code == 1 and "unknown FastPitch 'joe'" in err and "default" in err
    code, err = run(capsys, "synthesize", "   ", "-o", tmp_path / "a.wav", *tiny_files)
    assert code == 1 and "TEXT is empty" in err
    assert not (tmp_path / "a.wav").exists()


def test_to_file_writes_a_wav_atomically(tiny_tts, tmp_path):
    path = tiny_tts.to_file("Hello there.", tmp_path / "sub" / "hello.wav", pace=0.8)
    info = sf.info(str(path))
    assert info.samplerate == 22050 and info.frames > 0
    assert [p.name for p in path.parent.iterdir()] == ["hello.wav"]
    with pytest.raises(TextError):
        tiny_tts.to_file("", tmp_path / "empty.wav")
    assert not (tmp_path / "empty.wav").exists()


def test_fastpitch_given_as_vocoder(tmp_path, capsys, tiny_files):
    fp = tiny_files[1]
    code, err = run(capsys, "synthesize", "Hi.", "-o", tmp_path / "a.wav", "--fastpitch", fp, "--vocoder", fp)
    assert code == 1 and "not a HiFi-GAN generator" in err and len(err.strip().splitlines()) == 1, err


# ---------------------------------------------------------------- the shipped default voice

def test_default_voice_ships_and_speaks(tmp_path):
    from hifigan.pretrained import VOICES, voice_fastpitch_path

    path = voice_fastpitch_path("default")
    assert path.stat().st_size < 32_000_000  # the size limit for the FastPitch file
    tts = TextToSpeech.from_pretrained()  # no argument: the default voice and its vocoder
    assert tts.vocoder.sample_rate == 22050 and VOICES["default"]["vocoder"] == "joe_v1"
    from hifigan.loaders import load_vocoder
    own, lj = load_vocoder("joe_v1").generator, load_vocoder("lj_v1").generator
    w = tts.vocoder.generator.conv_post.weight  # the voice's own vocoder, not lj_v1 (which stays selectable)
    assert torch.equal(w, own.conv_post.weight) and not torch.equal(w, lj.conv_post.weight)
    short, sr = tts.synthesize("Yes.")
    long, _ = tts.synthesize("The museum opens at nine on weekdays and at ten on Sundays.")
    assert sr == 22050
    assert 0.2 < len(short) / sr < 1.5 and 2.0 < len(long) / sr < 7.0  # a plausible speaking rate
    assert np.sqrt(np.mean(long ** 2)) > 0.02 and np.abs(long).max() <= 1.0  # speech, not silence or clipping


def test_cli_speaks_with_the_default_voice(tmp_path, capsys):
    code, err = run(capsys, "synthesize", "Hello from the default voice.", "-o", tmp_path / "a.wav")
    assert code == 0, err
    info = sf.info(str(tmp_path / "a.wav"))
    assert info.samplerate == 22050 and 1.0 < info.frames / 22050 < 4.0


def test_torchrun_shares_out_the_lines_and_writes_what_one_process_would(tmp_path, capsys, tiny_files):
    import os
    import subprocess
    import sys

    lines = [f"Line number {w}, a little longer each time{', and more' * k}." for k, w in
             enumerate(["one", "two", "three", "four", "five"])]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    argv = ["synthesize", "-i", str(tmp_path / "in.txt"), "--batch-size", "1", *tiny_files]
    one = subprocess.run([sys.executable, "-m", "hifigan", *argv, "-o", str(tmp_path / "one")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "hifigan", *argv, "-o", str(tmp_path / "two")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert two.returncode == 0, two.stderr[-2000:]
    assert "rank 0: wrote 3 of the 5 files" in two.stderr and "rank 1: wrote 2 of the 5 files" in two.stderr
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == [f"000{i}.wav" for i in range(1, 6)]
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == names
    for name in names:
        a, _ = sf.read(str(tmp_path / "one" / name), dtype="int16")
        b, _ = sf.read(str(tmp_path / "two" / name), dtype="int16")
        assert a.shape == b.shape and np.array_equal(a, b), name


def test_vocoder_stream_pieces_grow_and_join_to_one_pass():
    torch.manual_seed(0)
    voc = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16), chunk_frames=100).eval()
    mel = torch.randn(1, 80, 300)
    whole = voc.vocode(mel)[0]
    # growth 4: 16, 64, then chunk_frames; the rest of 20 would make a piece over chunk_frames, so
    # it stays on its own
    pieces = list(voc.stream(mel, first_frames=16, growth=4))
    assert [p.shape[0] // 16 for p in pieces] == [16, 64, 100, 100, 20]
    torch.testing.assert_close(torch.cat(pieces), whole, rtol=0, atol=1e-4)
    # doubling: 16, 32, 64, 100, 88
    pieces2 = list(voc.stream(mel, first_frames=16, growth=2))
    assert [p.shape[0] // 16 for p in pieces2] == [16, 32, 64, 100, 88]
    torch.testing.assert_close(torch.cat(pieces2), whole, rtol=0, atol=1e-4)
    # a rest of at most half a piece joins it: 8, 32, then 128 would leave 22 of 190: one piece of 150
    short = mel[..., :190]
    pieces3 = list(Vocoder(voc.generator, MelConfig(hop_length=16), chunk_frames=None).stream(short, growth=4))
    assert [p.shape[0] // 16 for p in pieces3] == [8, 32, 150]
    torch.testing.assert_close(torch.cat(pieces3), voc.vocode(short)[0], rtol=0, atol=1e-4)
    with pytest.raises(Exception, match="growth >= 2"):
        next(voc.stream(mel, growth=1))
    # the default growth: 2 in fp32 on the CPU (too slow there for 4 to play smoothly), 4 in bf16
    assert voc.stream_growth() == 2 and [p.shape[0] // 16 for p in voc.stream(mel, 16)] == [16, 32, 64, 100, 88]
    assert copy.deepcopy(voc).to(torch.bfloat16).stream_growth() == 4
    bare = torch.cat([voc.generator(mel[..., a:b])[0, 0] for a, b in ((0, 16), (16, 48), (48, 112), (112, 212),
                                                                        (212, 300))]).clamp(-1, 1)
    assert (bare - whole).abs().max() > 1e-3  # without the context the joins would show
    with pytest.raises(Exception, match="one mel at a time"):
        next(voc.stream(torch.randn(2, 80, 30)))


def test_stream_yields_sentence_by_sentence_and_joins_to_synthesize(tiny_tts):
    text = ("The first sentence is long enough to be cut into several pieces, it goes on and on. "
            "Then a short one. And the last sentence of the text!")
    tts = TextToSpeech(tiny_tts.fastpitch, tiny_tts.vocoder, batch_size=1)
    want, sr = tts.synthesize(text)
    pieces = list(tts.stream(text))
    assert pieces[0].shape[0] == 8 * 16 and all(p.dtype == np.float32 for p in pieces)  # 8 frames, hop 16
    assert len(pieces) > 4
    got = np.concatenate(pieces)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    pause = int(round(0.2 * sr))
    assert sum(1 for p in pieces if p.shape[0] == pause and not p.any()) == 2
    with pytest.raises(TextError):
        next(tts.stream("🎉 🔥"))


def test_stream_start_grows_with_the_audio_already_made(tiny_tts):
    # the largest 8 * g**k at most (g - 1) x the frames made; the first sentence starts at first_frames
    assert [stream_start(8, m, 4) for m in (0, 8, 10, 11, 42, 43, 170, 171, 1000)] == [8, 8, 8, 32, 32, 128, 128,
                                                                                      512, 2048]
    assert [stream_start(8, m, 2) for m in (0, 8, 15, 16, 40)] == [8, 8, 8, 16, 32]
    # a later sentence of a stream starts at stream_start(8, frames made so far), not at 8 frames
    text = "The first sentence is long enough to be cut into pieces, it goes on and on. Then a second one."
    tts = TextToSpeech(tiny_tts.fastpitch, tiny_tts.vocoder, batch_size=1)
    seen = []
    real = tts.vocoder.stream
    tts.vocoder.stream = lambda mel, first, g: (seen.append((mel.shape[-1], first, g)), real(mel, first, g))[1]
    got = np.concatenate(list(tts.stream(text)))
    g = tts.vocoder.stream_growth()
    assert len(seen) == 2 and seen[0][1:] == (8, g) and seen[1][1] == stream_start(8, seen[0][0], g) > 8
    np.testing.assert_allclose(got, tts.synthesize(text)[0], rtol=0, atol=1e-4)


def test_cli_stream_writes_wav_or_pcm_to_stdout_equal_to_the_file(tmp_path, capsysbinary, tiny_files):
    text = "Hello there, this is streamed. And a second sentence."
    assert main(["synthesize", text, "-o", str(tmp_path / "a.wav"), "--batch-size", "1", *tiny_files]) == 0
    want, sr = sf.read(str(tmp_path / "a.wav"), dtype="int16")
    capsysbinary.readouterr()
    assert main(["synthesize", text, "-o", "-", "--stream", *tiny_files]) == 0
    wav = capsysbinary.readouterr().out
    assert wav[:4] == b"RIFF" and wav[8:16] == b"WAVEfmt " and wav[36:40] == b"data"
    assert int.from_bytes(wav[24:28], "little") == sr and int.from_bytes(wav[40:44], "little") == 0xFFFFFFFF
    got = np.frombuffer(wav[44:], "<i2")
    assert got.shape == want.shape and np.abs(got.astype(int) - want).max() <= 4
    assert main(["synthesize", text, "-o", "-", "--stream", "pcm", *tiny_files]) == 0
    pcm = capsysbinary.readouterr().out
    assert pcm == wav[44:]


@pytest.mark.parametrize("argv,pattern", [
    (["Hi.", "-o", "x.wav", "--stream"], "use it with TEXT and -o -"),
    (["-i", "lines.txt", "-o", "-", "--stream"], "use it with TEXT and -o -"),
    (["🎉 🔥", "-o", "-", "--stream"], "nothing to say"),
])
def test_cli_stream_bad_use_is_one_line_and_writes_nothing(tmp_path, capsysbinary, tiny_files, argv, pattern):
    code = main(["synthesize", *argv, *tiny_files])
    cap = capsysbinary.readouterr()
    assert code == 1 and cap.out == b""
    err = cap.err.decode()
    assert pattern in err and len(err.strip().splitlines()) == 1, err


def test_stream_context_from_the_receptive_field_is_exact_for_lj_v1_on_real_speech():
    from hifigan import load_vocoder
    from hifigan.audio import load_audio

    voc = load_vocoder("lj_v1")
    assert 14 < voc.receptive_frames < 15  # V1: 3 + the upsamplings' and widest blocks' reach
    wav = sorted((Path(__file__).parent / "data/tiny_lj/wavs").glob("*.wav"))[0]
    mel = voc.mel(load_audio(wav, voc.sample_rate))
    mel = mel if mel.dim() == 3 else mel[None]
    whole = voc.vocode(mel)[0]
    torch.testing.assert_close(torch.cat(list(voc.stream(mel, 8))), whole, rtol=0, atol=1e-4)
    voc.context_frames = 12  # what a too-small context costs, through the same code path
    cut = torch.cat([voc._span(mel, a, min(a + 40, mel.shape[-1])) for a in range(0, mel.shape[-1], 40)], -1)
    assert (cut[0, 0].clamp(-1, 1) - whole).abs().max() > 1e-4


def test_vocoder_batches_equal_one_at_a_time_with_no_padding_leak():
    torch.manual_seed(0)
    voc = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16)).eval()
    for p in voc.parameters():  # loud enough that a leak would show
        p.data.mul_(20)
    mels = [torch.randn(80, n) - 4 for n in (50, 20, 37, 50, 3)]
    alone = [voc.vocode(m[None])[0] for m in mels]
    batched = voc.vocode_many(mels, batch_size=3)
    for a, b, m in zip(alone, batched, mels):
        assert b.shape == (m.shape[-1] * 16,)
        torch.testing.assert_close(b, a, atol=1e-4, rtol=0)
    # without redoing the tails, the padding would have reached the shorter mels' last samples
    padded = torch.stack([torch.nn.functional.pad(mels[2][None], (0, 13), mode="replicate")[0], mels[0]])
    with torch.inference_mode():
        raw = voc(padded)[0, 0, :37 * 16].clamp(-1, 1)
    assert (raw - alone[2]).abs().max() > 1e-4
    with pytest.raises(HifiganError, match="batch_size"):
        voc.vocode_many(mels, batch_size=0)


def test_pipeline_vocoder_batch_size_changes_nothing_but_speed(tiny_tts):
    texts = ["A long sentence with quite a few words in it. And another.", "Short.", "A medium one here."]
    one = tiny_tts.synthesize_utterances(texts)
    assert tiny_tts.vocoder_batch_size == 1  # the CPU default
    batched = TextToSpeech(tiny_tts.fastpitch, tiny_tts.vocoder, tiny_tts.text_processor, batch_size=2,
                           vocoder_batch_size=4).synthesize_utterances(texts)
    for a, b in zip(one, batched):
        np.testing.assert_allclose(b.audio, a.audio, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(pace=0.8), dict(pitch=PitchTransform(shift_hz=40.0)),
                                dict(pitch=PitchTransform(invert=True, amplify=1.5, shift_hz=-20.0)),
                                dict(energy_scale=1.6), dict(speaker=1),
                                dict(pace=1.2, pitch=PitchTransform(shift_hz=25.0), energy_scale=0.7, speaker=1)])
def test_a_text_in_a_batch_sounds_as_it_does_alone_under_every_control(tiny_tts, kw):
    """synthesize_utterances batches the sentences of several texts; with any control each text's
    audio is the text's audio alone (one sentence in a batch of one: no padding)."""
    texts = ["A much longer sentence, with quite a few words in it.", "Short.", "A medium one here."]
    batched = tiny_tts.synthesize_utterances(texts, **kw)
    for text, utt in zip(texts, batched):
        (alone,) = tiny_tts.synthesize_utterances([text], **kw)
        assert utt.audio.shape == alone.audio.shape
        torch.testing.assert_close(utt.mel, alone.mel, atol=1e-5, rtol=1e-4)
        np.testing.assert_allclose(utt.audio, alone.audio, atol=1e-5)
