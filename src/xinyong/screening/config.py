"""The screening configuration (``data/screening.yaml``): legal forms, branch markers,
places, the weights of the score and the bounds of candidate retrieval."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xinyong.catalogue.loader import read_declaration, validation_problems
from xinyong.errors import CatalogueError
from xinyong.settings import DATA_DIR

DEFAULT_PATH = DATA_DIR / "screening.yaml"
CODE = "invalid_screening_config"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalName(_Strict):
    zh: str
    en: str


class LegalForm(_Strict):
    """One legal form (组织形式) and every way it is written at the end of a name."""

    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: LocalName
    written: list[str] = Field(min_length=1)


class Place(_Strict):
    """A place that may begin a name; ``code`` is what two names are compared on."""

    code: str = Field(min_length=1)
    written: list[str] = Field(min_length=1)


class Weights(_Strict):
    """The weight of each signal in the score; they add up to 1."""

    core: float = Field(ge=0, le=1)
    core_shape: float = Field(ge=0, le=1)
    whole: float = Field(ge=0, le=1)
    prefix: float = Field(ge=0, le=1)
    legal_form: float = Field(ge=0, le=1)
    branch: float = Field(ge=0, le=1)
    place: float = Field(ge=0, le=1)
    length: float = Field(ge=0, le=1)
    written: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _add_up_to_one(self) -> Weights:
        total = sum(self.model_dump().values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"the weights add up to {total:.4f}, not 1")
        return self


class MinCore(_Strict):
    zh: int = Field(ge=1)
    en: int = Field(ge=1)


class Retrieval(_Strict):
    grams: int = Field(ge=1, le=64)
    grams_examined: int = Field(ge=1, le=128)
    postings: int = Field(ge=10, le=100_000)
    candidates: int = Field(ge=10, le=5_000)


class ScreeningConfig(_Strict):
    version: str
    legal_forms: list[LegalForm] = Field(min_length=1)
    branch_markers: list[str] = Field(min_length=1)
    places: list[Place]
    weights: Weights
    name_cap: float = Field(gt=0, lt=1)
    min_score: float = Field(ge=0, lt=1)
    min_core: MinCore
    retrieval: Retrieval

    @model_validator(mode="after")
    def _codes_unique(self) -> ScreeningConfig:
        for what, codes in (
            ("legal form", [f.code for f in self.legal_forms]),
            ("place", [p.code for p in self.places]),
        ):
            twice = sorted({c for c in codes if codes.count(c) > 1})
            if twice:
                raise ValueError(f"{what} codes must be unique: {', '.join(twice)}")
        return self


def parse_config(raw: object, *, source: str = "<screening>") -> ScreeningConfig:
    """Validate a screening configuration; :class:`CatalogueError` lists its problems."""
    if not isinstance(raw, dict):
        raise CatalogueError(f"{source}: the screening configuration is a mapping", code=CODE)
    try:
        return ScreeningConfig.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        first = problems[0]
        raise CatalogueError(
            f"{source}: {first['location'] or 'screening'}: {first['message']}",
            code=CODE,
            problems=problems,
        ) from None


def load_config(path: Path | str) -> ScreeningConfig:
    return parse_config(read_declaration(path, "screening"), source=str(path))


@lru_cache(maxsize=4)
def _cached(path: str) -> ScreeningConfig:
    return load_config(path)


def default_config(path: Path | str | None = None) -> ScreeningConfig:
    """The configuration in force (``data/screening.yaml`` unless another path is given),
    read once."""
    return _cached(str(path or DEFAULT_PATH))
