"""Numbers to English words: cardinals, ordinals, decimals, years, decades, fractions, digits.

The style is LJ Speech's (American, no "and": ``105 -> one hundred five``); the comma between
groups that LJ's transcripts write (``six thousand, four hundred thirty-nine``) is optional.
Everything takes ``int`` or digit strings and returns lowercase words joined by spaces and hyphens.
"""
from __future__ import annotations

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion",
          "sextillion", "septillion", "octillion", "nonillion", "decillion")
MAX_CARDINAL = 1000 ** len(SCALES) - 1  # larger numbers are read digit by digit
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                  "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_FRACTION_WORDS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [ONES[hundreds] + " hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(TENS[tens] + ("-" + ONES[ones] if ones else ""))
    elif rest or not hundreds:
        words.append(ONES[rest])
    return " ".join(words)


def cardinal(n: int, comma: bool = False) -> str:
    """``6439 -> "six thousand four hundred thirty-nine"`` (``comma=True``: ``"six thousand, four..."``).

    Negative numbers get ``"minus"``; numbers beyond the decillions are read digit by digit.
    """
    n = int(n)
    if n < 0:
        return "minus " + cardinal(-n, comma)
    if n > MAX_CARDINAL:
        return digits(str(n))
    if n < 1000:
        return _below_thousand(n)
    groups = []
    scale = 0
    while n:
        n, group = divmod(n, 1000)
        if group:
            groups.append(_below_thousand(group) + (" " + SCALES[scale] if scale else ""))
        scale += 1
    return (", " if comma else " ").join(reversed(groups))


def _ordinal_word(word: str) -> str:
    if word in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def ordinal(n: int) -> str:
    """``21 -> "twenty-first"``, ``102 -> "one hundred second"``, ``1000 -> "one thousandth"``."""
    words = cardinal(n)
    head, sep, last = words.rpartition(" ")
    stem, hyphen, unit = last.rpartition("-")
    return head + sep + stem + hyphen + _ordinal_word(unit)


def digits(s: str, zero: str = "zero") -> str:
    """Digit by digit: ``"007" -> "zero zero seven"``; characters other than digits are skipped."""
    return " ".join(zero if c == "0" else ONES[int(c)] for c in s if "0" <= c <= "9")


def _int_of(s: str) -> int:
    s = s.replace(",", "")
    return int(s) if s else 0


def number(s: str, comma: bool = False) -> str:
    """A written number: ``"-1,465" -> "minus one thousand four hundred sixty-five"``,
    ``"3.14" -> "three point one four"``, ``".5" -> "point five"``."""
    s = s.strip()
    sign = ""
    if s[:1] in "-+":
        sign = "minus " if s[0] == "-" else "plus "
        s = s[1:]
    whole, point, frac = s.partition(".")
    whole_digits = whole.replace(",", "")
    if len(whole_digits) > 36 or (len(whole_digits) > 1 and whole_digits[0] == "0" and "," not in whole):
        head = digits(whole_digits)
    elif whole_digits:
        head = cardinal(_int_of(whole_digits), comma)
    else:
        head = ""
    if point and frac:
        tail = "point " + digits(frac)
        return sign + (head + " " + tail if head else tail)
    return sign + (head or "zero")


def year(n: int) -> str:
    """How years are read: ``1863 -> eighteen sixty-three``, ``1800 -> eighteen hundred``,
    ``1803 -> eighteen oh three``, ``2000 -> two thousand``, ``2007 -> two thousand seven``,
    ``2021 -> twenty twenty-one``, ``626 -> six twenty-six``; other numbers as cardinals."""
    n = int(n)
    if n < 100 or n > 9999:
        return cardinal(n)
    if n % 1000 == 0 or (2000 < n < 2010):
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return cardinal(high) + " hundred"
    if low < 10:
        return cardinal(high) + " oh " + ONES[low]
    return cardinal(high) + " " + cardinal(low)


def nominal(s: str) -> str:
    """How a number that names something is said (a house, room, flight, page or model number): in
    pairs, like a year: ``"317" -> "three seventeen"``, ``"305" -> "three oh five"``, ``"300" -> "three
    hundred"``, ``"2210" -> "twenty-two ten"``, ``"1204" -> "twelve oh four"``, ``"2005" -> "twenty oh
    five"``, ``"2000" -> "two thousand"``, ``"12345" -> "one twenty-three forty-five"``; up to two
    digits a cardinal; a leading zero or more than five digits: digit by digit."""
    if not s.isdigit():
        raise ValueError(f"nominal() wants digits, got {s!r}")
    if len(s) > 5 or (len(s) > 1 and s[0] == "0"):
        return digits(s)
    n = int(s)
    if n < 100 or n % 1000 == 0:
        return cardinal(n)
    if len(s) == 5:
        return ONES[int(s[0])] + " " + _pair(s[1:3], inner=True) + " " + _pair(s[3:])
    return cardinal(n // 100) + " " + _pair(s[-2:])


def _pair(two: str, inner: bool = False) -> str:
    if two == "00":
        return "oh oh" if inner else "hundred"
    if two[0] == "0":
        return "oh " + ONES[int(two[1])]
    return cardinal(int(two))


def version_part(s: str) -> str:
    """One part of a version number: ``"11" -> "eleven"``, ``"0" -> "oh"``, ``"05" -> "oh five"``."""
    if s == "0":
        return "oh"
    if s[0] == "0":
        return digits(s, zero="oh")
    return cardinal(int(s))


def plural(words: str) -> str:
    """Plural of a number's words: ``"nineteen ninety" -> "nineteen nineties"``, ``"six" -> "sixes"``."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith(("x", "s")):
        return words + "es"
    return words + "s"


def decade(n: int) -> str:
    """``1990 -> "nineteen nineties"``, ``90 -> "nineties"``, ``1800 -> "eighteen hundreds"``."""
    n = int(n)
    return plural(year(n) if 100 <= n <= 9999 else cardinal(n))


def fraction(numerator: int, denominator: int) -> str:
    """``1/2 -> "one half"``, ``3/4 -> "three quarters"``, ``5/8 -> "five eighths"``."""
    numerator, denominator = int(numerator), int(denominator)
    if denominator == 0:
        return cardinal(numerator) + " over zero"
    if denominator == 1:
        return cardinal(numerator) + " over one"
    one, many = _FRACTION_WORDS.get(denominator, (None, None))
    if one is None:
        one = ordinal(denominator)
        if one.startswith("one ") and denominator >= 100:  # "one hundredth", not "one one hundredth"
            one = one[4:]
        many = one + "s"
    return cardinal(numerator) + " " + (one if numerator == 1 else many)


def mixed_fraction(whole: int, numerator: int, denominator: int) -> str:
    """``2 1/2 -> "two and a half"``, ``2 3/4 -> "two and three quarters"``."""
    part = fraction(numerator, denominator)
    if int(numerator) == 1 and int(denominator) > 1:
        part = ("an " if part.split(" ", 1)[1][0] in "aeiou" else "a ") + part.split(" ", 1)[1]
    return cardinal(whole) + " and " + part
