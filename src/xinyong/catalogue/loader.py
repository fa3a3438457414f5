"""Loading a catalogue from YAML, with errors that say where the declaration is wrong."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from xinyong.catalogue.model import Catalogue
from xinyong.errors import CatalogueError
from xinyong.identifiers import IdentifierError, validate_uscc


def read_declaration(path: Path | str, what: str) -> object:
    """A YAML declaration (``what``: catalogue, scheme...) as Python data. Raises
    :class:`CatalogueError` ``<what>_unreadable`` or ``<what>_not_yaml``."""
    p = Path(path)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(
            f"cannot read {what} {p}: {exc.strerror}", code=f"{what}_unreadable"
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{p} is not valid YAML: {exc}", code=f"{what}_not_yaml") from exc


def load_catalogue(path: Path | str) -> Catalogue:
    """Read and validate a catalogue file. Raises :class:`CatalogueError` listing problems."""
    return parse_catalogue(read_declaration(path, "catalogue"), source=str(path))


def validation_problems(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as ``{location, message}``, for declarations read from YAML."""
    return [
        {"location": ".".join(str(x) for x in e["loc"]), "message": e["msg"]}
        for e in exc.errors(include_url=False)
    ]


M = TypeVar("M", bound=BaseModel)


def parse_checked(
    model: type[M],
    raw: object,
    check: Callable[[M], list[dict[str, str]]],
    *,
    source: str,
    what: str,
    code: str,
) -> M:
    """Validate a declaration read from YAML (``what``: "scheme", "lists"...) with its
    Pydantic ``model``, then with ``check``; either failing raises :class:`CatalogueError`
    ``code`` naming the first problem and listing all of them."""
    if not isinstance(raw, dict):
        raise CatalogueError(f"{source}: a {what} file is a mapping at the top level", code=code)
    try:
        found = model.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        first = problems[0]
        raise CatalogueError(
            f"{source}: {first['location'] or what}: {first['message']}",
            code=code,
            problems=problems,
        ) from None
    problems = check(found)
    if problems:
        first = problems[0]
        raise CatalogueError(
            f"{source}: {first['location']}: {first['message']}", code=code, problems=problems
        )
    return found


def parse_catalogue(raw: object, *, source: str = "<catalogue>") -> Catalogue:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{source}: a catalogue is a mapping at the top level")
    try:
        cat = Catalogue.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        first = problems[0]
        raise CatalogueError(
            f"{source}: {first['location'] or 'catalogue'}: {first['message']}",
            problems=problems,
        ) from None
    for p in cat.providers:
        try:
            validate_uscc(p.uscc)
        except IdentifierError as exc:
            raise CatalogueError(
                f"{source}: provider {p.code!r} has an invalid USCC: {exc.message}",
                problems=[{"location": f"providers.{p.code}.uscc", "message": exc.message}],
            ) from None
    return cat


@lru_cache(maxsize=8)
def _cached(path: str) -> Catalogue:
    return load_catalogue(path)


def default_catalogue(path: Path | str | None = None) -> Catalogue:
    """The catalogue named by the settings (cached per path)."""
    if path is None:
        from xinyong.settings import get_settings

        path = get_settings().catalogue_path
    return _cached(str(Path(path).resolve()))
