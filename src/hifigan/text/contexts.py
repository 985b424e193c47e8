"""Numbers read by what they name: the words around a number decide how it is said.

A cardinal is right for a count ("4718 people") and wrong for a name: a house, a room, a flight or
a page number is said in pairs ("2210 Elm Street" -> "twenty-two ten Elm Street", "Room 1204" ->
"Room twelve oh four"); a box, an extension or a serial digit by digit ("Box 4718" -> "Box four
seven one eight"); a caliber without its point ("a .45 pistol" -> "a forty-five pistol"); a score
with "to" ("won 3-1"); a software version part by part ("Python 3.11" -> "three point eleven").

Each context below is one class: its cue words, its pattern and its reading together, and its own
tests (``tests/test_normalize.py``, ``tests/data/number_contexts.tsv``). ``CONTEXT_PASSES`` runs
them in order before the general number passes of ``normalize.py``; a number that no context
claims is left to those (a cardinal, a year, a date, money...). Cue words are matched as written
in the text, capitalized or not; a cue that is an abbreviation is read out in full.
"""
from __future__ import annotations

import re

from hifigan.text.numbers import cardinal, digits, nominal, plural, version_part

__all__ = ["CONTEXTS", "CONTEXT_PASSES", "AbbreviatedYear", "Caliber", "DigitByDigit", "Designation", "Height",
           "Numbered", "Ratio", "Score", "StreetAddress", "TeamNumber", "TollFree", "Version"]


def _spell(letters: str) -> str:
    return " ".join(letters.upper())


def _cased(src: str, word: str) -> str:
    """``word`` with the capital of ``src`` ("Apt" -> "Apartment", "apt" -> "apartment")."""
    if src.isupper() and len(src) > 1 and len(word) > 1:
        return word.upper() if len(src) > 3 else word[0].upper() + word[1:]
    return word[0].upper() + word[1:] if src[:1].isupper() else word


# an identifier's end: no more digits, letters, or a decimal/thousands part
_END = r"(?![\w]|[.,]\d)"
# "No. 5", "Number 5", "# 5" between the cue and the number
_NUMBER_WORD = r"(?P<no>\s?(?:(?:No|NO|no|Nos|nos)\.|Number|number|#)\s?)?"


def _number_word(m: re.Match, cue: str) -> str:
    no = (m.group("no") or "").strip()
    if not no:
        return ""
    return ("Number" if no[0] == "N" or no[0] == "#" and cue[:1].isupper() else "number") + " "


# ---------------------------------------------------------------- street addresses

class StreetAddress:
    """A house number before a street name: ``2210 Elm Street`` -> ``twenty-two ten Elm Street``,
    ``221B Baker Street`` -> ``two twenty-one B Baker Street``, ``350 5th Ave.`` -> ``three fifty``."""

    STREET_WORDS = ("Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|"
                    "Way|Terrace|Ter|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Alley|Row|"
                    "Crescent|Close|Plaza|Pike|Turnpike|Expressway|Freeway|Loop|Walk|Mews|Gardens")
    _NAME = r"(?:[A-Z][a-z'.-]*|\d{1,3}(?:st|nd|rd|th)|[A-Z]\.?)"
    pattern = re.compile(
        rf"(?<![\w.,$#/:-])(\d{{1,5}})(-?[A-Z](?![\w'])| ?1/2)?"
        rf"(?=\s(?:(?:[NSEW]|NE|NW|SE|SW)\.?\s|(?:North|South|East|West)\s)?"
        rf"(?:{_NAME}\s){{1,3}}(?:{STREET_WORDS}|{STREET_WORDS.lower()})\b|\s(?:Broadway|Main)\b)")
    gate = "0123456789"

    @staticmethod
    def read(m: re.Match) -> str:
        num, suffix = m.group(1), (m.group(2) or "").strip(" -")
        words = nominal(num)
        if suffix == "1/2":
            return words + " and a half"
        return words + (" " + suffix if suffix else "")


# ---------------------------------------------------------------- numbered things, said in pairs

class Numbered:
    """Rooms, suites, flights, routes, pages, chapters, exhibits, models...: the number names one of
    them and is said in pairs: ``Room 1204`` -> ``Room twelve oh four``, ``Flight 370`` -> ``Flight
    three seventy``, ``page 317`` -> ``page three seventeen``, ``Exhibit 212-B`` -> ``Exhibit two
    twelve B``, ``pp. 317-320`` -> ``pages three seventeen to three twenty``, ``Boeing 747s`` ->
    ``Boeing seven forty-sevens``. Up to two digits this is the cardinal."""

    CUES = ("room|rooms|suite|suites|apartment|apartments|unit|flight|flights|route|routes|highway|"
            "interstate|bus|train|tram|platform|gate|gates|pier|dock|berth|bay|hangar|locker|cell|ward|"
            "precinct|channel|page|pages|chapter|chapters|section|sections|paragraph|verse|clause|"
            "article|exhibit|exhibits|document|item|figure|table|issue|episode|model|lot|booth|row|"
            "seat|floor|level|district|part|volume")
    ABBREVIATIONS = {"rm": "room", "ste": "suite", "apt": "apartment", "rte": "route", "hwy": "highway",
                     "p": "page", "pp": "pages", "pg": "page", "pgs": "pages", "ch": "chapter",
                     "chap": "chapter", "sec": "section", "sect": "section", "para": "paragraph",
                     "art": "article", "fig": "figure", "figs": "figures", "vol": "volume", "ex": "exhibit"}
    # makers whose models are numbers, perhaps with letters: "Airbus A320", "Ford F-150", "BMW 328i"
    MAKERS = ("Boeing|Airbus|Embraer|Bombardier|Cessna|Piper|Beechcraft|Lockheed|Douglas|Tupolev|Ilyushin|"
              "Antonov|Porsche|Peugeot|BMW|Audi|Ford|Chevrolet|Chevy|Dodge|Ram|Lexus|Volvo|Mazda|Saab|"
              "Fiat|Ferrari|Mercedes|Nikon|Canon|Leica|Yamaha|Suzuki|Kawasaki|Ducati|Xbox|Tesla Model|Model")
    _CUES = frozenset(CUES.split("|"))
    _MAKERS = frozenset(MAKERS.split("|"))
    _MORE = (rf"(?P<more>\s?[-\u2013]\s?\d{{1,5}}{_END}"
             rf"|(?:,\s?\d{{1,5}}{_END})*,?\s(?:and|or|to|through|thru|&)\s\d{{1,5}}{_END})?")
    # anchored on a word followed by a number; the word is looked up afterwards (one big alternation
    # of cue words tried at every position of the text would be slow)
    pattern = re.compile(
        rf"(?<![\w.])(?P<cue>[A-Za-z]{{1,12}}\.?)(?P<sep>\s?){_NUMBER_WORD}(?<=[\s.#])"
        rf"(?P<letters>[A-Z]{{1,2}}-?)?(?P<num>\d{{1,5}})(?P<suf>-?[A-Z](?![\w'])|[A-Za-z]{{1,3}}(?![\w]))?"
        rf"{_END}{_MORE}")
    gate = "0123456789"

    @classmethod
    def read(cls, m: re.Match) -> str:
        cue, num, suffix = m.group("cue"), m.group("num"), m.group("suf") or ""
        bare = cue.rstrip(".")
        if cue in cls._MAKERS and m.group("sep") and not m.group("no") and 2 <= len(num) <= 4:
            return cls._model(m)
        if cue.endswith(".") and bare.lower() in cls.ABBREVIATIONS:
            cue = _cased(bare, cls.ABBREVIATIONS[bare.lower()])
        elif cue.lower() not in cls._CUES or not (cue.islower() or cue.istitle() or cue.isupper()):
            return m.group(0)
        if m.group("letters") or suffix.lstrip("-") not in ("", "s") and len(suffix.lstrip("-")) > 1:
            return m.group(0)
        words = nominal(num)
        if suffix == "s":
            words = plural(words)
        elif suffix:
            words += " " + suffix.lstrip("-")
        more = m.group("more") or ""
        if more:
            more = re.sub(r"\s?[-\u2013]\s?", " to ", more)
            more = re.sub(r"\d+", lambda d: nominal(d.group(0)), more)
            more = more.replace("&", "and")
        return f"{cue}{m.group('sep') or ' '}{_number_word(m, cue)}{words}{more}"

    @staticmethod
    def _model(m: re.Match) -> str:
        parts = [m.group("cue")]
        if m.group("letters"):
            parts.append(_spell(m.group("letters").rstrip("-")))
        parts.append(nominal(m.group("num")))
        tail = (m.group("suf") or "").lstrip("-")
        if tail == "s":
            parts[-1] = plural(parts[-1])
        elif tail:
            parts.append(tail if len(tail) > 2 and tail.islower() else _spell(tail).lower()
                         if tail.islower() else _spell(tail))
        return " ".join(parts) + (m.group("more") or "")


# ---------------------------------------------------------------- digit by digit

class DigitByDigit:
    """Boxes, extensions, serial, account, order and ID numbers are said one digit at a time:
    ``P.O. Box 4718`` -> ``P.O. Box four seven one eight``, ``ext. 4021`` -> ``extension four zero two
    one``, ``order #10293`` -> ``order number one zero two nine three``. One or two digits stay a
    cardinal (``Box 12`` -> ``Box twelve``); letters are spelled."""

    CUES = ("box|extension|serial|account|pin|zip|zipcode|postcode|code|isbn|card|policy|confirmation|"
            "tracking|order|reference|ticket|badge|id|invoice|sku|upc|imei|vin|license|passport|member|"
            "customer|patient|claim|routing")
    ABBREVIATIONS = {"ext": "extension", "acct": "account", "ref": "reference", "inv": "invoice",
                     "tel": "telephone", "ph": "phone"}
    _CUES = frozenset(CUES.split("|"))
    pattern = re.compile(
        rf"(?<![\w.])(?P<po>P\.\s?O\.\s|PO\s)?(?P<cue>[A-Za-z]{{2,12}}\.?){_NUMBER_WORD}:?"
        rf"(?P<sep>\s?)(?<=[\s.#:])(?P<id>(?:[A-Z]{{1,3}}-?)?\d+(?:[- ]\d+)*(?:-?[A-Z]{{1,3}})?){_END}")
    gate = "0123456789"

    @classmethod
    def read(cls, m: re.Match) -> str:
        cue = m.group("cue")
        bare = cue.rstrip(".")
        if cue.endswith(".") and bare.lower() in cls.ABBREVIATIONS:
            cue = _cased(bare, cls.ABBREVIATIONS[bare.lower()])
        elif cue.lower() not in cls._CUES or cue == "id" or not (cue.islower() or cue.istitle() or cue.isupper()):
            return m.group(0)
        if m.group("po"):
            cue = "P O " + cue
        ident = m.group("id")
        run = re.sub(r"\D", "", ident)
        if len(run) <= 2 and ident.isdigit():
            words = cardinal(int(ident))
        else:
            words = " ".join(digits(p) if p.isdigit() else _spell(p) for p in re.findall(r"\d+|[A-Z]+", ident))
        sep = " " if (m.group("no") or m.group("sep")) else ""
        return f"{cue}{sep or ' '}{_number_word(m, cue)}{words}"


# ---------------------------------------------------------------- calibers and gauges

class Caliber:
    """Calibers and gauges lose their point: ``a .45 pistol`` -> ``a forty-five pistol``, ``.357
    Magnum`` -> ``three fifty-seven Magnum``, ``.410 gauge`` -> ``four ten gauge``, ``carried a .38.``
    -> ``carried a thirty-eight.``, ``30-06 Springfield`` -> ``thirty-oh-six Springfield``."""

    WEAPON_WORDS = ("caliber|calibre|cal|magnum|special|acp|auto|colt|s&w|smith|remington|winchester|"
                    "long rifle|lr|rifle|rifles|pistol|pistols|revolver|revolvers|handgun|handguns|carbine|"
                    "gun|guns|shotgun|round|rounds|bullet|bullets|cartridge|cartridges|shell|shells|slug|"
                    "slugs|ammo|ammunition|automatic|semiautomatic|semi-automatic|derringer|gauge|bore|"
                    "springfield|wcf|savage|mauser|luger|parabellum|short|long|hornady")
    _WEAPON = rf"(?i:{WEAPON_WORDS})(?![\w])"
    pattern = re.compile(
        rf"(?<![\w.])\.(?P<cal>\d{{2,3}})(?=(?:-|\s)?{_WEAPON})"
        rf"|(?<![\w.])(?P<pre>[A-Za-z]{{1,5}} )\.(?P<alone>\d{{2,3}})(?=[,;:!?)]|\.(?!\d)|\s+(?:and|or|in|at|from|to|with|was|is|he|she)\b|$)"
        rf"|(?<![\w.-])(?P<a>\d\d)-(?P<b>\d\d)(?=[-\s]{_WEAPON})")
    gate = ".-"
    _BEFORE_ALONE = frozenset("a the his her their my your one with of".split())

    @classmethod
    def read(cls, m: re.Match) -> str:
        if m.group("a"):
            b = m.group("b")
            return cardinal(int(m.group("a"))) + "-" + ("oh-" + digits(b[1]) if b[0] == "0" else cardinal(int(b)))
        if m.group("alone"):
            if m.group("pre").strip().lower() not in cls._BEFORE_ALONE:
                return m.group(0)
            return m.group("pre") + nominal(m.group("alone"))
        return nominal(m.group("cal"))


# ---------------------------------------------------------------- scores and votes

class Score:
    """A score, vote or record is read with "to": ``beat the Rams 24-17`` -> ``twenty-four to
    seventeen``, ``won 3-1``, ``a 5-4 decision``; a plain range ``10-20`` is left to the range pass.
    Only a pair whose first number is not smaller needs this context (a smaller first number reads
    the same as a range)."""

    BEFORE = frozenset("won win wins winning lost lose loses losing beat beats beating defeated defeat defeats "
                       "defeating tied tie ties drew draw draws lead leads leading led trail trails trailed "
                       "trailing score scored scores scoring final victory routed edged edges downed topped "
                       "blanked shutout over vote voted votes ruled ruling decision margin series game match "
                       "set sets up down".split())
    AFTER = frozenset("win wins victory victories loss losses defeat decision vote votes lead record draw tie "
                      "margin score ruling majority split halftime edge advantage count final season "
                      "series game games match triumph rout shutout".split())
    pattern = re.compile(r"(?<![\w.,:/-])(\d{1,3})\s?[-\u2013]\s?(\d{1,3})(?![\w-]|[.,:/]\d)")
    gate = "-\u2013"
    _WORDS_BEFORE = re.compile(r"[A-Za-z]+")
    _WORD_AFTER = re.compile(r"\s*(?:-\s*)?([A-Za-z]+)")

    @classmethod
    def read(cls, m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        if (len(a) > 1 and a[0] == "0") or (len(b) > 1 and b[0] == "0"):
            return m.group(0)
        before = [w.lower() for w in cls._WORDS_BEFORE.findall(m.string[max(0, m.start() - 50):m.start()])][-6:]
        after = cls._WORD_AFTER.match(m.string, m.end())
        cued = any(w in cls.BEFORE for w in before) or (after and after.group(1).lower() in cls.AFTER)
        if not cued or int(a) < int(b) and not any(w in cls.BEFORE for w in before[-3:]):
            return m.group(0)
        joint = " and " if after and after.group(1).lower() == "record" else " to "
        return cardinal(int(a)) + joint + cardinal(int(b))


# ---------------------------------------------------------------- ratios

class Ratio:
    """``a 3:1 ratio`` -> ``a three to one ratio``, ``odds of 5:2``, ``16:9 aspect ratio``."""

    AFTER = frozenset("ratio ratios odds margin majority split mix mixture scale aspect against on".split())
    BEFORE = frozenset("ratio ratios odds margin scale".split())
    pattern = re.compile(r"(?<![\w.:])(\d{1,3}):(\d{1,3})(?![\w:]|[.,]\d)")
    gate = ":"
    _NEXT = re.compile(r" ([a-z]+)")
    _PREV = re.compile(r"([a-z]+) of $")

    @classmethod
    def read(cls, m: re.Match) -> str:
        nxt = cls._NEXT.match(m.string, m.end())
        prev = cls._PREV.search(m.string, max(0, m.start() - 12), m.start())
        if not (nxt and nxt.group(1) in cls.AFTER or prev and prev.group(1) in cls.BEFORE):
            return m.group(0)
        return cardinal(int(m.group(1))) + " to " + cardinal(int(m.group(2)))


# ---------------------------------------------------------------- software versions

class Version:
    """A version is read part by part: ``Python 3.11`` -> ``Python three point eleven``, ``version
    2.0`` -> ``version two point oh``, ``v1.05`` -> ``version one point oh five``, ``iOS 17.2.1``
    -> ``iOS seventeen point two point one``."""

    CUES = ("Python|Java|Node|Node\\.js|Ubuntu|Debian|Fedora|macOS|OS X|iOS|iPadOS|watchOS|Android|Windows|"
            "Firefox|Chrome|Safari|Linux|kernel|Kernel|PHP|Perl|Ruby|Rust|Swift|Kotlin|Scala|Rails|Django|"
            "Flask|React|Angular|Vue|TypeScript|Bluetooth|USB|HTTP|Wi-Fi|PostgreSQL|Postgres|MySQL|SQLite|"
            "Excel|Office|Photoshop|Unity|GPT|CUDA|PyTorch|TensorFlow|NumPy|pandas|Lua|Julia|MATLAB|Xcode|"
            "Gradle|Docker|Kubernetes|Redis|MongoDB|Nginx|Apache|OpenSSL|GCC|Clang|LLVM|Qt|GTK|GNOME|KDE|"
            "Emacs|Vim|Blender|Git|npm|pip|Go|Java SE|JDK|Zoom|Slack|Minecraft|SDK|API|"
            "firmware|update|patch|release|version|build")
    _CUES = frozenset(CUES.replace("\\", "").split("|"))
    _LOWER_CUES = frozenset("firmware update patch release version build kernel".split())
    # anchored on the number; the word before it is looked up afterwards
    pattern = re.compile(r"(?<![\w.])v(?P<v>\d+(?:\.\d+)+)(?![\w]|\.\d)|(?<![\w.])(?P<ver>\d+(?:\.\d+)+)(?![\w]|\.\d)")
    gate = "."
    _PREV = re.compile(r"(?:^|(?<=[\s(]))(?:(\S+) )?(\S+) $")

    @classmethod
    def read(cls, m: re.Match) -> str:
        if m.group("v"):
            return "version " + cls.words(m.group("v"))
        prev = cls._PREV.search(m.string, max(0, m.start() - 30), m.start())
        if not prev:
            return m.group(0)
        one, two = prev.group(2), f"{prev.group(1)} {prev.group(2)}"
        if one in cls._CUES or two in cls._CUES or one.lower() in cls._LOWER_CUES:
            return cls.words(m.group("ver"))
        return m.group(0)

    @staticmethod
    def words(version: str) -> str:
        return " point ".join(version_part(p) for p in version.split("."))


# ---------------------------------------------------------------- heights, toll-free numbers, years

class Height:
    """A height in feet and inches: ``6'2"`` -> ``six foot two``, ``5' 11''`` -> ``five foot eleven``."""

    pattern = re.compile(r"(?<![\w.'])([1-9])'\s?(\d{1,2})(?:\"|''|\s?in\b\.?)(?!\w)")
    gate = "'"

    @staticmethod
    def read(m: re.Match) -> str:
        inches = int(m.group(2))
        if inches >= 12:
            return m.group(0)
        return cardinal(int(m.group(1))) + " foot" + (" " + cardinal(inches) if inches else "")


class TollFree:
    """``1-800-555-0199`` -> ``one, eight hundred, five five five, zero one nine nine``: the 800 of a
    toll-free number is said "eight hundred"; the rest digit by digit like any phone number."""

    pattern = re.compile(r"(?<![\w+-])(?:(1)[-.\s])?\(?800\)?[-.\s](\d{3})[-.](\d{4})(?![\w]|[-.]\d)")
    gate = "8"

    @staticmethod
    def read(m: re.Match) -> str:
        head = "one, " if m.group(1) else ""
        return f"{head}eight hundred, {digits(m.group(2))}, {digits(m.group(3))}"


class AbbreviatedYear:
    """A year with its century cut off: ``the class of '58`` -> ``fifty-eight``, ``'05`` -> ``oh five``.
    (Decades, ``'90s``, are read by the decade pass.)"""

    pattern = re.compile(r"(?<![\w'])'(\d\d)(?![\w']|[.,]\d)")
    gate = "'"

    @staticmethod
    def read(m: re.Match) -> str:
        n = m.group(1)
        return "oh " + cardinal(int(n)) if n[0] == "0" else cardinal(int(n))


class TeamNumber:
    """A team named by a number: ``the 49ers`` -> ``the forty-niners``, ``76ers`` -> ``seventy-sixers``."""

    pattern = re.compile(r"(?<![\w.])(\d{1,3})(?:ers|'ers)\b")
    gate = "e"

    @staticmethod
    def read(m: re.Match) -> str:
        words = cardinal(int(m.group(1)))
        return words + ("rs" if words.endswith("e") else "ers")


class Designation:
    """Letters, a hyphen and a number name a model, a road or a weapon: ``F-16`` -> ``F sixteen``,
    ``B-52`` -> ``B fifty-two``, ``I-405`` -> ``I four oh five``, ``AK-47`` -> ``A K forty-seven``,
    ``F-16C`` -> ``F sixteen C``, ``F-16s`` -> ``F sixteens``."""

    pattern = re.compile(r"(?<![\w-])([A-Z]{1,3})-(\d{1,4})([A-Z]|s)?(?![\w-]|[.,]\d)")
    gate = "-"

    @staticmethod
    def read(m: re.Match) -> str:
        words = _spell(m.group(1)) + " " + nominal(m.group(2))
        if m.group(3) == "s":
            return plural(words)
        return words + (" " + m.group(3) if m.group(3) else "")


# the order matters: a toll-free number before the designation, addresses and numbered things before
# the digit-by-digit cues ("Route 66"), calibers before anything that reads a decimal
CONTEXTS = (TollFree, Caliber, Version, Height, AbbreviatedYear, Ratio, Score, StreetAddress, Numbered,
            DigitByDigit, Designation, TeamNumber)
CONTEXT_PASSES = tuple((c.pattern, c.read, c.gate) for c in CONTEXTS)
