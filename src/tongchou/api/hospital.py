"""What a hospital also needs from the interface: the catalogue files (1301, 1302, 1305, 1306), its own item
codes mapped to catalogue codes (3301 upload, 3302 cancellation; fee uploads then accept the hospital's
code through the mapping) and settlement lists (4101, 4101A), whose main diagnosis and procedure are the
settlement's DIP codes. Functions run in the caller's transaction and name the national field at fault.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tongchou.api import catalogue_files, reconcile
from tongchou.api.envelope import now_local
from tongchou.visits.rules import Forbidden
from tongchou.store import models as m
from tongchou.errors import Conflict, InvalidRequest, NotFound

ACTIVE, CANCELLED = "active", "cancelled"
MAIN = "1"


# ---------------------------------------------------------------- catalogue download

def catalogue_file(session: Session, code: str, infno: str, ver: str | None) -> dict[str, Any]:
    """1301/1302/1305/1306: the catalogue entries of the infno's list type with a version after `ver`
    (the entry's row number; empty or "0": every entry), as a zip file for 9102."""
    since = _version(ver)
    list_type = catalogue_files.LIST_TYPE_OF_INFNO[infno]
    entries = session.execute(select(m.CatalogueItem).where(m.CatalogueItem.id > since)
                              .order_by(m.CatalogueItem.id)).scalars().all()
    rows = [catalogue_files.row(infno, _entry(item)) for item in entries
            if catalogue_files.list_type_of(item.code) == list_type]
    filename = f"{infno}_{now_local():%Y%m%d%H%M%S}"
    saved = reconcile.save_file(session, code, f"{filename}.zip", "result", catalogue_files.zipped(filename, rows))
    return {**saved, "dld_end_time": saved["dld_endtime"], "data_cnt": len(rows)}


def _version(ver: str | None) -> int:
    text = (ver or "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise InvalidRequest("ver", "版本号应为数字（首次下载填0）。")
    return int(text)


def _entry(item: m.CatalogueItem) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "category": item.category, "selfpay_prop": item.selfpay_prop,
            "price_cap": item.price_cap, "essential_drug": item.essential_drug, "restriction": item.restriction,
            "effective_from": item.effective_from, "effective_to": item.effective_to, "version": str(item.id)}


# ---------------------------------------------------------------- item mappings

def upload_mapping(session: Session, code: str, data: Any, detail: dict[str, Any]) -> dict[str, Any]:
    """3301: the hospital's item `fixmedins_hilist_id` is the catalogue's `med_list_codg` from `begndate`."""
    known = session.execute(select(m.CatalogueItem.id).where(m.CatalogueItem.code == data.med_list_codg)
                            .limit(1)).first()
    if known is None:
        raise InvalidRequest("med_list_codg", f"医疗目录编码{data.med_list_codg}不在医保目录内。", "unknown_item")
    if data.enddate is not None and data.enddate < data.begndate:
        raise InvalidRequest("enddate", "结束日期早于开始日期。")
    overlapping = session.execute(select(m.MedinsItemMap.hilist_code).where(
        m.MedinsItemMap.fixmedins_code == code, m.MedinsItemMap.medins_list_codg == data.fixmedins_hilist_id,
        m.MedinsItemMap.status == ACTIVE,
        or_(m.MedinsItemMap.enddate.is_(None), m.MedinsItemMap.enddate >= data.begndate),
        *([m.MedinsItemMap.begndate <= data.enddate] if data.enddate else []))).first()
    if overlapping is not None:
        raise Conflict("fixmedins_hilist_id", f"机构目录编号{data.fixmedins_hilist_id}在该期间已对照"
                       f"{overlapping[0]}，请先撤销（3302）。", "mapped")
    session.add(m.MedinsItemMap(fixmedins_code=code, medins_list_codg=data.fixmedins_hilist_id,
                                medins_list_name=data.fixmedins_hilist_name, hilist_code=data.med_list_codg,
                                list_type=data.list_type, begndate=data.begndate, enddate=data.enddate,
                                status=ACTIVE, detail=detail))
    session.flush()
    return {}


def cancel_mapping(session: Session, code: str, data: Any) -> dict[str, Any]:
    """3302: the institution's active mapping of the item to the catalogue code is cancelled."""
    if data.fixmedins_code != code:
        raise Forbidden("fixmedins_code")
    rows = session.execute(select(m.MedinsItemMap).where(
        m.MedinsItemMap.fixmedins_code == code, m.MedinsItemMap.medins_list_codg == data.fixmedins_hilist_id,
        m.MedinsItemMap.hilist_code == data.med_list_codg, m.MedinsItemMap.status == ACTIVE)).scalars().all()
    if not rows:
        raise NotFound("fixmedins_hilist_id", f"机构目录编号{data.fixmedins_hilist_id}与{data.med_list_codg}"
                       "没有有效的对照。")
    for row in rows:
        row.status = CANCELLED
    return {}


def catalogue_codes(session: Session, code: str, lines: Iterable[tuple[str, str, dt.date]]) -> list[str]:
    """The catalogue code of each fee line (med_list_codg, medins_list_codg, fee day): the hospital's item
    mapped on that day (by `medins_list_codg`, or a `med_list_codg` that is the hospital's own code), else the
    `med_list_codg` sent. A mapped item sent with another catalogue code is refused."""
    lines = list(lines)
    own = {c for sent, medins, _day in lines for c in (sent, medins)}
    maps = session.execute(select(m.MedinsItemMap).where(
        m.MedinsItemMap.fixmedins_code == code, m.MedinsItemMap.status == ACTIVE,
        m.MedinsItemMap.medins_list_codg.in_(own))).scalars().all() if own else []
    return codes_by_maps(maps, lines)


def codes_by_maps(maps: Iterable[Any], lines: list[tuple[str, str, dt.date]]) -> list[str]:
    """`catalogue_codes` from the institution's active map rows of the lines' codes (medins_list_codg,
    hilist_code, begndate, enddate)."""
    codes = []
    for index, (sent, medins, day) in enumerate(lines):
        on_day = {row.medins_list_codg: row.hilist_code for row in maps
                  if row.begndate <= day and (row.enddate is None or day <= row.enddate)}
        mapped = on_day.get(medins)
        if mapped is not None and sent not in (mapped, medins):
            raise InvalidRequest(f"feedetail[{index}].med_list_codg",
                                 f"机构目录编码{medins}已对照{mapped}，与上传的医疗目录编码不一致。")
        codes.append(mapped or on_day.get(sent) or sent)
    return codes


# ---------------------------------------------------------------- settlement lists

def settlement_list(session: Session, code: str, node: Any, diagnoses: list[dict[str, Any]],
                    operations: list[dict[str, Any]], info: dict[str, Any]) -> dict[str, Any]:
    """4101/4101A: the list of one of the institution's settlements; sent again, it replaces the earlier one.
    Its main diagnosis (maindiag_flag 1, else the first) and main operation (main_oprn_flag or
    oprn_oprt_type 1, else the first) are the settlement's DIP codes from then on."""
    settlement = session.execute(select(m.Settlement).where(m.Settlement.setl_id == node.setl_id)).scalar_one_or_none()
    if settlement is None:
        raise NotFound("setl_id", f"结算ID {node.setl_id} 不存在。")
    if settlement.fixmedins_code != code:
        raise Forbidden("setl_id")
    if (settlement.mdtrt_id, settlement.psn_no) != (node.mdtrt_id, node.psn_no):
        raise InvalidRequest("setl_id", f"结算ID {node.setl_id} 与就诊ID、人员编号不符。")
    values = dict(fixmedins_code=code, mdtrt_id=node.mdtrt_id, psn_no=node.psn_no,
                  diag_code=_main(diagnoses, "diag_code", ("maindiag_flag",)),
                  oprn_code=_main(operations, "oprn_oprt_code", ("main_oprn_flag", "oprn_oprt_type")),
                  diagnoses=diagnoses, operations=operations, info=info, county=settlement.county)
    row = session.execute(select(m.SetlList).where(m.SetlList.setl_id == node.setl_id)).scalar_one_or_none()
    if row is None:
        row = m.SetlList(setl_id=node.setl_id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    return {"setl_list_id": str(row.id)}


def _main(records: list[dict[str, Any]], field: str, flags: tuple[str, ...]) -> str | None:
    for flag in flags:
        found = next((r.get(field) for r in records if r.get(flag) == MAIN and r.get(field)), None)
        if found:
            return found
    return next((r.get(field) for r in records if r.get(field)), None)

