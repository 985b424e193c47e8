"""Symbol tables with the exact ids of NVIDIA DeepLearningExamples' ``common/text/symbols.py``.

Pretrained FastPitch checkpoints fix the embedding rows, so order matters: ``english_basic`` is
pad ``_``, ``-``, the punctuation ``!'(),.:;?`` and space, A-Z, a-z, then the 84 ARPAbet symbols
prefixed with ``@`` (148 in all).
"""
from __future__ import annotations

ARPABET = [
    "AA", "AA0", "AA1", "AA2", "AE", "AE0", "AE1", "AE2", "AH", "AH0", "AH1", "AH2",
    "AO", "AO0", "AO1", "AO2", "AW", "AW0", "AW1", "AW2", "AY", "AY0", "AY1", "AY2",
    "B", "CH", "D", "DH", "EH", "EH0", "EH1", "EH2", "ER", "ER0", "ER1", "ER2", "EY",
    "EY0", "EY1", "EY2", "F", "G", "HH", "IH", "IH0", "IH1", "IH2", "IY", "IY0", "IY1",
    "IY2", "JH", "K", "L", "M", "N", "NG", "OW", "OW0", "OW1", "OW2", "OY", "OY0",
    "OY1", "OY2", "P", "R", "S", "SH", "T", "TH", "UH", "UH0", "UH1", "UH2", "UW",
    "UW0", "UW1", "UW2", "V", "W", "Y", "Z", "ZH",
]
ARPABET_SET = frozenset(ARPABET)

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_AT_ARPABET = ["@" + s for s in ARPABET]

_SYMBOL_SETS = {
    "english_basic": list("_" + "-" + "!'(),.:;? " + _UPPER + _LOWER) + _AT_ARPABET,
    "english_basic_lowercase": list("_" + "-" + "!'\"(),.:;? " + _LOWER) + _AT_ARPABET,
    "english_expanded": list("!'\",.:;? " + "#%&*+-/[]()" + "_@©°½—₩€$" + "áçéêëñöøćž"
                             + _UPPER + _LOWER) + _AT_ARPABET,
}
SYMBOL_SETS = tuple(_SYMBOL_SETS)


def get_symbols(symbol_set: str = "english_basic") -> list[str]:
    if symbol_set not in _SYMBOL_SETS:
        raise ValueError(f"unknown symbol set {symbol_set!r}: use one of {', '.join(SYMBOL_SETS)}")
    return list(_SYMBOL_SETS[symbol_set])


def get_pad_idx(symbol_set: str = "english_basic") -> int:
    """Index of the pad symbol ``_`` (0 for the basic sets, as NVIDIA's; 19 for english_expanded,
    for which NVIDIA's code has no answer)."""
    return get_symbols(symbol_set).index("_")
