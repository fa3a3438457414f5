"""Name screening in the API, for authorities: which subjects a name may stand for, and
reviewers' decisions on the candidates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from xinyong.api.deps import AuthorityCaller, Reading, Writing
from xinyong.audit import service as audit
from xinyong.auth.keys import Principal
from xinyong.db.types import utcnow
from xinyong.screening import service
from xinyong.screening.config import default_config
from xinyong.screening.schemas import DecisionIn, DecisionOut, ScreeningIn, ScreeningOut

router = APIRouter(tags=["screening"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing_api_key, invalid_api_key"},
    403: {"description": "not_an_authority"},
    422: {
        "description": "invalid_request, empty_name, name_too_long, invalid_name, "
        "invalid_kind, person_not_screened, and the identifier checks of a code "
        "(invalid_length, invalid_alphabet, invalid_check_character)"
    },
}


def authority_of(caller: Principal) -> str:
    """Who recorded a decision: the key's provider or consumer authority, or its role."""
    return caller.provider_code or caller.consumer_code or caller.role.value


@router.post("/screening", response_model=ScreeningOut, responses=_ERRORS)
def screen_name(body: ScreeningIn, conn: Reading, caller: AuthorityCaller) -> ScreeningOut:
    """The subjects a name (and perhaps a code) may stand for, best first, each with a
    score, the reasons for it and any reviewer's decision for this name."""
    return service.screen(
        conn, default_config(), name=body.name, code=body.code, kinds=body.kinds, limit=body.limit
    )


@router.post(
    "/screening/decisions",
    status_code=201,
    response_model=DecisionOut,
    responses={**_ERRORS, 404: {"description": "unknown_subject"}},
)
def record_decision(body: DecisionIn, conn: Writing, caller: AuthorityCaller) -> DecisionOut:
    """Record that a candidate is (``match``) or is not (``not_a_match``) the subject a name
    stands for; later screenings of the same normalised name show and reuse it."""
    out = service.decide(
        conn,
        default_config(),
        name=body.name,
        subject=body.subject,
        verdict=body.verdict,
        reviewer=body.reviewer,
        reason=body.reason,
        decided_by=authority_of(caller),
        now=utcnow(),
    )
    audit.record(
        conn,
        caller.actor,
        "screening.decided",
        str(out.id),
        {
            "decision_id": out.id,
            "name": out.name,
            "subject": out.subject,
            "verdict": out.verdict,
            "reviewer": out.reviewer,
            "decided_by": out.decided_by,
        },
    )
    return out
