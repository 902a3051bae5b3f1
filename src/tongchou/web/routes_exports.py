"""Exports: the claims table (结算明细) as CSV, limited to the user's county, recorded in the audit trail.

The export carries `psn_no` only (never a name, ID number or phone: `tongchou.store.export.COLUMNS`);
a county user's export is filtered by the county in the query and, on PostgreSQL, by row-level
security (the store is scoped to the county).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tongchou.access.sessions import Current
from tongchou.audit import trail
from tongchou.store.export import claim_rows, write_csv_text
from tongchou.web.auth import audit, checked_form, console_of, render, require, store_for
from tongchou.web.forms import FormErrors, Reader

router = APIRouter()


@router.get("/exports")
def exports(request: Request, current: Current = Depends(require("export.claims"))):
    today = console_of(request).today()
    return render(request, current, "exports.html", values={"date_from": today.replace(month=1, day=1).isoformat(),
                                                            "date_to": today.isoformat()}, errors={})


@router.post("/exports/claims.csv")
async def export_claims(request: Request, current: Current = Depends(require("export.claims"))):
    form = await checked_form(request, current)
    reader = Reader(form)
    start, end = reader.date("date_from", "结算日期起"), reader.date("date_to", "结算日期止")
    reader.order("date_from", "date_to", "结算日期止不能早于结算日期起。", start, end)
    try:
        reader.done()
    except FormErrors as exc:
        return render(request, current, "exports.html", 422, values=form, errors=exc.errors)
    scope = current.principal.county_scope
    text, count = store_for(request, current).read(lambda s: write_csv_text(claim_rows(s, start, end, scope)))
    audit(request, current, trail.EXPORT_CLAIMS, object_type="claims", object_id=scope or "city",
          detail={"date_from": start, "date_to": end, "rows": count})
    name = f"claims-{scope or 'city'}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(text.encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
