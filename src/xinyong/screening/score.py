"""How alike two normalised names are: several signals, weighed into one score.

Each signal is a number from 0 to 1 (see ``data/screening.yaml`` for the weights and
``docs/screening.md`` for why these): edit similarity of the cores (rapidfuzz's Indel
distance), their Jaro-Winkler similarity, the name without its legal form (Indel for
Chinese, token sort for English, so that word order does not matter), the shared
beginning, same legal form, same branch, same place, similar length, and, with the least
weight, the names as written. Signals that measure the same thing differently make exact
ties between different names rare; the score is ``name_cap`` times the weighted sum,
rounded to 4 decimals, so that a name alone never reaches the certainty of a code (1.0).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, JaroWinkler, Prefix

from xinyong.screening.config import ScreeningConfig, Weights
from xinyong.screening.normalise import ZH, NormalisedName

#: Shared beginnings shorter than this (characters) are not worth a reason.
SHARED_BEGINNING = {ZH: 2, "en": 3}


@dataclass(frozen=True)
class Signals:
    core: float
    core_shape: float
    whole: float
    prefix: float
    legal_form: float
    branch: float
    place: float
    length: float
    written: float


@dataclass(frozen=True)
class Scored:
    score: float
    signals: Signals
    reasons: tuple[str, ...]


def _same(a: str | None, b: str | None) -> float:
    """1 when equal (both unknown included), 0.5 when known on one side only, else 0."""
    if a == b:
        return 1.0
    return 0.5 if a is None or b is None else 0.0


def _branch(q: NormalisedName, c: NormalisedName) -> float:
    if q.branch is None or c.branch is None:
        return 1.0 if q.branch == c.branch else 0.0
    return 0.5 + 0.5 * Indel.normalized_similarity(q.branch, c.branch)


def signals(q: NormalisedName, c: NormalisedName) -> Signals:
    """The signals of candidate ``c`` for query ``q``."""
    longest = max(len(q.core), len(c.core), 1)
    if ZH in (q.script, c.script):
        whole = Indel.normalized_similarity(q.whole, c.whole)
    else:
        whole = fuzz.token_sort_ratio(q.whole, c.whole) / 100
    return Signals(
        core=Indel.normalized_similarity(q.core, c.core),
        core_shape=JaroWinkler.normalized_similarity(q.core, c.core),
        whole=whole,
        prefix=Prefix.normalized_similarity(q.core, c.core),
        legal_form=_same(q.legal_form, c.legal_form),
        branch=_branch(q, c),
        place=_same(q.place, c.place),
        length=1 - abs(len(q.core) - len(c.core)) / longest,
        written=Indel.normalized_similarity(q.written, c.written),
    )


def weighted(s: Signals, w: Weights) -> float:
    """The weighted sum of the signals (the weights add up to 1)."""
    return (
        w.core * s.core
        + w.core_shape * s.core_shape
        + w.whole * s.whole
        + w.prefix * s.prefix
        + w.legal_form * s.legal_form
        + w.branch * s.branch
        + w.place * s.place
        + w.length * s.length
        + w.written * s.written
    )


def score(q: NormalisedName, c: NormalisedName, config: ScreeningConfig) -> Scored:
    """How alike ``c`` is to ``q``, from 0 to ``name_cap``, with the reasons in words."""
    found = signals(q, c)
    total = config.name_cap * weighted(found, config.weights)
    return Scored(round(total, 4), found, tuple(reasons(q, c, found)))


def reasons(q: NormalisedName, c: NormalisedName, s: Signals) -> list[str]:
    """The signals that matter, in words."""
    out: list[str] = []
    if q.key == c.key:
        out.append("same name once normalised")
    else:
        out.append(f"core {round(s.core * 100)}% alike: {q.core} / {c.core}")
        shared = q.core[: Prefix.similarity(q.core, c.core)]
        if len(shared) >= SHARED_BEGINNING.get(q.script, 3) and shared != q.core:
            out.append(f"same beginning: {shared}")
    if q.legal_form != c.legal_form:
        if q.legal_form and c.legal_form:
            out.append(f"legal form differs: {q.legal_form} / {c.legal_form}")
        else:
            out.append(f"legal form on one side only: {q.legal_form or c.legal_form}")
    elif q.legal_form and q.key != c.key:
        out.append(f"same legal form: {q.legal_form}")
    if c.branch is not None and q.branch is None:
        out.append(f"a branch ({c.branch or 'no designation'}); the query names a head office")
    elif q.branch is not None and c.branch is None:
        out.append("a head office; the query names a branch")
    elif q.branch is not None and c.branch is not None and q.branch != c.branch:
        out.append(f"another branch: {c.branch or 'no designation'} / {q.branch}")
    if q.place != c.place:
        if q.place and c.place:
            out.append(f"place differs: {q.place} / {c.place}")
        else:
            out.append(f"place on one side only: {q.place or c.place}")
    return out
