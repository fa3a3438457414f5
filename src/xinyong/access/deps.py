"""The access log as a request dependency, for routers that read on a read-only
connection: :class:`ReadLog` writes the log rows in a short write transaction of their
own, committed before the answer is sent. A read whose log row cannot be written fails;
no non-public data leaves without its row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine

from xinyong.access import service
from xinyong.api.deps import get_engine
from xinyong.auth.keys import Principal, Role
from xinyong.db.engine import writing


class ReadLog:
    """Log an authority's read of non-public data (see :func:`service.log_read`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(
        self,
        caller: Principal,
        entity_ids: Iterable[int],
        *,
        purpose: str,
        what: str,
        legal_basis: str | None = None,
        record_ids: Sequence[str] | None = None,
    ) -> int:
        ids = list(entity_ids)
        if not ids:
            return 0
        with writing(self.engine) as conn:
            return service.log_read(
                conn,
                caller,
                ids,
                purpose=purpose,
                what=what,
                legal_basis=legal_basis,
                record_ids=record_ids,
            )

    def case(self, caller: Principal, entity_id: int | None, case: str) -> None:
        """An authority read a subject's objection or restoration (``case``, e.g.
        ``objection:o…``): the subject's statements and evidence are not public. A provider
        reads to decide, an administrator to supervise; the subject's own reads are not
        logged."""
        if not caller.is_authority or entity_id is None:
            return
        verb = "deciding" if caller.role is Role.provider else "supervising"
        self(caller, [entity_id], purpose=f"{verb} {case.replace(':', ' ', 1)}", what=case)


def read_log(engine: Annotated[Engine, Depends(get_engine)]) -> ReadLog:
    return ReadLog(engine)


ReadLogDep = Annotated[ReadLog, Depends(read_log)]
