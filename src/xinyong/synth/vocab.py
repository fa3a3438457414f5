"""Words for synthetic records: how common each known record type is, and what its text says.

Everything is keyed by the record-type codes of the default catalogue. A catalogue with other
codes still works: unknown types fall back to rules by polarity and category, and their text
to phrases built from the type's own names (see ``xinyong.synth.fields`` and ``texts``).
"""

from __future__ import annotations

from typing import NamedTuple


class TypeHint(NamedTuple):
    org_weight: float  # relative share of the organisations' records
    person_weight: float  # relative share of the persons' records
    doc_word: str  # the word in the document number: 厦市监{罚}〔2024〕12号
    months: tuple[int, int] = (0, 0)  # decided between these months of a year (0: any day)


# Relative frequencies; the registration of each organisation is planned separately.
TYPE_HINTS: dict[str, TypeHint] = {
    "business_registration": TypeHint(0.0, 0.0, "登"),
    "annual_report": TypeHint(20.0, 0.0, "年报", months=(1, 6)),
    "admin_licence": TypeHint(28.0, 6.0, "许"),
    "admin_penalty": TypeHint(7.0, 2.0, "罚"),
    "admin_compulsion": TypeHint(1.5, 0.5, "强"),
    "judgment_default": TypeHint(1.5, 1.5, ""),
    "tax_credit_rating": TypeHint(18.0, 0.0, "税信", months=(4, 4)),
    "abnormal_operation": TypeHint(3.5, 0.0, "异"),
    "serious_dishonesty": TypeHint(0.3, 0.2, "严"),
    "social_insurance_arrears": TypeHint(2.0, 0.5, "社保稽"),
    "contract_performance": TypeHint(1.0, 0.2, "合"),
    "ip_pledge": TypeHint(1.0, 0.0, "质"),
    "honour": TypeHint(3.0, 4.0, "表"),
    "credit_commitment": TypeHint(10.0, 25.0, "承"),
    "volunteer_service": TypeHint(1.0, 40.0, "志"),
    "tax_late_filing": TypeHint(3.0, 0.3, "税简罚"),
    "tax_late_payment": TypeHint(2.0, 0.2, "税催"),
    "tax_late_financial_statements": TypeHint(1.5, 0.0, "税简罚"),
    "tax_zero_declarations": TypeHint(1.5, 0.0, "税通"),
    "tax_evasion": TypeHint(0.3, 0.05, "税稽罚"),
    "tax_crime": TypeHint(0.05, 0.02, "税稽移"),
}
GENERIC_WEIGHTS = {"positive": (6.0, 4.0), "neutral": (8.0, 3.0), "negative": (2.0, 1.0)}

# Authority names -> the short form in document numbers (after the city's one character).
AUTHORITY_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("市场监督管理", "市监"), ("税务", "税"), ("人力资源和社会保障", "人社"),
    ("社会保险", "社保"), ("医疗保障", "医保"), ("生态环境", "环"), ("交通运输", "交"),
    ("住房和城乡建设", "建"), ("建设", "建"), ("卫生健康", "卫健"), ("应急管理", "应急"),
    ("公安", "公"),
    ("文化和旅游", "文旅"), ("商务", "商"), ("发展和改革", "发改"), ("民政", "民"),
    ("教育", "教"), ("自然资源", "资规"), ("城市管理", "执法"), ("农业农村", "农"),
    ("海关", "关"), ("知识产权", "知"), ("信用", "信"), ("志愿", "志"), ("文明", "文明"),
    ("烟草", "烟"), ("消防", "消"), ("财政", "财"), ("总工会", "工"), ("人民政府", "政"),
)  # fmt: skip

BUSINESS_SCOPES: dict[str, str] = {
    "A": "蔬菜、水果种植；水产养殖；农产品初加工服务",
    "C": "生产、加工及销售；货物及技术进出口",
    "E": "房屋建筑工程施工；建筑装饰工程施工；市政公用工程施工",
    "F": "批发、零售；货物及技术进出口；互联网销售（除销售需要许可的商品）",
    "G": "道路货物运输；国际货物运输代理；仓储服务（不含危险化学品）",
    "H": "餐饮服务；食品销售；住宿服务",
    "I": "软件开发；信息系统集成服务；信息技术咨询服务",
    "K": "房地产开发经营；物业管理；房地产经纪",
    "L": "企业管理咨询；商务信息咨询；会议及展览服务；广告设计、代理",
    "M": "工程和技术研究和试验发展；检验检测服务；技术服务、技术开发",
    "O": "家政服务；日用电器修理；洗染服务",
}
DEFAULT_SCOPE = (
    "一般项目：技术服务、技术开发、技术咨询；除依法须经批准的项目外，凭营业执照依法自主开展经营活动"
)

STATUSES = ("有效", "正常", "已履行", "履行中")
TAX_KINDS = ("增值税", "企业所得税", "个人所得税", "城市维护建设税", "印花税", "房产税")
BANKS = (
    "中国工商银行股份有限公司厦门市分行", "中国建设银行股份有限公司厦门市分行",
    "兴业银行股份有限公司厦门分行", "厦门国际银行股份有限公司", "厦门银行股份有限公司",
    "厦门农村商业银行股份有限公司", "招商银行股份有限公司厦门分行",
)  # fmt: skip
PUBLIC_BUYERS = (
    "教育局",
    "市政园林局",
    "卫生健康委员会",
    "机关事务管理局",
    "公安局",
    "城市管理行政执法局",
)
MEASURES = (
    "限制参与政府采购、招标投标", "限制新增项目审批、核准", "限制享受财政补贴等政策",
    "列为重点监管对象，提高检查频次", "限制担任企业法定代表人、董事、监事、高级管理人员",
)  # fmt: skip

# Relative weights of choice values met in catalogues (a value not listed weighs 1).
CHOICE_WEIGHTS: dict[str, float] = {
    "subsisting": 90, "revoked": 3, "deregistered": 5, "moved_out": 2,
    "operating": 92, "suspended": 5, "liquidating": 3,
    "valid": 85, "cancelled": 3, "expired": 8,
    "able_but_refusing": 70, "violating_asset_reporting": 10, "violating_consumption_order": 8,
    "evading_enforcement": 5, "breaching_settlement": 5, "obstructing_enforcement": 2,
    "unperformed": 60, "partly_performed": 40, "全部未履行": 60, "部分未履行": 40,
    "annual_report_missing": 70, "address_unreachable": 20, "information_not_disclosed": 7,
    "false_information": 3,
    "trademark": 60, "patent": 35, "software_copyright": 5,
    "national": 3, "provincial": 12, "municipal": 50, "district": 35,
    "application": 40, "approval_substitute": 25, "industry_self_discipline": 15,
    "proactive": 15, "credit_restoration": 5,
    "in_force": 70, "kept": 25, "broken": 5,
    "false_vat_invoices": 45, "tax_evasion": 35, "export_refund_fraud": 8,
    "evading_recovery": 5, "refusing_tax": 2,
    "seal_up": 30, "seizure": 20, "freezing": 20, "additional_fine": 15,
    "transfer_of_deposits": 8, "auction": 2, "removal_of_obstruction": 3,
    "substitute_performance": 2,
    "pension": 40, "several": 30, "unemployment": 8, "work_injury": 8,
    "medical_insurance": 10, "maternity": 4,
    "other": 0.5, "其他": 0.5,
}  # fmt: skip

# Chinese labels of choice codes, for the text of penalty and compulsion content.
CHOICE_ZH: dict[str, str] = {
    "warning": "警告", "circulated_criticism": "通报批评", "fine": "罚款",
    "confiscation_of_gains": "没收违法所得", "confiscation_of_property": "没收非法财物",
    "licence_suspension": "暂扣许可证件", "qualification_downgrade": "降低资质等级",
    "licence_revocation": "吊销许可证件", "business_restriction": "限制开展生产经营活动",
    "production_suspension": "责令停产停业", "closure": "责令关闭", "occupational_ban": "限制从业",
    "administrative_detention": "行政拘留", "other": "其他行政处罚",
    "seal_up": "查封涉案场所、设施或者财物", "seizure": "扣押涉案财物",
    "freezing": "冻结存款、汇款", "additional_fine": "加处罚款", "transfer_of_deposits": "划拨存款",
    "auction": "依法拍卖查封、扣押的财物", "removal_of_obstruction": "排除妨碍、恢复原状",
    "substitute_performance": "代履行",
}  # fmt: skip

# Penalty kinds -> weight for (minor, general, serious) records; keywords match codes or zh.
PENALTY_KINDS: tuple[tuple[tuple[str, ...], tuple[float, float, float]], ...] = (
    (("warning", "警告"), (60, 8, 0)),
    (("criticism", "通报批评"), (10, 3, 0)),
    (("fine", "罚款"), (30, 60, 25)),
    (("confiscation", "没收"), (0, 12, 15)),
    (("production_suspension", "停产停业"), (0, 2, 15)),
    (("licence_suspension", "暂扣"), (0, 5, 10)),
    (("downgrade", "降低资质"), (0, 2, 5)),
    (("revocation", "吊销"), (0, 0.5, 25)),
    (("business_restriction", "限制开展"), (0, 1, 8)),
    (("closure", "关闭"), (0, 0, 5)),
    (("occupational_ban", "限制从业"), (0, 0, 5)),
    (("detention", "拘留"), (0, 0.3, 3)),
    (("other", "其他"), (0.3, 1, 1)),
)
PERSONS_ONLY = ("detention", "拘留")
REMARKS = ("无", "已整改", "当事人已缴纳罚款", "信息来源于部门共享")
