"""Fixtures of the report tests: a signing key of the test's own, a CLI on the test's
database, helpers to read a PDF back with poppler (pdftotext, pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NEEDS_POPPLER = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils is not installed",
)


@pytest.fixture(autouse=True)
def signing_key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "report-signing-key.pem"
    monkeypatch.setenv("XINYONG_REPORT_KEY_PATH", str(path))
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text-of.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8")


def page_one_png(pdf: bytes, artifacts: Path) -> tuple[Path, int]:
    """Page 1 rendered at 50 dpi: the PNG saved under ``artifacts`` and the number of
    non-white pixels (from a PPM of the same page)."""
    artifacts.mkdir(parents=True, exist_ok=True)
    src = artifacts / "report.pdf"
    src.write_bytes(pdf)
    for fmt in (["-png"], []):  # PNG to keep, PPM (the default) to count pixels in
        done = subprocess.run(
            [
                "pdftoppm",
                "-r",
                "50",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                *fmt,
                str(src),
                str(artifacts / "page1"),
            ],
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
    return artifacts / "page1.png", _dark_pixels((artifacts / "page1.ppm").read_bytes())


def _dark_pixels(ppm: bytes) -> int:
    """Pixels of a binary PPM (P6, maxval 255) that are not white."""
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:  # magic, width, height, maxval; comments are not written
        while ppm[at : at + 1].isspace():
            at += 1
        end = at
        while not ppm[end : end + 1].isspace():
            end += 1
        fields.append(ppm[at:end])
        at = end
    assert fields[0] == b"P6"
    assert fields[3] == b"255"
    pixels = ppm[at + 1 :]
    width, height = int(fields[1]), int(fields[2])
    assert len(pixels) == width * height * 3
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i : i + 3] != b"\xff\xff\xff")
