"""The documents received (档案) from a console form, and their download.

A matter's form is multipart (`enctype="multipart/form-data"`) and carries the `_macros.html` macro
`documents(kinds, errors)`: one file input per document the matter expects (`doc_<i>`, its kind in
`doc_<i>_kind`) and two more for other material (the clerk names it in `doc_<i>_kind`). `checked_upload`
returns the text fields (CSRF checked) and the documents, each checked by `dossier.rules` (type by content,
size); a required kind without a file, or a bad file, is an error on that input. The route saves the
documents with its matter (`dossier.service.record` in the matter's transaction, or `DossierService.attach`
just after it).
"""

from __future__ import annotations

from typing import Sequence

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from urllib.parse import quote

from tongchou.access.sessions import Current
from tongchou.dossier import rules
from tongchou.dossier.rules import Attachment
from tongchou.dossier.service import DossierService
from tongchou.errors import NotFound, ServiceError
from tongchou.web.auth import audit, checked_multipart, person_counties, person_store_for, require

router = APIRouter()
MAX_INPUTS = 40


async def checked_upload(request: Request, current: Current, required: Sequence[str] = ()
                         ) -> tuple[dict[str, str], list[Attachment], dict[str, str]]:
    """(text fields, documents, errors by input name). `required`: kinds that must come with a file."""
    form = await checked_multipart(request, current, max_files=MAX_INPUTS, max_part_size=rules.MAX_BYTES + 1024)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    documents: list[Attachment] = []
    errors: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile) or not name.startswith("doc_") or not value.filename:
            continue
        kind = fields.get(f"{name}_kind", "").strip()
        try:
            documents.append(rules.attachment(name, kind, value.filename, await value.read()))
        except ServiceError as exc:
            errors[name] = exc.message
    received = {a.kind for a in documents}
    for index, kind in enumerate(required):
        if kind not in received and f"doc_{index}" not in errors:
            errors[f"doc_{index}"] = f"请上传{kind}。"
    try:
        rules.check_count("documents", documents)
    except ServiceError as exc:
        errors["documents"] = exc.message
    return fields, documents, errors


@router.get("/dossier/{document_id}")
def download(request: Request, document_id: int, current: Current = Depends(require("person.view"))):
    # the persons' scope: 全城通办 opens the documents of a person of any county of the pool (audited as such)
    try:
        view, content, county = DossierService(person_store_for(request, current)).content_with_county(document_id)
    except NotFound:
        raise HTTPException(404) from None
    counties = person_counties(request, current)
    if counties is not None and county not in counties:
        raise HTTPException(404)
    audit(request, current, "dossier.download", object_type=view.matter, object_id=view.matter_ref,
          detail={"document_id": document_id, "kind": view.kind}, person_county=county)
    disposition = f"inline; filename*=UTF-8''{quote(view.filename)}"
    return Response(content, media_type=view.media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
