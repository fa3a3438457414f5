"""Chinese names for synthetic subjects: people, enterprises and individual businesses.

Everything here is a word list or a small function over ``random.Random``; the city module
decides who gets which name. Surnames are weighted as in southern Fujian (陈, 林 and 黄 lead).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T")


def pick(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """``rng.choices(items, cum_weights=...)[0]`` without its overhead."""
    return items[bisect_right(cum_weights, rng.random() * cum_weights[-1])]


# Surname -> relative weight (southern Fujian: 陈 林 黄 first, then the national leaders).
SURNAMES: dict[str, float] = {
    "陈": 11.0, "林": 9.0, "黄": 6.5, "李": 5.5, "王": 5.0, "张": 4.5, "吴": 4.0, "蔡": 3.2,
    "郑": 3.2, "杨": 3.0, "许": 2.6, "刘": 2.6, "洪": 2.2, "苏": 2.0, "叶": 1.8, "谢": 1.8,
    "庄": 1.6, "曾": 1.6, "柯": 1.2, "卢": 1.2, "周": 1.2, "颜": 1.0, "傅": 1.0, "邱": 1.0,
    "施": 1.0, "赵": 0.9, "徐": 0.9, "朱": 0.9, "郭": 0.9, "何": 0.8, "高": 0.8, "罗": 0.8,
    "游": 0.6, "詹": 0.6, "魏": 0.6, "江": 0.6, "方": 0.6, "孙": 0.5, "马": 0.5, "胡": 0.5,
    "肖": 0.5, "余": 0.5, "潘": 0.4, "彭": 0.4, "曹": 0.3, "欧阳": 0.1, "司马": 0.02,
}  # fmt: skip

GIVEN_MALE = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "辉", "建", "国", "华", "峰",
    "志", "文", "俊", "鹏", "宇", "浩", "海", "东", "晨", "凯", "鑫", "龙", "鸿", "思", "泽",
    "锦", "荣", "忠", "平", "德", "旭", "阳", "彬", "昊", "毅", "航", "铭", "博", "嘉", "林",
)  # fmt: skip
GIVEN_FEMALE = (
    "芳", "娜", "敏", "静", "丽", "艳", "秀", "娟", "霞", "玲", "婷", "雪", "慧", "莹", "琳",
    "燕", "红", "梅", "萍", "倩", "颖", "佳", "雅", "欣", "怡", "晶", "妍", "洁", "蓉", "丹",
    "琪", "淑", "珊", "月", "春", "凤", "诗", "思", "梦", "雨", "菲", "晓", "美", "惠", "佩",
)  # fmt: skip

# Trade-name characters (字号): two are drawn for each enterprise.
ZIHAO = (
    "鑫", "达", "华", "盛", "隆", "泰", "兴", "恒", "源", "通", "宏", "信", "利", "丰", "瑞",
    "金", "嘉", "汇", "德", "顺", "安", "福", "佳", "美", "宇", "天", "海", "鹭", "闽", "禾",
    "航", "创", "新", "科", "博", "联", "远", "成", "正", "永", "光", "明", "辉", "祥", "和",
    "凯", "腾", "飞", "翔", "立", "康", "洋", "星", "峰", "川", "东", "南", "中", "环", "亚",
    "誉", "豪", "晟", "昌", "茂", "旺", "益", "宝", "万", "佰", "千", "合", "众", "诚", "策",
    "拓", "捷", "迅", "锐", "智", "尚", "品", "优", "宸", "铭", "弘", "卓", "越", "集", "聚",
    "启", "睿", "朗", "云", "蓝", "绿", "红", "银", "晶", "璟", "麒", "麟", "骏", "驰", "悦",
    "乐", "欣", "吉", "祺", "裕", "富", "贵", "荣", "昇", "森", "林", "宁", "平", "鹏", "翰",
)  # fmt: skip

# GB/T 4754-2017 sections: letter -> (relative share of organisations, zh name, name words).
INDUSTRIES: dict[str, tuple[float, str, tuple[str, ...]]] = {
    "A": (1.5, "农、林、牧、渔业", ("农业科技", "生态农业", "水产养殖", "茶业", "花卉园艺")),
    "B": (0.1, "采矿业", ("矿业", "石材开采")),
    "C": (11.0, "制造业", ("机械", "电子科技", "塑胶制品", "服装", "食品", "包装材料", "光电科技",
                          "精密制造", "五金制品", "家具", "鞋业", "新材料", "卫浴", "生物科技")),
    "D": (0.3, "电力、热力、燃气及水生产和供应业", ("能源", "燃气", "新能源科技")),
    "E": (5.0, "建筑业", ("建设工程", "建筑工程", "装饰工程", "市政工程", "幕墙工程", "水电安装")),
    "F": (34.0, "批发和零售业", ("贸易", "商贸", "进出口", "供应链", "电子商务", "食品贸易",
                                "建材", "五金贸易", "医药", "茶叶", "服饰", "汽车销售", "石化")),
    "G": (4.0, "交通运输、仓储和邮政业", ("物流", "国际货运代理", "运输", "仓储", "快递")),
    "H": (3.5, "住宿和餐饮业", ("餐饮管理", "酒店管理", "餐饮", "食品连锁")),
    "I": (7.0, "信息传输、软件和信息技术服务业", ("网络科技", "信息技术", "软件", "数据科技",
                                                 "智能科技", "通信技术")),
    "J": (1.0, "金融业", ("投资", "融资租赁", "典当", "资产管理")),
    "K": (3.0, "房地产业", ("房地产开发", "物业管理", "置业", "房地产经纪")),
    "L": (12.0, "租赁和商务服务业", ("企业管理", "商务咨询", "文化传播", "广告", "会展服务",
                                   "人力资源", "旅行社", "品牌管理")),
    "M": (7.5, "科学研究和技术服务业", ("工程技术", "检测技术", "设计", "环保科技",
                                      "工程咨询", "生物技术")),
    "N": (0.6, "水利、环境和公共设施管理业", ("环境工程", "园林绿化", "环卫服务")),
    "O": (3.0, "居民服务、修理和其他服务业", ("家政服务", "汽车维修", "美容美发", "清洁服务")),
    "P": (1.2, "教育", ("教育咨询", "培训", "教育科技")),
    "Q": (0.7, "卫生和社会工作", ("医疗管理", "健康管理", "门诊部", "养老服务")),
    "R": (2.0, "文化、体育和娱乐业", ("文化传媒", "影视", "体育发展", "娱乐")),
    "S": (0.3, "公共管理、社会保障和社会组织", ("服务",)),
    "T": (0.01, "国际组织", ("代表处",)),
}  # fmt: skip

SECTIONS = tuple(INDUSTRIES)
SECTION_CUM_WEIGHTS = tuple(accumulate(w for w, _, _ in INDUSTRIES.values()))

# Individual businesses mostly sell, cook or repair; their shop word follows the section.
IB_SECTIONS: dict[str, float] = {
    "F": 55.0, "H": 22.0, "O": 12.0, "C": 3.0, "G": 3.0, "L": 2.0, "R": 1.5, "A": 1.5,
}  # fmt: skip
IB_SUFFIXES: dict[str, tuple[str, ...]] = {
    "F": ("商行", "便利店", "店", "百货店", "水果店", "茶行", "建材店", "五金店", "服装店"),
    "H": ("餐馆", "小吃店", "饭店", "面馆", "茶餐厅", "沙茶面店"),
    "O": ("理发店", "家电维修部", "洗衣店", "摩托车修理店", "美容院"),
    "C": ("加工坊", "制衣厂", "食品加工店"),
    "G": ("货运部", "搬家服务部"),
    "L": ("广告部", "图文设计部"),
    "R": ("棋牌室", "健身工作室"),
    "A": ("养殖场", "果园"),
}  # fmt: skip

COMPANY_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司")
COMPANY_SUFFIX_CUM = (82.0, 93.0, 100.0)

PUBLIC_INSTITUTIONS = (
    ("P", "实验小学"), ("P", "中学"), ("P", "幼儿园"), ("Q", "社区卫生服务中心"),
    ("Q", "妇幼保健院"), ("R", "图书馆"), ("R", "文化馆"), ("M", "检验检测中心"),
    ("S", "公证处"), ("N", "市政园林服务中心"),
)  # fmt: skip
SOCIAL_ORGANISATIONS = (
    ("P", "培训学校"), ("Q", "养老服务中心"), ("S", "社会工作服务中心"), ("R", "体育俱乐部"),
    ("P", "职业技能培训中心"), ("Q", "康复中心"),
)  # fmt: skip
COOPERATIVE_WORDS = ("果蔬", "茶叶", "水产养殖", "花卉", "蔬菜种植", "生猪养殖", "食用菌")

ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """A positive integer below 10,000 in Chinese numerals (第二百零一条 style)."""
    if n <= 0 or n >= 10_000:
        return str(n)
    units = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
    out: list[str] = []
    zero = False
    for value, unit in units:
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(("" if (value == 10 and d == 1 and not out) else ZH_DIGITS[d]) + unit)
    return "".join(out)


class PersonNames:
    """Draws ``{surname}{given name}``, one or two given characters."""

    def __init__(self) -> None:
        self._surnames = tuple(SURNAMES)
        self._cum = tuple(accumulate(SURNAMES.values()))

    def draw(self, rng: random.Random, *, female: bool) -> str:
        surname = pick(rng, self._surnames, self._cum)
        pool = GIVEN_FEMALE if female else GIVEN_MALE
        given = pool[int(rng.random() * len(pool))]
        if rng.random() < 0.72:
            given += pool[int(rng.random() * len(pool))]
        return surname + given


def trade_name(rng: random.Random) -> str:
    """A two-character trade name (字号), occasionally three."""
    n = len(ZIHAO)
    name = ZIHAO[int(rng.random() * n)] + ZIHAO[int(rng.random() * n)]
    if rng.random() < 0.08:
        name += ZIHAO[int(rng.random() * n)]
    return name


def enterprise_name(rng: random.Random, city: str, section: str, zihao: str) -> str:
    """``{城市}{字号}{行业词}{有限公司|...}``, with the usual variants of the city part."""
    words = INDUSTRIES[section][2]
    word = words[int(rng.random() * len(words))]
    suffix = pick(rng, COMPANY_SUFFIXES, COMPANY_SUFFIX_CUM)
    r = rng.random()
    if r < 0.72:
        return f"{city}{zihao}{word}{suffix}"
    if r < 0.92:
        return f"{city}市{zihao}{word}{suffix}"
    return f"{zihao}（{city}）{word}{suffix}"


def individual_business_name(
    rng: random.Random, district_short: str, section: str, zihao: str
) -> str:
    """``{区}{字号}{店|商行|餐馆...}``, e.g. 思明鑫达商行."""
    suffixes = IB_SUFFIXES.get(section, IB_SUFFIXES["F"])
    return district_short + zihao + suffixes[int(rng.random() * len(suffixes))]
