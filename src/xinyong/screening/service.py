"""Name screening: which subjects in the store a name (and perhaps a code) may stand for.

1. The name is normalised (:mod:`xinyong.screening.normalise`); a code, when given, is
   checked, and the subject that has it is certain (score 1.0).
2. Candidates come from the name indexes through SQL (:mod:`.repository`): the names that
   share most of the rarest character pairs of the query's core, a bounded set.
3. Each candidate name is scored (:mod:`.score`); a subject counts at its best name.
4. Reviewers' decisions stored for the same normalised name are attached and reused: a
   confirmed match is listed first, a dismissed candidate last, with who, when and why.

Services never commit: the caller's connection does (``api.deps``, ``db.engine.writing``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from xinyong.errors import NotFound, ValidationFailed
from xinyong.identifiers import IdentifierError, display_code, validate_ric, validate_uscc
from xinyong.screening import repository as repo
from xinyong.screening.config import ScreeningConfig
from xinyong.screening.normalise import NormalisedName, grams, normaliser
from xinyong.screening.repository import SCREENED_KINDS, DecisionRow, NameRow
from xinyong.screening.schemas import (
    CandidateOut,
    DecisionOut,
    QueryOut,
    ReviewOut,
    ScreeningOut,
    Verdict,
)
from xinyong.screening.score import Scored, score

#: ``screening_decisions.normalised_name`` is String(512).
MAX_KEY = 512
#: ``entities.code`` is String(32).
MAX_CODE = 32
MAX_NAME = 200
MAX_REVIEWER = 128
MAX_REASON = 2000
#: Sort groups: certain, confirmed match, the rest, dismissed.
CERTAIN, CONFIRMED, OTHER, DISMISSED = range(4)


def _text(value: str, field: str, longest: int) -> str:
    """``value`` stripped; refused when empty, too long or holding control characters."""
    text = value.strip()
    if not text:
        raise ValidationFailed(f"{field} must not be empty", code=f"missing_{field}")
    if len(text) > longest:
        raise ValidationFailed(
            f"{field} is longer than {longest} characters", code=f"{field}_too_long"
        )
    allowed = "\n\t" if field == "reason" else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise ValidationFailed(f"{field} holds control characters", code=f"invalid_{field}")
    return text


def normalised_query(name: str, config: ScreeningConfig) -> NormalisedName:
    """The name taken apart; ``empty_name`` when nothing distinctive is left of it."""
    query = normaliser(config).normalise(_text(name, "name", MAX_NAME))
    if query.empty:
        raise ValidationFailed(
            f"{name[:50]!r} holds no letters or digits to screen", code="empty_name"
        )
    if len(query.key) > MAX_KEY:
        raise ValidationFailed("the name is too long once normalised", code="name_too_long")
    return query


def checked_code(code: str) -> str:
    """A USCC, normalised. A resident identity number is refused: persons are never
    screened by name."""
    try:
        return validate_uscc(code)
    except IdentifierError:
        try:
            validate_ric(code)
        except IdentifierError:
            pass
        else:
            raise ValidationFailed(
                "screening covers organisations and individual businesses; a natural "
                "person's identity number is not screened",
                code="person_not_screened",
            ) from None
        raise


@dataclass(frozen=True)
class _Best:
    """A subject at its best-scoring name."""

    row: NameRow
    scored: Scored


def _best_by_subject(
    query: NormalisedName, rows: Sequence[NameRow], config: ScreeningConfig
) -> dict[int, _Best]:
    norm = normaliser(config)
    best: dict[int, _Best] = {}
    for row in rows:
        scored = score(query, norm.normalise(row.name), config)
        seen = best.get(row.entity_id)
        current = row.name == row.current_name
        if (
            seen is None
            or scored.score > seen.scored.score
            or (scored.score == seen.scored.score and current)
        ):
            best[row.entity_id] = _Best(row, scored)
    return best


def _review(decision: DecisionRow | None) -> ReviewOut | None:
    if decision is None:
        return None
    return ReviewOut(
        verdict=Verdict(decision.verdict),
        reviewer=decision.reviewer,
        reason=decision.reason,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
    )


def _candidate(best: _Best, decision: DecisionRow | None, *, certain: bool) -> CandidateOut:
    row, scored = best.row, best.scored
    reasons = list(scored.reasons)
    if row.name != row.current_name:
        reasons.append(f"matched a former name: {row.name}")
    if certain:
        reasons = [
            "the code given is this subject's",
            f"the name alone scores {scored.score:.4f}",
            *reasons,
        ]
    return CandidateOut(
        subject=display_code(row.kind, row.code),
        name=row.current_name,
        matched_name=row.name,
        kind=row.kind,
        score=1.0 if certain else scored.score,
        certain=certain,
        reasons=reasons,
        review=_review(decision),
        dismissed=decision is not None and decision.verdict == Verdict.not_a_match,
    )


def _group(candidate: CandidateOut) -> int:
    if candidate.certain:
        return CERTAIN
    if candidate.review is None:
        return OTHER
    return CONFIRMED if candidate.review.verdict is Verdict.match else DISMISSED


def _order(candidate: CandidateOut) -> tuple[int, float, str, str]:
    return (_group(candidate), -candidate.score, candidate.name, candidate.subject)


def _retrieve(
    conn: Connection, query: NormalisedName, kinds: Sequence[str], config: ScreeningConfig
) -> list[NameRow]:
    """The candidate names: those sharing most of the query core's rarest pairs."""
    r = config.retrieval
    pairs = grams(query)[: r.grams_examined]
    counts = repo.pair_counts(conn, pairs, postings=r.postings)
    # rarest first; among equally rare pairs, the earlier in the name
    present = [p for _, _, p in sorted((counts[p], i, p) for i, p in enumerate(pairs) if counts[p])]
    rare = [p for p in present if counts[p] < r.postings]
    chosen = (rare or present)[: r.grams]
    return repo.candidate_names(conn, chosen, kinds=kinds, postings=r.postings, limit=r.candidates)


def screen(
    conn: Connection,
    config: ScreeningConfig,
    *,
    name: str,
    code: str | None = None,
    kinds: Sequence[str] | None = None,
    limit: int = 10,
) -> ScreeningOut:
    """The subjects ``name`` may stand for, best first (see the module's docstring)."""
    query = normalised_query(name, config)
    wanted = tuple(dict.fromkeys(kinds or SCREENED_KINDS))
    unknown = sorted(set(wanted) - set(SCREENED_KINDS))
    if unknown:
        raise ValidationFailed(
            f"screening covers {', '.join(SCREENED_KINDS)}, not {', '.join(unknown)}",
            code="invalid_kind",
        )
    code_given = checked_code(code) if code and code.strip() else None
    certain = repo.subject_id_by_code(conn, code_given, wanted) if code_given else None

    decisions = {d.entity_id: d for d in repo.latest_decisions(conn, query.key)}
    rows = _retrieve(conn, query, wanted, config)
    known = set(decisions) | ({certain} if certain is not None else set())
    missing = known - {row.entity_id for row in rows}
    rows += [r for r in repo.names_of(conn, sorted(missing)) if r.kind in wanted]

    candidates = [
        _candidate(best, decisions.get(entity_id), certain=entity_id == certain)
        for entity_id, best in _best_by_subject(query, rows, config).items()
    ]
    shown = [c for c in candidates if c.certain or c.review or c.score >= config.min_score]
    shown.sort(key=_order)
    return ScreeningOut(
        query=QueryOut(
            name=name,
            normalised=query.key,
            core=query.core,
            place=query.place,
            legal_form=query.legal_form,
            branch=query.branch,
            code=code_given,
            code_found=None if code_given is None else certain is not None,
            kinds=list(wanted),
        ),
        candidates=shown[:limit],
    )


def decide(
    conn: Connection,
    config: ScreeningConfig,
    *,
    name: str,
    subject: str,
    verdict: Verdict | str,
    reviewer: str,
    reason: str,
    decided_by: str | None,
    now: dt.datetime,
) -> DecisionOut:
    """Store a reviewer's decision that ``subject`` is (not) the subject ``name`` stands
    for. It applies to every way of writing the name (its normalised key)."""
    query = normalised_query(name, config)
    try:
        verdict = Verdict(verdict)
    except ValueError:
        raise ValidationFailed(
            f"verdict is match or not_a_match, not {str(verdict)[:30]!r}", code="invalid_verdict"
        ) from None
    reviewer = _text(reviewer, "reviewer", MAX_REVIEWER)
    reason = _text(reason, "reason", MAX_REASON)
    code = subject.strip().upper()
    plausible = code.isascii() and code.isalnum() and len(code) <= MAX_CODE
    found = repo.subject_id_by_code(conn, code, SCREENED_KINDS) if plausible else None
    if found is None:
        raise NotFound(
            f"no organisation or individual business has the code {code[:MAX_CODE]!r}",
            code="unknown_subject",
        )
    decision_id = repo.add_decision(
        conn,
        normalised_name=query.key,
        entity_id=found,
        verdict=verdict.value,
        reviewer=reviewer,
        reason=reason,
        decided_by=decided_by,
        decided_at=now,
    )
    return DecisionOut(
        id=decision_id,
        name=name,
        normalised=query.key,
        subject=code,
        verdict=verdict,
        reviewer=reviewer,
        reason=reason,
        decided_by=decided_by,
        decided_at=now,
    )
