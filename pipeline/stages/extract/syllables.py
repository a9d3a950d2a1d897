"""Whether a word can be a Vietnamese syllable: an onset, a vowel nucleus, an optional final, at
most one tone mark, and a stop final (c, ch, p, t) only with the sắc or nặng tone.

A person's name (of the Kinh majority) is made of such syllables, so a name word that is not one
was misread ("TRÂW", "TUYẾ", "THƯỲ", "PHÙC") and the name is doubtful. Names of other peoples
("H'Hen Niê", "Ksor") are not built this way and are doubtful too: a person looks, no harm done.
"""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0301": "sac", "\u0300": "huyen", "\u0309": "hoi", "\u0303": "nga", "\u0323": "nang"}
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
_FINAL = r"(?:ch|ng|nh|[cmnpt])?"
# Vowel nuclei, with their vowel marks (â ă ê ô ơ ư), without tone.
_NUCLEI = (
    "a ă â e ê i o ô ơ u ư y "
    "ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ ưa ưi ưu uy yê ươ "
    "iêu oai oay oeo uây uôi ươi ươu uya uyê uyu yêu"
).split()
# Nuclei that are only ever closed, by a final consonant or their own glide ("tiên", "tuyết").
_CLOSED = {"iê", "yê", "uô", "ươ", "uyê", "â", "ă", "uâ", "oă"}
_SYLLABLE = re.compile(rf"^({_ONSET})({'|'.join(sorted(_NUCLEI, key=len, reverse=True))})({_FINAL})$")


def _split_tone(word: str) -> tuple[str, list[str]]:
    """The word without tone marks (vowel marks kept), and the tones it carried."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [_TONES[ch] for ch in decomposed if ch in _TONES]
    bare = "".join(ch for ch in decomposed if ch not in _TONES)
    return unicodedata.normalize("NFC", bare), tones


def is_syllable(word: str) -> bool:
    """``word`` (any case) is a well-formed Vietnamese syllable."""
    bare, tones = _split_tone(word)
    if len(tones) > 1:
        return False
    m = _SYLLABLE.match(bare)
    if not m:
        return False
    onset, nucleus, final = m.groups()
    if nucleus in _CLOSED and not final:
        return False
    if final in ("c", "ch", "p", "t") and tones and tones[0] not in ("sac", "nang"):
        return False
    if onset == "qu" and nucleus.startswith("u"):
        return False
    return True
