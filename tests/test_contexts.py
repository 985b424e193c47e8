"""Numbers read by their context (``hifigan.text.contexts``): each context class with sentences
written for it, the readings of ``tests/data/number_contexts.tsv``, and what must stay a cardinal."""
import importlib.util
from pathlib import Path

import pytest

from hifigan.text import contexts as C
from hifigan.text.normalize import normalize_text
from hifigan.text.numbers import nominal, version_part

DATA = Path(__file__).resolve().parent / "data/number_contexts.tsv"
BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks/lj_normalization.py"


def _rows():
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(tuple(line.split("|")))
    return rows


ROWS = _rows()


@pytest.mark.parametrize("n,words", [
    ("7", "seven"), ("42", "forty-two"), ("317", "three seventeen"), ("305", "three oh five"),
    ("300", "three hundred"), ("2210", "twenty-two ten"), ("1204", "twelve oh four"), ("1200", "twelve hundred"),
    ("2000", "two thousand"), ("2005", "twenty oh five"), ("12345", "one twenty-three forty-five"),
    ("10234", "one oh two thirty-four"), ("10000", "ten thousand"), ("007", "zero zero seven"),
    ("123456", "one two three four five six"),
])
def test_nominal_reads_in_pairs(n, words):
    assert nominal(n) == words


def test_nominal_rejects_what_is_not_digits_and_version_parts():
    with pytest.raises(ValueError):
        nominal("12a")
    assert [version_part(p) for p in ("0", "05", "11", "3")] == ["oh", "oh five", "eleven", "three"]


def test_the_sentence_file_covers_every_context_with_enough_sentences():
    assert len(ROWS) >= 40
    counts = {}
    for context, _, _ in ROWS:
        counts[context] = counts.get(context, 0) + 1
    for context in ("address", "box", "room", "flight", "route", "page", "exhibit", "serial", "model",
                    "caliber", "year", "score", "version", "phone", "height", "cardinal"):
        assert counts.get(context, 0) >= 2, context


@pytest.mark.parametrize("context,raw,expected", ROWS, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_sentences_read_the_way_a_person_would(context, raw, expected):
    assert normalize_text(raw) == expected


# one class at a time: the pass alone, on sentences of its own, and where it must keep out

def _apply(cls, text):
    return cls.pattern.sub(cls.read, text)


@pytest.mark.parametrize("cls,raw,expected", [
    (C.StreetAddress, "Deliver to 4718 Maple Lane.", "Deliver to forty-seven eighteen Maple Lane."),
    (C.StreetAddress, "at 305 E. 42nd Street", "at three oh five E. 42nd Street"),
    (C.StreetAddress, "at 1019 1/2 Oak Ave.", "at ten nineteen and a half Oak Ave."),
    (C.StreetAddress, "4718 people marched down the street", "4718 people marched down the street"),
    (C.Numbered, "Room 1204 and Flight 370", "Room twelve oh four and Flight three seventy"),
    (C.Numbered, "Pp. 12-19, Ch. 317", "Pages twelve to nineteen, Chapter three seventeen"),
    (C.Numbered, "Boeing 737s", "Boeing seven thirty-sevens"),
    (C.Numbered, "the flight of 370 steps", "the flight of 370 steps"),
    (C.Numbered, "Room1204", "Room1204"),
    (C.Numbered, "page 12th", "page 12th"),
    (C.DigitByDigit, "Box 4718, ext. 4021, PIN 0042", "Box four seven one eight, extension four zero two one, "
                                                     "PIN zero zero four two"),
    (C.DigitByDigit, "invoice no. 12-3456", "invoice number one two three four five six"),
    (C.DigitByDigit, "Box 12", "Box twelve"),
    (C.DigitByDigit, "he ordered 1204 of them", "he ordered 1204 of them"),
    (C.Caliber, "a .45 pistol, a .38-caliber revolver and a .410 gauge",
     "a forty-five pistol, a thirty-eight-caliber revolver and a four ten gauge"),
    (C.Caliber, "He drew a .38.", "He drew a thirty-eight."),
    (C.Caliber, "a .45 chance of rain", "a .45 chance of rain"),
    (C.Caliber, "the 30-30 Winchester", "the thirty-thirty Winchester"),
    (C.Score, "they lost 17-24 and then won 31-10", "they lost seventeen to twenty-four and then won thirty-one "
                                                    "to ten"),
    (C.Score, "a 7-2 vote", "a seven to two vote"),
    (C.Score, "see items 12-4 below", "see items 12-4 below"),
    (C.Ratio, "odds of 5:2 and a 16:9 aspect ratio", "odds of five to two and a sixteen to nine aspect ratio"),
    (C.Ratio, "at 12:30 today", "at 12:30 today"),
    (C.Version, "Python 3.11, Node.js 20.1, OS X 10.15 and v2.0.1", "Python three point eleven, Node.js twenty "
                                                                    "point one, OS X ten point fifteen and version "
                                                                    "two point oh point one"),
    (C.Version, "it took 2.5 hours", "it took 2.5 hours"),
    (C.Height, "She is 5' 11'' tall, he is 6'0\".", "She is five foot eleven tall, he is six foot."),
    (C.Height, "a 6'13\" board", "a 6'13\" board"),
    (C.TollFree, "Call 1-800-555-0199 or 800.555.0123", "Call one, eight hundred, five five five, zero one nine "
                                                         "nine or eight hundred, five five five, zero one two three"),
    (C.AbbreviatedYear, "the class of '58 and the summer of '05", "the class of fifty-eight and the summer of oh five"),
    (C.Designation, "an AK-47, an F-16C and I-405", "an A K forty-seven, an F sixteen C and I four oh five"),
    (C.TeamNumber, "the 49ers and the 76ers", "the forty-niners and the seventy-sixers"),
])
def test_each_context_alone(cls, raw, expected):
    assert _apply(cls, raw) == expected


def test_every_context_is_in_the_pipeline_once():
    assert len(C.CONTEXTS) == len(set(C.CONTEXTS))
    assert {c.__name__ for c in C.CONTEXTS} == {n for n in C.__all__ if n not in ("CONTEXTS", "CONTEXT_PASSES")}


@pytest.mark.parametrize("raw,expected", [
    ("In 1850 the city had 4718 houses.", "In eighteen fifty the city had four thousand seven hundred eighteen houses."),
    ("It weighs 1204 pounds and costs $317.", "It weighs one thousand two hundred four pounds and costs three hundred "
                                              "seventeen dollars."),
    ("We counted 370 and then 2210 more.", "We counted three hundred seventy and then two thousand two hundred ten more."),
])
def test_numbers_without_context_stay_cardinals(raw, expected):
    assert normalize_text(raw) == expected


def test_benchmark_reads_the_sentence_file_and_splits_lj():
    spec = importlib.util.spec_from_file_location("lj_normalization", BENCHMARK)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.read_contexts()
    assert len(rows) == len(ROWS) and rows[0][1] == ROWS[0][1]
    lj = [("LJ001-0001", "a", "a"), ("LJ020-0002", "b", "b"), ("LJ021-0001", "c", "c"), ("LJ030-0009", "d", "d"),
          ("LJ031-0001", "e", "e")]
    assert [r[0] for r in bench.split_rows(lj, "dev")] == ["LJ001-0001", "LJ020-0002"]
    assert [r[0] for r in bench.split_rows(lj, "heldout")] == ["LJ021-0001", "LJ030-0009"]
