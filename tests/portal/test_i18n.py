"""The portal's catalogues keep up with its templates: every UI string has a Chinese and an
English translation, so no page shows an untranslated string in either language."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from xinyong.portal import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"
# _("...") or _('...') in a template; the msgid may not contain its own quote.
_CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def template_msgids() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        for double, single in _CALL.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


def catalogue(lang: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for path in i18n.po_files(lang):
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id:
                    messages[str(message.id)] = str(message.string)
    return messages


def test_every_template_string_is_translated_in_both_languages() -> None:
    wanted = template_msgids()
    assert len(wanted) > 50
    for lang in i18n.LANGUAGES:
        held = catalogue(lang)
        missing = sorted(m for m in wanted if not held.get(m))
        assert not missing, f"{lang}: no translation for {missing}"


def test_chinese_catalogue_is_chinese() -> None:
    zh = catalogue("zh")
    untranslated = sorted(
        m for m, text in zh.items() if not re.search(r"[\u4e00-\u9fff]", text) and len(m) > 12
    )
    assert not untranslated, untranslated


def test_no_message_is_declared_twice() -> None:
    for lang in i18n.LANGUAGES:
        seen: dict[str, Path] = {}
        for path in i18n.po_files(lang):
            with path.open("rb") as f:
                for message in read_po(f, locale=lang):
                    if not message.id:
                        continue
                    assert message.id not in seen, (
                        f"{message.id!r} in {path} and {seen[message.id]}"
                    )
                    seen[str(message.id)] = path
