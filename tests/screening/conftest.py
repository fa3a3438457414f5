"""Subjects for screening, put in the store through the real records API."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient

from tests.factories import judgment, uscc
from xinyong.auth.keys import Role

#: (name, kind) of a realistic neighbourhood of 厦门鑫达贸易有限公司 and Acme Trading:
#: variants, a branch, namesakes elsewhere, near spellings, other trades. Codes are given
#: by position (``code_of``).
CITY: tuple[tuple[str, str], ...] = (
    ("厦门鑫达贸易有限公司", "organisation"),
    ("厦门鑫达贸易有限公司思明分公司", "organisation"),
    ("厦门鑫达商贸有限公司", "organisation"),
    ("泉州鑫达贸易有限公司", "organisation"),
    ("厦门鑫达集团有限公司", "organisation"),
    ("厦门鑫盛贸易有限公司", "organisation"),
    ("厦门达鑫贸易有限公司", "organisation"),
    ("厦门鑫达进出口贸易有限公司", "organisation"),
    ("厦门鑫达供应链管理有限公司", "organisation"),
    ("厦门市鑫达贸易股份有限公司", "organisation"),
    ("思明鑫达商行", "individual_business"),
    ("Acme Trading Co., Ltd.", "organisation"),
    ("Acme Trading Co., Ltd. Xiamen Branch", "organisation"),
    ("Acme Tradings Ltd", "organisation"),
    ("Acne Trading Company", "organisation"),
    ("Apex Trading Co Ltd", "organisation"),
    ("厦门恒通餐饮管理有限公司", "organisation"),
    ("Xiamen Xinda Trading Co., Ltd.", "organisation"),
    ("ＤＥＬＴＡ　ＬＯＧＩＳＴＩＣＳ　ＬＩＭＩＴＥＤ", "organisation"),
)
#: The normalised name of CITY[HEAD] and its variants.
HEAD_KEY = "厦门 鑫达贸易 limited"
#: Positions in CITY.
HEAD, BRANCH, SHANGMAO, QUANZHOU = 0, 1, 2, 3
ACME, ACME_BRANCH, HENGTONG, XINDA_EN, DELTA = 11, 12, 16, 17, 18


def code_of(index: int, kind: str = "organisation") -> str:
    return uscc(7000 + index, prefix="92" if kind == "individual_business" else "91")


class Store(Protocol):
    def __call__(self, subjects: Sequence[tuple[str, str]], first: int = 0) -> list[str]: ...


_ids = itertools.count(1)


@pytest.fixture
def provider_headers(make_key: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('court')}"}


@pytest.fixture
def headers(make_key: Callable[..., str]) -> dict[str, str]:
    """A consuming authority's key: screening is for any authority."""
    key = make_key(role=Role.consumer)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def store(client: TestClient, provider_headers: dict[str, str]) -> Store:
    """Submit one judgment record per (name, kind), with codes from ``code_of``; returns
    the codes."""

    def put(subjects: Sequence[tuple[str, str]], first: int = 0) -> list[str]:
        codes = [code_of(first + i, kind) for i, (_, kind) in enumerate(subjects)]
        records = [
            judgment(f"S{next(_ids)}", code, name, kind=kind)
            for code, (name, kind) in zip(codes, subjects, strict=True)
        ]
        r = client.post(
            "/api/v1/records/batch", json={"records": records}, headers=provider_headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["rejected"] == 0, r.text
        return codes

    return put


@pytest.fixture
def city(store: Store) -> list[str]:
    return store(CITY)


def screen(client: TestClient, headers: dict[str, str], name: str, **extra: Any) -> Any:
    """``POST /api/v1/screening``, expected to succeed: the answer's JSON."""
    r = client.post("/api/v1/screening", json={"name": name, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()
