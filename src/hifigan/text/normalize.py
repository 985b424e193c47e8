"""English text normalization: raw text -> speakable ASCII words, sentence punctuation kept.

``normalize_text`` runs a fixed sequence of passes, each a precompiled regular expression and a
small replacement function; the order matters (a time ``10:30`` must be read before its numbers,
an ordinal ``14th`` before a code like ``BA2490``, ``No. 5`` before the year rule). Every pattern
that starts with a repetition is anchored by a look-behind so that it can only start at the
beginning of a token: the passes stay linear in the length of the text, whatever the text.

The passes take a ``str`` or a :class:`~hifigan.text.spans.Tracked` string (the same text with, per
character, the span of raw input it came from): they substitute through :mod:`hifigan.text.spans`,
which is plain ``re`` on a ``str``, so word timings can point at the raw words behind each spoken one.

Conventions (LJ Speech's, where it has one): cardinals without "and" (``105 -> one hundred
five``), years in pairs (``1863 -> eighteen sixty-three``, ``1800 -> eighteen hundred``), a date's
day as written (``November 14 -> November fourteen``, ``14th June -> fourteenth June``), ``No. 5 ->
Number five``. Letters of an acronym are written as separate capitals (``FBI -> F B I``); ordinary
words keep their case (the cleaners lowercase afterwards).
"""
from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

from hifigan.text.contexts import CONTEXT_PASSES, AbbreviatedYear, Caliber
from hifigan.text.numbers import (cardinal, decade, digits, fraction, mixed_fraction, number, ordinal,
                                  plural, version_part, year)
from hifigan.text.spans import Tracked, strip, sub, text_of, translate

# ---------------------------------------------------------------- unicode -> ASCII

_KEEP = "£€¥₹¢₩°²³×"  # read by later passes (currency, units, dimensions) when normalizing
_KEPT_WORDS = {"£": " pounds ", "€": " euros ", "¥": " yen ", "₹": " rupees ", "¢": " cents ", "₩": " won ",
               "°": " degrees ", "²": " squared ", "³": " cubed ", "×": " times "}
_SPECIAL = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "‹": "'", "›": "'",
    "—": " -- ", "―": " -- ", "–": " -- ", "‐": "-", "‑": "-", "‒": "-", "−": "-", "⁃": "-",
    "…": "...", "•": " ", "·": " ", "‧": " ", "¡": "", "¿": "", "§": " section ", "¶": " ",
    "†": " ", "‡": " ", "‰": " per mille", "№": " number ", "÷": " divided by ",
    "±": " plus or minus ", "≈": " approximately ", "≠": " not equal to ", "≤": " less than or equal to ",
    "≥": " greater than or equal to ", "→": " to ", "←": " ", "©": " ", "®": " ", "™": " ",
    "\u2028": " ", "\u2029": " ",
}
_SUPERSCRIPT_NOTES = "⁰¹⁴⁵⁶⁷⁸⁹"  # footnote markers are not read


class _AsciiTable(dict):
    """``str.translate`` table: ASCII prefilled, other characters worked out once per call."""

    def __init__(self, keep_symbols: bool):
        super().__init__(_ASCII)
        self.keep_symbols = keep_symbols

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        cat = unicodedata.category(ch)
        if ch in _KEEP:
            out = ch if self.keep_symbols else _KEPT_WORDS[ch]
        elif ch in _SPECIAL:
            out = _SPECIAL[ch]
        elif ch in _SUPERSCRIPT_NOTES:
            out = ""
        elif cat in ("Zs", "Zl", "Zp", "Cc"):
            out = " "
        elif cat[0] == "C" or cat in ("Mn", "Me", "Sk"):  # format, private, unassigned, combining
            out = ""
        elif cat == "No" and "/" in anyascii(ch):  # ½ -> " 1/2 ", so that 2½ is 2 1/2
            out = " " + anyascii(ch) + " "
        elif cat[0] == "S" or (cat[0] == "P" and cat != "Pd"):  # emoji and other symbols are not read
            asc = anyascii(ch)
            out = asc if cat[0] == "P" and asc in ("!", "?", ".", ",", ";", ":", "'", '"', "(", ")") else " "
        else:
            out = anyascii(ch)
        self[code] = out
        return out


_ASCII = {c: (" " if c < 32 or c == 127 else chr(c)) for c in range(128)}
_EN_DASH_RANGE = re.compile(r"(?<=\d)\s?[–—]\s?(?=\d)")


def to_ascii(text: str | Tracked, keep_symbols: bool = False) -> str | Tracked:
    """Unicode punctuation to ASCII (quotes, dashes, ellipsis), letters transliterated with
    ``anyascii`` (``é -> e``, ``ß -> ss``), emoji and control characters dropped. The currency
    signs, ``°``, ``²``, ``³`` and ``×`` become words, or with ``keep_symbols`` stay for the passes
    that read them with their numbers."""
    text = sub(_EN_DASH_RANGE, "-", text)
    return translate(text, _AsciiTable(keep_symbols))


# ---------------------------------------------------------------- helpers

_PREV_WORD = re.compile(r"([A-Za-z]+)[^A-Za-z0-9]{0,3}$")
_NEXT_WORD = re.compile(r"[\s,]{0,3}([A-Za-z][A-Za-z']*)")
_SENTENCE_NEXT = re.compile(r"\s*$|\s+[\"'(]*(?!(?:Ltd|Inc|Corp|Co|Esq|Jr|Sr|Bros)\b)[A-Z]")


def _prev_word(text: str, pos: int) -> str:
    m = _PREV_WORD.search(text[max(0, pos - 40):pos])
    return m.group(1) if m else ""


def _next_word(text: str, pos: int) -> str:
    m = _NEXT_WORD.match(text, pos)
    return m.group(1) if m else ""


def _period_if_sentence_end(text: str, end: int) -> str:
    """An abbreviation's final ``.`` that also ends the sentence is kept."""
    return "." if _SENTENCE_NEXT.match(text, end) else ""


def _spell(letters: str) -> str:
    return " ".join(letters.upper())


def _match_case(src: str, word: str) -> str:
    if src.isupper() and len(src) > 1:
        return word.upper()
    return word[0].upper() + word[1:] if src[:1].isupper() else word


def _amount(s: str) -> str:
    """A written amount, fractions included: ``"2 1/2" -> "two and a half"``, ``"1,500"``, ``"3.5"``."""
    s = s.strip()
    m = _FRACTION_ONLY.fullmatch(s)
    if m:
        whole, num, den = m.groups()
        if whole:
            return mixed_fraction(int(whole), int(num), int(den))
        return fraction(int(num), int(den))
    return number(s)


def _is_one(s: str) -> bool:
    return s.strip().lstrip("-") == "1"


_FRACTION_ONLY = re.compile(r"(?:(\d{1,6})\s+)?(\d{1,4})/(\d{1,4})")

# a number as written: 1,465 | 1465 | 3.14 | .5 (fractions are added where they make sense)
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_NUM_OR_FRACTION = r"(?:\d{1,6}\s+)?\d{1,4}/\d{1,4}|" + _NUM

# ---------------------------------------------------------------- URLs and e-mail

_TLDS = ("com|org|net|edu|gov|mil|int|io|co|uk|us|de|fr|it|es|nl|ca|au|jp|cn|ru|in|br|info|biz|"
         "ai|app|dev|me|tv|ly|eu|ch|se|no|fi|dk|pl|be|at|nz|ie|za|mx|ar|kr|tw|hk|sg")
_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_URL = re.compile(r"(?<![\w.@/-])(?:(?:https?|ftp)://|www\.)[^\s<>\"]+"
                  rf"|(?<![\w.@/-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})(?![\w.@-]|\.\w)(?:/[^\s<>\"]*)?")
_URL_TRAILING = re.compile(r"[.,;:!?)\]'\"]+$")
_URL_PART = re.compile(r"[A-Za-z]+|\d+|.")
_URL_SYMBOLS = {".": "dot", "/": "slash", "-": "dash", "_": "underscore", "@": "at", ":": "colon",
                "?": "question mark", "=": "equals", "&": "and", "#": "hash", "%": "percent",
                "~": "tilde", "+": "plus"}


def _speak_address(s: str) -> str:
    words = []
    for part in _URL_PART.findall(s):
        if part.isascii() and part.isdigit():  # "²" is a digit to isdigit, not to int()
            words.append(digits(part) if len(part) > 2 else cardinal(int(part)))
        elif part.isalpha():
            words.append(_spell(part) if part.lower() == "www" or len(part) == 1 else part)
        elif part in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[part])
    return " ".join(words)


def _url(m: re.Match) -> str:
    s = m.group(0)
    trail = _URL_TRAILING.search(s)
    tail = ""
    if trail:
        s, tail = s[:trail.start()], trail.group(0)
    s = re.sub(r"^(?:https?|ftp)://", "", s)
    s = s.rstrip("/")
    return _speak_address(s) + tail


def _email(m: re.Match) -> str:
    return _speak_address(m.group(0))


# ---------------------------------------------------------------- times

_AMPM = r"([AaPp])\.?\s?[Mm]\b\.?"
_TIME = re.compile(rf"(?<![\w:.,])(\d{{1,2}}):([0-5]\d)(?::([0-5]\d))?(?![\d:]|[.,]\d)(?:\s?{_AMPM})?")
_TIME_AMPM = re.compile(rf"(?<![\w:.,])(\d{{1,2}})\s?{_AMPM}(?![A-Za-z])")


def _ampm(m: re.Match, group: int) -> str:
    letter = m.group(group)
    if not letter:
        return ""
    words = " A M" if letter in "Aa" else " P M"
    if m.group(0).endswith("."):
        words += _period_if_sentence_end(m.string, m.end())
    return words


def _time(m: re.Match) -> str:
    hour, minute, second = int(m.group(1)), int(m.group(2)), m.group(3)
    if hour > 24:
        return m.group(0)
    words = cardinal(hour)
    second = second if second and int(second) else None
    if minute == 0 and not second:
        if m.group(4):
            pass
        elif hour <= 12 and hour != 0:
            words += " o'clock"
        else:
            words += " hundred"
    elif minute < 10:
        words += " oh " + cardinal(minute)
    else:
        words += " " + cardinal(minute)
    if second:
        words += " and " + cardinal(int(second)) + (" second" if int(second) == 1 else " seconds")
    return words + _ampm(m, 4)


def _time_ampm(m: re.Match) -> str:
    hour = int(m.group(1))
    if not 0 < hour <= 12:
        return m.group(0)
    return cardinal(hour) + _ampm(m, 2)


# ---------------------------------------------------------------- dates

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
_MONTH_ABBR = {m[:3]: m for m in MONTHS} | {"Sept": "September"}
_MONTH_RE = "|".join(MONTHS) + "|" + "|".join(sorted(_MONTH_ABBR, key=len, reverse=True))
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})(\.?)\s+(\d{{1,2}})(st|nd|rd|th)?(?![\w:/]|[.,]\d)(?:(,?\s+)(\d{{4}})(?![\w]|[.,]\d))?")
_DAY_MONTH = re.compile(rf"(?<![\w.,])(\d{{1,2}})\s+(?:of\s+)?({'|'.join(MONTHS)})\b(?:(,?\s+)(\d{{4}})(?![\w]|[.,]\d))?")
_NUMERIC_DATE = re.compile(r"(?<![\w/.-])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/]|[.,]\d)")
_ISO_DATE = re.compile(r"(?<![\w/.-])(\d{4})-(\d{2})-(\d{2})(?![\w-]|[.,]\d)")


def _month_name(s: str) -> str:
    return s if s in MONTHS else _MONTH_ABBR[s]


def _month_day(m: re.Match) -> str:
    month, dot, day, suffix, sep, yr = m.groups()
    if not 1 <= int(day) <= 31:
        return m.group(0)
    words = _month_name(month) + " " + (ordinal(int(day)) if suffix else cardinal(int(day)))
    if yr:
        words += (", " if "," in sep else " ") + year(int(yr))
    return words


def _day_month(m: re.Match) -> str:
    day, month, sep, yr = m.groups()
    if not 1 <= int(day) <= 31:
        return m.group(0)
    words = ordinal(int(day)) + " " + month
    if yr:
        words += (", " if "," in sep else " ") + year(int(yr))
    return words


def _date_words(y: str, mo: int, d: int) -> str | None:
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    yr = year(int(y)) if len(y) == 4 else ("oh " + cardinal(int(y)) if y[0] == "0" else cardinal(int(y)))
    return f"{MONTHS[mo - 1]} {ordinal(d)}, {yr}"


def _numeric_date(m: re.Match) -> str:
    a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
    month, day = (a, b) if a <= 12 else (b, a)  # month first unless it cannot be
    return _date_words(y, month, day) or m.group(0)


def _iso_date(m: re.Match) -> str:
    return _date_words(m.group(1), int(m.group(2)), int(m.group(3))) or m.group(0)


# ---------------------------------------------------------------- currency

_CURRENCIES = {  # sign: (unit, units, subunit, subunits)
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("U S dollar", "U S dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "sen", "sen"),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "₩": ("won", "won", "jeon", "jeon"),
}
_CODES = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
_MAGNITUDES = {"thousand": "thousand", "million": "million", "billion": "billion",
               "trillion": "trillion", "k": "thousand", "K": "thousand", "m": "million",
               "M": "million", "mn": "million", "b": "billion", "B": "billion", "bn": "billion",
               "tn": "trillion"}
_MAGNITUDE_RE = r"(?i:thousand|million|billion|trillion)|bn|mn|tn|[kKmMbB]"
_OLD_POUNDS = re.compile(r"(?<![\w£.])£\s?(\d{1,6})(?:,?\s)(\d{1,2})s\.?(?:,?\s?(\d{1,2})d\.?)?(?!\w)")
_CURRENCY = re.compile(
    rf"(?<![\w$£€¥₹₩.])(-)?(US\$|C\$|A\$|[$£€¥₹₩])\s?({_NUM})(?:\s?({_MAGNITUDE_RE})(?![A-Za-z]))?")
_CURRENCY_CODE = re.compile(rf"(?<![\w.])({_NUM})\s?(USD|EUR|GBP|JPY|INR)\b")
_CENTS = re.compile(rf"(?<![\w.])({_NUM})\s?¢")
_SHILLINGS = re.compile(r"(?<![\w.])(\d{1,2})s\.\s?(\d{1,2})d\.(?!\w)")


def _money(sign: str, amount: str, magnitude: str | None) -> str:
    unit, units, sub, subs = _CURRENCIES[sign]
    if magnitude:
        return f"{number(amount)} {_MAGNITUDES.get(magnitude, magnitude.lower())} {units}"
    whole, _, frac = amount.replace(",", "").partition(".")
    if frac and len(frac) != 2:
        return f"{number(amount)} {units}"
    major = int(whole) if whole and len(whole) <= 36 else 0
    if whole and len(whole) > 36:
        return f"{digits(whole)} {units}"
    minor = int(frac) if frac else 0
    parts = []
    if major or not minor:
        parts.append(f"{cardinal(major)} {unit if major == 1 else units}")
    if minor:
        parts.append(f"{cardinal(minor)} {sub if minor == 1 else subs}")
    return " and ".join(parts)


def _currency(m: re.Match) -> str:
    minus, sign, amount, magnitude = m.groups()
    return ("minus " if minus else "") + _money(sign, amount, magnitude)


def _old_pounds(m: re.Match) -> str:
    pounds, shillings, pence = m.groups()
    words = _money("£", pounds, None)
    words += ", " + cardinal(int(shillings)) + (" shilling" if shillings == "1" else " shillings")
    if pence:
        words += ", " + cardinal(int(pence)) + (" penny" if pence == "1" else " pence")
    return words


def _currency_code(m: re.Match) -> str:
    return _money(_CODES[m.group(2)], m.group(1), None)


def _cents(m: re.Match) -> str:
    return number(m.group(1)) + (" cent" if _is_one(m.group(1)) else " cents")


def _shillings(m: re.Match) -> str:
    s, d = m.groups()
    return (cardinal(int(s)) + (" shilling, " if s == "1" else " shillings, ")
            + cardinal(int(d)) + (" penny" if d == "1" else " pence"))


# ---------------------------------------------------------------- percent, units, dimensions

_PERCENT = re.compile(rf"(?<![\w.])(-)?({_NUM})\s?%")
_DIMENSION = re.compile(rf"(?<![\w.])({_NUM})\s?[x×]\s?({_NUM})(?:\s?[x×]\s?({_NUM}))?(?![\w.]|\s?[x×])")

# unit: (singular, plural); case-sensitive keys
_UNITS = {
    "mm": ("millimeter", "millimeters"), "cm": ("centimeter", "centimeters"), "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"), "ft": ("foot", "feet"), "yd": ("yard", "yards"),
    "yds": ("yard", "yards"), "mi": ("mile", "miles"), "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"), "kg": ("kilogram", "kilograms"), "kgs": ("kilogram", "kilograms"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"), "l": ("liter", "liters"),
    "L": ("liter", "liters"), "gal": ("gallon", "gallons"), "cc": ("cubic centimeter", "cubic centimeters"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"), "h": ("hour", "hours"),
    "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "km/hr": ("kilometer per hour", "kilometers per hour"), "m/s": ("meter per second", "meters per second"),
    "mpg": ("mile per gallon", "miles per gallon"), "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"), "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"), "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"), "kbps": ("kilobit per second", "kilobits per second"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "V": ("volt", "volts"), "kV": ("kilovolt", "kilovolts"),
    "mA": ("milliamp", "milliamps"), "mAh": ("milliamp hour", "milliamp hours"), "dB": ("decibel", "decibels"),
    "ha": ("hectare", "hectares"), "psi": ("pound per square inch", "pounds per square inch"),
    "bpm": ("beat per minute", "beats per minute"), "rpm": ("revolution per minute", "revolutions per minute"),
    "km²": ("square kilometer", "square kilometers"), "m²": ("square meter", "square meters"),
    "cm²": ("square centimeter", "square centimeters"), "ft²": ("square foot", "square feet"),
    "mi²": ("square mile", "square miles"), "m³": ("cubic meter", "cubic meters"),
    "cm³": ("cubic centimeter", "cubic centimeters"), "sq km": ("square kilometer", "square kilometers"),
    "sq ft": ("square foot", "square feet"), "sq. ft.": ("square foot", "square feet"),
    "sq m": ("square meter", "square meters"), "sq mi": ("square mile", "square miles"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°K": ("kelvin", "kelvins"), "°": ("degree", "degrees"), "ºC": ("degree Celsius", "degrees Celsius"),
}
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT = re.compile(rf"(?<![\w.,/])(-)?({_NUM_OR_FRACTION})(\s?|-)(?:({_UNIT_ALT})|° ?([CF]))(?![A-Za-z0-9²³/])(\.(?=\s+[a-z0-9]))?")


def _unit(m: re.Match) -> str:
    minus, amount, sep, unit, degree_letter = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    if degree_letter:
        unit = "°" + degree_letter
    if unit in ("m", "g", "l", "h", "V", "W", "L") and sep == " " and not _unit_context_ok(m):
        return m.group(0)
    one, many = _UNITS[unit]
    words = ("minus " if minus else "") + _amount(amount)
    fraction_below_one = "/" in amount and " " not in amount.strip()
    if sep == "-":  # a 5-km race: the unit is an adjective
        return words + "-" + one.replace(" ", "-")
    return words + " " + (one if _is_one(amount) or fraction_below_one else many)


_UNIT_NEXT = re.compile(rf"(?:\s?|-)(?:{_UNIT_ALT})(?![A-Za-z0-9])")


def _dimension(m: re.Match) -> str:
    """``2x4 -> two by four``; ``3 x 4 m -> three by 4 m``: the last factor is left to the unit pass."""
    factors = [f for f in m.groups() if f]
    last = factors.pop() if _UNIT_NEXT.match(m.string, m.end()) else None
    words = " by ".join(number(f) for f in factors)
    return words + (" by " + last if last else "")


def _unit_context_ok(m: re.Match) -> bool:
    """One-letter units after a space (``5 m``) only when no word follows that the letter may start."""
    nxt = m.string[m.end(4):m.end(4) + 1]
    return nxt in ("", " ", ",", ".", ";", ":", ")", "!", "?", "\n")


# ---------------------------------------------------------------- ordinals, decades, fractions

_ORDINAL = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d{1,36})(st|nd|rd|th|ST|ND|RD|TH)(?![A-Za-z0-9])")
_DECADE = re.compile(r"(?<![\w.'])('?)(\d{1,4})'?s(?![A-Za-z0-9'])")
_MIXED_FRACTION = re.compile(r"(?<![\w./])(\d{1,6})\s+(\d{1,3})/(\d{1,3})(?![\w/]|[.,]\d)")
_FRACTION = re.compile(r"(?<![\w./])(\d{1,4})/(\d{1,4})(?![\w/]|[.,]\d)")
_FRACTION_SPECIAL = {"24/7": "twenty-four seven", "50/50": "fifty-fifty", "9/11": "nine eleven"}


def _ordinal(m: re.Match) -> str:
    return ordinal(int(m.group(1).replace(",", "")))


def _decade(m: re.Match) -> str:
    apostrophe, n = m.group(1), m.group(2)
    value = int(n)
    if apostrophe and len(n) == 2:  # '90s
        return plural(cardinal(value)) if value >= 10 else m.group(0)
    if len(n) >= 3 and value % 10 == 0:
        return decade(value)
    return plural(cardinal(value))


def _mixed_fraction(m: re.Match) -> str:
    whole, num, den = (int(g) for g in m.groups())
    if not 0 < num < den:
        return m.group(0)
    return mixed_fraction(whole, num, den)


def _fraction(m: re.Match) -> str:
    s = m.group(0)
    if s in _FRACTION_SPECIAL:
        return _FRACTION_SPECIAL[s]
    num, den = int(m.group(1)), int(m.group(2))
    if not (2 <= den <= 100 or den in (1000, 1000000)) or num >= 1000 or num == 0:
        return s  # not a fraction (2020/21): the numbers are read one by one
    return fraction(num, den)


# ---------------------------------------------------------------- phone numbers, codes, ranges

_PHONE = re.compile(r"(?<![\w+])(?:\(\d{3}\)\s?\d{3}[-.\s]\d{4}|\d{3}[-.]\d{3}[-.]\d{4}|\d{3}-\d{4})(?![\w]|[-.]\d)")
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]\(?\d{1,5}\)?){1,5}(?![\w]|[-.]\d)")
_DIGIT_GROUPS = re.compile(r"(?<![\w.-])\d+(?:-\d+){2,}(?![\w-]|\.\d)")
_ZIP = re.compile(r"(?<=\b[A-Z]{2} )\d{5}(?:-\d{4})?(?![\w-]|[.,]\d)|(?<![\w.,-])\d{5}-\d{4}(?![\w-]|[.,]\d)")
_LEADING_ZERO = re.compile(r"(?<![\w.,])0\d+(?![\w]|[.,]\d)")
_CODE = re.compile(r"(?<![\w'])(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]+(?![\w'])")
_CODE_PART = re.compile(r"[A-Za-z]+|\d+")
_YEAR_RANGE = re.compile(r"(?<![\w.,-])(1[1-9]\d\d|20\d\d)\s?-\s?(1[1-9]\d\d|20\d\d|\d\d)(?![\w-]|[.,]\d)")
_RANGE = re.compile(r"(?<![\w.,-])(\d{1,4})\s?-\s?(\d{1,4})(?![\w-]|[.,]\d)")


def _digit_groups(s: str) -> str:
    return ", ".join(digits(g) for g in re.findall(r"\d+", s))


def _phone(m: re.Match) -> str:
    s = m.group(0)
    if len(s) == 8 and (s[0] in "01" or s.endswith("00") and s[2] == "0"):  # 100-1000, 200-1000: a range
        return s
    return _digit_groups(s)


def _international(m: re.Match) -> str:
    return "plus " + _digit_groups(m.group(0))


def _code(m: re.Match) -> str:
    words = []
    for part in _CODE_PART.findall(m.group(0)):
        if part.isdigit():
            words.append(cardinal(int(part)) if len(part) <= 2 and part[0] != "0" else digits(part))
        elif len(part) <= 2 or (part.isupper() and _spell_acronym(part)):
            words.append(_spell(part))
        else:
            words.append(part)
    return " ".join(words)


def _year_range(m: re.Match) -> str:
    a, b = m.group(1), m.group(2)
    if len(b) == 2:
        if int(b) <= int(a[2:]):
            return m.group(0)
        return year(int(a)) + " to " + cardinal(int(b))
    if int(b) <= int(a):
        return m.group(0)
    return year(int(a)) + " to " + year(int(b))


def _range(m: re.Match) -> str:
    a, b = m.group(1), m.group(2)
    if a[0] == "0" and len(a) > 1 or b[0] == "0" and len(b) > 1 or int(a) >= int(b):
        return m.group(0)
    return cardinal(int(a)) + " to " + cardinal(int(b))


# ---------------------------------------------------------------- Roman numerals

REGNAL_NAMES = frozenset("""
Albert Alexander Alfonso Alphonso Amenhotep Anne Antiochus Artaxerxes Baldwin Benedict Boniface Boris
Canute Carlos Casimir Catherine Charles Christian Clement Constantine Cyrus Darius David Duncan Edmund
Edward Elizabeth Ferdinand Francis Frederick Friedrich George Gregory Gustav Gustavus Haakon Harald
Harold Heinrich Henry Innocent Ivan James John Juan Julius Justinian Karl Kenneth Leo Leopold Louis
Ludwig Manuel Mary Matthias Maximilian Michael Napoleon Nebuchadnezzar Nicholas Olaf Otto Paul
Pedro Peter Philip Pius Ptolemy Ramesses Rameses Richard Robert Rudolf Rudolph Sancho Sargon Seleucus
Shalmaneser Sigismund Sixtus Stephen Thutmose Umberto Urban Victor Vladimir Wilhelm William Xerxes
""".split())
_COUNTED_NOUNS = ("Chapter|Chap|Volume|Vol|Part|Pt|Section|Sect|Book|Act|Scene|Article|Art|Title|"
                  "Appendix|Phase|Stage|Level|Class|Type|Grade|War|Psalm|Canto|Figure|Fig|Plate|"
                  "Table|Series|Unit|Step|Round|Lesson|Item|Rule|Amendment|Annex|Schedule|Clause|"
                  "Division|Battalion|Corps|Army|Fleet|Region|Episode|Season|Tome")
_BOOK_PARTS = frozenset("chapter chap volume vol part book act section article".split())
_ROMAN_STRICT = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_REGNAL = re.compile(r"\b([A-Z][a-z]+)\s+([IVXL]{1,7})\b(\.(?=\s*[,;:)a-z])|\.?)")
_COUNTED_ROMAN = re.compile(rf"\b({_COUNTED_NOUNS}|{_COUNTED_NOUNS.upper()})(\.?\s+)([IVXLC]{{1,7}})\b")
_GENERIC_ROMAN = re.compile(r"\b([A-Z][a-z]+)\s+([IVX]{2,6})\b(?![.']?[A-Za-z0-9])")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# capitals that are well-formed numerals but usually words or acronyms (IV drip, VI editor, XL size)
_ROMAN_WORDS = frozenset({"MIX", "DID", "DIM", "MID", "LID", "MILD", "MILL", "VIVID", "LIVID", "CIVIL",
                          "DIV", "CIV", "XL", "MD", "DC", "CD", "CV", "MC", "LI", "MI", "DI", "CC",
                          "CL", "IV", "VI", "XXX", "LIV", "DIX", "MIC", "CID", "VIC", "LL", "LX"})


def roman_value(s: str) -> int | None:
    """Value of a well-formed Roman numeral (``"XIV" -> 14``), else ``None``."""
    if not s or _ROMAN_STRICT.fullmatch(s) is None:
        return None
    total = 0
    for i, c in enumerate(s):
        v = _ROMAN_VALUES[c]
        total += -v if i + 1 < len(s) and _ROMAN_VALUES[s[i + 1]] > v else v
    return total


_INITIAL_NEXT = re.compile(r"\s+[A-Z][a-z]")


def _regnal(m: re.Match) -> str:
    name, numeral, dot = m.groups()
    value = roman_value(numeral)
    if name not in REGNAL_NAMES or not value:
        return m.group(0)
    rest = m.string[m.end():m.end() + 3]
    if len(numeral) == 1:
        # "Charles I." / "James I," but not the pronoun ("Charles I went") nor an initial ("Henry V. Smith")
        if numeral == "I" and not dot and rest[:1] not in ("", ",", ";", ":", ")", "."):
            return m.group(0)
        if dot == "." and _INITIAL_NEXT.match(m.string, m.end()):
            return m.group(0)
    words = f"{name} the {ordinal(value)}"
    if dot == ".":
        words += _period_if_sentence_end(m.string, m.end())
    return words


def _counted_roman(m: re.Match) -> str:
    noun, space, numeral = m.groups()
    value = roman_value(numeral)
    if not value or numeral in _ROMAN_WORDS and set(numeral) - set("IVX"):
        return m.group(0)
    if len(numeral) == 1 and numeral != "I" and (numeral not in "VX" or noun.lower() not in _BOOK_PARTS):
        return m.group(0)  # "Part C", "Type X", "Appendix L" are letters
    return noun + space + cardinal(value)


def _generic_roman(m: re.Match) -> str:
    word, numeral = m.groups()
    value = roman_value(numeral)
    if not value or numeral == "XXX" or word in REGNAL_NAMES:
        return m.group(0)
    return f"{word} {cardinal(value)}"


# ---------------------------------------------------------------- abbreviations

_TITLES = {  # always expanded when written with a period
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Messrs": "Messieurs", "Mmes": "Mesdames",
    "Mme": "Madame", "Mlle": "Mademoiselle", "Prof": "Professor", "Capt": "Captain", "Lieut": "Lieutenant",
    "Sgt": "Sergeant", "Cpl": "Corporal", "Pvt": "Private", "Rev": "Reverend", "Hon": "Honorable",
    "Supt": "Superintendent", "Insp": "Inspector", "Messrs": "Messieurs", "Esq": "Esquire",
    "Jr": "Junior", "Sr": "Senior", "Bros": "Brothers", "Inc": "Incorporated", "Ltd": "Limited",
    "Corp": "Corporation", "Co": "Company", "Dept": "Department", "Univ": "University", "Assn": "Association",
}
_TITLES_BEFORE_NAME = {  # only before a capitalized word: "Gen. Grant", not "gen."
    "Gen": "General", "Col": "Colonel", "Lt": "Lieutenant", "Maj": "Major", "Adm": "Admiral",
    "Cmdr": "Commander", "Gov": "Governor", "Sen": "Senator", "Rep": "Representative",
    "Pres": "President", "Fr": "Father", "Mt": "Mount", "Ft": "Fort", "Dr": "Doctor", "St": "Saint",
}
_STREETS = {"St": "Street", "Dr": "Drive", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road",
            "Ln": "Lane", "Sq": "Square", "Hwy": "Highway", "Pkwy": "Parkway", "Mt": "Mount"}
_LOWER_ABBR = {"etc": "et cetera", "vs": "versus", "approx": "approximately", "viz": "namely",
               "cf": "compare", "e.g": "for example", "i.e": "that is", "a.k.a": "also known as"}
_SENTENCE_ENDERS = {"Esq", "Jr", "Sr", "Bros", "Inc", "Ltd", "Corp", "Co", "Dept", "etc"}
_FUNCTION_WORDS = frozenset("The A An He She It They We I In On At But And This That There His Her "
                            "Its Their Our When Then So If As".split())

_TITLE_RE = re.compile(r"\b(" + "|".join(sorted(set(_TITLES), key=len, reverse=True)) + r")\.(?!\w)"
                       r"|\b(Mr|Mrs|Ms|Dr|Messrs)(?=\s+[A-Z])(?!\w)")
_BEFORE_NAME_RE = re.compile(r"\b(" + "|".join(_TITLES_BEFORE_NAME) + r")\.(?=\s+[A-Z])")
_STREET_RE = re.compile(r"(?<=[A-Za-z0-9] )(" + "|".join(_STREETS) + r")\.(?!\w)")
_LOWER_ABBR_RE = re.compile(r"(?<![\w.])((?i:etc|vs|approx|viz|cf|e\.g|i\.e|a\.k\.a))\.(?!\w)|(?<![\w.])vs(?=\s)"
                            r"|(?<![\w.])(v)\.(?=\s+[A-Z])")
_NUMBER_ABBR_RE = re.compile(r"(?<![\w.])(No|no|NO|Nos|nos|pp|p|Vol|vol|Ch|ch|Fig|fig|Art|Sec|Sect|Op|op)\.\s?(?=\d)"
                             r"|(?<![\w&])#\s?(?=\d)")
_NUMBER_ABBR = {"no": "number", "nos": "numbers", "pp": "pages", "p": "page", "vol": "volume",
                "ch": "chapter", "fig": "figure", "art": "article", "sec": "section",
                "sect": "section", "op": "opus", "#": "number"}


def _title(m: re.Match) -> str:
    abbr = m.group(1) or m.group(2)
    word = _TITLES[abbr] if abbr in _TITLES else _TITLES_BEFORE_NAME[abbr]
    if m.group(1) and abbr in _SENTENCE_ENDERS:
        word += _period_if_sentence_end(m.string, m.end())
    return word


def _before_name(m: re.Match) -> str:
    abbr = m.group(1)
    nxt = _next_word(m.string, m.end())
    prev = _prev_word(m.string, m.start())
    if abbr in _STREETS and (nxt in _FUNCTION_WORDS and prev[:1].isupper()):
        return _STREETS[abbr] + "."
    return _TITLES_BEFORE_NAME[abbr]


def _street(m: re.Match) -> str:
    return _STREETS[m.group(1)] + _period_if_sentence_end(m.string, m.end())


def _lower_abbr(m: re.Match) -> str:
    if m.group(2) or m.group(0) == "vs":
        return "versus"
    abbr = m.group(1)
    word = _match_case(abbr, _LOWER_ABBR[abbr.lower()])
    if abbr.lower() in _SENTENCE_ENDERS:
        word += _period_if_sentence_end(m.string, m.end())
    return word


def _number_abbr(m: re.Match) -> str:
    abbr = m.group(1) or "#"
    word = _NUMBER_ABBR[abbr.lower()]
    return _match_case(abbr, word) + " "


# ---------------------------------------------------------------- numbers

_VERSION = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)")
_NUMBER = re.compile(rf"(?<![\w.])(-(?=[\d.]))?({_NUM})(?![\d])")
_ERA = re.compile(r"\s?(?:B\.\s?C\.|A\.\s?D\.|BCE|BC|CE|AD)(?![A-Za-z])")

_CARDINAL_CUES = frozenset("number numbers no page pages room rooms route flight line lines volume chapter "
                           "section clause schedule part article paragraph verse psalm exhibit item "
                           "figure table step rule grade level class size vol p pp op opus".split())
_DIGIT_CUES = frozenset("zip zipcode postcode pin code extension ext account serial isbn id".split())
_YEAR_CUES = frozenset("in of since by from until till to during after before year years the this that "
                       "his her its their our my your early late between and or circa c ca spring summer "
                       "autumn fall winter dated date mid through".split()) | {m.lower() for m in MONTHS}
_NOT_PLURALS = frozenset("was has his its this thus as is always perhaps whereas towards afterwards "
                         "besides unless yes does goes says seems becomes remains lies sees marks "
                         "means us its hers ours yours theirs less across".split())
_IRREGULAR_PLURALS = frozenset("men women people children feet teeth mice sheep cattle head persons "
                               "pounds dollars miles yards inches acres tons".split())
_YEAR_NEXT_WORDS = frozenset("the he she it they we a an his her their its there this that".split())


_NEXT_TWO_WORDS = re.compile(r" ([a-z][a-z'-]{1,20})(?: ([a-z][a-z'-]{1,20}))?")


def _looks_counted(text: str, end: int) -> bool:
    """Is the number followed by a counted plural noun ("1308 prisoners", "1063 sleeping cells")?"""
    m = _NEXT_TWO_WORDS.match(text, end)
    if not m:
        return False
    for w in m.groups():
        if not w:
            continue
        if w in _IRREGULAR_PLURALS:
            return True
        if w.endswith("s") and not w.endswith(("ss", "us", "is", "'s")) and w not in _NOT_PLURALS and len(w) > 3:
            return True
    return False


def _read_as_year(s: str, text: str, start: int, end: int) -> bool:
    if len(s) not in (3, 4) or s[0] == "0":
        return False
    prev = _prev_word(text, start).lower()
    if prev in _CARDINAL_CUES:
        return False
    if _ERA.match(text, end):
        return True
    n = int(s)
    if len(s) == 4:
        if 1100 <= n <= 2099:
            return prev in _YEAR_CUES or not _looks_counted(text, end)
        return 1000 <= n < 1100 and prev in _YEAR_CUES and not _looks_counted(text, end)
    # three digits: "In 626 Assurbanipal died", "in the year 562,"
    if prev not in ("in", "year"):
        return False
    after = text[end:end + 2]
    nxt = _next_word(text, end)
    return (after[:1] in ("", ",", ";", ".", ")", ":") or nxt[:1].isupper() or nxt in _YEAR_NEXT_WORDS) \
        and not _looks_counted(text, end)


def _version(m: re.Match) -> str:
    return " point ".join(version_part(p) for p in m.group(0).split("."))


def _number(m: re.Match) -> str:
    minus, s = m.groups()
    if not minus and s.isdigit() and len(s) >= 3 and _prev_word(m.string, m.start()).lower() in _DIGIT_CUES:
        return digits(s)
    if not minus and s.isdigit() and _read_as_year(s, m.string, m.start(), m.end()):
        return year(int(s))
    return ("minus " if minus else "") + number(s)


# ---------------------------------------------------------------- acronyms and symbols

WORD_ACRONYMS = frozenset("""
NASA NATO UNESCO UNICEF NAFTA OPEC LASER RADAR SCUBA AIDS COVID FIFA IKEA SWAT OSHA FEMA NOAA ASCII
JPEG GIF PIN SIM ZIP CAPTCHA DARPA INTERPOL ASEAN SARS MERS UEFA WASP NIMBY YOLO POTUS SCOTUS FLOTUS
GESTAPO ANZAC CERN ESA NASCAR QANTAS UNIX LINUX TESOL TOEFL GIF SQL WIFI
""".split())
SPELLED_ACRONYMS = frozenset("ACLU AARP NAACP NYPD LAPD USSR IEEE HTML HTTP HTTPS JSON USA UK US EU UN "
                             "CEO CFO CIA FBI NSA IRS BBC CNN ABC NBC CBS PBS DVD CD PC TV IT ID".split())
_COMMON_CAPS = frozenset("""
I A AM AN AS AT BE BY DO GO HE HI IF IN IS IT ME MY NO OF OH ON OR SO TO UP WE OK
THE AND FOR BUT NOT YOU ALL ANY CAN HAD HER WAS ONE OUR OUT DAY GET HAS HIM HIS HOW MAN NEW NOW OLD
SEE TWO WAY WHO BOY DID ITS LET PUT SAY SHE TOO USE ARE WHY YES YET BIG END FAR FEW GOT LOT OFF RUN
SET TOP WAR WIN AGO AGE AIR ART ASK BAD BED BOX CAR CUT DOG EAR EAT EYE FUN GOD GUN HOT JOB KEY LAW
LEG LIE MEN OWN PAY RED SAD SEA SIX SON SUN TEN TRY WIN
""".split())
_ONSETS = frozenset("B BL BR C CH CL CR D DR F FL FR G GL GR H J K KL KN KR L M N P PH PL PR Q QU R S "
                    "SC SCH SCR SH SK SL SM SN SP SPL SPR ST STR SW T TH THR TR TW V W WH WR Y Z".split())
_CODAS = frozenset("B CH CK CT D F FT G GHT K L LD LF LK LL LM LP LT M MP N NCH ND NG NK NS NT P PS "
                   "PT R RB RD RF RG RK RL RM RN RP RS RT S SH SK SP SS ST T TH TS X Z".split())
_SYLLABLES = re.compile(r"([^AEIOUY]*)([AEIOUY]+W?)")
_VOWEL = re.compile("[AEIOUY]")
_AMPERSAND_ACRONYM = re.compile(r"(?<![\w&])([A-Z]{1,4})&([A-Z]{1,4})(?![\w&])")
_DOTTED = re.compile(r"(?<![\w.])((?:[A-Za-z]{1,2}\.){2,})(?![\w])")
_CAPS = re.compile(r"(?<![\w'&-])([A-Z]{2,})('?s)?(?![\w'])")


@functools.lru_cache(maxsize=4096)
def _pronounceable(word: str) -> bool:
    """Rough test for an all-capitals token that can be read as a word (NASA, NATO) rather than spelled."""
    if len(word) > 14 or not re.search("[AEIOU]", word):
        return False
    chunks = _SYLLABLES.findall(word)
    coda = word[sum(len(a) + len(b) for a, b in chunks):]
    if chunks[0][0] and chunks[0][0] not in _ONSETS:
        return False
    if any(len(c) > 3 for c, _ in chunks[1:]) or any(len(v) > 2 for _, v in chunks):
        return False
    coda = coda[:-1] if coda.endswith("S") and len(coda) > 1 else coda
    return not coda or coda in _CODAS


@functools.lru_cache(maxsize=4096)
def _spell_acronym(word: str) -> bool:
    if word in SPELLED_ACRONYMS:
        return True
    if word in WORD_ACRONYMS or word in _COMMON_CAPS:
        return False
    if len(word) <= 3:
        return True
    return not _pronounceable(word)


_WORDS2 = re.compile(r"[A-Za-z]{2,}")


def _shouting_context(text: str, start: int, end: int) -> bool:
    """Is this all-capitals token inside a run of all-capitals words (a heading, shouting)?"""
    before = _WORDS2.findall(text[max(0, start - 30):start])[-1:]
    after = _WORDS2.findall(text[end:end + 30])[:1]
    neighbours = before + after
    return bool(neighbours) and all(w.isupper() for w in neighbours) and \
        any(len(w) > 3 and w not in SPELLED_ACRONYMS for w in neighbours)


def _dotted(m: re.Match) -> str:
    s = m.group(1)
    letters = s.replace(".", "")
    if s.lower() in ("e.g.", "i.e."):
        return s
    return _spell(letters) + _period_if_sentence_end(m.string, m.end())


def _caps(m: re.Match) -> str:
    word, suffix = m.group(1), m.group(2) or ""
    if word == "OK":
        return "okay"
    value = roman_value(word) if not suffix and set(word) <= set("IVXL") and word not in _ROMAN_WORDS else None
    if value:
        return cardinal(value)
    if not _spell_acronym(word):
        return m.group(0)
    if word not in SPELLED_ACRONYMS and _VOWEL.search(word) and _shouting_context(m.string, m.start(), m.end()):
        return m.group(0)  # a heading in capitals: its words are words
    spelled = _spell(word)
    return spelled + ("'s" if suffix else "")


_SYMBOLS = {"&": " and ", "@": " at ", "+": " plus ", "=": " equals ", "%": " percent ", "#": " ",
            "*": " ", "_": " ", "|": " ", "~": " ", "^": " ", "\\": " ", "<": " ", ">": " ", "{": " ",
            "}": " ", "[": "(", "]": ")", "$": " dollars ", "£": " pounds ", "€": " euros ", "¥": " yen ",
            "₹": " rupees ", "₩": " won ", "¢": " cents ", "°": " degrees ", "²": " squared ", "³": " cubed ",
            "×": " times "}
_SYMBOL_RE = re.compile("[" + re.escape("".join(_SYMBOLS)) + "]")
_LEFTOVER_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[,.;:!?)])")
_SPACE_AFTER_PAREN = re.compile(r"(?<=\() +")


def _symbol(m: re.Match) -> str:
    return _SYMBOLS[m.group(0)]


def _leftover_digits(m: re.Match) -> str:
    s = m.group(0)
    return " " + (number(s) if len(s) <= 36 and s[0] != "0" else digits(s)) + " "


# ---------------------------------------------------------------- the pipeline

# (pattern, replacement, gate): a pass only runs on a text holding one of the gate's characters,
# which saves scanning a long text with a pattern that cannot match.
_D = "0123456789"
NUMBER_PASSES = (
    (_TIME, _time, ":"), (_TIME_AMPM, _time_ampm, "AaPp"),
    (_ISO_DATE, _iso_date, "-"), (_NUMERIC_DATE, _numeric_date, "/"), (_MONTH_DAY, _month_day, _D),
    (_OLD_POUNDS, _old_pounds, "£"), (_CURRENCY, _currency, "$£€¥₹₩"),
    (_CURRENCY_CODE, _currency_code, "DRPY"), (_CENTS, _cents, "¢"), (_SHILLINGS, _shillings, "d"),
    (_PERCENT, lambda m: ("minus " if m.group(1) else "") + number(m.group(2)) + " percent", "%"),
    (_DIMENSION, _dimension, "x×"),
    (_UNIT, _unit, _D),
    (_ORDINAL, _ordinal, "snrtSNRT"), (_DAY_MONTH, _day_month, _D), (_DECADE, _decade, "s"),
    (AbbreviatedYear.pattern, AbbreviatedYear.read, "'"), (_MIXED_FRACTION, _mixed_fraction, "/"), (_FRACTION, _fraction, "/"),
    (_INTERNATIONAL, _international, "+"), (_PHONE, _phone, "-.("), (_ZIP, lambda m: _digit_groups(m.group(0)), _D),
    (_DIGIT_GROUPS, lambda m: _digit_groups(m.group(0)), "-"),
    (_YEAR_RANGE, _year_range, "-"), (_RANGE, _range, "-"),
    (_LEADING_ZERO, lambda m: digits(m.group(0)), "0"),
)
ROMAN_PASSES = ((_REGNAL, _regnal, "IVXL"), (_COUNTED_ROMAN, _counted_roman, "IVXLC"),
                (_GENERIC_ROMAN, _generic_roman, "IVX"))
ABBREVIATION_PASSES = (
    (_NUMBER_ABBR_RE, _number_abbr, "#."), (_TITLE_RE, _title, "".join({t[0] for t in _TITLES})), (_BEFORE_NAME_RE, _before_name, "."),
    (_STREET_RE, _street, "."), (_LOWER_ABBR_RE, _lower_abbr, "vV."),
)
FINAL_NUMBER_PASSES = ((_VERSION, _version, "."), (Caliber.pattern, Caliber.read, Caliber.gate), (_NUMBER, _number, _D))
_HAS_DIGIT = re.compile(r"\d")


def _run(text: str | Tracked, passes) -> str | Tracked:
    if passes is NUMBER_PASSES or passes is FINAL_NUMBER_PASSES or passes is CONTEXT_PASSES:
        if not _HAS_DIGIT.search(text_of(text)):
            return text
    for pattern, replace, gate in passes:
        if any(c in text for c in gate):
            text = sub(pattern, replace, text)
    return text


def tidy(text: str | Tracked) -> str | Tracked:
    """One space between words, none before closing punctuation."""
    text = sub(_SPACES, " ", text)
    text = sub(_SPACE_BEFORE_PUNCT, "", text)
    text = sub(_SPACE_AFTER_PAREN, "", text)
    return strip(text)


def normalize_numbers(text: str | Tracked) -> str | Tracked:
    """Only the number passes (times, dates, money, units, ordinals, years, cardinals...)."""
    text = _run(text, NUMBER_PASSES)
    text = _run(text, ABBREVIATION_PASSES[:1])
    return _run(text, FINAL_NUMBER_PASSES)


def expand_abbreviations(text: str | Tracked) -> str | Tracked:
    """Only the abbreviation passes (``Mr.``, ``St.``, ``etc.``, ``No. 5``...)."""
    return _run(text, ABBREVIATION_PASSES)


def normalize_text(text: str | Tracked) -> str | Tracked:
    """Raw English text -> speakable ASCII words with the sentence punctuation kept.

    Numbers of every kind become words, abbreviations are expanded, acronyms spelled
    (``FBI -> F B I``), addresses read out; the case of ordinary words is kept. A
    :class:`~hifigan.text.spans.Tracked` text gives a tracked result.
    """
    if not isinstance(text, (str, Tracked)):
        raise TypeError(f"normalize_text expects a str, got {type(text).__name__}")
    text = to_ascii(text, keep_symbols=True)
    text = _run(text, ((_EMAIL, _email, "@"), (_URL, _url, ".")))
    text = _run(text, CONTEXT_PASSES)
    text = _run(text, NUMBER_PASSES)
    text = _run(text, ((_CODE, _code, _D),))
    text = _run(text, ROMAN_PASSES)
    text = _run(text, ABBREVIATION_PASSES)
    text = _run(text, FINAL_NUMBER_PASSES)
    text = _run(text, ((_AMPERSAND_ACRONYM, lambda m: _spell(m.group(1)) + " and " + _spell(m.group(2)), "&"),
                       (_DOTTED, _dotted, "."), (_CAPS, _caps, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                       (_SYMBOL_RE, _symbol, "".join(_SYMBOLS)), (_LEFTOVER_DIGITS, _leftover_digits, _D)))
    return tidy(text)
