"""Reconciliation and files: 3201 totals, 3202 details (of a file uploaded with 9101), 9101/9102 files."""

from __future__ import annotations

from tongchou.api import reconcile, wire
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.visits.rules import Forbidden


def reconcile_totals(ctx: Context, call: Call) -> Reply:
    return ctx.write(call, lambda s: {"stmtinfo": reconcile.totals(s, call.code, call.input.data)})


def reconcile_details(ctx: Context, call: Call) -> Reply:
    return ctx.write(call, lambda s: {"fileinfo": reconcile.details(s, call.code, call.input.data)})


def upload_file(ctx: Context, call: Call) -> Reply:
    upload: wire.FileUpload = call.input.fsUploadIn
    if upload.fixmedins_code != call.code:
        raise Forbidden("fixmedins_code")
    return ctx.write(call, lambda s: {"data": reconcile.store_upload(s, call.code, upload.filename, upload.in_)})


def download_file(ctx: Context, call: Call) -> Reply:
    request: wire.FileDownload = call.input.fsDownloadIn
    if request.fixmedins_code != call.code:
        raise Forbidden("fixmedins_code")
    return ctx.write(call, lambda s: {"data": reconcile.download(s, call.code, request.file_qury_no)})


TRANSACTIONS = {
    "3201": Transaction(wire.Input3201, reconcile_totals),
    "3202": Transaction(wire.Input3202, reconcile_details),
    "9101": Transaction(wire.Input9101, upload_file),
    "9102": Transaction(wire.Input9102, download_file),
}
