"""Heteronyms read by their neighbours: "the wind" / "to wind", "I will read" / "I had read".

NVIDIA's front-end leaves a heteronym as letters and lets the model guess from the spelling, which
a voice trained on a few hours of speech often gets wrong ("a strong wind" said as "wined").
:func:`choose` picks one dictionary pronunciation from the word before and the word after, with
cues a reader uses: a determiner before the word makes it a noun ("the wind", "their lives"), ``to``
or a modal makes it a verb ("to wind", "will close"), a perfect or passive auxiliary makes "read"
a past participle, and a few words carry their own cues ("close to", "live music", "winds
through", "wound up"). When no cue decides and the word has no safe default, it returns ``None``
and the word stays as letters, as before.

Only words whose readings differ in sound are here, and every pronunciation below is one of the
CMU dictionary's own for that word (``tests/test_heteronyms.py`` checks it). Used by
:class:`~hifigan.text.processor.TextProcessor` with ``handle_ambiguous="context"``.
"""
from __future__ import annotations

__all__ = ["WORDS", "choose"]

DETERMINERS = frozenset("a an the this these those my your his her its our their some any no every each many "
                        "much several few whose another such own".split())
TO_MODAL = frozenset("to will would can could shall should may might must do does did don't doesn't didn't "
                     "can't cannot won't wouldn't couldn't shouldn't mustn't let's please i'll you'll we'll "
                     "they'll he'll she'll it'll".split())
PLURAL_SUBJECTS = frozenset("i you we they".split())
SINGULAR_SUBJECTS = frozenset("he she it who which one everyone everybody someone somebody nobody".split())
PERFECT_PASSIVE = frozenset("have has had having was were been being is are be am i've you've we've they've "
                            "already".split())
PREPOSITIONS = frozenset("of for in on at with without from into about by".split())
ADVERBS = frozenset("not never also always just only often still really sometimes usually rarely soon then "
                    "even finally".split())  # looked past: "will not read" is "will read"
DEGREE = frozenset("very more most so too quite fairly".split())

# Noun (or adjective) first, verb second: stress moves, and the -ate words change their vowel.
NOUN_VERB = {
    "present": ("P R EH1 Z AH0 N T", "P R IY0 Z EH1 N T"),
    "record": ("R EH1 K ER0 D", "R AH0 K AO1 R D"),
    "object": ("AA1 B JH EH0 K T", "AH0 B JH EH1 K T"),
    "project": ("P R AA1 JH EH0 K T", "P R AH0 JH EH1 K T"),
    "produce": ("P R OW1 D UW0 S", "P R AH0 D UW1 S"),
    "permit": ("P ER1 M IH2 T", "P ER0 M IH1 T"),
    "conduct": ("K AA1 N D AH0 K T", "K AA0 N D AH1 K T"),
    "contract": ("K AA1 N T R AE2 K T", "K AH0 N T R AE1 K T"),
    "progress": ("P R AA1 G R EH2 S", "P R AH0 G R EH1 S"),
    "increase": ("IH1 N K R IY2 S", "IH2 N K R IY1 S"),
    "subject": ("S AH1 B JH IH0 K T", "S AH0 B JH EH1 K T"),
    "rebel": ("R EH1 B AH0 L", "R IH0 B EH1 L"),
    "refuse": ("R EH1 F Y UW2 Z", "R IH0 F Y UW1 Z"),
    "desert": ("D EH1 Z ER0 T", "D IH0 Z ER1 T"),
    "use": ("Y UW1 S", "Y UW1 Z"),
    "excuse": ("IH0 K S K Y UW1 S", "IH0 K S K Y UW1 Z"),
    "abuse": ("AH0 B Y UW1 S", "AH0 B Y UW1 Z"),
    "estimate": ("EH1 S T AH0 M AH0 T", "EH1 S T AH0 M EY2 T"),
    "moderate": ("M AA1 D ER0 AH0 T", "M AA1 D ER0 EY2 T"),
    "separate": ("S EH1 P R AH0 T", "S EH1 P ER0 EY2 T"),
    "graduate": ("G R AE1 JH AH0 W AH0 T", "G R AE1 JH AH0 W EY2 T"),
    "appropriate": ("AH0 P R OW1 P R IY0 AH0 T", "AH0 P R OW1 P R IY0 EY2 T"),
}
_ADJECTIVE_ATE = {"moderate", "separate", "appropriate", "present"}  # also "is separate", "very moderate"

_LIVE_NOUNS = frozenset("music show shows broadcast broadcasts performance performances concert concerts audience "
                        "coverage event events stream streaming recording recordings television tv radio wire wires "
                        "ammunition round rounds bait animal animals feed album band version birth births coals "
                        "entertainment sound update updates video theater theatre".split())
_CLOSE_NEXT = frozenset("to by friend friends call calls range relative relatives relationship relationships attention "
                        "contact together behind enough second look eye quarters proximity ties shave race "
                        "encounter".split())
_CLOSE_PREV = frozenset("very so too quite fairly pretty really as stay stayed stays came come comes coming get got "
                        "gets getting is was are were be been draw drew hold held keep kept remain remained up "
                        "from a".split())
_WINDS_PREV = frozenset("strong high cold warm gusty light heavy fierce trade prevailing north south east west "
                        "northern southern eastern western solar icy biting howling gale hurricane fresh changing "
                        "shifting".split())
_PATH = frozenset("through around round along up down back past across toward towards into between".split())
_AT_PLACE = frozenset("in at on near with alone here there abroad nearby next by across outside inside downstairs "
                      "upstairs together off".split())
_APART = frozenset("up down apart off open through into out away at".split())
_LEAD_METAL = frozenset("pipe pipes paint poisoning pencil pencils bullet bullets weight weights shot apron crystal "
                        "balloon acid ore mine mines pellet pellets sheet sheets levels exposure".split())
_MINUTE_ADJ_NEXT = frozenset("detail details amount amounts quantity quantities trace traces particle particles "
                             "difference differences fraction".split())

WORDS = frozenset(NOUN_VERB) | {"read", "wind", "winds", "live", "lives", "lead", "close", "tear", "tears", "wound",
                                "minute", "does"}


def _noun_verb(word: str, prev: str) -> str | None:
    noun, verb = NOUN_VERB[word]
    if prev in TO_MODAL or prev in PLURAL_SUBJECTS:
        return verb
    if prev in DETERMINERS or prev in PREPOSITIONS:
        return noun
    if word in _ADJECTIVE_ATE and (prev in DEGREE or prev in ("is", "was", "are", "were", "be", "been")):
        return noun
    return None


def choose(word: str, prev: str = "", next_: str = "", prev2: str = "") -> str | None:
    """ARPAbet for ``word`` (lower case) given the words around it ("" at a sentence or clause
    edge), or ``None`` to keep the letters."""
    if prev in ADVERBS:
        prev, prev2 = prev2, ""
    if word in NOUN_VERB:
        return _noun_verb(word, prev)
    if word == "read":
        if prev in PERFECT_PASSIVE:
            return "R EH1 D"
        if prev in TO_MODAL or prev in PLURAL_SUBJECTS or prev in DETERMINERS or prev == "":
            return "R IY1 D"  # "to read", "I read every day", "a good read", "Read this."
        return "R EH1 D"  # "he read", "the teacher read": a singular subject without -s is past
    if word == "wind":
        if prev in DETERMINERS or prev in PREPOSITIONS:
            return "W IH1 N D"
        if prev in TO_MODAL or prev in PLURAL_SUBJECTS or next_ in ("up", "down"):
            return "W AY1 N D"
        return "W IH1 N D"
    if word == "winds":
        if prev in DETERMINERS or prev in _WINDS_PREV or prev in PREPOSITIONS:
            return "W IH1 N D Z"
        if prev in SINGULAR_SUBJECTS or next_ in _PATH:
            return "W AY1 N D Z"  # "the road winds through the hills"
        return "W IH1 N D Z"
    if word == "live":
        return "L AY1 V" if prev in DETERMINERS or next_ in _LIVE_NOUNS else "L IH1 V"
    if word == "lives":
        if prev in DETERMINERS or prev in PREPOSITIONS:
            return "L AY1 V Z"
        if prev in SINGULAR_SUBJECTS or next_ in _AT_PLACE:
            return "L IH1 V Z"  # "who lives abroad", "the family lives in"
        return "L AY1 V Z"
    if word == "lead":
        return "L EH1 D" if next_ in _LEAD_METAL or prev == "molten" else "L IY1 D"
    if word == "close":
        if prev in TO_MODAL:
            return "K L OW1 Z"
        if next_ in _CLOSE_NEXT or prev in _CLOSE_PREV:
            return "K L OW1 S"
        return "K L OW1 Z"
    if word == "tear":
        if prev == "and" and prev2 == "wear":
            return "T EH1 R"
        if prev in TO_MODAL or prev in PLURAL_SUBJECTS or next_ in _APART:
            return "T EH1 R"
        return "T IH1 R"
    if word == "tears":
        if prev not in DETERMINERS and (prev in SINGULAR_SUBJECTS or next_ in _APART):
            return "T EH1 R Z"
        return "T IH1 R Z"
    if word == "wound":
        if prev in DETERMINERS:
            return "W UW1 N D"
        if next_ in _PATH or next_ in ("the", "a", "an", "his", "her", "its", "their", "itself", "tightly", "tight"):
            return "W AW1 N D"  # "wound up", "he wound the clock"
        return "W UW1 N D"
    if word == "minute":
        return "M AY0 N UW1 T" if prev in DEGREE or next_ in _MINUTE_ADJ_NEXT else "M IH1 N AH0 T"
    if word == "does":
        return "D AH1 Z"
    return None
