"""A deterministic synthetic claims table for clearing (benchmark, tests, demo), in DuckDB SQL.

Every value is a multiplicative hash of the row number: no random state, the
same table on every machine. Inpatient rows (med_type 21/22) carry a
diagnosis and procedure from the DIP catalogue (and a few with an unknown
diagnosis, which fall to the fallback group); costs scatter around the
group's standard cost so that low- and high-cost cases occur.
"""

from __future__ import annotations

from tongchou.clearing.rules import DipRules

# Independent multiplicative hashes of the row number (distinct multipliers, so that one is not a
# shifted copy of another), modulo the prime 2^32 − 5.
HASH = "((i * {multiplier} + {salt}) % 4294967291)"
MULTIPLIERS = (2654435761, 2246822519, 3266489917, 668265263)


def institution_code(index_sql: str) -> str:
    """H + 11 characters: H330600 and a 5-digit serial."""
    return f"'H330600' || lpad(CAST({index_sql} AS VARCHAR), 5, '0')"


def level_sql(index_sql: str) -> str:
    """Levels by serial: 20 % level 3, 30 % level 2, 50 % level 1."""
    return f"CASE WHEN {index_sql} % 10 < 2 THEN 3 WHEN {index_sql} % 10 < 5 THEN 2 ELSE 1 END"


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generation_sql(rows: int, rules: DipRules, year: int = 2024, institutions: int = 500) -> str:
    h1, h2, h3, h4 = (HASH.format(multiplier=m, salt=s) for m, s in zip(MULTIPLIERS, (17, 40503, 977, 7121),
                                                                         strict=True))
    groups = [g for g in rules.groups if g.code != rules.fallback_group]
    diags = _list([g.diag_code for g in groups] + ["Z99.9"])  # the last: not in the catalogue
    oprns = _list([g.oprn_code for g in groups] + [""])
    fallback_cost = rules.group(rules.fallback_group).standard_cost
    costs = "[" + ", ".join(str(g.standard_cost) for g in groups) + f", {fallback_cost}]"
    n = len(groups) + 1
    inst = f"({h4} % {institutions})"
    inpatient = f"({h1} % 100 < 38)"
    g = f"(1 + {h2} % {n})"
    # percent of the standard cost: 8 % of cases 20–49 % (low), 84 % 50–199 %, 8 % 200–399 % (high)
    factor = (f"(CASE WHEN {h3} % 100 < 8 THEN 20 + {h2} % 30 WHEN {h3} % 100 < 92 THEN 50 + {h1} % 150 "
              f"ELSE 200 + {h4} % 200 END)")
    medfee_fen = (f"(CASE WHEN {inpatient} THEN {costs}[{g}] * {factor} // 100 + {h3} % 100 "
                  f"ELSE 2000 + {h2} % 30000 END)")
    yuan = "CAST(CAST({fen} AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2))"
    days = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
    return f"""
        SELECT setl_id, psn_no, insutype, fixmedins_code, hosp_lv, med_type, diag_code, oprn_code, enddate,
               {yuan.format(fen='medfee')} AS medfee_sumamt,
               {yuan.format(fen='hifp')} AS hifp_pay,
               {yuan.format(fen='hifp')} AS fund_pay_sumamt,
               {yuan.format(fen='acct')} AS acct_pay,
               {yuan.format(fen='medfee - hifp - acct')} AS psn_cash_pay,
               refd_setl_flag
        FROM (
            SELECT 'S' || i AS setl_id,
                   'P' || (i % 1000003) AS psn_no,
                   CASE WHEN {h3} % 5 < 2 THEN '310' ELSE '390' END AS insutype,
                   {institution_code(inst)} AS fixmedins_code,
                   {level_sql(inst)} AS hosp_lv,
                   CASE WHEN {inpatient} THEN (CASE WHEN {h1} % 100 < 35 THEN '21' ELSE '22' END)
                        WHEN {h1} % 100 < 83 THEN '11' WHEN {h1} % 100 < 93 THEN '14' ELSE '13' END AS med_type,
                   CASE WHEN {inpatient} THEN {diags}[{g}] ELSE '' END AS diag_code,
                   CASE WHEN {inpatient} THEN {oprns}[{g}] ELSE '' END AS oprn_code,
                   CAST(DATE '{year}-01-01' + CAST((i * 7919) % {days} AS INTEGER) AS DATE) AS enddate,
                   {medfee_fen} AS medfee,
                   {medfee_fen} * (50 + {h2} % 31) // 100 AS hifp,
                   CASE WHEN {h3} % 5 < 2 THEN ({medfee_fen} - {medfee_fen} * (50 + {h2} % 31) // 100) // 10
                        ELSE 0 END AS acct,
                   CASE WHEN i % 997 = 0 THEN 1 ELSE 0 END AS refd_setl_flag
            FROM range({rows}) t(i)
        )
    """
