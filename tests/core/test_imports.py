"""The import framework's file checks: every bad file gets a clear refusal and no job."""

import io

import pytest
import xlsxwriter

from tidecrm.core import imports
from tidecrm.core.errors import BusinessError
from tidecrm.core.models import ImportJob


def xlsx(rows, *, merge=False, formula=False):
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    if merge:
        sheet.merge_range(1, 0, 1, 1, "合并")
    if formula:
        sheet.write_formula(1, 1, "=1+1", None, 2)
    workbook.close()
    return output.getvalue()


def refused(code, content, **kwargs):
    with pytest.raises(BusinessError) as caught:
        imports.read_table(content, **kwargs)
    assert caught.value.code == code
    return caught.value


def test_reads_xlsx_and_keeps_phones_as_text():
    headers, rows = imports.read_table(xlsx([["姓名", "手机号"], ["张三", 13800000000]]))
    assert headers == ["姓名", "手机号"] and rows == [["张三", "13800000000"]]


def test_reads_utf8_and_gbk_csv():
    for encoding in ("utf-8-sig", "gb18030"):
        headers, rows = imports.read_table("姓名,手机号\n李四,13900000000\n".encode(encoding))
        assert headers == ["姓名", "手机号"] and rows == [["李四", "13900000000"]]


def test_formulas_import_their_values():
    _headers, rows = imports.read_table(xlsx([["a", "b"], ["x", ""]], formula=True))
    assert rows == [["x", "2"]]


def test_bad_files_are_refused_with_a_reason():
    refused("invalid_file", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    refused("invalid_file", b"PK\x03\x04 this is not really a zip")
    refused("empty_file", b"")
    refused("empty_file", "姓名,手机号\n".encode())
    refused("merged_cells", xlsx([["姓名", "手机号"], ["", ""]], merge=True))
    refused("too_many_rows", "姓名\n".encode() + b"a\n" * 11, max_rows=10)
    error = refused("file_too_large", b"x" * (imports.MAX_FILE_BYTES + 1))
    assert "20MB" in error.message


def test_header_synonyms_and_missing_columns():
    importer = imports.IMPORTERS["employee"]
    assert imports.map_headers(importer, ["员工姓名", "联系电话 ", "职位"]) == {
        0: "name",
        1: "phone",
        2: "title",
    }
    with pytest.raises(BusinessError) as caught:
        imports.map_headers(importer, ["姓名", "邮箱"])
    assert caught.value.code == "missing_columns" and caught.value.details["missing"] == ["手机号"]


def test_a_refused_file_leaves_no_job(bound):
    with pytest.raises(BusinessError):
        imports.import_start(actor=bound, kind="employee", file_name="x.csv", content=b"")
    assert not ImportJob.objects.exists()


def test_the_survey_reads_the_header_as_the_parse_does():
    """The upload's columns are checked from the survey (no parse in the request): its header row
    agrees with the parsed one for shared, rich and numeric cells, wherever the table starts."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(2, 1, ["手机号", 2024])
    sheet.write_rich_string(2, 3, workbook.add_format({"bold": True}), "客户", "名称")
    sheet.write_row(3, 1, ["13800000000", 1, "甲公司"])
    workbook.close()
    content = output.getvalue()
    surveyed = imports.survey_table(content)
    headers, rows = imports.read_table(content)
    assert [h for h in surveyed.headers if h] == headers == ["手机号", "2024", "客户名称"]
    assert surveyed.rows == len(rows) == 1
    assert imports.survey_table("姓名,手机号\n甲,13800000000\n".encode()).headers == ["姓名", "手机号"]


def test_a_csv_that_breaks_the_csv_reader_is_unreadable():
    """An unclosed quote swallows the rest of the file into one field past the csv limit: a
    refusal, not a crash (it answered 500)."""
    refused("invalid_file", ('姓名,手机号\n"' + "甲" * 200_000 + "\n").encode())
