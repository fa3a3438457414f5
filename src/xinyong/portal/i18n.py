"""The portal's languages: Chinese (default) and English, from the .po catalogues.

The catalogues in ``translations/<lang>/LC_MESSAGES/messages.po`` are read once at start
(no compile step): to add or change a UI string, edit both .po files. A message missing
from a catalogue shows its msgid (English).
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
    """The catalogue of ``lang`` (one of :data:`LANGUAGES`)."""
    with (_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


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
