"""What a hospital also needs: catalogue download (1301, 1302, 1305, 1306), item mappings (3301, 3302) and
settlement lists (4101, 4101A); the rules are `api.hospital`, the inputs `api.wire_hospital`."""

from __future__ import annotations

from tongchou.api import hospital
from tongchou.api import wire_hospital as wire
from tongchou.api.tx_base import Call, Context, Reply, Transaction


def download_catalogue(ctx: Context, call: Call) -> Reply:
    return ctx.write(call, lambda s: hospital.catalogue_file(s, call.code, call.infno, call.input.data.ver))


def upload_mapping(ctx: Context, call: Call) -> Reply:
    data = call.input.data
    return ctx.write(call, lambda s: hospital.upload_mapping(s, call.code, data, ctx.kept(data)))


def cancel_mapping(ctx: Context, call: Call) -> Reply:
    return ctx.write(call, lambda s: hospital.cancel_mapping(s, call.code, call.input.data))


def upload_settlement_list(ctx: Context, call: Call) -> Reply:
    node = call.input.setlinfo
    return ctx.write(call, lambda s: hospital.settlement_list(
        s, call.code, node, ctx.kept(call.input.diseinfo), ctx.kept(call.input.oprninfo), ctx.kept(node)),
        lambda _out: node.setl_id)


TRANSACTIONS = {
    **{infno: Transaction(wire.Input13, download_catalogue) for infno in ("1301", "1302", "1305", "1306")},
    "3301": Transaction(wire.Input3301, upload_mapping),
    "3302": Transaction(wire.Input3302, cancel_mapping),
    "4101": Transaction(wire.Input4101, upload_settlement_list),
    "4101A": Transaction(wire.Input4101, upload_settlement_list),
}
