"""The export framework: cells as the user reads them, the row cap, chunked querysets, file names."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from tests import factories
from tidecrm.core import exports
from tidecrm.core.models import Tenant


def read(content):
    """Return the first sheet of an xlsx as a list of rows (header first)."""
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def written(columns, rows, **options):
    output = io.BytesIO()
    count = exports.write_xlsx(output, columns, rows, **options)
    return count, read(output.getvalue())


def test_cells_are_written_as_the_user_reads_them():
    row = SimpleNamespace(
        phone="013900001111",
        formula='=HYPERLINK("http://evil")',
        email="li@example.com",
        at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
        day=date(2026, 2, 3),
        done=True,
        amount=Decimal("1089.09"),
        tags=["甲", "乙"],
        owner=None,
    )
    columns = [
        ("手机号", "phone"),
        ("公式", "formula"),
        ("邮箱", "email"),
        ("时间", "at"),
        ("日期", "day"),
        ("完成", "done"),
        ("金额", "amount"),
        ("标签", lambda r: r.tags),
        ("跟进人", "owner.name"),  # a missing link is an empty cell, not an error
    ]

    count, sheet = written(columns, [row])

    assert count == 1
    assert sheet[0] == ["手机号", "公式", "邮箱", "时间", "日期", "完成", "金额", "标签", "跟进人"]
    # Local time (Asia/Shanghai) as text; text stays text (leading zero kept, no formula).
    assert sheet[1] == [
        "013900001111",
        '=HYPERLINK("http://evil")',
        "li@example.com",
        "2026-01-01 08:30",
        "2026-02-03",
        "是",
        1089.09,
        "甲、乙",
        "",
    ]


def test_a_generator_is_accepted_and_only_headers_when_empty():
    count, sheet = written([("姓名", "name")], (SimpleNamespace(name=n) for n in ["张三", "李四"]))
    assert (count, sheet) == (2, [["姓名"], ["张三"], ["李四"]])
    assert written([("姓名", "name")], []) == (0, [["姓名"]])


def test_too_many_rows_are_refused_not_cut():
    rows = [SimpleNamespace(name=str(i)) for i in range(3)]
    with pytest.raises(exports.ExportTooLarge) as refused:
        written([("姓名", "name")], rows, max_rows=2)
    assert refused.value.code == "export_too_large" and refused.value.status == 409
    assert refused.value.details == {"total": 3, "limit": 2}
    with pytest.raises(exports.ExportTooLarge):
        written([("姓名", "name")], iter(rows), max_rows=2)
    assert written([("姓名", "name")], rows, max_rows=3)[0] == 3


def test_the_default_cap_is_read_when_exporting(monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    with pytest.raises(exports.ExportTooLarge):
        written([("姓名", "name")], [SimpleNamespace(name="a"), SimpleNamespace(name="b")])


def test_a_queryset_is_counted_first_then_read_in_chunks(db):
    for name in ("甲公司", "乙公司", "丙公司"):
        factories.enterprise(name=name)
    tenants = Tenant.objects.filter(name__endswith="公司").order_by("pk")

    with CaptureQueriesContext(connection) as refused_queries, pytest.raises(exports.ExportTooLarge):
        written([("企业", "name")], tenants, max_rows=2)
    assert len(refused_queries) == 1 and "COUNT" in refused_queries[0]["sql"].upper()

    with CaptureQueriesContext(connection) as queries:
        count, sheet = written([("企业", "name")], tenants)
    assert count == 3 and [r[0] for r in sheet[1:]] == ["甲公司", "乙公司", "丙公司"]
    assert len(queries) == 2  # the count and one chunked read
    assert tenants._result_cache is None  # iterated, not loaded into the queryset


def test_the_response_is_an_xlsx_download_with_a_chinese_name():
    response = exports.export_response(
        "销售线索-20260101.xlsx", [("姓名", "name")], [SimpleNamespace(name="张三")]
    )

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX
    assert response["Content-Disposition"] == (
        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''" + quote("销售线索-20260101.xlsx")
    )
    assert read(b"".join(response.streaming_content)) == [["姓名"], ["张三"]]


def test_content_disposition_keeps_ascii_names_and_refuses_header_tricks():
    assert exports.content_disposition("leads.xlsx") == (
        "attachment; filename=\"leads.xlsx\"; filename*=UTF-8''leads.xlsx"
    )
    tricky = exports.content_disposition('a"\r\nSet-Cookie: x.xlsx')
    assert "\r" not in tricky and "\n" not in tricky and 'filename="export.xlsx"' in tricky
