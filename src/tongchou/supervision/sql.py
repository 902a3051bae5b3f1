"""The batch SQL of each rule (DuckDB), one readable statement per rule.

Every statement reads the normalised tables `claims_v`, `fees_v`, `persons_v`, `items_v` (see
`batch.prepare`) and returns the same columns:

    setl_id, related_setl_ids VARCHAR[], psn_no, fixmedins_code, doctor_code, feedetl_sns VARCHAR[],
    county, amount_fen BIGINT, message VARCHAR (中文), evidence VARCHAR (JSON)

Parameters are DuckDB named parameters (`$max_days`) filled from the rule's parameters in
rules.yaml; `$schemes` is the rule's schemes and `$inpatient` the rule book's inpatient med types.
Money stays integer fen (`amount_fen`); `yuan()` only formats it for the message.
"""

from __future__ import annotations

from tongchou.codes import AdminTier, HospLv


def _peer_label_macro() -> str:
    """`peer_label(p)`: a peer group (an admin tier or a hospital level) by its Chinese name (codes.py)."""
    cases = " ".join(f"WHEN '{member.value}' THEN '{table.label_of(member.value)}'"
                     for table in (AdminTier, HospLv) for member in table)
    return f"CREATE OR REPLACE MACRO peer_label(p) AS CASE CAST(p AS VARCHAR) {cases} ELSE CAST(p AS VARCHAR) END;\n"


MACROS = """
CREATE OR REPLACE MACRO yuan(f) AS
    CASE WHEN f < 0 THEN '-' ELSE '' END || CAST(abs(f) // 100 AS VARCHAR) || '.' || lpad(CAST(abs(f) % 100 AS VARCHAR), 2, '0');
CREATE OR REPLACE MACRO num(x) AS
    CASE WHEN contains(CAST(x AS VARCHAR), '.') THEN rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.') ELSE CAST(x AS VARCHAR) END;
CREATE OR REPLACE MACRO fen(yuan_amount) AS CAST(round(yuan_amount * 100) AS BIGINT);
CREATE OR REPLACE MACRO sex_name(s) AS CASE s WHEN '1' THEN '男性' WHEN '2' THEN '女性' ELSE s END;
""" + _peer_label_macro()

DUPLICATE_CHARGE = """
WITH dup AS (
    SELECT setl_id, code, t, qty, price FROM fees_v WHERE list_contains($schemes, insutype)
    GROUP BY setl_id, code, t, qty, price HAVING count(*) > 1)
SELECT f.setl_id, []::VARCHAR[] AS related_setl_ids, any_value(f.psn_no) AS psn_no,
       any_value(f.fixmedins_code) AS fixmedins_code, any_value(f.doctor_code) AS doctor_code,
       list(f.feedetl_sn ORDER BY f.feedetl_sn) AS feedetl_sns, any_value(f.county) AS county,
       sum(f.amount_fen) - min(f.amount_fen) AS amount_fen,
       format('项目{}（{}）于{}以数量{}、单价{}元重复收费{}次，重复金额{}元。', any_value(f.name), f.code,
              coalesce(strftime(f.t, '%Y-%m-%d %H:%M:%S'), '同一时间'), num(f.qty), num(f.price), count(*),
              yuan(sum(f.amount_fen) - min(f.amount_fen))) AS message,
       CAST(to_json({'item': f.code, 'times': count(*)}) AS VARCHAR) AS evidence
FROM fees_v f JOIN dup d ON f.setl_id = d.setl_id AND f.code = d.code AND f.t IS NOT DISTINCT FROM d.t
                        AND f.qty IS NOT DISTINCT FROM d.qty AND f.price IS NOT DISTINCT FROM d.price
GROUP BY f.setl_id, f.code, f.t, f.qty, f.price
"""

# The later admission (by start date, then setl_id) is the finding; the earlier one is related.
OVERLAPPING_ADMISSIONS = """
WITH adm AS (SELECT * FROM claims_v WHERE list_contains($inpatient, med_type) AND list_contains($schemes, insutype))
SELECT b.setl_id, [a.setl_id] AS related_setl_ids, b.psn_no, b.fixmedins_code, NULL AS doctor_code,
       []::VARCHAR[] AS feedetl_sns, b.county, b.medfee_fen AS amount_fen,
       format('参保人{}在{}的住院（{}至{}）与其在{}的住院（{}至{}）时间重叠。', b.psn_no, b.fixmedins_code,
              b.begndate, b.enddate, a.fixmedins_code, a.begndate, a.enddate) AS message,
       CAST(to_json({'other_institution': a.fixmedins_code}) AS VARCHAR) AS evidence
FROM adm a JOIN adm b ON a.psn_no = b.psn_no
WHERE (a.begndate < b.begndate OR (a.begndate = b.begndate AND a.setl_id < b.setl_id))
  AND a.fixmedins_code <> b.fixmedins_code
  AND CASE WHEN $allow_same_day_transfer THEN a.begndate < b.enddate AND b.begndate < a.enddate
           ELSE a.begndate <= b.enddate AND b.begndate <= a.enddate END
"""

SPLIT_ADMISSION = """
WITH adm AS (SELECT * FROM claims_v WHERE list_contains($inpatient, med_type) AND list_contains($schemes, insutype))
SELECT b.setl_id, [a.setl_id] AS related_setl_ids, b.psn_no, b.fixmedins_code, NULL AS doctor_code,
       []::VARCHAR[] AS feedetl_sns, b.county, b.medfee_fen AS amount_fen,
       format('参保人{}于{}出院后第{}日（{}）再次在{}入院，诊断相关（{}→{}），疑似分解住院。', b.psn_no, a.enddate,
              b.begndate - a.enddate, b.begndate, b.fixmedins_code, coalesce(a.dise_code, '未填'),
              coalesce(b.dise_code, '未填')) AS message,
       CAST(to_json({'days_after_discharge': b.begndate - a.enddate}) AS VARCHAR) AS evidence
FROM adm a JOIN adm b ON a.psn_no = b.psn_no
WHERE (NOT $same_institution OR a.fixmedins_code = b.fixmedins_code)
  AND b.begndate - a.enddate BETWEEN 1 AND $max_days
  AND CASE WHEN a.dise_code IS NULL OR b.dise_code IS NULL THEN $missing_diagnosis_is_related
           ELSE upper(left(a.dise_code, $diagnosis_prefix_length)) = upper(left(b.dise_code, $diagnosis_prefix_length)) END
"""

# Gaps between consecutive charges other than the bed fee, inside one inpatient settlement.
PHANTOM_BED_DAYS = """
WITH marked AS (
    SELECT *, list_contains($bed_item_codes, code) OR ($bed_item_name_suffix <> '' AND ends_with(name, $bed_item_name_suffix)) AS is_bed
    FROM fees_v WHERE list_contains($inpatient, med_type) AND list_contains($schemes, insutype) AND t IS NOT NULL),
gaps AS (
    SELECT setl_id, psn_no, fixmedins_code, county, t, lag(t) OVER (PARTITION BY setl_id ORDER BY t) AS prev
    FROM marked WHERE NOT is_bed),
bed AS (SELECT setl_id, max(price) AS daily FROM marked WHERE is_bed GROUP BY setl_id)
SELECT g.setl_id, []::VARCHAR[] AS related_setl_ids, g.psn_no, g.fixmedins_code, NULL AS doctor_code,
       []::VARCHAR[] AS feedetl_sns, g.county,
       fen(coalesce(bed.daily, 0) * (date_diff('second', g.prev, g.t) // 3600 // 24)) AS amount_fen,
       format('住院期间{}至{}连续{}小时除床位费外无任何收费，疑似挂床住院，期间床位费约{}元。',
              strftime(g.prev, '%Y-%m-%d %H:%M'), strftime(g.t, '%Y-%m-%d %H:%M'), date_diff('second', g.prev, g.t) // 3600,
              yuan(fen(coalesce(bed.daily, 0) * (date_diff('second', g.prev, g.t) // 3600 // 24)))) AS message,
       CAST(to_json({'gap_from': g.prev, 'gap_to': g.t, 'hours': date_diff('second', g.prev, g.t) // 3600}) AS VARCHAR) AS evidence
FROM gaps g LEFT JOIN bed USING (setl_id)
WHERE date_diff('second', g.prev, g.t) >= $min_gap_hours * 3600
"""

_LIMIT_PROBLEM = """
CASE WHEN SEXCOL IS NOT NULL AND p_sex IS NOT NULL AND p_sex <> SEXCOL
          THEN format('限{}，参保人为{}', sex_name(SEXCOL), sex_name(p_sex))
     WHEN MINCOL IS NOT NULL AND age < MINCOL THEN format('限{}岁及以上，参保人{}岁', MINCOL, age)
     WHEN MAXCOL IS NOT NULL AND age > MAXCOL THEN format('限{}岁及以下，参保人{}岁', MAXCOL, age)
END"""


def _why(sex: str, min_age: str, max_age: str) -> str:
    """The Chinese reason a sex/age limit is not met, or NULL."""
    return _LIMIT_PROBLEM.replace("SEXCOL", sex).replace("MINCOL", min_age).replace("MAXCOL", max_age)

SEX_AGE_CONFLICT = """
WITH line_check AS (
    SELECT f.*, p.sex AS psn_sex, date_sub('year', p.birth_date, CAST(coalesce(f.t, f.begndate) AS DATE)) AS age,
           k.sex AS k_sex, k.min_age AS k_min, k.max_age AS k_max, p.sex AS p_sex
    FROM fees_v f JOIN items_v k ON k.code = f.code JOIN persons_v p ON p.psn_no = f.psn_no
    WHERE list_contains($schemes, f.insutype)),
lines AS (
    SELECT *, <<LINE_WHY>> AS why
    FROM line_check),
dx_check AS (
    SELECT c.*, p.sex AS p_sex, date_sub('year', p.birth_date, c.begndate) AS age, d.prefix, d.name AS dx_name,
           d.sex AS d_sex, d.min_age AS d_min, d.max_age AS d_max
    FROM claims_v c JOIN persons_v p ON p.psn_no = c.psn_no
    JOIN sv_dx_limits d ON starts_with(upper(c.dise_code), upper(d.prefix))
    WHERE list_contains($schemes, c.insutype)),
dx AS (
    SELECT *, <<DX_WHY>> AS why
    FROM dx_check)
SELECT setl_id, []::VARCHAR[] AS related_setl_ids, psn_no, fixmedins_code, doctor_code, [feedetl_sn] AS feedetl_sns,
       county, amount_fen, format('项目{}（{}）{}。', coalesce(nullif(name, ''), code), code, why) AS message,
       CAST(to_json({'item': code, 'sex': p_sex, 'age': age}) AS VARCHAR) AS evidence
FROM lines WHERE why IS NOT NULL
UNION ALL
SELECT setl_id, []::VARCHAR[], psn_no, fixmedins_code, NULL, []::VARCHAR[], county, medfee_fen,
       format('诊断{}（{}）{}。', dise_code, dx_name, why),
       CAST(to_json({'item': 'dx:' || dise_code, 'sex': p_sex, 'age': age}) AS VARCHAR)
FROM dx WHERE why IS NOT NULL
""".replace("<<LINE_WHY>>", _why("k_sex", "k_min", "k_max")).replace("<<DX_WHY>>", _why("d_sex", "d_min", "d_max"))

QUANTITY_ABOVE_LIMIT = """
WITH f AS (SELECT f.*, k.max_qty, k.max_qty_day, k.max_qty_stay, CAST(coalesce(f.t, f.begndate) AS DATE) AS day
           FROM fees_v f JOIN items_v k ON k.code = f.code WHERE list_contains($schemes, f.insutype))
SELECT setl_id, []::VARCHAR[] AS related_setl_ids, psn_no, fixmedins_code, doctor_code, [feedetl_sn] AS feedetl_sns,
       county, fen((qty - max_qty) * price) AS amount_fen,
       format('项目{}（{}）单条数量{}超过限定{}，超量金额{}元。', coalesce(nullif(name, ''), code), code, num(qty), num(max_qty),
              yuan(fen((qty - max_qty) * price))) AS message,
       CAST(to_json({'item': code, 'scope': 'line', 'qty': num(qty), 'limit': num(max_qty)}) AS VARCHAR) AS evidence
FROM f WHERE $check_line AND max_qty IS NOT NULL AND qty > max_qty
UNION ALL
SELECT setl_id, [], any_value(psn_no), any_value(fixmedins_code), any_value(doctor_code), list(feedetl_sn ORDER BY feedetl_sn),
       any_value(county), fen((sum(qty) - any_value(max_qty_day)) * any_value(price)),
       format('项目{}（{}）{}当日合计数量{}超过限定{}，超量金额{}元。', any_value(coalesce(nullif(name, ''), code)), code, day,
              num(sum(qty)), num(any_value(max_qty_day)), yuan(fen((sum(qty) - any_value(max_qty_day)) * any_value(price)))),
       CAST(to_json({'item': code, 'scope': 'day', 'qty': num(sum(qty)), 'limit': num(any_value(max_qty_day))}) AS VARCHAR)
FROM f WHERE $check_day AND max_qty_day IS NOT NULL
GROUP BY setl_id, code, day HAVING sum(qty) > any_value(max_qty_day)
UNION ALL
SELECT setl_id, [], any_value(psn_no), any_value(fixmedins_code), any_value(doctor_code), list(feedetl_sn ORDER BY feedetl_sn),
       any_value(county), fen((sum(qty) - any_value(max_qty_stay)) * any_value(price)),
       format('项目{}（{}）本次结算合计数量{}超过限定{}，超量金额{}元。', any_value(coalesce(nullif(name, ''), code)), code,
              num(sum(qty)), num(any_value(max_qty_stay)), yuan(fen((sum(qty) - any_value(max_qty_stay)) * any_value(price)))),
       CAST(to_json({'item': code, 'scope': 'stay', 'qty': num(sum(qty)), 'limit': num(any_value(max_qty_stay))}) AS VARCHAR)
FROM f WHERE $check_stay AND max_qty_stay IS NOT NULL
GROUP BY setl_id, code HAVING sum(qty) > any_value(max_qty_stay)
"""

PRICE_ABOVE_CAP = """
SELECT f.setl_id, []::VARCHAR[] AS related_setl_ids, f.psn_no, f.fixmedins_code, f.doctor_code, [f.feedetl_sn] AS feedetl_sns,
       f.county, fen((f.price - k.price_cap) * f.qty) AS amount_fen,
       format('项目{}（{}）单价{}元高于限价{}元，超限价金额{}元。', coalesce(nullif(f.name, ''), f.code), f.code, num(f.price),
              num(k.price_cap), yuan(fen((f.price - k.price_cap) * f.qty))) AS message,
       CAST(to_json({'item': f.code, 'price': num(f.price), 'cap': num(k.price_cap)}) AS VARCHAR) AS evidence
FROM fees_v f JOIN items_v k ON k.code = f.code
WHERE list_contains($schemes, f.insutype) AND k.price_cap IS NOT NULL AND f.price > k.price_cap
"""

# Each visit against the person's visit just before it (by registration time): any two visits at
# different institutions less than the window apart have such a consecutive pair between them.
CREDENTIAL_TWO_INSTITUTIONS = """
WITH v AS (
    SELECT *, lag(setl_id) OVER w AS prev_setl, lag(fixmedins_code) OVER w AS prev_inst, lag(begntime) OVER w AS prev_time
    FROM claims_v WHERE begntime IS NOT NULL AND list_contains($schemes, insutype)
    WINDOW w AS (PARTITION BY psn_no ORDER BY begntime, setl_id))
SELECT setl_id, [prev_setl] AS related_setl_ids, psn_no, fixmedins_code, NULL AS doctor_code, []::VARCHAR[] AS feedetl_sns,
       county, medfee_fen AS amount_fen,
       format('参保人{}的医保凭证于{}在{}、{}在{}登记就诊，相隔{}分钟，疑似冒名就医。', psn_no, strftime(prev_time, '%Y-%m-%d %H:%M'),
              prev_inst, strftime(begntime, '%H:%M'), fixmedins_code, date_diff('second', prev_time, begntime) // 60) AS message,
       CAST(to_json({'minutes_apart': date_diff('second', prev_time, begntime) // 60, 'other_institution': prev_inst}) AS VARCHAR) AS evidence
FROM v
WHERE prev_inst IS NOT NULL AND prev_inst <> fixmedins_code
  AND date_diff('second', prev_time, begntime) < $window_minutes * 60
"""

# Leave-one-out: an institution against the mean and standard deviation of the OTHER institutions of its tier.
OUTLIER_INSTITUTION = """
WITH inst AS (
    SELECT fixmedins_code, any_value({peer_key}) AS peer, mode(county) AS county, count(*) AS n,
           avg(medfee_fen) AS mean_fen
    FROM claims_v WHERE list_contains($inpatient, med_type) AND list_contains($schemes, insutype)
    GROUP BY fixmedins_code HAVING count(*) >= $min_admissions),
peers AS (SELECT peer, count(*) AS k, sum(mean_fen) AS s, sum(mean_fen * mean_fen) AS ss FROM inst GROUP BY peer),
scored AS (
    SELECT i.*, p.k - 1 AS others, (p.s - i.mean_fen) / (p.k - 1) AS peer_mean,
           sqrt(greatest(((p.ss - i.mean_fen * i.mean_fen) - (p.k - 1) * power((p.s - i.mean_fen) / (p.k - 1), 2)) / (p.k - 2), 0)) AS peer_sd
    FROM inst i JOIN peers p USING (peer) WHERE p.k - 1 >= $min_peers)
SELECT NULL AS setl_id, []::VARCHAR[] AS related_setl_ids, NULL AS psn_no, fixmedins_code, NULL AS doctor_code,
       []::VARCHAR[] AS feedetl_sns, county, CAST(round((mean_fen - peer_mean) * n) AS BIGINT) AS amount_fen,
       format('机构{}次均住院费用{}元，同级（{}）其他{}家机构均值{}元、标准差{}元，高出{}个标准差（住院{}人次）。', fixmedins_code,
              yuan(CAST(round(mean_fen) AS BIGINT)), peer_label(peer), others, yuan(CAST(round(peer_mean) AS BIGINT)),
              yuan(CAST(round(peer_sd) AS BIGINT)), round((mean_fen - peer_mean) / nullif(peer_sd, 0), 1), n) AS message,
       CAST(to_json({'peer': peer, 'admissions': n, 'z': round((mean_fen - peer_mean) / nullif(peer_sd, 0), 2)}) AS VARCHAR) AS evidence
FROM scored
WHERE mean_fen > peer_mean + $z_threshold * peer_sd AND mean_fen > peer_mean * (1 + $min_relative_excess)
"""

FREQUENT_DRUG_PURCHASE = """
WITH buys AS (
    SELECT psn_no, code, setl_id, any_value(fixmedins_code) AS fixmedins_code, any_value(county) AS county,
           any_value(name) AS name, min(begndate) AS day, sum(amount_fen) AS amount_fen
    FROM fees_v
    WHERE list_contains($schemes, insutype) AND len(list_filter($drug_code_prefixes, lambda p: starts_with(code, p))) > 0
      AND NOT ($outpatient_only AND list_contains($inpatient, med_type))
    GROUP BY psn_no, code, setl_id),
windows AS (
    SELECT *, count(*) OVER (PARTITION BY psn_no, code ORDER BY day
                             RANGE BETWEEN CURRENT ROW AND INTERVAL {last_day} DAY FOLLOWING) AS times
    FROM buys),
flagged AS (
    SELECT b.* FROM buys b JOIN windows w ON b.psn_no = w.psn_no AND b.code = w.code
    WHERE w.times >= $min_times AND b.day BETWEEN w.day AND w.day + {last_day})
SELECT min(setl_id) AS setl_id, list(DISTINCT setl_id ORDER BY setl_id) AS related_setl_ids, psn_no,
       mode(fixmedins_code) AS fixmedins_code, NULL AS doctor_code, []::VARCHAR[] AS feedetl_sns, any_value(county) AS county,
       sum(amount_fen) AS amount_fen,
       format('参保人{}在{}至{}期间{}次购买药品{}（{}），{}日内达到{}次，疑似频繁购药。', psn_no, min(day), max(day),
              count(DISTINCT setl_id), any_value(name), code, {window_days}, $min_times) AS message,
       CAST(to_json({'item': code, 'times': count(DISTINCT setl_id), 'from': min(day)}) AS VARCHAR) AS evidence
FROM (SELECT DISTINCT * FROM flagged)
GROUP BY psn_no, code
"""

SHARED_CONTACT_GROUP = """
WITH totals AS (SELECT psn_no, sum(reimb_fen) AS total FROM claims_v WHERE list_contains($schemes, insutype) GROUP BY psn_no),
cut AS (SELECT quantile_disc(total, $top_percentile / 100.0) AS q FROM totals),
grp AS (SELECT phone, count(*) AS size FROM persons_v WHERE phone IS NOT NULL AND phone <> '' GROUP BY phone
        HAVING count(*) >= $min_group_size),
members AS (
    SELECT p.psn_no, p.phone, g.size, coalesce(t.total, 0) AS total, coalesce(t.total, 0) >= cut.q AND coalesce(t.total, 0) > 0 AS top
    FROM persons_v p JOIN grp g USING (phone) LEFT JOIN totals t USING (psn_no) CROSS JOIN cut),
flagged AS (SELECT phone FROM members GROUP BY phone HAVING count(*) FILTER (WHERE top) >= $min_members_in_top)
SELECT NULL AS setl_id, []::VARCHAR[] AS related_setl_ids, m.psn_no, NULL AS fixmedins_code, NULL AS doctor_code,
       []::VARCHAR[] AS feedetl_sns, NULL AS county, m.total AS amount_fen,
       format('参保人{}与另外{}人共用联系电话（尾号{}），该群体中{}人年度报销额处于前{}%，本人年度报销{}元。', m.psn_no, m.size - 1,
              right(m.phone, 4), count(*) FILTER (WHERE m.top) OVER (PARTITION BY m.phone), 100 - $top_percentile, yuan(m.total)) AS message,
       CAST(to_json({'group_size': m.size, 'phone_tail': right(m.phone, 4), 'top': m.top}) AS VARCHAR) AS evidence
FROM members m JOIN flagged USING (phone)
"""

RULE_SQL = {
    "duplicate_charge": DUPLICATE_CHARGE, "overlapping_admissions": OVERLAPPING_ADMISSIONS,
    "split_admission": SPLIT_ADMISSION, "phantom_bed_days": PHANTOM_BED_DAYS, "sex_age_conflict": SEX_AGE_CONFLICT,
    "quantity_above_limit": QUANTITY_ABOVE_LIMIT, "price_above_cap": PRICE_ABOVE_CAP,
    "credential_two_institutions": CREDENTIAL_TWO_INSTITUTIONS, "outlier_institution": OUTLIER_INSTITUTION,
    "frequent_drug_purchase": FREQUENT_DRUG_PURCHASE, "shared_contact_group": SHARED_CONTACT_GROUP,
}
# The tables each rule reads (claims_v always exists).
REQUIRES = {
    "duplicate_charge": ("fees_v",), "phantom_bed_days": ("fees_v",), "price_above_cap": ("fees_v", "items_v"),
    "quantity_above_limit": ("fees_v", "items_v"), "sex_age_conflict": ("fees_v", "items_v", "persons_v"),
    "frequent_drug_purchase": ("fees_v",), "shared_contact_group": ("persons_v", "phone"),
}
