"""Normalising names: folding, legal forms, branches, places; properties with hypothesis."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from xinyong.errors import CatalogueError
from xinyong.screening.config import DEFAULT_PATH, default_config, load_config, parse_config
from xinyong.screening.normalise import fold, grams, normalise, wide_form
from xinyong.synth.names import COMPANY_SUFFIXES, INDUSTRIES, ZIHAO


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("厦门鑫达贸易有限公司", "厦门 鑫达贸易 limited"),
        ("厦门鑫达贸易有限责任公司", "厦门 鑫达贸易 limited"),
        ("厦门市鑫达贸易有限公司", "厦门 鑫达贸易 limited"),
        ("福建省厦门市鑫达贸易有限公司", "厦门 鑫达贸易 limited"),
        ("鑫达（厦门）贸易有限公司", "厦门 鑫达贸易 limited"),
        ("厦门鑫达贸易股份有限公司", "厦门 鑫达贸易 joint_stock"),
        ("厦门鑫达贸易公司", "厦门 鑫达贸易 company"),
        # 集团 stays: the group is another subject than its trading company
        ("厦门鑫达集团有限公司", "厦门 鑫达集团 limited"),
        ("厦门鑫达贸易有限公司思明分公司", "厦门 鑫达贸易 limited branch:思明"),
        ("中国工商银行股份有限公司厦门分行", "中国工商银行 joint_stock branch:厦门"),
        ("中国工商银行厦门分行", "中国工商银行 branch:厦门"),
        ("厦门鑫达贸易有限公司分公司", "厦门 鑫达贸易 limited branch:"),
        ("某某会计师事务所（特殊普通合伙）", "某某会计师事务所 partnership"),
        ("厦门市思明区鑫达商行", "思明 鑫达商行"),
        ("思明鑫达商行", "思明鑫达商行"),  # a bare district name may be a trade name
        ("厦门有限公司", "厦门 limited"),  # a place is kept when nothing else is left
        ("Acme Trading Co., Ltd.", "acmetrading limited"),
        ("ACME TRADING COMPANY LIMITED", "acmetrading limited"),
        ("Acme Trading Co.Ltd", "acmetrading limited"),
        ("Acme Trading L.L.C.", "acmetrading limited"),
        ("Acme Trading Inc.", "acmetrading corporation"),
        ("Acme Trading Corp", "acmetrading corporation"),
        ("Acme Trading Company", "acmetrading company"),
        ("ＡＣＭＥ　ＴＲＡＤＩＮＧ　ＣＯ．，ＬＴＤ．", "acmetrading limited"),
        ("Acme Trading Co., Ltd., Xiamen Branch", "acmetrading limited branch:xiamen"),
        ("Xiamen Xinda Trading Co., Ltd.", "厦门 xindatrading limited"),
        ("ABC贸易Co Ltd", "abc贸易 limited"),
        ("!!!", ""),
    ],
)
def test_keys(name: str, key: str) -> None:
    assert normalise(name).key == key


def test_parts() -> None:
    n = normalise("福建省厦门市鑫达贸易有限公司思明分公司")
    assert (n.place, n.core, n.legal_form, n.branch, n.script) == (
        "厦门",
        "鑫达贸易",
        "limited",
        "思明",
        "zh",
    )
    assert n.whole == "福建省厦门市鑫达贸易思明分公司"  # without the legal form only
    e = normalise("Trading Acme, Co. Ltd")
    assert (e.core_units, e.whole, e.script) == (("trading", "acme"), "trading acme", "en")
    assert not normalise("厦门鑫达贸易有限公司").is_branch
    assert normalise(" - ").empty


def test_grams_and_wide_forms() -> None:
    assert grams(normalise("厦门鑫达贸易有限公司")) == ["鑫达", "达贸", "贸易"]
    assert grams(normalise("Acme Co Ltd")) == ["ac", "cm", "me"]
    assert grams(normalise("A B Trading Ltd")) == ["a", "b", "tr", "ra", "ad", "di", "in", "ng"]
    assert grams(normalise("厦门鑫有限公司")) == ["厦门", "门鑫"]  # the place is kept
    assert grams(normalise("鑫有限公司")) == ["鑫"]
    assert wide_form("ac") == "ａｃ"
    assert wide_form("a1") == "ａ１"
    assert wide_form("鑫达") is None


# ---- properties ------------------------------------------------------------------------

CITIES = ("厦门", "厦门市", "泉州", "福州市", "")
WORDS = tuple(w for _, _, words in INDUSTRIES.values() for w in words)
SEPARATORS = (" ", "·", "-", "、", "　", ",", "．")

chinese_names = st.builds(
    lambda city, a, b, word, suffix: f"{city}{a}{b}{word}{suffix}",
    st.sampled_from(CITIES),
    st.sampled_from(ZIHAO),
    st.sampled_from(ZIHAO),
    st.sampled_from(WORDS),
    st.sampled_from((*COMPANY_SUFFIXES, "")),
)
english_names = st.builds(
    lambda words, suffix: " ".join(words) + suffix,
    st.lists(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True), min_size=1, max_size=4),
    st.sampled_from(("", " Co., Ltd.", " Limited", " Inc", " LLC", " Company Limited")),
)


def full_width(text: str) -> str:
    """ASCII as the full-width forms that Chinese input methods produce."""
    return "".join(
        "　" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(max_size=60) | chinese_names | english_names)
def test_normalising_the_written_form_again_changes_nothing(name: str) -> None:
    once = normalise(name)
    again = normalise(once.written)
    assert (again.key, again.whole, again.written) == (once.key, once.whole, once.written)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)) | english_names)
def test_full_width_and_case_do_not_matter(name: str) -> None:
    key = normalise(name).key
    assert normalise(full_width(name)).key == key
    assert normalise(name.upper()).key == key
    assert normalise(name.lower()).key == key


@given(chinese_names, st.lists(st.tuples(st.integers(0, 30), st.sampled_from(SEPARATORS))))
def test_spaces_and_punctuation_in_chinese_names_do_not_matter(
    name: str, inserts: list[tuple[int, str]]
) -> None:
    spaced = name
    for at, sep in inserts:
        spaced = spaced[:at] + sep + spaced[at:]
    assert normalise(spaced).key == normalise(name).key


@given(chinese_names, st.sampled_from(("思明", "湖里", "")), st.sampled_from(("分公司", "分店")))
def test_a_branch_is_its_head_office_plus_a_designation(
    name: str, designation: str, marker: str
) -> None:
    head = normalise(name)
    branch = normalise(name + designation + marker)
    if head.legal_form is not None:
        assert branch.branch == designation
        assert (branch.core, branch.place, branch.legal_form) == (
            head.core,
            head.place,
            head.legal_form,
        )
    assert branch.is_branch
    assert branch.key != head.key


@given(st.text(max_size=80))
def test_keys_hold_only_letters_digits_and_separators(name: str) -> None:
    n = normalise(name)
    assert all(unicodedata.category(c)[0] in "LNM" or c in " :_" for c in n.key)
    assert len(n.core) <= len(n.written)


# ---- the configuration ------------------------------------------------------------------


def test_the_shipped_configuration_loads() -> None:
    config = default_config()
    assert config is default_config()
    assert {f.code for f in config.legal_forms} >= {"limited", "joint_stock", "corporation"}
    assert config.weights.core > config.weights.place  # a place is a lower-weight feature


def test_configuration_errors_are_reported(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["weights"]["core"] = 0.9
    with pytest.raises(CatalogueError) as exc:
        parse_config(raw)
    assert exc.value.code == "invalid_screening_config"
    assert "add up to" in exc.value.message
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["places"].append({"code": "厦门", "written": ["鹭岛"]})
    with pytest.raises(CatalogueError, match="unique"):
        parse_config(raw)
    with pytest.raises(CatalogueError):
        parse_config(["not", "a", "mapping"])
    bad = tmp_path / "screening.yaml"
    bad.write_text("weights: [", encoding="utf-8")
    with pytest.raises(CatalogueError) as exc:
        load_config(bad)
    assert exc.value.code == "screening_not_yaml"


def test_another_configuration_changes_the_forms(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["places"].append({"code": "鹭岛", "written": ["鹭岛"]})
    path = tmp_path / "screening.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = load_config(path)
    assert normalise("鹭岛鑫达贸易有限公司", config).place == "鹭岛"
    assert normalise("鹭岛鑫达贸易有限公司").place is None
