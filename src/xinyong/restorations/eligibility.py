"""Who may apply for credit restoration (信用修复) of which record, from when, and with what.

A record can be restored when, in this order:

1. it is negative (``polarity`` in the catalogue): positive and neutral records are not held
   against anyone;
2. its type is not in ``rights.restorations.not_restorable``: those records (a judgment
   default, abnormal operations) are ended by their authority, e.g. a court on performance;
3. no ``rights.restorations.no_early_end`` rule matches its fields: licence revocation,
   closure and occupational bans are shown for their full period;
4. it is in effect and its publicity is not over today;
5. its minimum publicity period (the catalogue's ``minimum_months`` for its severity) has
   passed: from ``decided_on`` + minimum months on, and never on the decision day itself.

The application must bring a credit commitment (``min_commitment_chars``) and evidence
within ``rights.restorations.evidence``. Every failure is a typed error with a stable code;
where a later day helps, the message says from when.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xinyong.catalogue.model import Polarity, RecordType
from xinyong.dates import add_months
from xinyong.errors import Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from xinyong.restorations.schemas import EvidenceIn
from xinyong.rights.model import EvidenceRules, RestorationRules

ONE_DAY = dt.timedelta(days=1)
MAX_FILENAME = 256
_FORBIDDEN_IN_NAMES = re.compile(r"[\x00-\x1f\x7f/\\]")
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
#: Control characters a text may not hold (tabs and line breaks are fine); PostgreSQL text
#: cannot hold NUL at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(text: str, field: str) -> str:
    """``text`` stripped; ``invalid_characters`` if it holds control characters."""
    if _CONTROL.search(text):
        raise ValidationFailed(
            f"{field} may not contain control characters", code="invalid_characters", field=field
        )
    return text.strip()


@dataclass(frozen=True)
class RecordFacts:
    """What eligibility looks at: the record's current version."""

    record_id: str
    record_type: str
    provider: str
    severity: str | None
    decided_on: dt.date
    publicity_until: dt.date | None
    ended_on: dt.date | None
    end_reason: str | None
    fields: Mapping[str, Any]


def eligible_from(rt: RecordType, facts: RecordFacts) -> dt.date:
    """The first day an application may be filed: the end of the minimum publicity period,
    and at the earliest the day after the decision (a record ends after its decision day)."""
    minimum = rt.period(facts.severity).minimum_months
    return max(add_months(facts.decided_on, minimum), facts.decided_on + ONE_DAY)


def check_record(
    rt: RecordType, facts: RecordFacts, rules: RestorationRules, *, today: dt.date
) -> None:
    """Raise the first reason why ``facts`` cannot be restored today (see the module)."""
    if rt.polarity is not Polarity.negative:
        raise Conflict(
            f"only negative records can be restored: a {rt.name.en} record is {rt.polarity.value}",
            code="not_negative",
            record_type=rt.code,
        )
    if rt.code in rules.not_restorable:
        raise Conflict(
            f"a {rt.name.en} record is not ended by credit restoration: the authority that "
            f"decided it ({facts.provider}) ends it, e.g. a court when the judgment is "
            "performed, settled or its enforcement ends",
            code="not_restorable",
            record_type=rt.code,
            provider=facts.provider,
        )
    for rule in rules.no_early_end:
        if rule.record_type == rt.code and str(facts.fields.get(rule.field)) in rule.values:
            until = facts.publicity_until
            tail = f"; it is shown until {until}" if until is not None else ""
            raise Conflict(
                f"{rule.reason.en}{tail}",
                code="cannot_end_early",
                reason=rule.reason.model_dump(),
                publicity_until=until.isoformat() if until else None,
            )
    if facts.ended_on is not None and facts.ended_on < today:
        raise Conflict(
            f"the record is no longer in effect (ended on {facts.ended_on}, "
            f"{facts.end_reason}): it is not shown, there is nothing to restore",
            code="not_in_publicity",
            ended_on=facts.ended_on.isoformat(),
        )
    if facts.publicity_until is not None and facts.publicity_until < today:
        raise Conflict(
            f"the record's publicity ended on {facts.publicity_until}: it is no longer shown, "
            "there is nothing to restore",
            code="not_in_publicity",
            publicity_until=facts.publicity_until.isoformat(),
        )
    if facts.decided_on > today:
        raise Conflict(
            f"the record is decided on {facts.decided_on} and not shown yet",
            code="not_in_publicity",
        )
    start = eligible_from(rt, facts)
    if start > today:
        months = rt.period(facts.severity).minimum_months
        what = f"{facts.severity} {rt.name.en}" if facts.severity else rt.name.en
        raise Conflict(
            f"a {what} record is shown for at least {months} months: restoration can be "
            f"applied for from {start} (decided on {facts.decided_on})",
            code="minimum_period_not_reached",
            eligible_from=start.isoformat(),
        )


def check_commitment(commitment: str, rules: RestorationRules) -> str:
    """The commitment, trimmed; ``commitment_required`` when it is too short."""
    text = check_text(commitment, "commitment")
    if len(text) < rules.min_commitment_chars:
        raise ValidationFailed(
            f"a signed credit commitment of at least {rules.min_commitment_chars} characters "
            "is required: that the conduct is corrected and the obligations are fulfilled, "
            f"and what you undertake from now on (this one has {len(text)})",
            code="commitment_required",
            field="commitment",
        )
    return text


@dataclass(frozen=True)
class Evidence:
    """One checked, decoded file of evidence."""

    filename: str
    media_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def media_type_of(raw: str) -> str:
    """``"Image/JPG; q=1"`` -> ``"image/jpeg"``: lower case, no parameters, known aliases."""
    bare = raw.split(";", 1)[0].strip().lower()
    return _ALIASES.get(bare, bare)


def check_evidence(items: Sequence[EvidenceIn], rules: EvidenceRules) -> list[Evidence]:
    """Decode and check every file; raise at the first problem."""
    if len(items) < rules.min_files:
        raise ValidationFailed(
            f"at least {rules.min_files} file(s) of evidence are required: proof that the "
            "obligations were fulfilled (a payment receipt, a rectification report)",
            code="evidence_required",
            field="evidence",
        )
    if len(items) > rules.max_files:
        raise ValidationFailed(
            f"at most {rules.max_files} files of evidence, not {len(items)}",
            code="too_many_files",
            field="evidence",
        )
    return [_one(i, item, rules) for i, item in enumerate(items)]


def _invalid(i: int, part: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"evidence {i + 1}: {message}", code="invalid_evidence", field=f"evidence.{i}.{part}"
    )


def _one(i: int, item: EvidenceIn, rules: EvidenceRules) -> Evidence:
    name = item.filename.strip()
    if not name or len(name) > MAX_FILENAME or _FORBIDDEN_IN_NAMES.search(name):
        raise _invalid(
            i,
            "filename",
            f"a file name has 1 to {MAX_FILENAME} characters, without a path or control characters",
        )
    media = media_type_of(item.media_type)
    if media not in rules.media_types:
        raise UnsupportedMediaType(
            f"evidence {i + 1}: {item.media_type[:80]!r} is not accepted; send one of "
            f"{', '.join(rules.media_types)}",
            code="evidence_type_not_allowed",
            field=f"evidence.{i}.media_type",
        )
    text = "".join(item.content_base64.split())
    if len(text) // 4 * 3 - text[-2:].count("=") > rules.max_file_bytes:
        raise _too_large(i, rules)
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(i, "content_base64", "the content is not valid base64") from None
    if not content:
        raise _invalid(i, "content_base64", "the file is empty")
    if len(content) > rules.max_file_bytes:
        raise _too_large(i, rules)
    if not _looks_like(media, content):
        raise _invalid(i, "content_base64", f"the content is not a {media} file")
    return Evidence(name, media, content, hashlib.sha256(content).hexdigest())


def _too_large(i: int, rules: EvidenceRules) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"evidence {i + 1} is larger than {rules.max_file_bytes:,} bytes",
        code="evidence_too_large",
        field=f"evidence.{i}.content_base64",
    )


def _looks_like(media: str, content: bytes) -> bool:
    """Whether the bytes are what the media type says: evidence is downloaded by the
    deciding authority, so a file must not pass for something else."""
    if media == "application/pdf":
        return b"%PDF-" in content[:1024]
    if media == "image/png":
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if media == "image/jpeg":
        return content.startswith(b"\xff\xd8\xff")
    if media.startswith("text/"):
        return b"\x00" not in content
    return True


def max_request_bytes(rules: RestorationRules, overhead: int = 64 * 1024) -> int:
    """The JSON body an application with the most and largest files allowed needs (base64
    makes 3 bytes 4 characters), plus room for the commitment and the JSON around it."""
    e = rules.evidence
    return e.max_files * (-(-e.max_file_bytes // 3) * 4) + overhead
