import re

import pytest

from hifigan.text import CMUDict, TextProcessor
from hifigan.text import heteronyms


def test_every_reading_is_one_of_the_dictionarys_own():
    d = CMUDict()
    prons = set()
    for noun, verb in heteronyms.NOUN_VERB.values():
        prons |= {noun, verb}
    src = open(heteronyms.__file__).read()
    fixed = re.findall(r'return "([A-Z0-9 ]+)"', src)
    assert len(fixed) >= 20
    for word in heteronyms.WORDS:
        allowed = set(d.lookup(word) or [])
        assert len(allowed) >= 1, word
        if word in heteronyms.NOUN_VERB:
            assert set(heteronyms.NOUN_VERB[word]) <= allowed, word
    # every literal reading in choose() belongs to the word it is returned for
    by_sound = {p for w in heteronyms.WORDS for p in d.lookup(w) or []}
    assert set(fixed) <= by_sound


CASES = [  # sentence, word, the reading a careful reader gives
    ("A strong wind knocked over the trees.", "wind", "W IH1 N D"),
    ("Remember to wind the clock.", "wind", "W AY1 N D"),
    ("They wind up the rope every night.", "wind", "W AY1 N D"),
    ("The road winds through the hills.", "winds", "W AY1 N D Z"),
    ("Strong winds closed the port.", "winds", "W IH1 N D Z"),
    ("The winds were cold.", "winds", "W IH1 N D Z"),
    ("Please read the first chapter.", "read", "R IY1 D"),
    ("I will read it tomorrow.", "read", "R IY1 D"),
    ("Read this aloud.", "read", "R IY1 D"),
    ("She had read the letter twice.", "read", "R EH1 D"),
    ("The report was read aloud.", "read", "R EH1 D"),
    ("He read the paper on the train.", "read", "R EH1 D"),
    ("My friend lives abroad.", "lives", "L IH1 V Z"),
    ("She lives near the station.", "lives", "L IH1 V Z"),
    ("The doctors saved many lives.", "lives", "L AY1 V Z"),
    ("Their lives changed.", "lives", "L AY1 V Z"),
    ("We live in a small town.", "live", "L IH1 V"),
    ("They played live music all night.", "live", "L AY1 V"),
    ("The museum is close to the station.", "close", "K L OW1 S"),
    ("Please close the door.", "close", "K L OW1 Z"),
    ("The shops close at nine.", "close", "K L OW1 Z"),
    ("A tear rolled down her cheek.", "tear", "T IH1 R"),
    ("Do not tear the page.", "tear", "T EH1 R"),
    ("He never read the report.", "read", "R EH1 D"),
    ("You should not read it.", "read", "R IY1 D"),
    ("It shows signs of wear and tear.", "tear", "T EH1 R"),
    ("The nurse cleaned the wound.", "wound", "W UW1 N D"),
    ("He wound the old clock.", "wound", "W AW1 N D"),
    ("The old pipes were full of lead paint.", "lead", "L EH1 D"),
    ("She will lead the team.", "lead", "L IY1 D"),
    ("Wait a minute.", "minute", "M IH1 N AH0 T"),
    ("The differences were very minute.", "minute", "M AY0 N UW1 T"),
    ("We use the car on weekends.", "use", "Y UW1 Z"),
    ("The use of force was banned.", "use", "Y UW1 S"),
    ("They will record the concert.", "record", "R AH0 K AO1 R D"),
    ("She broke the record.", "record", "R EH1 K ER0 D"),
    ("Everyone was present.", "present", "P R EH1 Z AH0 N T"),
    ("We will present the results.", "present", "P R IY0 Z EH1 N T"),
    ("Keep the eggs separate.", "separate", None),  # no cue: stays as letters
    ("The rooms are separate.", "separate", "S EH1 P R AH0 T"),
    ("Try to separate the eggs.", "separate", "S EH1 P ER0 EY2 T"),
]


@pytest.mark.parametrize("sentence,word,want", CASES)
def test_heteronyms_read_by_context(sentence, word, want):
    tp = TextProcessor(handle_ambiguous="context")
    with_arpabet = tp.encode_text(sentence, return_all=True)[2]
    if want is None:
        assert re.search(rf"(?<![{{A-Za-z]){word}(?![A-Za-z])", with_arpabet), with_arpabet
    else:
        assert "{" + want + "}" in with_arpabet, with_arpabet


def test_punctuation_is_an_edge_and_ignore_keeps_nvidias_letters():
    ctx = TextProcessor(handle_ambiguous="context")
    # "to" before a comma does not make "wind" a verb
    assert "{W IH1 N D}" in ctx.encode_text("He walked to, wind in his face, the shore.", return_all=True)[2]
    ignore = TextProcessor()
    for sentence, word, _ in CASES:
        text = ignore.encode_text(sentence, return_all=True)[2]
        assert re.search(rf"(?<![{{A-Za-z]){word}(?![A-Za-z])", text, re.I), text
    # words outside the rules are untouched: the same ids as "ignore" when no heteronym is present
    s = "The weather service expects light rain this afternoon."
    assert ctx.encode_text(s) == ignore.encode_text(s)


def test_text_to_speech_and_the_cli_read_heteronyms_by_context(tmp_path):
    import soundfile as sf

    from hifigan import TextToSpeech
    from hifigan.cli import main

    assert TextToSpeech.from_pretrained("default", "lj_v1").text_processor.handle_ambiguous == "context"
    nvidia_like = TextToSpeech.from_pretrained("default", "lj_v1", handle_ambiguous="ignore")
    assert nvidia_like.text_processor.handle_ambiguous == "ignore"
    text = "Please read the sign."
    wavs = {}
    for mode in ("context", "letters"):
        out = tmp_path / f"{mode}.wav"
        assert main(["synthesize", text, "-o", str(out), "--heteronyms", mode, "--precision", "fp32"]) == 0
        wavs[mode] = sf.read(out)[0]
    same_length = min(len(w) for w in wavs.values())
    assert len(wavs["context"]) != len(wavs["letters"]) or not (
        wavs["context"][:same_length] == wavs["letters"][:same_length]).all()
