"""Candidate retrieval reads a bounded set of names through the name indexes."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.screening.conftest import Store
from xinyong.screening import repository as repo
from xinyong.screening import service
from xinyong.screening.config import Retrieval, ScreeningConfig, default_config
from xinyong.synth.names import INDUSTRIES

#: 30 trades that do not hold 贸: every name below shares 鑫达 with the target only.
FILLERS = [w for _, _, words in INDUSTRIES.values() for w in words if "贸" not in w][:30]
TARGET = "厦门鑫达贸易有限公司"


def small(postings: int, candidates: int) -> ScreeningConfig:
    base = default_config()
    bounds = Retrieval(grams=8, grams_examined=24, postings=postings, candidates=candidates)
    return base.model_copy(update={"retrieval": bounds})


def test_common_pairs_are_counted_up_to_the_bound(engine: Engine, store: Store) -> None:
    store([(f"厦门鑫达{w}有限公司", "organisation") for w in FILLERS])
    store([(TARGET, "organisation"), ("ＸＩＮＤＡ　ＬＴＤ", "organisation")], 100)
    with engine.connect() as conn:
        counts = repo.pair_counts(conn, ["鑫达", "达贸", "贸易", "无此", "xi"], postings=10)
        assert counts == {"鑫达": 10, "达贸": 1, "贸易": 1, "无此": 0, "xi": 1}
        assert repo.pair_counts(conn, [], postings=10) == {}
        rows = repo.candidate_names(conn, ["鑫达"], kinds=repo.SCREENED_KINDS, postings=10, limit=5)
        assert len(rows) == 5
        rows = repo.candidate_names(
            conn, ["鑫达", "达贸", "贸易"], kinds=repo.SCREENED_KINDS, postings=1000, limit=3
        )
        assert rows[0].name == TARGET  # holds all three pairs
        assert repo.candidate_names(conn, ["鑫达"], kinds=["person"], postings=10, limit=5) == []


def test_the_rarest_pairs_find_the_name_among_many_alike(engine: Engine, store: Store) -> None:
    store([(f"厦门鑫达{w}有限公司", "organisation") for w in FILLERS])
    (target,) = store([(TARGET, "organisation")], 100)
    # 鑫达 is held by 31 names, more than the 10 read per pair: 达贸 and 贸易 find it
    config = small(postings=10, candidates=10)
    with engine.connect() as conn:
        body = service.screen(conn, config, name="厦门市鑫达贸易有限责任公司", limit=50)
    assert body.candidates[0].subject == target
    assert len(body.candidates) <= 10
    # a query made only of common pairs still answers, from a bounded set
    with engine.connect() as conn:
        body = service.screen(conn, config, name="鑫达有限公司", limit=50)
    assert 0 < len(body.candidates) <= 10
