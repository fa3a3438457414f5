"""``GET /catalogue``: the closed list, readable by anyone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from xinyong.api.deps import CatalogueDep
from xinyong.errors import NotFound

router = APIRouter(tags=["catalogue"])


@router.get("/catalogue")
def get_catalogue(catalogue: CatalogueDep) -> dict[str, Any]:
    """The whole catalogue: record types, providers and the prohibited data classes."""
    return catalogue.model_dump(mode="json")


@router.get("/catalogue/{code}")
def get_record_type(code: str, catalogue: CatalogueDep) -> dict[str, Any]:
    """One record type, with its fields, publicity periods and legal reference."""
    rt = catalogue.record_type(code)
    if rt is None:
        raise NotFound(f"no record type {code!r} in the catalogue", code="unknown_record_type")
    return rt.model_dump(mode="json")
