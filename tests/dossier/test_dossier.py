"""档案: what a document may be (pure), and documents kept with their matter on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tongchou.dossier import rules
from tongchou.dossier.service import DossierService, Matter, record
from tongchou.errors import InvalidRequest, NotFound

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def test_a_document_is_recognised_by_its_content_not_its_name():
    a = rules.attachment("doc_0", "居民身份证", "C:\\扫描\\身份证.pdf", PDF)
    assert (a.kind, a.filename, a.media_type, a.size) == ("居民身份证", "身份证.pdf", "application/pdf", len(PDF))
    assert rules.attachment("doc_1", "", "photo.jpg", PNG).media_type == "image/png"
    assert rules.attachment("doc_1", "", "photo.jpg", PNG).kind == "其他材料"


@pytest.mark.parametrize("name, content, message", [
    ("a.pdf", b"", "是空文件"),
    ("a.exe", b"MZ\x90\x00", "不是PDF、JPEG、PNG、TIFF或OFD文件"),
    ("a.zip", b"PK\x03\x04rest", "不是PDF、JPEG、PNG、TIFF或OFD文件"),
    ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "单个文件不能超过10 MB"),
])
def test_a_bad_file_is_refused_naming_its_input(name, content, message):
    with pytest.raises(InvalidRequest) as caught:
        rules.attachment("doc_2", "户口簿", name, content)
    assert caught.value.field == "doc_2" and message in caught.value.message and "户口簿" in caught.value.message


def test_the_same_file_twice_and_too_many_files_are_refused():
    a = rules.attachment("doc_0", "居民身份证", "a.pdf", PDF)
    with pytest.raises(InvalidRequest, match="上传了两次"):
        rules.check_count("documents", [a, a])
    many = [rules.attachment("doc_0", "x", f"{i}.pdf", PDF + bytes([i])) for i in range(21)]
    with pytest.raises(InvalidRequest, match="最多上传20个文件"):
        rules.check_count("documents", many)


def test_control_characters_and_paths_leave_the_file_name():
    assert rules.clean_filename("../../etc/pass\x00wd") == "passwd"
    assert rules.clean_filename("") == "未命名文件"


MATTER = Matter("person.register", "参保登记", "GX0001", "person", "GX0001", "371525")


def test_documents_are_kept_with_their_matter_and_limited_to_the_county(store):
    docs = [rules.attachment("doc_0", "居民身份证", "id.pdf", PDF), rules.attachment("doc_1", "照片", "p.png", PNG)]
    ids = DossierService(store).attach(MATTER, docs, received_on=dt.date(2018, 3, 1), received_by="clerk")
    views = DossierService(store).of_subject("person", "GX0001")
    assert [v.kind for v in views] == ["照片", "居民身份证"]
    assert [v.kind for v in DossierService(store).of_matter("person.register", "GX0001")] == ["居民身份证", "照片"]
    view, content = DossierService(store).content(ids[0])
    assert content == PDF and view.filename == "id.pdf" and view.received_by == "clerk"
    other = DossierService(store.scoped("371526"))
    assert other.of_subject("person", "GX0001") == []
    with pytest.raises(NotFound):
        other.content(ids[0])


def test_a_document_is_never_changed_or_deleted(store):
    def add(session):
        return record(session, MATTER, [rules.attachment("doc_0", "居民身份证", "id.pdf", PDF)],
                      received_on=dt.date(2018, 3, 1), received_by="clerk")[0]
    document_id = store.transaction(add)
    for sql in ("UPDATE dossier_document SET kind = 'x' WHERE id = :id", "DELETE FROM dossier_document WHERE id = :id"):
        with pytest.raises(DBAPIError):
            store.transaction(lambda s: s.execute(text(sql), {"id": document_id}), attempts=1)
