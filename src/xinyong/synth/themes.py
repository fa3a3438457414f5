"""Themes of records: what one record is about, so that its text fields agree.

One theme is drawn per record. Its ``law`` is the record's legal basis; its other keys feed
text fields: a key equal to a field's code fills that field (for a choice field only when the
value is among the choices), and the keys ``violation``, ``fact``, ``reason``, ``content``,
``licence``, ``prefix`` (of licence numbers), ``title`` and ``duty`` feed the fields the
text rules give them. ``industries`` (GB/T 4754 section letters) steers a theme towards
organisations of those industries; ``authority`` limits it to providers whose name contains
it (a provider matching none gets them all); ``subject: person`` marks themes for persons.
"""

from __future__ import annotations

from xinyong.synth.themes_admin import (
    BUILD,
    ENV,
    HR,
    LICENCES,
    MR,
    PENALTIES,
    SAFETY,
    TAX,
    TAX_LAW,
    TRANSPORT,
    Theme,
)

__all__ = ["THEMES", "Theme"]

SPC_RULES = "《最高人民法院关于公布失信被执行人名单信息的若干规定》"

THEMES: dict[str, tuple[Theme, ...]] = {
    "admin_penalty": PENALTIES,
    "admin_licence": LICENCES,
    "business_registration": (
        {"law": "《中华人民共和国市场主体登记管理条例》第二十一条"},
        {"law": "《中华人民共和国公司法》第二十九条"},
    ),
    "annual_report": ({"law": "《企业信息公示暂行条例》第八条"},),
    "admin_compulsion": (
        {"law": "《中华人民共和国行政强制法》第九条", "content": "依法实施行政强制措施"},
        {"law": "《中华人民共和国行政强制法》第十二条", "content": "依法实施行政强制执行"},
        {"authority": TAX, "law": f"{TAX_LAW}第四十条", "content": "从存款中扣缴税款及滞纳金"},
    ),
    "judgment_default": (
        {
            "law": f"{SPC_RULES}第一条第一项",
            "conduct": "able_but_refusing",
            "duty": "支付货款及逾期付款利息",
        },
        {
            "law": f"{SPC_RULES}第一条第五项",
            "conduct": "violating_asset_reporting",
            "duty": "偿还借款本金及利息",
        },
        {
            "law": f"{SPC_RULES}第一条第四项",
            "conduct": "violating_consumption_order",
            "duty": "支付工程款",
        },
        {
            "law": f"{SPC_RULES}第一条第一项",
            "conduct": "able_but_refusing",
            "duty": "支付劳动报酬",
        },
    ),
    "tax_credit_rating": ({"law": "《纳税信用管理办法（试行）》第二十条"},),
    "abnormal_operation": (
        {"reason": "annual_report_missing", "law": "《企业信息公示暂行条例》第十七条"},
        {"reason": "annual_report_missing", "law": "《企业信息公示暂行条例》第十七条"},
        {"reason": "address_unreachable", "law": "《企业经营异常名录管理暂行办法》第四条"},
        {"reason": "information_not_disclosed", "law": "《企业经营异常名录管理暂行办法》第四条"},
    ),
    "serious_dishonesty": (
        {
            "authority": MR,
            "area": "fair_competition_social_order",
            "list_name": "市场监督管理严重违法失信名单",
            "reason": "被列入经营异常名录届满三年仍未履行相关义务",
            "law": "《市场监督管理严重违法失信名单管理办法》第十三条",
        },
        {
            "authority": HR,
            "area": "refusing_legal_obligations",
            "list_name": "拖欠农民工工资失信联合惩戒对象名单",
            "reason": "拒不支付劳动报酬，数额达到认定拒不支付劳动报酬罪数额标准",
            "law": "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条",
        },
        {
            "authority": ENV,
            "area": "public_health_safety",
            "list_name": "生态环境领域严重失信名单",
            "reason": "篡改、伪造自动监测数据，逃避监管排放污染物",
            "law": "《中华人民共和国环境保护法》第六十三条",
        },
        {
            "authority": SAFETY,
            "area": "public_health_safety",
            "list_name": "安全生产严重失信主体名单",
            "reason": "发生较大生产安全责任事故",
            "law": "《安全生产严重失信主体名单管理办法》第五条",
        },
        {
            "authority": BUILD,
            "area": "fair_competition_social_order",
            "list_name": "建筑市场主体严重失信名单",
            "reason": "转包、违法分包工程，情节严重",
            "law": "《建筑市场信用管理暂行办法》第八条",
        },
        {
            "authority": TRANSPORT,
            "area": "public_health_safety",
            "list_name": "交通运输领域严重失信主体名单",
            "reason": "非法营运被查处后拒不改正",
            "law": "《交通运输行业信用管理规定》",
        },
    ),
    "social_insurance_arrears": (
        {"insurance_kind": "pension", "law": "《中华人民共和国社会保险法》第八十六条"},
        {"insurance_kind": "several", "law": "《中华人民共和国社会保险法》第八十六条"},
    ),
    "contract_performance": (
        {
            "contract_name": "学校食堂食材采购合同",
            "breach": "多次配送不符合合同约定标准的食材，经催告后仍未改正",
            "law": "《中华人民共和国民法典》第五百七十七条",
        },
        {
            "contract_name": "市政道路维修工程施工合同",
            "breach": "无正当理由逾期竣工超过九十日",
            "law": "《中华人民共和国民法典》第五百七十七条",
        },
        {
            "contract_name": "办公设备采购合同",
            "breach": "中标后无正当理由拒不签订政府采购合同",
            "law": "《中华人民共和国政府采购法》第七十七条",
        },
        {
            "contract_name": "物业管理服务合同",
            "breach": "擅自将合同项目转包给第三方",
            "law": "《中华人民共和国民法典》第五百六十三条",
        },
    ),
    "ip_pledge": (
        {"ip_kind": "trademark", "law": "《中华人民共和国民法典》第四百四十四条"},
        {"ip_kind": "patent", "law": "《中华人民共和国民法典》第四百四十四条"},
    ),
    "honour": (
        {"title": "厦门市文明单位", "person_title": "厦门市劳动模范", "level": "municipal"},
        {
            "title": "厦门市守合同重信用企业",
            "person_title": "厦门市优秀志愿者",
            "level": "municipal",
        },
        {
            "title": "纳税信用A级纳税人",
            "person_title": "厦门市见义勇为先进个人",
            "level": "municipal",
        },
        {"title": "厦门市五一劳动奖状", "person_title": "厦门市五一劳动奖章", "level": "municipal"},
        {"title": "区级诚信示范企业", "person_title": "最美家庭", "level": "district"},
        {"title": "区级文明单位", "person_title": "区级优秀志愿者", "level": "district"},
        {"title": "区级安全生产先进单位", "person_title": "区级道德模范", "level": "district"},
        {
            "title": "福建省守合同重信用企业",
            "person_title": "福建省劳动模范",
            "level": "provincial",
        },
        {"title": "全国五一劳动奖状", "person_title": "全国五一劳动奖章", "level": "national"},
    ),
    "credit_commitment": (
        {
            "commitment_kind": "approval_substitute",
            "content": "以告知承诺方式办理行政许可，承诺符合许可条件",
        },
        {"commitment_kind": "application", "content": "证明事项告知承诺：承诺所提交材料真实有效"},
        {"commitment_kind": "application", "content": "证明事项告知承诺：承诺无违法犯罪记录"},
        {
            "commitment_kind": "industry_self_discipline",
            "content": "承诺遵守行业自律公约，诚信经营",
        },
        {"commitment_kind": "proactive", "content": "主动公开承诺守法诚信经营，接受社会监督"},
        {
            "commitment_kind": "credit_restoration",
            "content": "申请信用修复，承诺已纠正失信行为并履行法定义务",
        },
    ),
    "volunteer_service": tuple(
        {"activity": a, "law": "《志愿服务条例》第十九条"}
        for a in (
            "社区环境整治",
            "文明交通劝导",
            "关爱孤寡老人",
            "图书馆阅读推广",
            "厦门马拉松赛事服务",
            "鼓浪屿游客咨询服务",
            "社区防汛防台值守",
        )
    ),
    "tax_late_filing": (
        {"tax_kind": "增值税", "law": f"{TAX_LAW}第六十二条"},
        {"tax_kind": "企业所得税", "law": f"{TAX_LAW}第六十二条"},
        {"tax_kind": "个人所得税（代扣代缴）", "law": f"{TAX_LAW}第六十二条"},
    ),
    "tax_late_payment": (
        {"tax_kind": "增值税", "law": f"{TAX_LAW}第三十二条"},
        {"tax_kind": "城市维护建设税", "law": f"{TAX_LAW}第三十二条"},
        {"tax_kind": "企业所得税", "law": f"{TAX_LAW}第三十二条"},
    ),
    "tax_late_financial_statements": ({"law": f"{TAX_LAW}第六十二条"},),
    "tax_zero_declarations": ({"law": "《纳税信用评价指标和评价方式（试行）》"},),
    "tax_evasion": (
        {"tax_kind": "增值税", "law": f"{TAX_LAW}第六十三条"},
        {"tax_kind": "企业所得税", "law": f"{TAX_LAW}第六十三条"},
    ),
    "tax_crime": (
        {
            "crime": "false_vat_invoices",
            "fact": "虚开增值税专用发票",
            "law": "《中华人民共和国刑法》第二百零五条",
        },
        {
            "crime": "tax_evasion",
            "fact": "逃避缴纳税款数额较大并且占应纳税额百分之十以上",
            "law": "《中华人民共和国刑法》第二百零一条",
        },
        {
            "crime": "export_refund_fraud",
            "fact": "以假报出口手段骗取国家出口退税款",
            "law": "《中华人民共和国刑法》第二百零四条",
        },
    ),
}
