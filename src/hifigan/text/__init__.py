"""Text front-end: cleaners (normalization), CMUdict ARPAbet, NVIDIA-compatible symbol ids, SSML."""
from hifigan.text.cleaners import CLEANERS, get_cleaner
from hifigan.text.cmudict import CMUDict
from hifigan.text.processor import SpokenWord, TextProcessor, word_of_ids
from hifigan.text.sentences import Sentence, split_sentences, split_sentences_with_offsets
from hifigan.text.ssml import Break, Segment, is_ssml, parse_ssml
from hifigan.text.symbols import SYMBOL_SETS, get_pad_idx, get_symbols

__all__ = ["CLEANERS", "Break", "CMUDict", "SYMBOL_SETS", "Segment", "Sentence", "SpokenWord", "TextProcessor",
           "get_cleaner", "get_pad_idx", "get_symbols", "is_ssml", "parse_ssml", "split_sentences",
           "split_sentences_with_offsets", "word_of_ids"]
