"""access in the API (placeholder: filled in by issue 5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["access"])
