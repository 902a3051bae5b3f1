"""Chinese names for people, employers and institutions, composed from fixed lists (vectorised)."""

from __future__ import annotations

import numpy as np

# Common surnames, 绍兴-flavoured (王、陈、张、徐、周、金、俞 …), with rough weights.
SURNAMES = (
    "王陈张徐周金俞赵杨沈钱胡孙马朱李吴何郭林黄刘宋丁蒋孟潘袁阮楼魏寿章董骆冯韩叶史方谢傅裘汪姚钟邵应"
)
SURNAME_WEIGHTS = 1.0 / (1.0 + np.arange(len(SURNAMES)) / 6.0)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞建国志宏海波浩宇鑫俊文博晨阳杭越峰松林"
FEMALE_CHARS = "芳娟敏静丽艳娜秀英霞燕玲婷雪慧琳颖倩洁萍红梅兰晶莉佳怡欣悦诗雨婉嘉"
MIDDLE_CHARS = "建国志永学晓海小宇子佳雅思梦一家俊"

EMPLOYER_PREFIX = "越鉴兰亭会稽柯岩曹娥浣纱枫桥剡溪沃洲天姥大禹稽山镜湖东浦安昌平水"
EMPLOYER_TRADES = ("纺织", "印染", "化纤", "机械", "电子", "黄酒", "建设", "物流", "食品", "医药", "轴承", "袜业",
                   "珍珠", "五金", "服饰", "家纺", "汽配", "新材料", "电器", "茶业")
EMPLOYER_FORMS = ("有限公司", "股份有限公司", "集团有限公司", "有限责任公司")
AGENCIES = ("财政局", "教育局", "卫生健康局", "医疗保障局", "人力资源和社会保障局", "住房和城乡建设局", "交通运输局",
            "农业农村局", "市场监督管理局", "自然资源和规划局", "司法局", "民政局", "统计局", "审计局")

TOWNSHIPS = {
    "330602": ("皋埠", "东湖", "马山", "孙端", "陶堰", "富盛", "鉴湖", "灵芝", "东浦", "斗门"),
    "330603": ("柯桥", "安昌", "齐贤", "杨汛桥", "钱清", "福全", "兰亭", "平水", "王坛", "稽东", "漓渚", "夏履"),
    "330604": ("百官", "曹娥", "道墟", "崧厦", "沥海", "小越", "驿亭", "梁湖", "章镇", "丰惠", "永和", "汤浦"),
    "330681": ("暨阳", "陶朱", "枫桥", "店口", "大唐", "次坞", "牌头", "安华", "街亭", "赵家", "五泄", "璜山"),
    "330683": ("剡湖", "三江", "甘霖", "长乐", "崇仁", "黄泽", "石璜", "谷来", "仙岩", "三界", "浦口", "北漳"),
    "330624": ("南明", "七星", "羽林", "沃洲", "儒岙", "大市聚", "澄潭", "梅渚", "回山", "镜岭", "小将", "城南"),
}
VILLAGE_SUFFIXES = ("村", "新村", "社区")
VILLAGE_ROOTS = "前后东西南北上下大小中新老金石桥塘湖山溪岙"


def person_names(rng: np.random.Generator, sex: np.ndarray) -> list[str]:
    """Names for people of the given sexes ("1" male, "2" female): surname + one or two characters."""
    n = len(sex)
    surname = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())]
    male = np.array(list(MALE_CHARS))
    female = np.array(list(FEMALE_CHARS))
    is_male = sex == "1"
    last = np.where(is_male, male[rng.integers(0, len(male), n)], female[rng.integers(0, len(female), n)])
    middle = np.array(list(MIDDLE_CHARS))[rng.integers(0, len(MIDDLE_CHARS), n)]
    two = rng.random(n) < 0.7
    given = np.where(two, np.char.add(middle, last), last)
    return np.char.add(surname, given).tolist()


def employer_names(rng: np.random.Generator, n: int, county_names: list[str]) -> list[str]:
    prefix = [EMPLOYER_PREFIX[i:i + 2] for i in range(0, len(EMPLOYER_PREFIX) - 1, 2)]
    p = rng.integers(0, len(prefix), n)
    t = rng.integers(0, len(EMPLOYER_TRADES), n)
    f = rng.integers(0, len(EMPLOYER_FORMS), n)
    return [f"绍兴{prefix[a]}{EMPLOYER_TRADES[b]}{EMPLOYER_FORMS[c]}" if i % 3 else
            f"{county_names[i]}{prefix[a]}{EMPLOYER_TRADES[b]}{EMPLOYER_FORMS[c]}"
            for i, (a, b, c) in enumerate(zip(p, t, f))]


def village_name(rng: np.random.Generator, township: str) -> str:
    a, b = rng.integers(0, len(VILLAGE_ROOTS), 2)
    return f"{township}镇{VILLAGE_ROOTS[a]}{VILLAGE_ROOTS[b]}{VILLAGE_SUFFIXES[rng.integers(0, 3)]}卫生室"
