"""Response shapes of the audit log API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from xinyong.audit.chain import GENESIS
from xinyong.audit.service import Head, Verification


class AuditEntry(BaseModel):
    seq: int = Field(description="1, 2, 3, ...: the entry's place in the chain")
    at: dt.datetime
    actor: str = Field(description="who acted: a key's role, authority and id, or 'platform'")
    action: str = Field(description="what was done, e.g. record.submitted, check.logged")
    target: str | None = Field(description="what it was done to: a record, check, key...")
    details: dict[str, Any]
    prev_hash: str = Field(description="the previous entry's hash (64 zeros for the first)")
    hash: str = Field(description="SHA-256 over this entry's fields and prev_hash")


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_after: int | None = Field(
        description="pass as ?after= for the next page; null when this page is the last"
    )


class HeadOut(BaseModel):
    seq: int = Field(description="the last entry's seq (0: the log is empty)")
    hash: str
    anchor: str = Field(description="SEQ:HASH, to publish elsewhere and verify against later")

    @classmethod
    def of(cls, head: Head | None) -> HeadOut:
        h = head or Head(0, GENESIS)
        return cls(seq=h.seq, hash=h.hash, anchor=h.anchor())


class VerifyOut(BaseModel):
    ok: bool
    entries: int = Field(description="entries found intact, from the first")
    broken_seq: int | None = Field(description="the first broken entry")
    problem: str | None
    head: HeadOut | None = Field(description="the verified head; null when the chain is broken")

    @classmethod
    def of(cls, v: Verification) -> VerifyOut:
        return cls(
            ok=v.ok,
            entries=v.entries,
            broken_seq=v.broken_seq,
            problem=v.problem,
            head=HeadOut.of(v.head) if v.ok else None,
        )
