"""Themes of administrative penalties and licences, by authority (see ``themes``)."""

from __future__ import annotations

Theme = dict[str, str]

MR, TAX, HR, ENV, BUILD = "市场监督管理", "税务", "人力资源和社会保障", "生态环境", "建设"
TRANSPORT, SAFETY, CULTURE, FINANCE, CIVIL = "交通运输", "应急管理", "文化和旅游", "财政", "民政"
FOOD_LAW = "《中华人民共和国食品安全法》"
TAX_LAW = "《中华人民共和国税收征收管理法》"

PENALTIES: tuple[Theme, ...] = (
    {
        "authority": MR,
        "violation": "经营超过保质期的食品",
        "industries": "FHC",
        "fact": "在经营场所销售超过保质期的预包装食品",
        "law": f"{FOOD_LAW}第一百二十四条",
    },
    {
        "authority": MR,
        "violation": "未取得食品经营许可从事食品经营活动",
        "industries": "FH",
        "fact": "未取得食品经营许可证从事餐饮服务活动",
        "law": f"{FOOD_LAW}第一百二十二条",
    },
    {
        "authority": MR,
        "violation": "发布虚假广告",
        "fact": "在其网店页面发布含有虚假内容的商品广告",
        "law": "《中华人民共和国广告法》第五十五条",
    },
    {
        "authority": MR,
        "violation": "不按规定明码标价",
        "fact": "销售商品未按规定明码标价",
        "law": "《中华人民共和国价格法》第四十二条",
    },
    {
        "authority": MR,
        "violation": "销售不合格产品",
        "fact": "销售经监督抽检判定为不合格的产品",
        "law": "《中华人民共和国产品质量法》第四十九条",
    },
    {
        "authority": MR,
        "violation": "侵犯注册商标专用权",
        "fact": "销售侵犯注册商标专用权的商品",
        "law": "《中华人民共和国商标法》第六十条",
    },
    {
        "authority": MR,
        "subject": "person",
        "violation": "无照经营",
        "fact": "未依法取得营业执照从事经营活动",
        "law": "《无证无照经营查处办法》第十三条",
    },
    {
        "authority": TAX,
        "violation": "未按照规定开具发票",
        "fact": "销售商品未按照规定开具发票",
        "law": "《中华人民共和国发票管理办法》第三十五条",
    },
    {
        "authority": TAX,
        "violation": "未按照规定设置、保管账簿",
        "fact": "未按照规定设置、保管账簿",
        "law": f"{TAX_LAW}第六十条",
    },
    {
        "authority": TAX,
        "subject": "person",
        "violation": "未按照规定期限办理纳税申报",
        "fact": "未按照规定期限办理个人所得税纳税申报",
        "law": f"{TAX_LAW}第六十二条",
    },
    {
        "authority": HR,
        "violation": "未依法办理社会保险登记",
        "fact": "未依法为职工办理社会保险登记",
        "law": "《中华人民共和国社会保险法》第八十四条",
    },
    {
        "authority": HR,
        "violation": "违法延长劳动者工作时间",
        "fact": "安排劳动者延长工作时间超过法定标准",
        "law": "《劳动保障监察条例》第二十五条",
    },
    {
        "authority": ENV,
        "violation": "超标排放大气污染物",
        "industries": "CDE",
        "fact": "生产过程中超过大气污染物排放标准排放废气",
        "law": "《中华人民共和国大气污染防治法》第九十九条",
    },
    {
        "authority": ENV,
        "subject": "person",
        "violation": "露天焚烧垃圾",
        "fact": "在居民区露天焚烧垃圾",
        "law": "《中华人民共和国大气污染防治法》第一百一十九条",
    },
    {
        "authority": BUILD,
        "violation": "未取得施工许可证擅自施工",
        "industries": "EK",
        "fact": "未取得施工许可证擅自开工建设",
        "law": "《建筑工程施工许可管理办法》第十二条",
    },
    {
        "authority": TRANSPORT,
        "violation": "未取得道路运输经营许可擅自从事道路运输经营",
        "industries": "G",
        "fact": "未取得道路运输经营许可擅自从事道路货物运输经营",
        "law": "《中华人民共和国道路运输条例》第六十三条",
    },
    {
        "authority": TRANSPORT,
        "subject": "person",
        "violation": "擅自从事网约车经营活动",
        "fact": "未取得网络预约出租汽车运输证擅自从事网约车经营",
        "law": "《网络预约出租汽车经营服务管理暂行办法》第三十四条",
    },
    {
        "authority": SAFETY,
        "violation": "未按规定对从业人员进行安全生产教育和培训",
        "fact": "未如实记录安全生产教育和培训情况",
        "law": "《中华人民共和国安全生产法》第九十七条",
    },
    {
        "authority": CULTURE,
        "violation": "擅自从事互联网上网服务经营活动",
        "industries": "RIO",
        "fact": "未经许可擅自经营网吧",
        "law": "《互联网上网服务营业场所管理条例》第二十七条",
    },
    {
        "authority": FINANCE,
        "violation": "提供虚假材料谋取中标",
        "fact": "在政府采购活动中提供虚假材料谋取中标",
        "law": "《中华人民共和国政府采购法》第七十七条",
    },
    {
        "authority": CIVIL,
        "violation": "未按规定接受年度检查",
        "fact": "未按照规定接受社会组织年度检查",
        "law": "《社会团体登记管理条例》第三十条",
    },
)

LICENCES: tuple[Theme, ...] = (
    {
        "authority": MR,
        "licence": "食品经营许可证",
        "industries": "FHC",
        "prefix": "JY1",
        "content": "预包装食品销售（含冷藏冷冻食品）",
        "law": f"{FOOD_LAW}第三十五条",
    },
    {
        "authority": MR,
        "licence": "药品经营许可证",
        "industries": "FQ",
        "prefix": "闽AA",
        "content": "中成药、化学药制剂零售",
        "law": "《中华人民共和国药品管理法》第五十一条",
    },
    {
        "authority": ENV,
        "licence": "排污许可证",
        "industries": "CDEN",
        "prefix": "",
        "content": "废气、废水污染物排放",
        "law": "《排污许可管理条例》第十一条",
    },
    {
        "authority": BUILD,
        "licence": "建筑业企业资质证书",
        "industries": "E",
        "prefix": "D3",
        "content": "建筑工程施工总承包三级",
        "law": "《中华人民共和国建筑法》第十三条",
    },
    {
        "authority": TRANSPORT,
        "licence": "道路运输经营许可证",
        "industries": "G",
        "prefix": "闽交运管许可厦字",
        "content": "道路普通货物运输",
        "law": "《中华人民共和国道路运输条例》第二十四条",
    },
    {
        "authority": SAFETY,
        "licence": "危险化学品经营许可证",
        "industries": "FC",
        "prefix": "闽厦危化经字",
        "content": "危险化学品经营（不带储存设施）",
        "law": "《危险化学品安全管理条例》第三十三条",
    },
    {
        "authority": HR,
        "licence": "劳务派遣经营许可证",
        "industries": "LO",
        "prefix": "",
        "content": "劳务派遣经营",
        "law": "《中华人民共和国劳动合同法》第五十七条",
    },
    {
        "authority": CULTURE,
        "licence": "旅行社业务经营许可证",
        "industries": "L",
        "prefix": "L-FJ-",
        "content": "国内旅游和入境旅游业务",
        "law": "《旅行社条例》第七条",
    },
    {
        "authority": TRANSPORT,
        "subject": "person",
        "licence": "出租汽车驾驶员从业资格证",
        "prefix": "",
        "content": "出租汽车驾驶员从业资格",
        "law": "《出租汽车驾驶员从业资格管理规定》",
    },
    {
        "authority": CULTURE,
        "subject": "person",
        "licence": "导游证",
        "prefix": "D-3502-",
        "content": "导游执业",
        "law": "《导游管理办法》",
    },
    {
        "authority": BUILD,
        "subject": "person",
        "licence": "二级建造师注册证书",
        "prefix": "闽235",
        "content": "建筑工程专业二级建造师注册",
        "law": "《注册建造师管理规定》",
    },
    {
        "authority": SAFETY,
        "subject": "person",
        "licence": "特种作业操作证",
        "prefix": "T",
        "content": "低压电工作业",
        "law": "《特种作业人员安全技术培训考核管理规定》",
    },
)
