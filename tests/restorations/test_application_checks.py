"""What an application must bring: a credit commitment and evidence within the limits of
rights.yaml. Each problem has its own code and status, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from tests.factories import uscc
from tests.restorations.conftest import OnDay
from tests.restorations.support import (
    PDF,
    PNG,
    THURSDAY,
    application,
    bearer,
    evidence,
    general_penalty,
    nothing_filed,
    submit,
)
from xinyong.restorations.eligibility import max_request_bytes
from xinyong.rights.model import default_rights

RULES = default_rights().restorations


def _cases(record_id: str) -> list[tuple[str, dict[str, Any], int, str]]:
    limit = RULES.evidence.max_file_bytes
    return [
        ("no commitment", {"commitment": ""}, 422, "commitment_required"),
        ("short commitment", {"commitment": "我承诺。" + " " * 40}, 422, "commitment_required"),
        ("a NUL in it", {"commitment": "\x00" + "我承诺" * 10}, 422, "invalid_characters"),
        ("no evidence", {"evidence": []}, 422, "evidence_required"),
        ("evidence left out", {"evidence": None}, 422, "evidence_required"),
        (
            "too many files",
            {"evidence": [evidence()] * (RULES.evidence.max_files + 1)},
            422,
            "too_many_files",
        ),
        (
            "a file over the limit",
            {"evidence": [evidence(b"%PDF-" + b"0" * (limit - 4))]},
            413,
            "evidence_too_large",
        ),
        (
            "a type not allowed",
            {"evidence": [evidence(b"PK\x03\x04", "application/zip", "proof.zip")]},
            415,
            "evidence_type_not_allowed",
        ),
        (
            "not base64",
            {
                "evidence": [
                    {"filename": "a.pdf", "media_type": "application/pdf", "content_base64": "@@"}
                ]
            },
            422,
            "invalid_evidence",
        ),
        ("an empty file", {"evidence": [evidence(b"")]}, 422, "invalid_evidence"),
        ("no file name", {"evidence": [evidence(filename=" ")]}, 422, "invalid_evidence"),
        ("a long file name", {"evidence": [evidence(filename="a" * 257)]}, 422, "invalid_evidence"),
        ("a path", {"evidence": [evidence(filename="../etc/passwd")]}, 422, "invalid_evidence"),
        (
            "bytes that are not what the type says",
            {"evidence": [evidence(PDF, "image/png", "receipt.png")]},
            422,
            "invalid_evidence",
        ),
        (
            "one good file and one bad",
            {"evidence": [evidence(), evidence(PNG, "image/gif", "x.gif")]},
            415,
            "evidence_type_not_allowed",
        ),
    ]


def test_every_evidence_problem_is_named_and_nothing_is_written(
    on_day: OnDay, engine: Engine, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    client = on_day(THURSDAY)
    code = uscc(7201)
    record_id = submit(
        client, make_key("market_regulation"), general_penalty("P1", code, "厦门证据测试有限公司")
    )
    key = bearer(subject_key(code))
    for what, change, status, error in _cases(record_id):
        body = application(record_id, **change)
        if body["evidence"] is None:
            del body["evidence"]
        r = client.post("/api/v1/restorations", json=body, headers=key)
        assert (r.status_code, r.json()["code"]) == (status, error), what
        assert r.json()["message"], what
    nothing_filed(engine)

    # at the limits it is accepted: the largest file allowed, the most files, PNG and JPEG,
    # a media type with parameters, base64 wrapped over lines
    largest = b"%PDF-" + b"0" * (RULES.evidence.max_file_bytes - 5)
    wrapped = evidence(b"plain text receipt", "Text/Plain; charset=utf-8", "receipt.txt")
    wrapped["content_base64"] = "\n".join(
        wrapped["content_base64"][i : i + 8] for i in range(0, len(wrapped["content_base64"]), 8)
    )
    files = [
        evidence(largest),
        evidence(PNG, "image/png", "photo.png"),
        evidence(b"\xff\xd8\xff\xe0 jpeg", "image/jpg", "photo.jpg"),
        wrapped,
    ]
    files += [evidence()] * (RULES.evidence.max_files - len(files))
    r = client.post(
        "/api/v1/restorations", json=application(record_id, evidence=files), headers=key
    )
    assert r.status_code == 201, r.text[:300]
    shown = r.json()["evidence"]
    assert len(shown) == RULES.evidence.max_files
    assert shown[0]["size"] == RULES.evidence.max_file_bytes
    assert [f["media_type"] for f in shown[1:4]] == ["image/png", "image/jpeg", "text/plain"]
    text = client.get(f"/api/v1/restorations/{r.json()['id']}/evidence/4", headers=key)
    assert text.content == b"plain text receipt"
    assert text.headers["content-type"].startswith("text/plain")


def test_the_request_body_limit_answers_before_the_evidence_is_read(
    on_day: OnDay, engine: Engine, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    # an application may carry its largest evidence: its body limit follows the rights
    # (here 1 file of 64 KiB: a body of ~150 KiB), not the general JSON limit
    small = RULES.evidence.model_copy(update={"max_files": 1, "max_file_bytes": 64 * 1024})
    rights = default_rights().model_copy(
        update={"restorations": RULES.model_copy(update={"evidence": small})}
    )
    limit = max_request_bytes(rights.restorations)
    assert limit < 256 * 1024
    client = on_day(THURSDAY, rights=rights, max_request_bytes=16 * 1024)
    code = uscc(7202)
    record_id = submit(
        client, make_key("market_regulation"), general_penalty("P1", code, "厦门大文件有限公司")
    )
    big = evidence(b"%PDF-" + b"0" * limit)  # over the body limit for applications
    r = client.post(
        "/api/v1/restorations",
        json=application(record_id, evidence=[big]),
        headers=bearer(subject_key(code)),
    )
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")
    nothing_filed(engine)
