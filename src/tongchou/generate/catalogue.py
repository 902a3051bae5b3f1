"""The synthetic catalogue: a few hundred drugs, examinations, treatments, materials and services.

Each item has a category (A/B/C), a first self-pay proportion for B, an optional
price cap, an essential-drug flag, a unit price (fen), a quantity limit per fee
line, optional sex/age limits and the pool it is drawn from. The catalogue does
not depend on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

B_PROPS = ("0.05", "0.10", "0.15", "0.20", "0.30")
PACKS = {"片": ("×12片", "×24片", "×48片"), "胶囊": ("×12粒", "×24粒", "×48粒"), "注射液": ("×1支", "×5支", "×10支"),
         "颗粒": ("×6袋", "×12袋", "×24袋"), "针": ("×1瓶", "×5瓶", "×10瓶")}
PACK_FACTORS = (Decimal("1"), Decimal("1.9"), Decimal("3.6"))

# (name, form, price of the smallest pack in yuan, category, essential, pool)
DRUGS: tuple[tuple[str, str, str, str, bool, str], ...] = (
    ("阿莫西林胶囊", "胶囊", "6.50", "A", True, "general"), ("头孢呋辛酯片", "片", "18.00", "A", True, "general"),
    ("头孢克肟胶囊", "胶囊", "22.00", "B", False, "general"), ("阿奇霉素片", "片", "15.00", "A", True, "general"),
    ("左氧氟沙星片", "片", "12.00", "A", True, "general"), ("布洛芬缓释胶囊", "胶囊", "9.80", "A", True, "general"),
    ("对乙酰氨基酚片", "片", "3.20", "A", True, "general"), ("复方甘草片", "片", "4.50", "A", True, "general"),
    ("氨溴索口服溶液", "颗粒", "16.00", "B", False, "general"), ("蒙脱石散", "颗粒", "12.00", "A", True, "general"),
    ("奥美拉唑肠溶胶囊", "胶囊", "14.00", "A", True, "general"), ("雷贝拉唑钠肠溶片", "片", "28.00", "B", False, "general"),
    ("多潘立酮片", "片", "11.00", "A", True, "general"), ("铝碳酸镁咀嚼片", "片", "19.00", "B", False, "general"),
    ("氯雷他定片", "片", "13.00", "A", True, "general"), ("西替利嗪片", "片", "16.00", "B", False, "general"),
    ("维生素C片", "片", "2.50", "C", False, "general"), ("复合维生素B片", "片", "3.00", "C", False, "general"),
    ("板蓝根颗粒", "颗粒", "10.00", "A", True, "general"), ("连花清瘟胶囊", "胶囊", "14.80", "B", False, "general"),
    ("感冒灵颗粒", "颗粒", "12.50", "B", False, "general"), ("藿香正气水", "颗粒", "8.00", "A", True, "general"),
    ("复方丹参滴丸", "片", "26.00", "A", True, "general"), ("银杏叶片", "片", "35.00", "B", False, "general"),
    ("六味地黄丸", "片", "18.00", "A", True, "general"), ("阿胶补血颗粒", "颗粒", "48.00", "C", False, "general"),
    ("双氯芬酸钠缓释片", "片", "12.00", "A", True, "general"), ("氨基葡萄糖胶囊", "胶囊", "58.00", "B", False, "general"),
    ("甲钴胺片", "片", "24.00", "B", False, "general"), ("艾司唑仑片", "片", "5.00", "A", True, "general"),
    ("硝苯地平控释片", "片", "32.00", "A", True, "chronic:SX-MB03"), ("苯磺酸氨氯地平片", "片", "28.00", "A", True, "chronic:SX-MB03"),
    ("缬沙坦胶囊", "胶囊", "36.00", "B", False, "chronic:SX-MB03"), ("厄贝沙坦片", "片", "30.00", "B", False, "chronic:SX-MB03"),
    ("琥珀酸美托洛尔缓释片", "片", "42.00", "B", False, "chronic:SX-MB03"), ("吲达帕胺片", "片", "9.00", "A", True, "chronic:SX-MB03"),
    ("阿司匹林肠溶片", "片", "15.00", "A", True, "chronic:SX-MB03"), ("阿托伐他汀钙片", "片", "45.00", "B", False, "chronic:SX-MB03"),
    ("盐酸二甲双胍片", "片", "12.00", "A", True, "chronic:SX-MB04"), ("格列美脲片", "片", "26.00", "A", True, "chronic:SX-MB04"),
    ("阿卡波糖片", "片", "38.00", "B", False, "chronic:SX-MB04"), ("磷酸西格列汀片", "片", "88.00", "B", False, "chronic:SX-MB04"),
    ("门冬胰岛素注射液", "注射液", "78.00", "B", False, "chronic:SX-MB04"), ("甘精胰岛素注射液", "注射液", "165.00", "B", False, "chronic:SX-MB04"),
    ("卡培他滨片", "片", "280.00", "B", False, "chronic:SX-MB01"), ("吉非替尼片", "片", "1350.00", "B", False, "chronic:SX-MB01"),
    ("注射用紫杉醇", "针", "650.00", "B", False, "chronic:SX-MB01"), ("奥沙利铂注射液", "注射液", "420.00", "B", False, "chronic:SX-MB01"),
    ("顺铂注射液", "注射液", "45.00", "A", True, "chronic:SX-MB01"), ("昂丹司琼注射液", "注射液", "38.00", "B", False, "chronic:SX-MB01"),
    ("重组人促红素注射液", "注射液", "120.00", "B", False, "chronic:SX-MB02"), ("蔗糖铁注射液", "注射液", "95.00", "B", False, "chronic:SX-MB02"),
    ("左卡尼汀注射液", "注射液", "60.00", "B", False, "chronic:SX-MB02"), ("碳酸镧咀嚼片", "片", "150.00", "B", False, "chronic:SX-MB02"),
    ("0.9%氯化钠注射液", "注射液", "3.50", "A", True, "inpatient"), ("5%葡萄糖注射液", "注射液", "3.80", "A", True, "inpatient"),
    ("注射用头孢曲松钠", "针", "16.00", "A", True, "inpatient"), ("注射用头孢他啶", "针", "32.00", "B", False, "inpatient"),
    ("注射用哌拉西林他唑巴坦", "针", "58.00", "B", False, "inpatient"), ("注射用美罗培南", "针", "120.00", "B", False, "inpatient"),
    ("注射用奥美拉唑钠", "针", "22.00", "B", False, "inpatient"), ("低分子肝素钙注射液", "注射液", "45.00", "B", False, "inpatient"),
    ("人血白蛋白", "针", "380.00", "B", False, "inpatient"), ("注射用血栓通", "针", "68.00", "B", False, "inpatient"),
    ("丹参注射液", "注射液", "12.00", "B", False, "inpatient"), ("复方氨基酸注射液", "注射液", "42.00", "B", False, "inpatient"),
    ("脂肪乳注射液", "注射液", "88.00", "B", False, "inpatient"), ("盐酸左氧氟沙星注射液", "注射液", "18.00", "A", True, "inpatient"),
    ("地塞米松磷酸钠注射液", "注射液", "2.50", "A", True, "inpatient"), ("呋塞米注射液", "注射液", "2.80", "A", True, "inpatient"),
    ("胰岛素注射液", "注射液", "42.00", "A", True, "inpatient"), ("注射用七叶皂苷钠", "针", "35.00", "C", False, "inpatient"),
    ("注射用磷酸肌酸钠", "针", "56.00", "C", False, "inpatient"), ("胸腺肽注射液", "注射液", "28.00", "C", False, "inpatient"),
    ("甲硝唑注射液", "注射液", "4.00", "A", True, "inpatient"), ("氯化钾注射液", "注射液", "2.20", "A", True, "inpatient"),
    ("注射用还原型谷胱甘肽", "针", "48.00", "B", False, "inpatient"), ("醒脑静注射液", "注射液", "38.00", "B", False, "inpatient"),
)
# (name, kind, price yuan, category, selfpay_prop, price cap yuan or "", max qty per line, pool, sex, min age, max age)
SERVICES: tuple[tuple, ...] = (
    ("普通门诊诊查费", "service", "10.00", "A", None, "", 1, "consult:1", "", 0, 150),
    ("二级医院门诊诊查费", "service", "15.00", "A", None, "", 1, "consult:2", "", 0, 150),
    ("三级医院门诊诊查费", "service", "25.00", "A", None, "", 1, "consult:3", "", 0, 150),
    ("一级医院床位费", "service", "25.00", "A", None, "25.00", 60, "bed:1", "", 0, 150),
    ("二级医院床位费", "service", "40.00", "A", None, "40.00", 60, "bed:2", "", 0, 150),
    ("三级医院床位费", "service", "60.00", "A", None, "60.00", 60, "bed:3", "", 0, 150),
    ("一级医院二级护理", "service", "15.00", "A", None, "", 1, "nursing:1", "", 0, 150),
    ("二级医院二级护理", "service", "22.00", "A", None, "", 1, "nursing:2", "", 0, 150),
    ("三级医院二级护理", "service", "30.00", "A", None, "", 1, "nursing:3", "", 0, 150),
    ("血常规", "exam", "20.00", "A", None, "", 2, "general", "", 0, 150),
    ("尿常规", "exam", "10.00", "A", None, "", 2, "general", "", 0, 150),
    ("粪便常规", "exam", "8.00", "A", None, "", 2, "general", "", 0, 150),
    ("肝功能", "exam", "60.00", "A", None, "", 2, "general", "", 0, 150),
    ("肾功能", "exam", "40.00", "A", None, "", 2, "general", "", 0, 150),
    ("血脂四项", "exam", "45.00", "A", None, "", 2, "general", "", 0, 150),
    ("空腹血糖", "exam", "8.00", "A", None, "", 2, "general", "", 0, 150),
    ("糖化血红蛋白", "exam", "70.00", "B", "0.10", "", 2, "chronic:SX-MB04", "", 0, 150),
    ("电解质", "exam", "30.00", "A", None, "", 2, "general", "", 0, 150),
    ("C反应蛋白", "exam", "25.00", "A", None, "", 2, "general", "", 0, 150),
    ("凝血四项", "exam", "60.00", "A", None, "", 2, "inpatient", "", 0, 150),
    ("心肌酶谱", "exam", "80.00", "A", None, "", 2, "inpatient", "", 0, 150),
    ("肿瘤标志物组合", "exam", "220.00", "B", "0.20", "", 1, "chronic:SX-MB01", "", 0, 150),
    ("常规心电图", "exam", "25.00", "A", None, "", 2, "general", "", 0, 150),
    ("动态心电图", "exam", "180.00", "B", "0.10", "", 1, "inpatient", "", 0, 150),
    ("胸部X线摄影", "exam", "60.00", "A", None, "", 1, "general", "", 0, 150),
    ("腹部B超", "exam", "80.00", "A", None, "", 1, "general", "", 0, 150),
    ("心脏彩色多普勒超声", "exam", "180.00", "B", "0.10", "", 1, "inpatient", "", 0, 150),
    ("颈部血管彩超", "exam", "150.00", "B", "0.10", "", 1, "chronic:SX-MB03", "", 0, 150),
    ("头颅CT平扫", "exam", "260.00", "B", "0.10", "", 1, "inpatient", "", 0, 150),
    ("胸部CT平扫", "exam", "280.00", "B", "0.10", "", 1, "inpatient", "", 0, 150),
    ("腹部CT增强", "exam", "650.00", "B", "0.20", "", 1, "inpatient", "", 0, 150),
    ("头颅MRI平扫", "exam", "620.00", "B", "0.20", "", 1, "inpatient", "", 0, 150),
    ("腰椎MRI平扫", "exam", "620.00", "B", "0.20", "", 1, "inpatient", "", 0, 150),
    ("电子胃镜检查", "exam", "300.00", "B", "0.10", "", 1, "inpatient", "", 0, 150),
    ("电子结肠镜检查", "exam", "380.00", "B", "0.10", "", 1, "inpatient", "", 0, 150),
    ("骨密度测定", "exam", "90.00", "C", None, "", 1, "general", "", 0, 150),
    ("静脉输液", "treatment", "8.00", "A", None, "", 3, "inpatient", "", 0, 150),
    ("肌肉注射", "treatment", "3.00", "A", None, "", 3, "general", "", 0, 150),
    ("换药", "treatment", "20.00", "A", None, "", 2, "general", "", 0, 150),
    ("吸氧", "treatment", "3.00", "A", None, "", 48, "inpatient", "", 0, 150),
    ("雾化吸入", "treatment", "15.00", "A", None, "", 3, "general", "", 0, 150),
    ("针刺", "treatment", "30.00", "A", None, "", 2, "general", "", 0, 150),
    ("推拿", "treatment", "40.00", "B", "0.10", "", 2, "general", "", 0, 150),
    ("中频脉冲电治疗", "treatment", "20.00", "B", "0.10", "", 3, "general", "", 0, 150),
    ("清创缝合", "treatment", "150.00", "A", None, "", 1, "inpatient", "", 0, 150),
    ("导尿", "treatment", "20.00", "A", None, "", 2, "inpatient", "", 0, 150),
    ("心电监护", "treatment", "5.00", "A", None, "", 48, "inpatient", "", 0, 150),
    ("血液透析", "treatment", "420.00", "A", None, "", 15, "chronic:SX-MB02", "", 0, 150),
    ("血液透析滤过", "treatment", "650.00", "B", "0.10", "", 15, "chronic:SX-MB02", "", 0, 150),
    ("调强放射治疗", "treatment", "900.00", "B", "0.10", "", 10, "chronic:SX-MB01", "", 0, 150),
    ("中医养生调理", "treatment", "60.00", "C", None, "", 2, "general", "", 0, 150),
    ("阑尾切除术", "surgery", "1200.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("腹腔镜胆囊切除术", "surgery", "2600.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("白内障超声乳化摘除术", "surgery", "2000.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("腹股沟疝修补术", "surgery", "1500.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("经皮冠状动脉支架置入术", "surgery", "6800.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("人工髋关节置换术", "surgery", "5200.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("甲状腺部分切除术", "surgery", "1800.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("腰椎间盘髓核摘除术", "surgery", "3200.00", "A", None, "", 1, "surgery", "", 0, 150),
    ("剖宫产术", "surgery", "1600.00", "A", None, "", 1, "surgery-female", "2", 15, 55),
    ("经尿道前列腺电切术", "surgery", "2800.00", "A", None, "", 1, "surgery-male", "1", 40, 150),
    ("一次性输液器", "material", "3.00", "A", None, "3.50", 6, "inpatient", "", 0, 150),
    ("静脉留置针", "material", "25.00", "B", "0.20", "30.00", 3, "inpatient", "", 0, 150),
    ("医用外科缝线", "material", "35.00", "B", "0.20", "40.00", 4, "inpatient", "", 0, 150),
    ("一次性使用吸痰管", "material", "4.00", "A", None, "5.00", 10, "inpatient", "", 0, 150),
    ("冠状动脉药物洗脱支架", "material", "7200.00", "B", "0.30", "7500.00", 2, "surgery-implant", "", 0, 150),
    ("人工髋关节假体", "material", "26000.00", "B", "0.30", "28000.00", 1, "surgery-implant", "", 0, 150),
    ("骨科接骨板", "material", "4800.00", "B", "0.30", "5000.00", 2, "surgery-implant", "", 0, 150),
    ("人工晶状体", "material", "1800.00", "B", "0.30", "2000.00", 1, "surgery-implant", "", 0, 150),
    ("一次性腹腔镜穿刺器", "material", "880.00", "B", "0.20", "900.00", 2, "surgery-implant", "", 0, 150),
    ("妇科常规检查", "exam", "30.00", "A", None, "", 1, "female", "2", 14, 150),
    ("宫颈液基细胞学检查", "exam", "150.00", "B", "0.10", "", 1, "female", "2", 18, 150),
    ("孕酮测定", "exam", "40.00", "A", None, "", 1, "female", "2", 14, 55),
    ("经阴道彩色超声", "exam", "120.00", "A", None, "", 1, "female", "2", 14, 150),
    ("前列腺特异性抗原测定", "exam", "80.00", "A", None, "", 1, "male", "1", 40, 150),
    ("前列腺B超", "exam", "80.00", "A", None, "", 1, "male", "1", 40, 150),
    ("小儿氨酚黄那敏颗粒", "drug", "9.00", "A", None, "", 3, "child", "", 0, 14),
    ("小儿肺热咳喘口服液", "drug", "28.00", "B", "0.10", "", 3, "child", "", 0, 14),
    ("新生儿听力筛查", "exam", "60.00", "A", None, "", 1, "newborn", "", 0, 0),
    ("新生儿疾病筛查", "exam", "100.00", "A", None, "", 1, "newborn", "", 0, 0),
)
KIND_PREFIX = {"drug": "YP", "exam": "JC", "treatment": "ZL", "surgery": "SS", "material": "HC", "service": "FW"}
CAPPED_DRUG_EVERY = 7  # every 7th drug has a price cap (10 % above its price)


@dataclass(frozen=True)
class Catalogue:
    code: list[str]
    name: list[str]
    kind: list[str]
    category: np.ndarray        # "A" / "B" / "C"
    selfpay_prop: list[str | None]
    price: np.ndarray           # fen
    price_cap: np.ndarray       # fen, -1 when none
    essential: np.ndarray       # bool
    max_qty: np.ndarray
    pool: np.ndarray            # str
    sex: np.ndarray             # "", "1", "2"
    min_age: np.ndarray
    max_age: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def in_pool(self, pool: str) -> np.ndarray:
        """Indices of the pool's items, cheapest first."""
        idx = np.flatnonzero(self.pool == pool)
        return idx[np.argsort(self.price[idx], kind="stable")]

    def first(self, pool: str) -> int:
        return int(np.flatnonzero(self.pool == pool)[0])


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _drug_rows() -> list[tuple]:
    rows = []
    for number, (name, form, price, category, essential, pool) in enumerate(DRUGS):
        prop = B_PROPS[number % len(B_PROPS)] if category == "B" else None
        for pack, factor in zip(PACKS[form], PACK_FACTORS):
            fen = int((Decimal(price) * factor * 100).quantize(Decimal(1)))
            cap = fen + fen // 10 if (number % CAPPED_DRUG_EVERY == 3) else -1
            max_qty = 20 if pool in ("inpatient",) else 10
            rows.append((f"{name}（{pack}）", "drug", fen, category, prop, cap, essential, max_qty, pool, "", 0, 150))
    return rows


def _service_rows() -> list[tuple]:
    rows = []
    for name, kind, price, category, prop, cap, max_qty, pool, sex, lo, hi in SERVICES:
        rows.append((name, kind, _fen(price), category, prop, _fen(cap) if cap else -1, False, max_qty, pool, sex, lo, hi))
    return rows


def build_catalogue() -> Catalogue:
    rows = _drug_rows() + _service_rows()
    counters: dict[str, int] = {}
    codes = []
    for row in rows:
        prefix = KIND_PREFIX[row[1]]
        counters[prefix] = counters.get(prefix, 0) + 1
        codes.append(f"{prefix}{counters[prefix]:06d}")
    column = list(zip(*rows))
    return Catalogue(
        code=codes, name=list(column[0]), kind=list(column[1]), price=np.array(column[2], dtype=np.int64),
        category=np.array(column[3]), selfpay_prop=list(column[4]), price_cap=np.array(column[5], dtype=np.int64),
        essential=np.array(column[6], dtype=bool), max_qty=np.array(column[7], dtype=np.int64),
        pool=np.array(column[8]), sex=np.array(column[9]), min_age=np.array(column[10], dtype=np.int64),
        max_age=np.array(column[11], dtype=np.int64),
    )
