import math
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

from hifigan.errors import HifiganError, TextError
from hifigan.text import TextProcessor
from hifigan.text.numbers import number
from hifigan.text.ssml import (BREAK_STRENGTHS, EMPHASIS_LEVELS, Break, Prosody, Segment, SsmlWarning,
                               ipa_to_arpabet, is_ssml, parse_ssml, utterances)


def speak(body: str) -> str:
    return f"<speak>{body}</speak>"


def parse(body: str, **kw):
    """Parse ``<speak>body</speak>``, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SsmlWarning)
        return parse_ssml(speak(body), **kw)


def segments(items):
    return [i for i in items if isinstance(i, Segment)]


def text_of(body: str) -> str:
    return " ".join(s.text for s in segments(parse(body)))


def only(body: str) -> Segment:
    (segment,) = segments(parse(body))
    return segment


# ---------------------------------------------------------------- detection and plain text

def test_is_ssml():
    assert is_ssml("<speak>Hi</speak>")
    assert is_ssml("  \n<speak xmlns='http://www.w3.org/2001/10/synthesis'>Hi</speak>")
    assert is_ssml('<?xml version="1.0"?>\n<speak>Hi</speak>')
    assert not is_ssml("Hello <speak>")
    assert not is_ssml("<speaker>Hi</speaker>")
    assert not is_ssml("")
    assert not is_ssml(None)


def test_plain_text_is_one_segment_whose_span_is_the_text_node():
    doc = "<speak>\n  Hello there, world.\n</speak>"
    (segment,) = parse_ssml(doc)
    assert segment.text == "Hello there, world."
    assert doc[segment.start_char:segment.end_char] == "Hello there, world."
    assert [doc[p.start_char:p.end_char] for p in segment.pieces] == ["Hello", "there,", "world."]
    assert [segment.text[p.text_start:p.text_end] for p in segment.pieces] == ["Hello", "there,", "world."]
    assert segment.prosody == Prosody() and segment.voice is None
    assert segment.sentence_end and segment.paragraph_end  # the document's end


def test_namespaced_root_xml_declaration_and_non_ascii_offsets():
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n<speak version="1.1" '
           'xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">Café — naïve <s>déjà vu</s></speak>')
    items = parse_ssml(doc)
    assert [s.text for s in items] == ["Café — naïve", "déjà vu"]
    for segment in items:
        assert doc[segment.start_char:segment.end_char] == segment.text


def test_entities_and_character_references_are_read_and_spans_cover_them():
    doc = "<speak>Tom &amp; Jerry &lt;3 caf&#233;</speak>"
    (segment,) = parse_ssml(doc)
    assert segment.text == "Tom & Jerry <3 café"
    assert [doc[p.start_char:p.end_char] for p in segment.pieces] == ["Tom", "&amp;", "Jerry", "&lt;3", "caf&#233;"]


def test_braces_in_text_are_not_arpabet():
    assert text_of("say {HH AH0} now") == "say HH AH0 now"


def test_whitespace_is_collapsed_and_comments_and_cdata_are_handled():
    doc = "<speak>one\n\t two<!-- not spoken --> three <![CDATA[four & five]]></speak>"
    (segment,) = parse_ssml(doc)
    assert segment.text == "one two three four & five"
    assert [doc[p.start_char:p.end_char] for p in segment.pieces][-3:] == ["four", "&", "five"]


def test_empty_document_gives_nothing():
    assert parse_ssml("<speak/>") == []
    assert parse_ssml("<speak>  </speak>") == []


# ---------------------------------------------------------------- structure

def test_sentences_and_paragraphs_flag_their_last_segment():
    items = parse("<p><s>One.</s><s>Two.</s></p><p>Three <s>Four.</s></p>Five")
    flags = [(s.text, s.sentence_end, s.paragraph_end) for s in items]
    assert flags == [("One.", True, False), ("Two.", True, True), ("Three", True, False),
                     ("Four.", True, True), ("Five", True, True)]


def test_text_without_sentence_markup_stays_one_segment_until_a_boundary():
    items = parse("A b c <break time='1s'/> d e")
    assert [type(i) for i in items] == [Segment, Break, Segment]
    assert not items[0].sentence_end and items[2].sentence_end


# ---------------------------------------------------------------- break

@pytest.mark.parametrize("time_value,seconds", [("500ms", 0.5), ("1.5s", 1.5), ("2s", 2.0), ("250ms", 0.25),
                                                (" 0.75s ", 0.75), (".5s", 0.5), ("1200ms", 1.2)])
def test_break_time_is_exact(time_value, seconds):
    doc = speak(f'a<break time="{time_value}"/>b')
    items = parse_ssml(doc)
    assert items[1] == Break(seconds, 8, 8 + len(f'<break time="{time_value}"/>'))
    assert doc[items[1].start_char:items[1].end_char].startswith("<break")


@pytest.mark.parametrize("tag", ['<break time="1s"/>', '<break time="1s" />', '<break time="1s"></break>',
                                 '<break strength="x-weak"\n  time="1s"/>'])
def test_break_span_is_the_whole_element_wherever_it_sits(tag):
    doc = speak(f"<s>a{tag}</s><s>b{tag}<!-- c --></s>")
    breaks = [i for i in parse_ssml(doc) if isinstance(i, Break)]
    assert [doc[b.start_char:b.end_char] for b in breaks] == [tag, tag]


def test_break_strengths_follow_the_table_and_time_wins():
    assert BREAK_STRENGTHS == {"none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": 0.4, "strong": 0.7,
                               "x-strong": 1.2}
    for strength, seconds in BREAK_STRENGTHS.items():
        breaks = [i for i in parse(f'a<break strength="{strength}"/>b') if isinstance(i, Break)]
        assert [b.seconds for b in breaks] == ([seconds] if seconds else [])
    assert parse("a<break/>b")[1].seconds == 0.4  # neither attribute: medium
    assert parse('a<break strength="x-strong" time="30ms"/>b')[1].seconds == 0.03


def test_a_zero_break_is_no_break():
    items = parse('a <break time="0ms"/> b <break strength="none"/> c')
    assert [type(i) for i in items] == [Segment, Segment, Segment]


@pytest.mark.parametrize("attrs", ['time="500"', 'time="1.5 s"', 'time="-1s"', 'time="1e3ms"', 'time="fast"',
                                   'time="1,5s"', 'time="5min"', 'time="١s"', 'strength="huge"'])
def test_bad_break_values_are_one_line_errors(attrs):
    with pytest.raises(TextError, match=r"^SSML: <break .* at line 1, column 9") as e:
        parse_ssml(speak(f"a<break {attrs}/>"))
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------- prosody

@pytest.mark.parametrize("rate,factor", [("50%", 0.5), ("150%", 1.5), ("+20%", 1.2), ("-20%", 0.8),
                                         ("x-slow", 0.5), ("slow", 0.75), ("medium", 1.0), ("fast", 1.25),
                                         ("x-fast", 1.75), ("default", 1.0)])
def test_prosody_rate(rate, factor):
    assert only(f'<prosody rate="{rate}">hi</prosody>').prosody.rate == pytest.approx(factor)


@pytest.mark.parametrize("pitch,semitones,hz", [("+20Hz", 0, 20), ("-10Hz", 0, -10), ("+2st", 2, 0),
                                                ("-1.5st", -1.5, 0), ("+10%", 12 * math.log2(1.1), 0),
                                                ("-5%", 12 * math.log2(0.95), 0), ("x-low", -6, 0), ("low", -3, 0),
                                                ("medium", 0, 0), ("high", 3, 0), ("x-high", 6, 0)])
def test_prosody_pitch(pitch, semitones, hz):
    prosody = only(f'<prosody pitch="{pitch}">hi</prosody>').prosody
    assert (prosody.pitch_semitones, prosody.pitch_hz) == (pytest.approx(semitones), pytest.approx(hz))


@pytest.mark.parametrize("volume,db", [("+6dB", 6), ("-3dB", -3), ("6dB", 6), ("silent", -math.inf), ("x-soft", -12),
                                       ("soft", -6), ("medium", 0), ("loud", 6), ("x-loud", 12)])
def test_prosody_volume(volume, db):
    assert only(f'<prosody volume="{volume}">hi</prosody>').prosody.volume_db == db


def test_nested_prosody_composes():
    items = parse('<prosody rate="150%" pitch="+20Hz" volume="+6dB">a '
                  '<prosody rate="50%" pitch="+12st" volume="-3dB">b '
                  '<prosody rate="slow" pitch="+10%">c</prosody></prosody> d</prosody> e')
    a, b, c, d, e = (s.prosody for s in items)
    assert (a.rate, a.pitch_semitones, a.pitch_hz, a.volume_db) == (1.5, 0, 20, 6)
    # an octave up doubles the outer +20 Hz too: f -> (f + 20) * 2 = 2 f + 40
    assert (b.rate, b.pitch_semitones, b.pitch_hz, b.volume_db) == (0.75, 12, 40, 3)
    assert c.rate == 0.75  # a name sets the rate outright
    assert c.pitch_semitones == pytest.approx(12 + 12 * math.log2(1.1))
    assert c.pitch_hz == pytest.approx(40 * 1.1)
    assert c.pitch_factor == pytest.approx(2 * 1.1)
    assert d == a and e == Prosody()
    assert b.gain == pytest.approx(10 ** (3 / 20))


def test_silent_stays_silent_and_prosody_is_held_in_range():
    assert only('<prosody volume="silent"><prosody volume="+6dB">x</prosody></prosody>').prosody.gain == 0.0
    deep = '<prosody rate="1000%">' * 4 + "x" + "</prosody>" * 4
    loud = '<prosody volume="+20dB" pitch="+20st">' * 3 + "x" + "</prosody>" * 3
    assert only(deep).prosody.rate == 10.0
    assert only(loud).prosody.volume_db == 24.0 and only(loud).prosody.pitch_semitones == 24.0


@pytest.mark.parametrize("attrs,hint", [('rate="0%"', "above 0%"), ('rate="-100%"', "above 0%"),
                                        ('rate="fastest"', "percentage"), ('rate="1.5"', "percentage"),
                                        ('pitch="200Hz"', "absolute pitch is not supported"),
                                        ('pitch="+2"', "signed change"), ('pitch="-100%"', "above -100%"),
                                        ('volume="50"', "dB"), ('volume="loudest"', "dB")])
def test_bad_prosody_values_are_one_line_errors(attrs, hint):
    with pytest.raises(TextError, match="^SSML: <prosody ") as e:
        parse_ssml(speak(f"<prosody {attrs}>x</prosody>"))
    assert hint in str(e.value) and "line 1, column 8" in str(e.value)


def test_unsupported_prosody_attributes_warn():
    with pytest.warns(SsmlWarning, match="contour"):
        items = parse_ssml(speak('<prosody contour="(0%,+20Hz)" rate="fast">x</prosody>'))
    assert items[0].prosody.rate == 1.25


# ---------------------------------------------------------------- emphasis

def test_emphasis_levels_follow_the_table():
    assert EMPHASIS_LEVELS == {"strong": (0.8, 3.0, 1.3), "moderate": (0.9, 1.5, 1.15), "none": (1.0, 0.0, 1.0),
                               "reduced": (1.1, -1.0, 0.85)}
    for level, (rate, semitones, energy) in EMPHASIS_LEVELS.items():
        prosody = only(f'<emphasis level="{level}">x</emphasis>').prosody
        assert (prosody.rate, prosody.pitch_semitones, prosody.energy) == (rate, semitones, energy)
    assert only("<emphasis>x</emphasis>").prosody == only('<emphasis level="moderate">x</emphasis>').prosody


def test_emphasis_composes_with_prosody():
    prosody = only('<prosody rate="slow" pitch="+2st"><emphasis level="strong">x</emphasis></prosody>').prosody
    assert (prosody.rate, prosody.pitch_semitones, prosody.energy) == (pytest.approx(0.6), 5.0, 1.3)
    with pytest.raises(TextError, match="emphasis level='loud'"):
        parse_ssml(speak('<emphasis level="loud">x</emphasis>'))


def test_segments_split_where_prosody_changes_and_remember_spaces():
    items = parse("I <emphasis>really</emphasis> like re<emphasis>cord</emphasis>s")
    assert [(s.text, s.space_before) for s in items] == [("I", True), ("really", True), ("like re", True),
                                                         ("cord", False), ("s", False)]
    assert utterances(items) == [items]  # one sentence: one synthesis call, prosody per segment


# ---------------------------------------------------------------- say-as

@pytest.mark.parametrize("kind,text,words", [
    ("cardinal", "123", number("123")), ("cardinal", "1,234", "one thousand two hundred thirty-four"),
    ("number", "-7", "minus seven"), ("cardinal", "3.14", "three point one four"),
    ("ordinal", "3", "third"), ("ordinal", "21st", "twenty-first"), ("ordinal", "102", "one hundred second"),
    ("digits", "123", "one two three"), ("digits", "007", "zero zero seven"),
    ("characters", "USA", "U S A"), ("spell-out", "abc", "A B C"), ("characters", "R2-D2", "R two D two"),
    ("telephone", "555-123-4567", "five five five, one two three, four five six seven"),
    ("telephone", "(555) 123-4567", "five five five, one two three, four five six seven"),
    ("telephone", "+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("time", "10:30", "ten thirty"), ("time", "10:05", "ten oh five"), ("time", "9:00", "nine o'clock"),
    ("time", "14:00", "fourteen hundred"), ("time", "10:05 pm", "ten oh five P M"), ("time", "9am", "nine A M"),
    ("time", "7:15:30", "seven fifteen and thirty seconds"), ("time", "12:00 a.m.", "twelve A M"),
])
def test_say_as_readings(kind, text, words):
    assert number("123") == "one hundred twenty-three"
    segment = only(f'<say-as interpret-as="{kind}">{text}</say-as>')
    assert segment.text == words
    assert segment.pieces[0].kind == "say-as"


@pytest.mark.parametrize("fmt,text,words", [
    ("mdy", "12/25/2023", "December twenty-fifth, twenty twenty-three"),
    ("dmy", "25/12/2023", "the twenty-fifth of December, twenty twenty-three"),
    ("ymd", "2023-12-25", "December twenty-fifth, twenty twenty-three"),
    ("dmy", "25.12.2023", "the twenty-fifth of December, twenty twenty-three"),
    ("mdy", "Dec 25, 2023", "December twenty-fifth, twenty twenty-three"),
    ("dmy", "1 March 05", "the first of March, oh five"),
    ("md", "7/4", "July fourth"), ("dm", "4/7", "the fourth of July"),
    ("ym", "1999-02", "February nineteen ninety-nine"), ("my", "02/1999", "February nineteen ninety-nine"),
    ("y", "1863", "eighteen sixty-three"), ("m", "9", "September"), ("d", "3rd", "the third"),
    (None, "2023-12-25", "December twenty-fifth, twenty twenty-three"),
    (None, "12/25/2023", "December twenty-fifth, twenty twenty-three"),
    ("mdy", "2/29/2024", "February twenty-ninth, twenty twenty-four"),
])
def test_say_as_date_formats(fmt, text, words):
    attrs = f' format="{fmt}"' if fmt else ""
    assert only(f'<say-as interpret-as="date"{attrs}>{text}</say-as>').text == words


def test_say_as_date_rejects_an_unknown_format():
    with pytest.raises(TextError, match="format='xyz'"):
        parse_ssml(speak('<say-as interpret-as="date" format="xyz">1/2/2000</say-as>'))


@pytest.mark.parametrize("kind,fmt,text", [("date", "mdy", "2/30/2023"), ("date", "mdy", "2/29/2023"),
                                           ("date", "dmy", "12/25/2023"), ("date", "ymd", "2023-12"),
                                           ("time", None, "25:00"), ("time", None, "10"), ("cardinal", None, "12a"),
                                           ("ordinal", None, "third"), ("digits", None, "12-34"),
                                           ("telephone", None, "call me")])
def test_say_as_text_it_cannot_read_is_spoken_as_written(kind, fmt, text):
    attrs = f' format="{fmt}"' if fmt else ""
    with pytest.warns(SsmlWarning, match=f"interpret-as='{kind}' cannot read"):
        (segment,) = parse_ssml(speak(f'<say-as interpret-as="{kind}"{attrs}>{text}</say-as>'))
    assert segment.text == text
    assert all(p.kind == "text" for p in segment.pieces)


def test_unknown_interpret_as_warns_naming_it_and_speaks_the_text():
    with pytest.warns(SsmlWarning, match="interpret-as='expletive'"):
        (segment,) = parse_ssml(speak('<say-as interpret-as="expletive">darn</say-as>'))
    assert segment.text == "darn"


def test_say_as_span_is_its_content():
    doc = speak('It is <say-as interpret-as="ordinal"> 3 </say-as> now')
    (segment,) = parse_ssml(doc)
    piece = segment.pieces[2]
    assert segment.text[piece.text_start:piece.text_end] == "third"
    assert doc[piece.start_char:piece.end_char] == "3"


# ---------------------------------------------------------------- sub, phoneme, voice

def test_sub_speaks_the_alias_and_points_at_the_written_text():
    doc = speak('The <sub alias="World Wide Web Consortium">W3C</sub> met.')
    (segment,) = parse_ssml(doc)
    assert segment.text == "The World Wide Web Consortium met."
    piece = segment.pieces[1]
    assert (piece.kind, doc[piece.start_char:piece.end_char]) == ("sub", "W3C")
    assert segment.text[piece.text_start:piece.text_end] == "World Wide Web Consortium"


def test_an_empty_sub_points_at_the_whole_element():
    doc = speak('a <sub alias="b"/> c')
    piece = parse_ssml(doc)[0].pieces[1]
    assert doc[piece.start_char:piece.end_char] == '<sub alias="b"/>'


def test_phoneme_arpabet():
    doc = speak('Say <phoneme alphabet="x-arpabet" ph="HH AH0 L OW1">hello</phoneme> now.')
    (segment,) = parse_ssml(doc)
    assert segment.text == "Say {HH AH0 L OW1} now."
    piece = segment.pieces[1]
    assert (piece.kind, doc[piece.start_char:piece.end_char]) == ("phoneme", "hello")
    assert only('<phoneme alphabet="x-arpabet" ph="t ah0 m ey1 t ow2">tomato</phoneme>').text == "{T AH0 M EY1 T OW2}"


def test_phoneme_symbols_reach_the_text_processor():
    (segment,) = parse_ssml(speak('<phoneme alphabet="x-arpabet" ph="HH AH0 L OW1">hello</phoneme>'))
    tp = TextProcessor(p_arpabet=0.0)
    ids = tp.encode_text(segment.text)
    assert tp.sequence_to_text(ids) == "{HH AH0 L OW1}"


def test_a_bad_arpabet_symbol_is_an_error():
    with pytest.raises(TextError, match=r"^SSML: <phoneme> at line 1, column 8: 'XX1' is not an ARPAbet symbol$"):
        parse_ssml(speak('<phoneme alphabet="x-arpabet" ph="HH XX1">x</phoneme>'))


@pytest.mark.parametrize("ipa,arpabet", [
    ("həˈloʊ", "HH AH0 L OW1"), ("/həˈloʊ/", "HH AH0 L OW1"), ("kæt", "K AE1 T"), ("ðə", "DH AH0"),
    ("ˈwɔtɚ", "W AO1 T ER0"), ("ˈwɑːtɚ", "W AA1 T ER0"), ("ˌʌndɚˈstænd", "AH2 N D ER0 S T AE1 N D"),
    ("ˈt͡ʃɝt͡ʃ", "CH ER1 CH"), ("dʒʌdʒ", "JH AH1 JH"), ("ˈbʌtn̩", "B AH1 T AH0 N"), ("ˈθɪŋk", "TH IH1 NG K"),
    ("ʃʊʒ", "SH UH1 ZH"), ("baɪ aʊt bɔɪ beɪ", "B AY1 AW1 T B OY1 B EY1"), ("ˈjɛloʊ", "Y EH1 L OW0"),
    ("ˈbɝd", "B ER1 D"), ("ɹɛd", "R EH1 D"), ("ˈvɪʒən", "V IH1 ZH AH0 N"), ("ɡʊd", "G UH1 D"),
])
def test_ipa_maps_to_arpabet(ipa, arpabet):
    assert ipa_to_arpabet(ipa) == arpabet
    assert only(f'<phoneme alphabet="ipa" ph="{ipa}">w</phoneme>').text == "{" + arpabet + "}"


def test_every_ipa_result_is_in_the_symbol_set():
    from hifigan.text.ssml import IPA_TO_ARPABET, IPA_VOWELS
    from hifigan.text.symbols import ARPABET_SET
    for key, symbol in IPA_TO_ARPABET.items():
        for stress in ("0", "1", "2") if key in IPA_VOWELS else ("",):
            assert symbol + stress in ARPABET_SET


@pytest.mark.parametrize("ipa,char", [("xɛlo", "'x'"), ("bɔ̃", "'̃'"), ("Hello", "'H'")])
def test_an_unmappable_ipa_character_is_a_one_line_error_naming_it(ipa, char):
    with pytest.raises(TextError, match="^SSML: IPA ") as e:
        parse_ssml(speak(f'<phoneme alphabet="ipa" ph="{ipa}">w</phoneme>'))
    assert char in str(e.value) and "has no ARPAbet equivalent" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("attrs,message", [('alphabet="ipa"', "needs a ph attribute"),
                                           ('alphabet="x-arpabet" ph=" "', "needs a ph attribute"),
                                           ('alphabet="x-sampa" ph="h@"', "use ipa or x-arpabet")])
def test_phoneme_attribute_errors(attrs, message):
    with pytest.raises(TextError, match=message):
        parse_ssml(speak(f"<phoneme {attrs}>w</phoneme>"))


def test_voice_is_a_segment_attribute_and_splits_utterances():
    items = parse('Hi <voice name="anna">I am Anna <voice name="bob">and Bob</voice></voice> bye')
    assert [(s.text, s.voice) for s in items] == [("Hi", None), ("I am Anna", "anna"), ("and Bob", "bob"),
                                                  ("bye", None)]
    assert utterances(items) == [[s] for s in items]


def test_utterances_end_at_sentences_and_breaks():
    items = parse('<s>One <emphasis>two</emphasis>.</s><s>Three</s><break time="1s"/>Four')
    groups = utterances(items)
    assert [[s.text for s in g] if isinstance(g, list) else g.seconds for g in groups] == \
        [["One", "two", "."], ["Three"], 1.0, ["Four"]]


# ---------------------------------------------------------------- other elements

def test_unsupported_elements_warn_once_per_name_and_their_text_is_spoken():
    doc = speak('<audio src="a.wav">Ding</audio> go <mark name="m1"/>on <lang xml:lang="fr">oui</lang> '
                '<audio src="b.wav">Dong</audio>')
    with pytest.warns(SsmlWarning) as record:
        (segment,) = parse_ssml(doc)
    assert segment.text == "Ding go on oui Dong"
    messages = sorted(str(w.message) for w in record)
    assert messages == ["SSML: <audio> is not supported; its text is spoken",
                        "SSML: <lang> is not supported; its text is spoken",
                        "SSML: <mark> is not supported; its text is spoken"]


def test_an_element_of_another_namespace_is_unsupported():
    doc = '<speak xmlns="http://www.w3.org/2001/10/synthesis" xmlns:x="urn:x"><x:w>word</x:w></speak>'
    with pytest.warns(SsmlWarning, match=r"<\{urn:x\}w>"):
        assert parse_ssml(doc)[0].text == "word"


# ---------------------------------------------------------------- errors and safety

def test_malformed_xml_is_a_one_line_error_with_line_and_column():
    with pytest.raises(TextError, match=r"^SSML: mismatched tag at line 2, column 10$"):
        parse_ssml("<speak>\n  <s>Hi</p></speak>")
    with pytest.raises(TextError, match=r"^SSML: not well-formed \(invalid token\) at line 1, column 11$"):
        parse_ssml("<speak>a < b</speak>")
    with pytest.raises(TextError, match=r"^SSML: undefined entity at line 1, column 8$"):
        parse_ssml("<speak>&nbsp;</speak>")
    with pytest.raises(TextError, match=r"^SSML: no element found at line 1, column 1$"):
        parse_ssml("")
    with pytest.raises(TextError, match=r"^SSML: syntax error at line 1, column 1$"):
        parse_ssml("Just text")
    assert issubclass(TextError, HifiganError)


def test_the_root_must_be_speak():
    with pytest.raises(TextError, match=r"^SSML: the root element must be <speak>, not <p>$"):
        parse_ssml("<p>hi</p>")


BILLION_LAUGHS = textwrap.dedent("""\
    <?xml version="1.0"?>
    <!DOCTYPE lolz [
     <!ENTITY lol "lol">
     <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
     <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
     <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
     <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
     <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
     <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
     <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
     <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
     <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
    ]>
    <speak>&lol9;</speak>""")


def test_billion_laughs_is_refused_at_once():
    start = time.perf_counter()
    with pytest.raises(TextError, match=r"^SSML: DOCTYPE, ENTITY and external references are not allowed "
                                        r"\(at line 2, column 1\)$"):
        parse_ssml(BILLION_LAUGHS)
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize("dtd", ['<!DOCTYPE speak [<!ENTITY e SYSTEM "file://{path}">]>',
                                 '<!DOCTYPE speak [<!ENTITY % p SYSTEM "file://{path}"> %p;]>',
                                 '<!DOCTYPE speak SYSTEM "file://{path}">',
                                 '<!DOCTYPE speak>'])
def test_xxe_is_refused_and_no_file_is_read(tmp_path, dtd):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    doc = dtd.format(path=secret) + "<speak>&e;</speak>"
    start = time.perf_counter()
    with pytest.raises(TextError, match="DOCTYPE, ENTITY and external references are not allowed") as e:
        parse_ssml(doc)
    assert time.perf_counter() - start < 0.1
    assert "TOP-SECRET" not in str(e.value)


def test_no_file_is_opened_while_refusing_an_external_entity(tmp_path):
    """An audit hook (in a child process, so that it does not outlive the test) sees every open()."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    script = textwrap.dedent(f"""
        import sys
        from hifigan.errors import TextError
        from hifigan.text.ssml import parse_ssml
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
        doc = '<!DOCTYPE speak [<!ENTITY e SYSTEM "file://{secret}">]><speak>&e;</speak>'
        try:
            parse_ssml(doc)
        except TextError as e:
            print("refused" if "TOP-SECRET" not in str(e) else "leaked")
        print("opened" if any("secret" in path for path in opened) else "nothing opened")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.stdout.split() == ["refused", "nothing", "opened"], result.stderr


def test_the_declared_encoding_is_ignored():
    doc = '<?xml version="1.0" encoding="UTF-16"?><speak>Hi é</speak>'
    assert parse_ssml(doc)[0].text == "Hi é"


def test_document_length_limit():
    body = "word " * 20_000
    with pytest.raises(TextError, match=r"^SSML: the document has 100,015 characters; the limit is 100,000$"):
        parse_ssml(speak(body))
    assert len(segments(parse_ssml(speak("word " * 10), max_chars=100))[0].pieces) == 10


def test_depth_limit():
    def nested(n):
        return speak("<prosody>" * (n - 1) + "deep" + "</prosody>" * (n - 1))

    assert parse_ssml(nested(32))[0].text == "deep"
    start = time.perf_counter()
    with pytest.raises(TextError, match=r"^SSML: elements nest deeper than 32 levels \(at line 1, column \d+\)$"):
        parse_ssml(nested(33))
    with pytest.raises(TextError, match="deeper than 32"):
        parse_ssml(speak("<s>" * 20_000))  # refused as it is read, long before the end
    assert time.perf_counter() - start < 0.5
    with pytest.raises(TextError, match="deeper than 3 levels"):
        parse_ssml(speak("<s><p><s>x</s></p></s>"), max_depth=3)


def test_total_break_limit():
    assert len(parse_ssml(speak('<break time="30s"/><break time="30s"/>'))) == 2
    with pytest.raises(TextError, match=r"^SSML: the breaks add up to more than 60 s \(at line 1, column 46\)$"):
        parse_ssml(speak('<break time="30s"/><break time="30s"/><break time="1ms"/>'))
    with pytest.raises(TextError, match="more than 60 s"):
        parse_ssml(speak('<break time="99999s"/>'))
    with pytest.raises(TextError, match="more than 2 s"):
        parse_ssml(speak('<break time="1.5s"/>a<break time="1s"/>'), max_break_s=2)


def test_input_that_is_not_a_document():
    with pytest.raises(TextError, match="must be a str"):
        parse_ssml(b"<speak/>")
    with pytest.raises(TextError, match="unpaired surrogates"):
        parse_ssml("<speak>\ud800</speak>")
    with pytest.raises(TextError, match="max_depth"):
        parse_ssml("<speak/>", max_depth=10_000)
