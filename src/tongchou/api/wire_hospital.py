"""Input nodes of what a hospital also needs from the interface (docs/api.md "Catalogue, mappings and
settlement lists"): catalogue download (1301, 1302, 1305, 1306), item mapping upload and cancellation
(3301, 3302) and the settlement list (4101, 4101A). Fields and lengths as the national interface's public
clients declare them (openhis Models/Input/Input_13.cs, Input_3301.cs, Input_3302.cs, Input_4101A.cs)."""

from __future__ import annotations

from pydantic import Field

from tongchou.api.wire import C, Creq, Date, Node


class CatalogueVersion(Node):
    ver: C(30) | None = None  # the version already held: rows of later versions are sent; empty or "0": all


class Input13(Node):
    data: CatalogueVersion


class ItemMapping(Node):
    fixmedins_hilist_id: Creq(30)
    fixmedins_hilist_name: Creq(200)
    list_type: Creq(30)
    med_list_codg: Creq(30)
    begndate: Date
    enddate: Date | None = None
    aprvno: C(30) | None = None
    dosform: C(200) | None = None
    exct_cont: C(2000) | None = None
    item_cont: C(2000) | None = None
    prcunt: C(100) | None = None
    spec: C(200) | None = None
    pacspec: C(100) | None = None
    memo: C(500) | None = None


class Input3301(Node):
    data: ItemMapping


class MappingCancel(Node):
    fixmedins_code: Creq(30)
    fixmedins_hilist_id: Creq(30)
    list_type: Creq(30)
    med_list_codg: Creq(30)


class Input3302(Node):
    data: MappingCancel


class ListSettlement(Node):
    psn_no: Creq(30)
    mdtrt_id: Creq(30)
    setl_id: Creq(30)


class ListDiagnosis(Node):
    diag_type: C(3) | None = None
    diag_code: Creq(20)
    diag_name: C(100) | None = None
    adm_cond_type: C(3) | None = None
    maindiag_flag: C(3) | None = None


class ListOperation(Node):
    oprn_oprt_type: C(3) | None = None  # 1: the main operation
    oprn_oprt_name: C(500) | None = None
    oprn_oprt_code: Creq(30)
    main_oprn_flag: C(3) | None = None


class Input4101(Node):
    setlinfo: ListSettlement
    diseinfo: list[ListDiagnosis] = Field(default_factory=list)
    oprninfo: list[ListOperation] = Field(default_factory=list)
