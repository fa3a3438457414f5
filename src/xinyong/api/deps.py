"""Dependencies shared by the routers: the database, the catalogue, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from sqlalchemy import Connection, Engine

from xinyong.auth.keys import Principal, Role, authenticate
from xinyong.catalogue.model import Catalogue
from xinyong.db.engine import writing
from xinyong.errors import Forbidden, Unauthorized
from xinyong.lists.model import Declaration
from xinyong.rating.model import Scheme
from xinyong.rights.model import Rights
from xinyong.settings import Settings

#: The cookie that carries a signed-in person's session key (see ``xinyong.me.session``).
SESSION_COOKIE = "xinyong_session"


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
    xinyong_session: Annotated[str | None, Cookie()] = None,
) -> Principal | None:
    """The caller: an API key (``Authorization: Bearer`` or ``X-API-Key``), or a signed-in
    person's session cookie; ``None`` for the public."""
    key = key_from(authorization, x_api_key) or (xinyong_session or "").strip() or None
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


def subject(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if caller.role is not Role.subject or not caller.subject_code:
        raise Forbidden(
            "only a subject, signed in or with a subject token, may do this",
            code="not_a_subject",
        )
    return caller


def authority(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if not caller.is_authority:
        raise Forbidden(
            "only an authority's key (provider, consumer or administrator) may do this",
            code="not_an_authority",
        )
    return caller


def admin(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if caller.role is not Role.admin:
        raise Forbidden("only a platform administrator may do this", code="not_an_admin")
    return caller


def auditor(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if caller.role not in (Role.auditor, Role.admin):
        raise Forbidden(
            "only an auditor or a platform administrator may do this", code="not_an_auditor"
        )
    return caller


def get_rights(request: Request) -> Rights:
    rights: Rights = request.app.state.rights
    return rights


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
RightsDep = Annotated[Rights, Depends(get_rights)]
SubjectCaller = Annotated[Principal, Depends(subject)]
AuthorityCaller = Annotated[Principal, Depends(authority)]
AdminCaller = Annotated[Principal, Depends(admin)]
AuditorCaller = Annotated[Principal, Depends(auditor)]
