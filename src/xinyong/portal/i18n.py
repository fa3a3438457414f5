"""The portal's languages: Chinese (default) and English, from the .po catalogues.

The catalogues in ``translations/<lang>/LC_MESSAGES/*.po`` are read once at start (no
compile step) and merged: ``messages.po`` holds the public pages' strings, and each page
area keeps its own file (``subject.po``, ``console.po``, ``statistics.po``). To add or change a
UI string, edit the same file in both languages. A message missing from a catalogue shows
its msgid (English).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "xinyong_lang"
_DIR = Path(__file__).parent / "translations"


@cache
def translations(lang: str) -> Translations:
    """The merged catalogues of ``lang`` (one of :data:`LANGUAGES`)."""
    merged = Translations()
    for path in po_files(lang):
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        merged.merge(Translations(fp=buf))
    return merged


def po_files(lang: str) -> list[Path]:
    """The .po files of ``lang``, ``messages.po`` first."""
    found = (_DIR / lang / "LC_MESSAGES").glob("*.po")
    return sorted(found, key=lambda p: (p.name != "messages.po", p.name))


def pick(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: ``?lang=``, else the cookie, else Accept-Language, else zh."""
    for chosen in (query, cookie):
        if chosen in LANGUAGES:
            return chosen
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT
