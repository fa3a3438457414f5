"""Normalising organisation names for screening.

A name is folded (Unicode NFKC, so full-width ``ＡＢＣ（厦门）`` becomes ``abc(厦门)``, then
case-folded) and cut into *units*: each Chinese (wide) character is a unit, and so is each
run of other letters and digits (an English word). Punctuation and spaces separate units
and are dropped; ``.`` and ``'`` join (``L.L.C.`` is ``llc``). Then, from the configuration
(``data/screening.yaml``):

1. a bracketed place or legal form (``鑫达（厦门）贸易``, ``（特殊普通合伙）``) is taken out;
2. a branch marker at the end (分公司, branch) makes the name a branch; what stands between
   the head office's legal form and the marker is its designation (思明);
3. the legal form at the end (有限公司, Co., Ltd.) is stripped and kept as a code;
4. up to three leading places (福建省厦门市) are stripped; the most specific is kept.

What is left is the *core*, the distinctive part (鑫达贸易, acme trading). The *key*
(place, core, legal form, branch) is what reviewer decisions are stored under: every way of
writing one name has the same key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from xinyong.screening.config import ScreeningConfig, default_config

ZH = "zh"
EN = "en"
#: Characters that join the letters around them instead of separating words.
JOINERS = frozenset(".'’`")
#: Most leading places stripped (province, city, district).
MAX_PLACES = 3
_BRACKETED = re.compile(r"\(([^()]*)\)")

Units = tuple[str, ...]


def fold(text: str) -> str:
    """NFKC, case-folded, NFKC again (case folding can leave decomposed characters)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def is_wide(ch: str) -> bool:
    """A Chinese (or other East Asian wide) character: one unit on its own."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def units_of(folded: str) -> Units:
    """The units of a folded text: wide characters one by one, other letters by word (a
    combining mark belongs to the word it follows; elsewhere it is dropped)."""
    units: list[str] = []
    run: list[str] = []
    for ch in folded:
        kind = unicodedata.category(ch)[0]
        if ch in JOINERS or (kind == "M" and not run):
            continue
        if kind in "LNM" and not is_wide(ch):
            run.append(ch)
            continue
        if run:
            units.append("".join(run))
            run = []
        if kind in "LN":
            units.append(ch)
    if run:
        units.append("".join(run))
    return tuple(units)


def _script(units: Units) -> str:
    return ZH if any(len(u) == 1 and is_wide(u) for u in units) else EN


def joined(units: Iterable[str], script: str) -> str:
    return ("" if script == ZH else " ").join(units)


@dataclass(frozen=True)
class NormalisedName:
    """A name taken apart for screening."""

    name: str  # as given
    written: str  # folded, white space collapsed: the name as written, minus case and width
    script: str  # "zh" when it holds a Chinese character, else "en"
    core_units: Units  # the distinctive part: no place, legal form or branch marker
    whole: str  # the name without its legal form (Chinese joined, English words spaced)
    place: str | None  # the leading (or bracketed) place's code
    legal_form: str | None  # the legal form's code
    branch: str | None  # None: not a branch; else its designation ("" when it has none)

    @property
    def core(self) -> str:
        return "".join(self.core_units)

    @property
    def is_branch(self) -> bool:
        return self.branch is not None

    @property
    def key(self) -> str:
        """``厦门 鑫达贸易 limited branch:思明``: what decisions are stored under."""
        parts = [self.place, self.core, self.legal_form]
        if self.branch is not None:
            parts.append(f"branch:{self.branch}")
        return " ".join(p for p in parts if p)

    @property
    def empty(self) -> bool:
        return not self.core_units


class Normaliser:
    """Normalises names with the written forms of one configuration."""

    def __init__(self, config: ScreeningConfig) -> None:
        self.forms: dict[Units, str] = {}
        for form in config.legal_forms:
            for written in form.written:
                self.forms.setdefault(units_of(fold(written)), form.code)
        self.markers = {units_of(fold(m)) for m in config.branch_markers}
        self.places: dict[Units, str] = {}
        for place in config.places:
            for written in place.written:
                self.places.setdefault(units_of(fold(written)), place.code)
        self.min_core = {ZH: config.min_core.zh, EN: config.min_core.en}
        self._form_lengths = sorted({len(u) for u in self.forms}, reverse=True)
        self._marker_lengths = sorted({len(u) for u in self.markers}, reverse=True)
        self._place_lengths = sorted({len(u) for u in self.places}, reverse=True)

    def normalise(self, name: str) -> NormalisedName:
        written = " ".join(fold(name).split())
        bracketed_place: str | None = None
        bracketed_form: str | None = None

        def take_out(match: re.Match[str]) -> str:
            nonlocal bracketed_place, bracketed_form
            inner = units_of(match.group(1))
            if inner in self.places and bracketed_place is None:
                bracketed_place = self.places[inner]
                return " "
            if inner in self.forms and bracketed_form is None:
                bracketed_form = self.forms[inner]
                return " "
            return match.group(0)

        units = units_of(_BRACKETED.sub(take_out, written))
        script = _script(units)
        head, marker = _strip_end(units, self.markers, self._marker_lengths)
        designation: Units = ()
        if marker is not None:
            head, legal_form, designation = self._branch_parts(head)
        else:
            head, found = _strip_end(head, self.forms, self._form_lengths)
            legal_form = self.forms[found] if found is not None else None
        whole = head + designation + (marker or ())
        core, place = self._strip_places(head, script)
        return NormalisedName(
            name=name,
            written=written,
            script=script,
            core_units=core,
            whole=joined(whole, script),
            place=place or bracketed_place,
            legal_form=legal_form or bracketed_form,
            branch=None if marker is None else "".join(designation),
        )

    def _branch_parts(self, units: Units) -> tuple[Units, str | None, Units]:
        """A branch's head office (without legal form), that legal form, its designation.

        The designation follows the last legal form in the name, the longest one ending
        there (鑫达贸易有限公司·思明·分公司); without a legal form, a place at the end is
        taken as the designation (工商银行·厦门·分行).
        """
        for end in range(len(units), 1, -1):
            for length in self._form_lengths:
                start = end - length
                if start >= 1 and units[start:end] in self.forms:
                    return units[:start], self.forms[units[start:end]], units[end:]
        head, place = _strip_end(units, self.places, self._place_lengths)
        return head, None, place or ()

    def _strip_places(self, units: Units, script: str) -> tuple[Units, str | None]:
        place: str | None = None
        for _ in range(MAX_PLACES):
            for length in self._place_lengths:
                start = units[:length]
                if len(units) - length >= self.min_core[script] and start in self.places:
                    place = self.places[start]
                    units = units[length:]
                    break
            else:
                break
        return units, place


def _strip_end(
    units: Units, table: dict[Units, str] | set[Units], lengths: list[int]
) -> tuple[Units, Units | None]:
    """``units`` without the longest ending found in ``table`` (leaving at least one unit),
    and that ending."""
    for length in lengths:
        if len(units) > length and units[-length:] in table:
            return units[:-length], units[-length:]
    return units, None


_built: dict[int, tuple[ScreeningConfig, Normaliser]] = {}


def normaliser(config: ScreeningConfig | None = None) -> Normaliser:
    """The normaliser of ``config`` (default: the configuration in force), built once."""
    config = config or default_config()
    found = _built.get(id(config))
    if found is None or found[0] is not config:
        found = (config, Normaliser(config))
        _built[id(config)] = found  # the config is kept, so its id is never reused
    return found[1]


def normalise(name: str, config: ScreeningConfig | None = None) -> NormalisedName:
    return normaliser(config).normalise(name)


def grams(name: NormalisedName) -> list[str]:
    """The character pairs of the core that the name indexes can look up, in order: pairs
    of the whole core for Chinese, pairs within each word for English (a word of one
    character is looked up as itself)."""
    pieces = [name.core] if name.script == ZH else list(name.core_units)
    found: list[str] = []
    for piece in pieces:
        pairs = [piece[i : i + 2] for i in range(len(piece) - 1)] or [piece]
        found += [p for p in pairs if p and p not in found]
    return found


def wide_form(gram: str) -> str | None:
    """``ac`` -> ``ａｃ``: the full-width form of ASCII letters and digits (names stored
    with full-width letters are indexed that way), or None when nothing changes."""
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in gram)
    return wide if wide != gram else None
