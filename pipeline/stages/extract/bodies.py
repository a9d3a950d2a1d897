"""An issuing body's name as it is spelled: the words every body's name is made of, and its place
read again where the paper names it a second time.

OCR reads a header in capitals worse than running text: tone marks drop or move ("KIÊN QUỐC"
for KIẾN QUỐC, "TÍNH" for TỈNH), two words run together ("CAMLÂM") and the last letters of a
line go ("HỒ CHÍ MI"). The body's kind ("ỦY BAN NHÂN DÂN", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG") and
its level ("THÀNH PHỐ", "HUYỆN", "XÃ") come from a closed vocabulary, so they are spelled from
it, and so is a province; a smaller place is not, but a paper names its issuer's place again in running text ("Nơi đăng
ký: Ủy ban nhân dân xã Kiến Quốc", "Biên Hòa, ngày ...", an address), which OCR reads in mixed
case with its marks; such a mention, when it is the same name read better, gives the spelling.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from difflib import SequenceMatcher

from pipeline.stages.extract.syllables import is_syllable
from pipeline.textnorm import fold_upper, nfc, upper_ratio

# What a body is called, longest first so "THỊ XÃ" is tried before "XÃ".
BODY_KINDS = (
    "ỦY BAN NHÂN DÂN", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "SỞ TƯ PHÁP", "SỞ XÂY DỰNG",
    "SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "PHÒNG TÀI CHÍNH - KẾ HOẠCH",
    "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "PHÒNG TƯ PHÁP", "PHÒNG KINH TẾ", "PHÒNG KINH TẾ - HẠ TẦNG",
    "PHÒNG QUẢN LÝ ĐÔ THỊ", "VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI", "CHI NHÁNH VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI",
    "BẢO HIỂM XÃ HỘI", "CÔNG AN", "CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI",
)
UNIT_LEVELS = ("THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "TỈNH", "HUYỆN", "QUẬN", "PHƯỜNG", "XÃ", "ĐẶC KHU")
# The provinces and centrally-run cities (the 63 of 2008-2025; the 34 after the 2025 merger keep
# names of these, and papers issued before stay in use), spelled as official headers print them.
PROVINCES = (
    "HÀ NỘI", "HỒ CHÍ MINH", "HẢI PHÒNG", "ĐÀ NẴNG", "CẦN THƠ", "HUẾ", "HÀ GIANG", "CAO BẰNG", "BẮC KẠN",
    "TUYÊN QUANG", "LÀO CAI", "ĐIỆN BIÊN", "LAI CHÂU", "SƠN LA", "YÊN BÁI", "HÒA BÌNH", "THÁI NGUYÊN",
    "LẠNG SƠN", "QUẢNG NINH", "BẮC GIANG", "PHÚ THỌ", "VĨNH PHÚC", "BẮC NINH", "HẢI DƯƠNG", "HƯNG YÊN",
    "THÁI BÌNH", "HÀ NAM", "NAM ĐỊNH", "NINH BÌNH", "THANH HÓA", "NGHỆ AN", "HÀ TĨNH", "QUẢNG BÌNH",
    "QUẢNG TRỊ", "THỪA THIÊN HUẾ", "QUẢNG NAM", "QUẢNG NGÃI", "BÌNH ĐỊNH", "PHÚ YÊN", "KHÁNH HÒA",
    "NINH THUẬN", "BÌNH THUẬN", "KON TUM", "GIA LAI", "ĐẮK LẮK", "ĐẮK NÔNG", "LÂM ĐỒNG", "BÌNH PHƯỚC",
    "TÂY NINH", "BÌNH DƯƠNG", "ĐỒNG NAI", "BÀ RỊA - VŨNG TÀU", "LONG AN", "TIỀN GIANG", "BẾN TRE",
    "TRÀ VINH", "VĨNH LONG", "ĐỒNG THÁP", "AN GIANG", "KIÊN GIANG", "HẬU GIANG", "SÓC TRĂNG", "BẠC LIÊU",
    "CÀ MAU",
)
PROVINCE_SIMILARITY = 0.85
MENTION_SIMILARITY = 0.8  # a mention this close (letters, marks ignored) is the same place read again


def _key(words) -> str:
    return re.sub(r"[^A-Z0-9]", "", fold_upper(" ".join(words)))


def _take(words: list[str], phrases: tuple[str, ...]) -> tuple[list[str], int]:
    """The canonical words of the longest phrase ``words`` begin with, and how many words it
    took ("MÔITRƯỜNG" run together counts as the two words it stands for)."""
    for phrase in sorted(phrases, key=len, reverse=True):
        target = _key(phrase.split())
        for n in range(1, len(phrase.split()) + 1):
            if n <= len(words) and _key(words[:n]) == target:
                return phrase.split(), n
    return [], 0


def spell_body(value: str) -> tuple[str, list[str], bool]:
    """The body's name with its kind and level spelled from the vocabulary, its place words, and
    whether the place is a province spelled from the list of provinces."""
    words = value.split()
    kind, used = _take(words, BODY_KINDS)
    if not kind:
        return value, [], False
    rest = words[used:]
    level, used_level = _take(rest, UNIT_LEVELS)
    place = rest[used_level:]
    province = _province(place) if level in (["TỈNH"], ["THÀNH", "PHỐ"]) else None
    if province:
        return nfc(" ".join(kind + level + province.split())), province.split(), True
    return nfc(" ".join(kind + level + place)), place, False


def _province(place: list[str]) -> str | None:
    """The province ``place`` names: the same letters, or nearly (a lost or run-together letter)."""
    key = _key(place)
    if len(key) < 4:
        return None
    best = max(PROVINCES, key=lambda p: SequenceMatcher(None, key, _key(p.split())).ratio())
    other = _key(best.split())
    if other == key or (SequenceMatcher(None, key, other).ratio() >= PROVINCE_SIMILARITY and other[:2] == key[:2]):
        return best
    return None


def _lines_outside(text: str, skip: tuple[int, int]) -> Iterator[str]:
    """The lines of ``text`` that do not overlap the span ``skip`` (where the value was read)."""
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if not (end > skip[0] and start < skip[1]):
            yield line


def _mentions(text: str, skip: tuple[int, int], size: int) -> list[tuple[list[str], bool]]:
    """Runs of ``size`` - 1 to ``size`` + 1 words on each line outside ``skip``, with whether the
    line is running text (mixed case, read with its marks) rather than capitals."""
    out: list[tuple[list[str], bool]] = []
    for line in _lines_outside(text, skip):
        words = re.findall(r"[^\W_]+", line)
        running = upper_ratio(line) < 0.7
        for n in {size - 1, size, size + 1} - {0}:
            for i in range(len(words) - n + 1):
                out.append((words[i:i + n], running))
    return out


def confirm_place(text: str, value: str, span: tuple[int, int]) -> tuple[str, bool]:
    """``value`` (a body's name read at ``span`` of ``text``) with its place spelled as the paper
    spells it elsewhere, and whether another mention confirmed it.

    Mentions of the same letters (marks ignored) vote on the marks, the value read first
    winning a tie (the model reads "Nghi Lộc" in running text as the common word "Nghỉ" as
    often as it misplaces a mark in capitals). A mention that differs in a letter or two (a
    run-together word, a lost last letter) replaces the capitals only from running text, only
    when it is this close, starts alike and is no shorter."""
    spelled, place, province = spell_body(value)
    if province:
        return spelled, True
    if not place:
        return spelled, False
    head = spelled.split()[: len(spelled.split()) - len(place)]
    key = _key(place)
    if len(key) < 3:
        return spelled, False
    votes: Counter[str] = Counter({" ".join(place).upper(): 1})
    near: list[tuple[float, str]] = []
    for words, running in _mentions(text, span, len(place)):
        other = _key(words)
        if other == key:
            # Capitals run words together far more often than running text splits one.
            votes[" ".join(words).upper()] += 2 if len(words) > len(place) else 1
        elif running and other[:1] == key[:1] and len(other) >= len(key) - 1 \
                and all(w[:1].isupper() for w in words):
            ratio = SequenceMatcher(None, key, other).ratio()
            if ratio >= MENTION_SIMILARITY:
                near.append((ratio, " ".join(words).upper()))
    best, count = votes.most_common(1)[0]
    if count > 1:
        return nfc(" ".join(head + best.split())), True
    if near:
        return nfc(" ".join(head + max(near)[1].split())), True
    named = _named_again(text, span, head, len(place))
    if named:
        return nfc(" ".join(head + named)), True
    return spelled, False


# Words that follow a body's name in its own sentences ("ỦY BAN NHÂN DÂN PHƯỜNG X XÁC NHẬN:").
_AFTER_BODY = re.compile(r"\b(?:XAC NHAN|QUYET DINH|CHUNG NHAN|CHUNG THUC|TRICH LUC|CAP|KINH GUI|GUI|VE VIEC)\b.*$")


def _named_again(text: str, span: tuple[int, int], head: list[str], size: int) -> list[str] | None:
    """The place of the same kind of body named at the end of another line in capitals ("CHỦ TỊCH
    ỦY BAN NHÂN DÂN THỊ XÃ SA PA" under a header read "THỊ XÃ SA ĐÊ"), up to what its sentence goes
    on with ("... XÁC NHẬN:"), about as many words as read and all syllables; None when no line
    names one, or lines name different places."""
    kind = _key(head)
    places = set()
    for line in _lines_outside(text, span):
        if upper_ratio(line) < 0.7:
            continue  # in running text the place's extent is unclear ("phường Tân Phong xác nhận")
        words = re.findall(r"[^\W_]+", line)
        for i in range(len(words)):
            for n in range(1, len(head) + 3):
                if _key(words[i:i + n]) == kind:
                    rest = words[i + n:]
                    folded = fold_upper(" ".join(rest))
                    cut = _AFTER_BODY.search(folded)
                    place = rest[:len(folded[:cut.start()].split())] if cut else rest
                    if abs(len(place) - size) <= 1 and place and all(is_syllable(w) or w.isdigit() for w in place):
                        places.add(" ".join(place).upper())
                    break
    return places.pop().split() if len(places) == 1 else None
