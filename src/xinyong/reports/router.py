"""reports in the API (placeholder: filled in by issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
