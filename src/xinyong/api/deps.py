"""Dependencies shared by the routers: the database, the catalogue, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Connection, Engine

from xinyong.auth.keys import Principal, Role, authenticate
from xinyong.catalogue.model import Catalogue
from xinyong.db.engine import writing
from xinyong.errors import Forbidden, Unauthorized
from xinyong.lists.model import Declaration
from xinyong.rating.model import Scheme
from xinyong.settings import Settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_catalogue(request: Request) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


def get_schemes(request: Request) -> dict[str, Scheme]:
    schemes: dict[str, Scheme] = request.app.state.schemes
    return schemes


def reading(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A request-scoped read-only transaction."""
    with engine.connect() as conn, conn.begin():
        yield conn


def writer(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A request-scoped write transaction: committed when the handler returns normally."""
    with writing(engine) as conn:
        yield conn


def key_from(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def optional_principal(
    conn: Annotated[Connection, Depends(reading)],
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal | None:
    key = key_from(authorization, x_api_key)
    return authenticate(conn, key) if key else None


def principal(
    found: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if found is None:
        raise Unauthorized(
            "an API key is required (Authorization: Bearer <key>)", code="missing_api_key"
        )
    return found


def provider(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if caller.role is not Role.provider:
        raise Forbidden("only a provider authority's key may submit records", code="not_a_provider")
    return caller


def consumer(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if caller.role is not Role.consumer:
        raise Forbidden(
            "only a consuming authority's key may do this (xinyong keys create --consumer)",
            code="not_a_consumer",
        )
    return caller


def get_declaration(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.declaration
    return declaration


Reading = Annotated[Connection, Depends(reading)]
Writing = Annotated[Connection, Depends(writer)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
SchemesDep = Annotated[dict[str, Scheme], Depends(get_schemes)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
ProviderCaller = Annotated[Principal, Depends(provider)]
ConsumerCaller = Annotated[Principal, Depends(consumer)]
DeclarationDep = Annotated[Declaration, Depends(get_declaration)]
