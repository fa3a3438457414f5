"""Administrative divisions (GB/T 2260) the pages name, declared in ``data/divisions.yaml``:
the code a subject's identifier carries, shown as the district's name in either language."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from xinyong.errors import CatalogueError


class Division(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 code")
    zh: str = Field(min_length=1, max_length=64)
    en: str = Field(min_length=1, max_length=64)


class Divisions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    divisions: tuple[Division, ...] = ()

    @field_validator("divisions")
    @classmethod
    def _unique(cls, value: tuple[Division, ...]) -> tuple[Division, ...]:
        codes = [d.code for d in value]
        doubled = sorted({c for c in codes if codes.count(c) > 1})
        if doubled:
            raise ValueError(f"division codes declared twice: {', '.join(doubled)}")
        return value

    def name(self, code: str | None, lang: str) -> str:
        """The division's name in ``lang`` (``zh`` or ``en``), else its code ("" for none)."""
        if not code:
            return ""
        for d in self.divisions:
            if d.code == code:
                return d.en if lang == "en" else d.zh
        return code


def load_divisions(path: Path | str) -> Divisions:
    """Read and validate the divisions file; a bad file is a :class:`CatalogueError`."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return Divisions.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogueError(f"{path}: {exc}", code="invalid_divisions") from exc
