"""Generators of text fields, chosen by words in the field's code and names.

The first rule that matches a field gives its generator; a field that matches none repeats
the theme's content or the record type's Chinese name. Rules are ordered from the most
specific (USCCs, case numbers) to the most general (numbers, names).
"""

from __future__ import annotations

import random

from xinyong.catalogue import FieldSpec, RecordType
from xinyong.synth import vocab
from xinyong.synth.city import Subject
from xinyong.synth.fields import Context, Gen, fine_of, has, plain_decimal
from xinyong.synth.themes import Theme

PERSON_WORDS = ("represent", "legal_person", "principal", "responsible", "operator",
                "person_name", "contact", "法定代表人", "负责人", "经营者")  # fmt: skip
LICENCE_WORDS = ("licen", "permit", "certificate", "qualification", "许可", "证书", "证照")
TITLE_WORDS = ("honour", "honor", "title", "award", "荣誉", "称号")
AUTHORITY_WORDS = ("_by", "authority", "organ", "agency", "issuer", "department", "机关",
                   "单位", "unit")  # fmt: skip
NUMBER_WORDS = ("number", "_no", "编号", "文号", "号")
REVOKED_WORDS = ("revoked", "suspended", "吊销", "暂扣")


def text_generator(
    rt: RecordType, f: FieldSpec, words: str, ctx: Context, fill: float
) -> tuple[Gen, float]:
    """The generator of a text field (cut to its ``max_length``) and its fill share."""
    gen = _rule(rt, f, words, ctx)
    if has(words, "remark", "comment", "备注") and not f.required:
        fill = min(fill, 0.15)
    limit = f.max_length
    code = f.code

    def text(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        value = th.get(code) or gen(rng, d, s, sev, th)
        return value[:limit]

    return text, fill


def _rule(rt: RecordType, f: FieldSpec, words: str, ctx: Context) -> Gen:
    city = ctx.city
    memo = ctx.memo
    zh = rt.name.zh
    required = f.required
    case_kind = "刑初" if "crime" in rt.code else "执"
    names = ctx.names
    n_names = len(names)

    def uscc(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return ctx.provider_uscc

    def case_number(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        value = memo.get("case")
        if value is None:
            value = memo["case"] = ctx.case_number(rng, d, s, case_kind)
        return value

    def basis_document(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return ctx.case_number(rng, d, s, "民初")

    def court(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return ctx.court(rng, s)

    def document_name(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        if "licen" in rt.code:
            return "准予行政许可决定书"
        return "行政处罚决定书" if rt.polarity == "negative" else f"{zh}决定书"

    def person(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        if s.kind == "person":  # a person has no representative
            return s.name if required else ""
        return names[int(rng.random() * n_names)]

    def address(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        district = city.districts[s.district]
        road = district.roads[int(rng.random() * len(district.roads))]
        return f"{city.name}市{district.name}{road}{1 + int(rng.random() * 899)}号"

    def scope(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return vocab.BUSINESS_SCOPES.get(s.industry, vocab.DEFAULT_SCOPE)

    def tax_kind(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return vocab.TAX_KINDS[int(rng.random() * len(vocab.TAX_KINDS))]

    def violation(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return th.get("violation") or th.get("reason") or th.get("fact") or zh

    def facts(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        what = th.get("fact") or th.get("violation") or th.get("reason") or zh
        when = ctx.zh_date(d - 30 - int(rng.random() * 150))
        return f"经查，当事人于{when}{what}，违反了{th.get('law', rt.legal_reference)}的规定。"

    def measures(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        n = len(vocab.MEASURES)
        first = int(rng.random() * n)
        return f"{vocab.MEASURES[first]}；{vocab.MEASURES[(first + 1 + int(rng.random() * 2)) % n]}"

    def content(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        measure = memo.get("measure")
        if measure is not None:
            return f"依法{vocab.CHOICE_ZH.get(measure, measure)}"
        penalty = memo.get("penalty")
        if penalty is None:
            penalty = {"minor": "警告", "serious": "licence_revocation"}.get(sev, "fine")
        label = vocab.CHOICE_ZH.get(penalty, penalty)
        if label != "罚款":
            return f"{label}，责令改正"
        return f"责令改正，处罚款人民币{round(float(fine_of(rng, sev, memo)) * 10_000)}元"

    def revoked(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        penalty = memo.get("penalty", "")
        if not has(penalty.lower(), "revo", "suspen", "吊销", "暂扣") and not required:
            return ""
        if has(words, *NUMBER_WORDS):
            return licence_number(rng, d, s, sev, th)
        return th.get("licence") or "营业执照"

    def licence_number(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        division = city.districts[s.district].code
        return f"{th.get('prefix', '')}{division}{ctx.year(d)}{10_000 + int(rng.random() * 89_999)}"

    def licence_name(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return th.get("licence") or zh

    def title(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return th.get("person_title" if s.kind == "person" else "title") or zh

    def obligation(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        amount = plain_decimal(rng.lognormvariate(2.0, 1.2))
        return f"{th.get('duty', '支付款项')}{amount}万元"

    def volunteer_org(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return f"{city.name}市{city.districts[s.district].name}志愿者协会"

    def bank(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return vocab.BANKS[int(rng.random() * len(vocab.BANKS))]

    def buyer(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        district = city.districts[s.district].name
        unit = vocab.PUBLIC_BUYERS[int(rng.random() * len(vocab.PUBLIC_BUYERS))]
        return f"{city.name}市{district if rng.random() < 0.5 else ''}{unit}"

    def authority(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return ctx.provider_name

    def period(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        year, month = ctx.year(d - 25), int(ctx.date(d - 25)[5:7])
        return f"{year}年{month:02d}月"

    def remark(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return vocab.REMARKS[int(rng.random() * len(vocab.REMARKS))]

    def status(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return vocab.STATUSES[int(rng.random() * len(vocab.STATUSES))]

    def number(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return f"{ctx.year(d)}{city.division[:4]}{100_000 + int(rng.random() * 899_999)}"

    def other(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        return th.get("content") or th.get("reason") or th.get("fact") or zh

    licence = has(words, *LICENCE_WORDS)
    numbered = has(words, *NUMBER_WORDS)
    rules: list[tuple[bool, Gen]] = [
        (has(words, "uscc", "credit_code", "统一社会信用代码"), uscc),
        (has(words, "case") and numbered, case_number),
        (has(words, "basis") and not has(words, "unit", "单位"), basis_document),
        (has(words, "court", "法院", "basis_unit"), court),
        (has(words, "document_name", "文书名称"), document_name),
        (has(words, *PERSON_WORDS), person),
        (has(words, "address", "domicile", "premises", "住所", "地址"), address),
        (has(words, "scope", "经营范围"), scope),
        (has(words, "tax_kind", "税种"), tax_kind),
        (has(words, "fact", "事实"), facts),
        (has(words, "violation", "conduct", "违法行为", "失信行为"), violation),
        (has(words, "measures", "惩戒措施"), measures),
        (has(words, *REVOKED_WORDS), revoked),
        (has(words, "content", "内容") and rt.polarity == "negative", content),
        (has(words, *AUTHORITY_WORDS) and not has(words, "volunteer", "志愿"), authority),
        (licence and numbered, licence_number),
        (licence and not has(words, "content", "内容"), licence_name),
        (has(words, *TITLE_WORDS) and not has(words, "by"), title),
        (has(words, "obligation", "义务"), obligation),
        (has(words, "volunteer", "志愿"), volunteer_org),
        (has(words, "pledgee", "质权人"), bank),
        (has(words, "counterparty", "相对方"), buyer),
        (has(words, "period", "所属期"), period),
        (has(words, "remark", "comment", "备注"), remark),
        (has(words, "status", "状态", "情况"), status),
        (numbered, number),
    ]
    return next((g for hit, g in rules if hit), other)
