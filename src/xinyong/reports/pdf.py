"""Rendering a report's content as a PDF (fpdf2), with an embedded CJK font and a QR code.

The font is Noto Sans CJK SC from Debian's ``fonts-noto-cjk`` (OpenType/CFF in a TrueType
collection, which fpdf2 embeds as a subset), or the file named by
``$XINYONG_REPORT_FONT`` (``$XINYONG_REPORT_FONT_INDEX``: its face in a collection).
Without one, rendering stops with ``report_font_missing``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from xinyong.errors import Unavailable

FONT_ENV = "XINYONG_REPORT_FONT"
FONT_INDEX_ENV = "XINYONG_REPORT_FONT_INDEX"
#: Debian's Noto Sans CJK; face 2 of the collection is Simplified Chinese.
DEBIAN_NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_SC_FACE = 2
_FONT = "cjk"


def font_missing(detail: str) -> Unavailable:
    return Unavailable(
        f"no CJK font to render reports with ({detail}): install fonts-noto-cjk or set "
        f"{FONT_ENV} to a font file",
        code="report_font_missing",
    )


@lru_cache(maxsize=8)
def _fc_match() -> str | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # pragma: no cover - fontconfig broken
        return None
    return out if "CJK" in out else None


def font_file() -> tuple[Path, int]:
    """The CJK font to embed and its face number in a collection."""
    configured = os.environ.get(FONT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise font_missing(f"{FONT_ENV}={configured} is not a file")
        raw = os.environ.get(FONT_INDEX_ENV) or "0"
        if not raw.isdigit():
            raise font_missing(f"{FONT_INDEX_ENV}={raw} is not a number")
        return path, int(raw)
    if DEBIAN_NOTO.is_file():
        return DEBIAN_NOTO, NOTO_SC_FACE
    found = _fc_match()
    if found and Path(found).is_file():
        return Path(found), NOTO_SC_FACE if found.endswith(".ttc") else 0
    raise font_missing("Noto Sans CJK not found")


def qr_png(url: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=4, border=2)
    return buf.getvalue()


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=7)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text}    {self.page_no()}/{{nb}}", align="C")


def _line(pdf: FPDF, text: str, *, size: float = 9, h: float = 4.8) -> None:
    pdf.set_font(_FONT, size=size)
    room = pdf.epw - 2 * pdf.c_margin
    for line in text.split("\n"):
        # a line that fits is one cell; fpdf2's line breaking is slow on long texts
        if pdf.get_string_width(line) <= room:
            pdf.cell(0, h, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.multi_cell(0, h, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_fill_color(232, 238, 246)
    pdf.set_font(_FONT, size=11)
    pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, fill=True)
    pdf.ln(1)


def _record_text(r: dict[str, Any]) -> tuple[str, str]:
    name = r["record_type_name"]
    head = f"{r['decided_on']}  {name['zh']} / {name['en']}"
    if r.get("severity"):
        head += f"  [{r['severity']}]"
    lines = []
    marks = []
    if r["under_objection"]:
        marks.append("【异议处理中 Under objection】")
    if r["restoration_pending"]:
        marks.append("【信用修复申请中 Restoration pending】")
    if r.get("hidden"):
        marks.append("【已隐藏 Hidden by the subject】")
    if marks:
        lines.append(" ".join(marks))
    if r.get("disclosure") and r["disclosure"] != "public":
        lines.append(f"不公开 Not public ({r['disclosure']})")
    if r.get("document_number"):
        lines.append(f"文书号 Document: {r['document_number']}")
    if r.get("legal_basis"):
        lines.append(f"依据 Legal basis: {r['legal_basis']}")
    lines.append(f"报送单位 Authority: {r['provider']}")
    until = r.get("publicity_until") or "—"
    lines.append(f"公示截止 Publicity until: {until}")
    for k, v in sorted((r.get("fields") or {}).items()):
        lines.append(f"{k}: {v}")
    for s in r.get("statements") or []:
        lines.append(f"主体声明 Statement ({s['at']}): {s['text']}")
    return head, "\n".join(lines)


def render(content: dict[str, Any], *, report_id: str, issued_at: str, verify_url: str) -> bytes:
    """The unsigned PDF of ``content`` (see :func:`xinyong.reports.service.build_content`)."""
    path, face = font_file()
    pdf = _Report(format="A4")
    pdf.set_title(f"信用报告 Credit report {report_id}")
    pdf.set_creator("xinyong")
    pdf.footer_text = f"报告编号 Report id {report_id}"
    try:
        pdf.add_font(_FONT, fname=str(path), collection_font_number=face)
    except Exception as e:  # fpdf2 raises assorted errors for unusable font files
        raise font_missing(f"{path}: {type(e).__name__}") from None
    # The subset keeps the whole font's bounding boxes (as fontTools' own subsetter does by
    # default) rather than recomputing them from every glyph's outline: that took a third of
    # the time of a long report.
    font = pdf.fonts[_FONT]
    if isinstance(font, TTFFont):
        font.ttfont.recalcBBoxes = False
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.alias_nb_pages()
    pdf.add_page()
    subject = content["subject"]
    full = content["view"] == "full"

    pdf.image(io.BytesIO(qr_png(verify_url)), x=170, y=10, w=28, h=28)
    pdf.set_font(_FONT, size=18)
    pdf.cell(150, 10, "信用报告  Credit report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    view = "本人完整版 Full (the subject's own)" if full else "公开版 Public view"
    _line(
        pdf,
        f"报告编号 Report id: {report_id}\n签发时间 Issued at: {issued_at}\n"
        f"信息截至 As of: {content['as_of']}\n版本 View: {view}",
    )
    _line(pdf, f"验证 Verify: {verify_url}", size=7, h=4)
    pdf.set_y(max(pdf.get_y(), 42))

    _heading(pdf, "主体 Subject")
    _line(
        pdf,
        f"名称 Name: {subject['name']}\n代码 Code: {subject['code']}\n"
        f"类型 Kind: {subject['kind']}"
        + (f"\n区划 Division: {subject['division']}" if subject.get("division") else "")
        + (
            f"\n曾用名 Former names: {'、'.join(subject['former_names'])}"
            if subject.get("former_names")
            else ""
        ),
        size=10,
        h=5.5,
    )

    _heading(pdf, "信用评价 Grades")
    if not content["grades"]:
        _line(pdf, "无 None")
    for g in content["grades"]:
        mark = "  【异议处理中 Under objection】" if g["under_objection"] else ""
        _line(
            pdf,
            f"{g['scheme']} (v{g['scheme_version']}): {g['grade']}  "
            f"score {g['score']}, as of {g['as_of']}{mark}",
        )

    _heading(pdf, "名单 Lists")
    if not content["lists"]:
        _line(pdf, "无 None")
    for entry in content["lists"]:
        until = entry["until"] or "—"
        basis = f"; {entry['legal_basis']}" if entry.get("legal_basis") else ""
        _line(pdf, f"{entry['name_zh']} / {entry['name_en']}: {entry['since']} – {until}{basis}")

    _heading(pdf, f"信用记录 Records ({len(content['records'])})")
    if not content["records"]:
        _line(pdf, "无 None")
    for r in content["records"]:
        head, body = _record_text(r)
        pdf.set_text_color(0, 0, 0)
        _line(pdf, head, size=9.5, h=5.2)
        pdf.set_text_color(60, 60, 60)
        _line(pdf, body, size=8, h=4.2)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)

    _heading(pdf, "说明 Notes")
    _line(
        pdf,
        "本报告由平台以 Ed25519 签名；扫描二维码或运行 xinyong verify 验证真伪及内容是否已变化。\n"
        "This report is signed with Ed25519 by the platform; scan the QR code or run "
        "`xinyong verify` to check it and whether its content has changed since issue.",
        size=8,
        h=4.2,
    )
    return bytes(pdf.output())
