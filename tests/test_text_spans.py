"""Word spans: each spoken word of ``encode_with_words`` points at the raw input it was read from,
its ids are ``encode_text``'s, and sentences know where they are in the input."""
import re
import time
import warnings
from pathlib import Path

import pytest

from hifigan.errors import TextError
from hifigan.text import (TextProcessor, get_symbols, split_sentences, split_sentences_with_offsets,
                          word_of_ids)
from hifigan.text import spans
from hifigan.text.normalize import normalize_text
from hifigan.text.spans import Tracked

ROOT = Path(__file__).resolve().parents[1]
LJ_TEXT = ROOT.parent / "shared/data/ljspeech_text.txt"
RECIPE_SENTENCES = sorted((ROOT / "recipes/default_voice").glob("test_sentences*.txt"))


@pytest.fixture(scope="module")
def tp():
    return TextProcessor()


@pytest.fixture(scope="module")
def context_tp():
    return TextProcessor(handle_ambiguous="context")


def checked(tp, text):
    """``encode_with_words(text)`` after checking everything that must hold for any text."""
    ids, words = tp.encode_with_words(text)
    assert ids == tp.encode_text(text)
    symbols = [tp.symbols[i] for i in ids]
    prev_end_id, prev_span = 0, (0, 0)
    for w in words:
        assert 0 <= w.start_char <= w.end_char <= len(text)
        assert prev_end_id <= w.first_id < w.end_id <= len(ids)  # in order, disjoint, not empty
        assert w.start_char >= prev_span[0] and w.end_char >= prev_span[1]  # never goes backwards
        prev_end_id, prev_span = w.end_id, (w.start_char, w.end_char)
        own = symbols[w.first_id:w.end_id]
        assert all(s.isalpha() or s.startswith("@") or s == "'" for s in own), (w, own)
        if not own[0].startswith("@") and all(c in tp.symbol_to_id for c in w.word):  # nothing dropped
            assert tp.sequence_to_text(ids[w.first_id:w.end_id]) == w.word
    index = word_of_ids(words, len(ids))
    for i, k in enumerate(index):
        if k == -1:  # between words: spaces and punctuation only
            assert not symbols[i].isalpha() and not symbols[i].startswith("@"), (text, i, symbols[i])
        else:
            assert words[k].first_id <= i < words[k].end_id
    return ids, words


def spoken(tp, text):
    """``[(word, raw slice)]`` of ``text``."""
    _, words = checked(tp, text)
    return [(w.word, text[w.start_char:w.end_char]) for w in words]


# ---------------------------------------------------------------- normalized words point at their raw source

def test_money_and_titles(tp):
    assert spoken(tp, "Dr. Smith paid $5.50 today.") == [
        ("doctor", "Dr."), ("smith", "Smith"), ("paid", "paid"), ("five", "$5.50"), ("dollars", "$5.50"),
        ("and", "$5.50"), ("fifty", "$5.50"), ("cents", "$5.50"), ("today", "today")]
    text = "Dr. Smith paid $5.50 today."
    _, words = tp.encode_with_words(text)
    money = [w for w in words if text[w.start_char:w.end_char] == "$5.50"]
    assert {(w.start_char, w.end_char) for w in money} == {(15, 20)}


def test_abbreviations(tp):
    assert spoken(tp, "Mr. Jones met Prof. Smith on Baker St. near Mt. Hood, etc. and Gen. Lee vs. Grant.") == [
        ("mister", "Mr."), ("jones", "Jones"), ("met", "met"), ("professor", "Prof."), ("smith", "Smith"),
        ("on", "on"), ("baker", "Baker"), ("street", "St."), ("near", "near"), ("mount", "Mt."), ("hood", "Hood"),
        ("et", "etc."), ("cetera", "etc."), ("and", "and"), ("general", "Gen."), ("lee", "Lee"),
        ("versus", "vs."), ("grant", "Grant")]
    # a period kept as the sentence's own stays out of the word
    assert spoken(tp, "He lives on Baker St.")[-1] == ("street", "St")


def test_ordinals_and_numbers(tp):
    assert spoken(tp, "the 3rd time, the 21st and 100th") == [
        ("the", "the"), ("third", "3rd"), ("time", "time"), ("the", "the"), ("twenty", "21st"), ("first", "21st"),
        ("and", "and"), ("one", "100th"), ("hundredth", "100th")]
    assert spoken(tp, "1,234 people; -5; 3.14")[:7] == [("one", "1,234"), ("thousand", "1,234"), ("two", "1,234"),
                                                       ("hundred", "1,234"), ("thirty", "1,234"), ("four", "1,234"),
                                                       ("people", "people")]
    assert spoken(tp, "It rose 50% in the 1990s.")[2:] == [
        ("fifty", "50%"), ("percent", "50%"), ("in", "in"), ("the", "the"), ("nineteen", "1990s"), ("nineties", "1990s")]


def test_times(tp):
    assert spoken(tp, "at 10:30 am, 5 pm and 12:00") == [
        ("at", "at"), ("ten", "10:30 am"), ("thirty", "10:30 am"), ("a", "10:30 am"), ("m", "10:30 am"),
        ("five", "5 pm"), ("p", "5 pm"), ("m", "5 pm"), ("and", "and"), ("twelve", "12:00"), ("o'clock", "12:00")]


def test_dates(tp):
    # a date's parts are cut at the separators the words share with it
    assert spoken(tp, "On January 5, 2021, we met.")[:6] == [
        ("on", "On"), ("january", "January"), ("five", "5"), ("twenty", "2021"), ("twenty", "2021"), ("one", "2021")]
    assert spoken(tp, "Jan. 5th, 2021")[:2] == [("january", "Jan."), ("fifth", "5th")]
    iso = spoken(tp, "On 2021-03-04 we met.")
    assert iso[1:6] == [(w, "2021-03-04") for w in ("march", "fourth", "twenty", "twenty", "one")]
    assert spoken(tp, "On 3/4/2021.")[1][1] == "3/4/2021"


def test_ampersand_units_and_separators(tp):
    assert spoken(tp, "Tom & Jerry at AT&T") == [
        ("tom", "Tom"), ("and", "&"), ("jerry", "Jerry"), ("at", "at"), ("a", "AT&T"), ("t", "AT&T"),
        ("and", "AT&T"), ("t", "AT&T")]
    assert spoken(tp, "Rooms 12 and 14, 5 km and 5 USD.") == [
        ("rooms", "Rooms"), ("twelve", "12"), ("and", "and"), ("fourteen", "14"), ("five", "5"),
        ("kilometers", "km"), ("and", "and"), ("five", "5"), ("dollars", "USD")]
    # a replacement that reorders its words has one span for all of them
    assert {src for _, src in spoken(tp, "It cost $5 million.")[2:]} == {"$5 million"}
    # a hyphen inside the words ("twenty-four") is no separator to cut at
    assert {src for _, src in spoken(tp, "They won 24-17.")[2:]} == {"24-17"}


def test_acronyms_and_roman_numerals(tp):
    assert spoken(tp, "U.S.A. and FBI's NASA") == [
        ("u", "U.S.A."), ("s", "U.S.A."), ("a", "U.S.A."), ("and", "and"), ("f", "FBI's"), ("b", "FBI's"),
        ("i's", "FBI's"), ("nasa", "NASA")]
    assert spoken(tp, "King George III and Chapter IV") == [
        ("king", "King"), ("george", "George"), ("the", "III"), ("third", "III"), ("and", "and"),
        ("chapter", "Chapter"), ("four", "IV")]


def test_urls_and_emails(tp):
    text = "Write to jane.doe@mail.com or see https://example.com/path."
    words = spoken(tp, text)
    assert words[:2] == [("write", "Write"), ("to", "to")]
    assert [w for w, src in words if src == "jane.doe@mail.com"] == ["jane", "dot", "doe", "at", "mail", "dot", "com"]
    assert [w for w, src in words if src == "https://example.com/path"] == ["example", "dot", "com", "slash", "path"]
    assert words[9:11] == [("or", "or"), ("see", "see")]


def test_unicode_quotes_and_transliteration(tp):
    assert spoken(tp, "The “café” is naïve — it’s fine… Straße") == [
        ("the", "The"), ("cafe", "café"), ("is", "is"), ("naive", "naïve"), ("it's", "it’s"), ("fine", "fine"),
        ("strasse", "Straße")]


def test_whitespace_anywhere(tp):
    text = "  \t lots   of\n\n spaces \u00a0 here   "
    assert spoken(tp, text) == [("lots", "lots"), ("of", "of"), ("spaces", "spaces"), ("here", "here")]
    _, words = tp.encode_with_words(text)
    assert words[0].start_char == text.index("lots") and words[-1].end_char == text.index("here") + 4


def test_heteronyms_by_context(context_tp):
    ids, words = checked(context_tp, "I will read the wind.")
    assert [w.word for w in words] == ["i", "will", "read", "the", "wind"]
    read = words[2]
    assert context_tp.sequence_to_text(ids[read.first_id:read.end_id]) == "{R IY1 D}"
    assert (read.start_char, read.end_char) == (7, 11)


def test_arpabet_groups_are_words(tp):
    text = "Say {HH AH0 L OW1} to {W ER1 L D}, now."
    ids, words = checked(tp, text)
    assert [(w.word, text[w.start_char:w.end_char]) for w in words] == [
        ("say", "Say"), ("{HH AH0 L OW1}", "{HH AH0 L OW1}"), ("to", "to"), ("{W ER1 L D}", "{W ER1 L D}"),
        ("now", "now")]
    hello = words[1]
    assert [tp.symbols[i] for i in ids[hello.first_id:hello.end_id]] == ["@HH", "@AH0", "@L", "@OW1"]
    # a dictionary word becomes a group too, and is still the word as read
    assert spoken(tp, "world")[0] == ("world", "world")
    assert tp.sequence_to_text(tp.encode_with_words("world")[0]) == "{W ER1 L D}"


def test_words_without_symbols_are_left_out():
    tp = TextProcessor(cleaners="basic_cleaners", p_arpabet=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids, words = tp.encode_with_words("日本 ok, go")
    assert [(w.word, w.start_char, w.end_char) for w in words] == [("ok", 3, 5), ("go", 7, 9)]
    assert word_of_ids(words, len(ids)) == [-1, 0, 0, -1, -1, 1, 1]  # the space after 日本 stays


def test_word_of_ids_and_errors(tp):
    ids, words = tp.encode_with_words("Hi, you!")
    assert word_of_ids(words, len(ids)).count(-1) == len(ids) - sum(w.end_id - w.first_id for w in words)
    with pytest.raises(TextError, match="empty"):
        tp.encode_with_words("   ")
    with pytest.raises(TextError, match="nothing to say"):
        tp.encode_with_words("☃ ☃")
    with pytest.raises(TextError, match="must be a str"):
        tp.encode_with_words(b"bytes")


@pytest.mark.parametrize("kw", [{}, {"p_arpabet": 0.0}, {"cleaners": "basic_cleaners"},
                                {"cleaners": "english_cleaners", "symbol_set": "english_expanded"}])
def test_odd_inputs_keep_ids_and_order(kw):
    tp = TextProcessor(**kw)
    texts = ["{", "a { b } c", "x {HH AH0}{L OW1} y", "İstanbul ΑΣ ﬁne", "😀 ok ½ 2½", "\u200bzero\u200bwidth",
             "a.m. p.m. 90°F m² 2x4 6'2\" £3 4s. 6d. 1-800-555-0199 v2.0 #1 €20", "e.g. i.e. A&B 3/4 '90s"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for text in texts:
            try:
                checked(tp, text)
            except TextError:
                with pytest.raises(TextError):
                    tp.encode_text(text)


# ---------------------------------------------------------------- the same ids as encode_text, on real text

def _lj_lines(n):
    if not LJ_TEXT.is_file():
        pytest.skip(f"{LJ_TEXT} not present")
    lines = LJ_TEXT.read_text(encoding="utf-8").splitlines()
    return [line.split("|")[1] for line in lines[::max(1, len(lines) // n)]][:n]


@pytest.mark.parametrize("kw", [{}, {"handle_ambiguous": "context"}, {"p_arpabet": 0.0}])
def test_ids_equal_encode_text_on_lj_speech(kw):
    tp = TextProcessor(**kw)
    lines = _lj_lines(300) + [line for path in RECIPE_SENTENCES
                              for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in lines:
        ids, words = checked(tp, line)
        assert words and all(line[w.start_char:w.end_char].strip() for w in words)


def test_random_p_arpabet_gives_the_same_ids_from_the_same_seed():
    a, b = (TextProcessor(p_arpabet=0.5, seed=7) for _ in range(2))
    for line in _lj_lines(50):
        assert a.encode_with_words(line)[0] == b.encode_text(line)


def test_long_text_is_fast(tp):
    text = " ".join(_lj_lines(300)) * 3  # about 100 kB in one text
    t0 = time.perf_counter()
    ids, words = tp.encode_with_words(text)
    assert time.perf_counter() - t0 < 10
    assert len(words) > 10000 and words[-1].end_id <= len(ids)


# ---------------------------------------------------------------- the tracked-string helpers

def test_sub_is_re_sub_on_str_and_tracks_spans():
    pattern = re.compile(r"(\d+) kg")
    assert spans.sub(pattern, r"\1 kilograms", "5 kg and 7 kg") == "5 kilograms and 7 kilograms"
    t = spans.sub(pattern, r"\1 kilograms", Tracked.of("5 kg and 7 kg"))
    assert t.text == "5 kilograms and 7 kilograms"
    assert t.source(0, 1) == (0, 1) and t.source(2, 11) == (2, 4)  # "5" stays, "kilograms" is "kg"
    t = spans.sub(r"\$(\d+)", lambda m: m.group(1) + " dollars", Tracked.of("pay $12 now"))
    assert t.text == "pay 12 dollars now" and {t.source(i, i + 1) for i in range(4, 14)} == {(4, 7)}
    assert t.source(15, 18) == (8, 11)
    same = Tracked.of("nothing here")
    assert spans.sub(r"\d", "x", same) is same


def test_words_are_never_cut_and_kept_words_keep_their_place():
    t = spans.sub(r"\b5th\b", "fifth", Tracked.of("the 5th"))
    assert {t.spans[i] for i in range(4, 9)} == {(4, 7)}  # not "fif" on "5" and "th" on "th"
    t = spans.sub(r"Room 1204", "Room twelve oh four", Tracked.of("Room 1204"))
    assert t.source(0, 4) == (0, 4) and t.source(5, 11) == (5, 9)
    t = spans.sub(r"Dr\.", "Drive.", Tracked.of("Dr."))
    assert t.source(0, 5) == (0, 2) and t.spans[5] == (2, 3)


def test_translate_lower_strip_split_concat():
    t = spans.translate(Tracked.of("a—b½"), {ord("—"): " -- ", ord("½"): ""})
    assert t.text == "a -- b" and t.spans[1:5] == [(1, 2)] * 4 and t.spans[5] == (2, 3)
    t = spans.lower(Tracked.of("İx"))
    assert t.text == "İx".lower() and len(t.text) == 3 and t.spans == [(0, 1), (0, 1), (1, 2)]
    t = spans.strip(Tracked.of("  ab \n"))
    assert t.text == "ab" and t.spans == [(2, 3), (3, 4)]
    parts = spans.split(re.compile(r"(\{[^{}]*\})"), Tracked.of("a {B} c"))
    assert [p.text for p in parts] == ["a ", "{B}", " c"] and parts[2].spans[0] == (5, 6)
    joined = spans.concat(parts)
    assert joined.text == "a {B} c" and joined.spans == Tracked.of("a {B} c").spans
    assert spans.rewrite(Tracked.of("\n", 4), " ").spans == [(4, 5)]


def test_normalize_text_tracked_gives_the_same_text():
    for text in ["Dr. Smith paid $5.50 on Jan. 5th.", "  “café” at 10:30 am & co.  ", "FBI's 3rd 1990s"]:
        t = normalize_text(Tracked.of(text))
        assert t.text == normalize_text(text) and len(t.spans) == len(t.text)


# ---------------------------------------------------------------- sentences with offsets

def test_sentence_offsets_point_into_the_input():
    text = "Dr. Smith went to St. Paul's.  He paid $5.50!\n\n  A new   paragraph?\tYes."
    sentences = split_sentences_with_offsets(text)
    assert [s.text for s in sentences] == split_sentences(text) == [
        "Dr. Smith went to St. Paul's.", "He paid $5.50!", "A new paragraph?", "Yes."]
    for s in sentences:
        assert " ".join(text[s.start:s.end].split()) == s.text
    # single spaces: the sentence is the input's own slice
    assert [text[s.start:s.start + len(s.text)] == s.text for s in sentences] == [True, True, False, True]
    new = sentences[2]
    assert text[new.start:new.end] == "A new   paragraph?"
    assert new.span(6, 15) == (text.index("paragraph"), text.index("paragraph") + 9)
    assert new.to_input(5) == text.index("new") + 3  # a collapsed space: where the whitespace began


def test_word_spans_made_absolute_through_sentences(tp):
    text = "It cost $5.50.   Then Dr.  Smith left at 10:30 am.\n\nThe end."
    found = []
    for s in split_sentences_with_offsets(text):
        _, words = tp.encode_with_words(s.text)
        found += [(w.word, text[slice(*s.span(w.start_char, w.end_char))]) for w in words]
    assert found == [("it", "It"), ("cost", "cost"), ("five", "$5.50"), ("dollars", "$5.50"), ("and", "$5.50"),
                     ("fifty", "$5.50"), ("cents", "$5.50"), ("then", "Then"), ("doctor", "Dr."),
                     ("smith", "Smith"), ("left", "left"), ("at", "at")] + [
                        (w, "10:30 am") for w in ("ten", "thirty", "a", "m")] + [("the", "The"), ("end", "end")]


def test_long_sentences_cut_keep_offsets():
    text = "This clause is long,   " * 30 + "and it ends here. " + "x" * 250
    for max_chars in (100, 37, 5, None):
        sentences = split_sentences_with_offsets(text, max_chars)
        assert [s.text for s in sentences] == split_sentences(text, max_chars)
        ends = [(s.start, s.end) for s in sentences]
        assert ends == sorted(ends) and all(a < b for a, b in ends)
        for s in sentences:
            assert " ".join(text[s.start:s.end].split()) == s.text
            assert all(text[s.to_input(i)] == c for i, c in enumerate(s.text) if c != " ")


def test_sentences_of_lj_paragraphs_match_split_sentences():
    lines = _lj_lines(200)
    text = "\n\n".join("  ".join(lines[i:i + 10]) for i in range(0, len(lines), 10))
    sentences = split_sentences_with_offsets(text, max_chars=120)
    assert [s.text for s in sentences] == split_sentences(text, max_chars=120)
    assert all(" ".join(text[s.start:s.end].split()) == s.text for s in sentences)
