"""Hostile spreadsheets (issue 11, finding 2): every file gets a clear refusal, none kills a worker.

A 1.5 KB xlsx with cells at A1 and XFD1048576 made the reader (calamine) in the web process
allocate 512 GB and abort; five million rows cost it 28 s and 1.5 GB before ``too_many_rows``.
Now the upload is surveyed without parsing it (core.sheets.survey: bounded, no cell parsed) and
parsed in the job by a child process under memory and time limits (core.sheets.parse_file).
Each refusal leaves no job and no lead; a file that overruns the child fails its job cleanly.
"""

import io
import struct
import sys
import zipfile

import pytest
import xlsxwriter

from tests.core.test_imports import xlsx
from tidecrm.core import imports, sheets
from tidecrm.core.errors import BusinessError
from tidecrm.core.models import ImportJob
from tidecrm.leads import imports as lead_imports
from tidecrm.leads.models import Lead

HEADERS = ["手机号", "姓名"]


class _ReaderCalled(BaseException):
    """Raised if the spreadsheet reader is touched in this (the web) process."""


class _Tripwire:
    def __getattr__(self, name):
        raise _ReaderCalled(name)


@pytest.fixture
def no_reader_in_process(monkeypatch):
    """The web process must not parse: calamine, imported or already loaded, trips here."""
    monkeypatch.setitem(sys.modules, "python_calamine", _Tripwire())
    monkeypatch.setattr(imports, "python_calamine", _Tripwire(), raising=False)


def refused(actor, content, code, file_name="线索.xlsx"):
    """Start a lead import of ``content``; assert it is refused with ``code`` and leaves nothing."""
    with pytest.raises(BusinessError) as caught:
        imports.import_start(actor=actor, kind="lead", file_name=file_name, content=content)
    assert caught.value.code == code, caught.value.message
    assert caught.value.status == 409 and caught.value.message
    assert not ImportJob.objects.exists()
    assert not Lead.objects.exists()
    return caught.value


def workbook(sheet_xml, *, shared_strings=None, extra=(), compression=zipfile.ZIP_DEFLATED):
    """An xlsx made by hand: one sheet whose XML is ``sheet_xml`` (the <sheetData> and around)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {ns} {rel_ns}><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {ns}>{sheet_xml}</worksheet>',
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression) as archive:
        for name, text in [*parts.items(), *extra]:
            archive.writestr(name, text if isinstance(text, bytes) else text.encode())
    return output.getvalue()


def inline_row(number, *texts):
    cells = "".join(
        f'<c r="{chr(65 + index)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for index, text in enumerate(texts)
    )
    return f'<row r="{number}">{cells}</row>'


# ---------------------------------------------------------------- sparse: a huge used range


def test_a1_and_xfd1048576_is_refused_without_parsing(bound, no_reader_in_process):
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write(1048575, 16383, "x")
    book.close()
    assert len(output.getvalue()) < 6_000
    error = refused(bound, output.getvalue(), "file_too_complex")
    assert error.details == {"reason": "range", "rows": 1048576, "columns": 16384}
    assert "1,048,576 行 × 16,384 列" in error.message


def test_a_lying_dimension_does_not_hide_the_far_cell(bound, no_reader_in_process):
    """The declared <dimension> says A1:B2; the cells say otherwise: the cells are counted."""
    rows = inline_row(1, *HEADERS) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    content = workbook(f'<dimension ref="A1:B2"/><sheetData>{rows}</sheetData>')
    assert refused(bound, content, "file_too_complex").details["reason"] == "range"


def test_a_declared_range_too_big_is_refused_at_once(bound, no_reader_in_process):
    rows = inline_row(1, *HEADERS) + inline_row(2, "13800000000", "甲")
    content = workbook(f'<dimension ref="A1:XFD1048576"/><sheetData>{rows}</sheetData>')
    assert refused(bound, content, "file_too_complex").details["reason"] == "range"


def test_cells_without_references_are_counted_by_position(bound, no_reader_in_process, monkeypatch):
    """Cells may leave out their reference (each follows the one before): a row of them is as
    wide as it has cells, even next to rows that do carry references."""
    monkeypatch.setattr(sheets, "MAX_CELLS", 10_000)
    wide = "<row>" + "<c><v>1</v></c>" * 5_000 + "</row>"
    content = workbook(f"<sheetData>{inline_row(1, *HEADERS)}{wide * 3}</sheetData>")
    assert refused(bound, content, "file_too_complex").details == {
        "reason": "range",
        "rows": 3,
        "columns": 5_000,
    }


def test_styled_empty_cells_do_not_count_as_rows(bound, no_reader_in_process):
    """Excel writes a formatted empty cell as <c r=".." s="1"/>; calamine leaves it out, so do we."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, ["13800000001", "甲"])
    bold = book.add_format({"bold": True})
    for row in range(2, 150_000):  # formatted far below the row limit
        sheet.write_blank(row, 0, None, bold)
    book.close()
    # Only the survey runs here (the reader is tripwired); the job would parse in its child.
    job = imports.import_start(actor=bound, kind="lead", file_name="线索.xlsx", content=output.getvalue())
    assert job.total == 1


# ---------------------------------------------------------------- dense: more rows than the limit


def dense_sheet(rows):
    """An xlsx of ``rows`` data rows, written as Excel would (a dimension, references, <v>)."""
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{13800000000 + n}</v></c></row>' for n in range(2, rows + 2))
    return workbook(
        f'<dimension ref="A1:A{rows + 1}"/><sheetData>{inline_row(1, "手机号")}{body}</sheetData>'
    )


def test_too_many_rows_are_refused_without_reading_them_all(bound, no_reader_in_process, monkeypatch):
    monkeypatch.setattr(lead_imports.LEAD_IMPORTER, "max_rows", 1_000)
    content = dense_sheet(200_000)
    fed = []
    feed = sheets._SheetScanner.feed
    monkeypatch.setattr(
        sheets._SheetScanner, "feed", lambda self, data: (fed.append(len(data)), feed(self, data))
    )
    error = refused(bound, content, "too_many_rows")
    assert "1,000" in error.message
    sheet_size = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml").file_size
    assert sum(fed) < sheet_size / 4  # stopped at the limit: the rest was never inflated


def test_the_real_limit_holds_for_xlsx_and_csv(bound, no_reader_in_process):
    limit = lead_imports.LEAD_IMPORTER.max_rows
    refused(bound, dense_sheet(limit + 1), "too_many_rows")
    csv_content = ("手机号\n" + "13800000000\n" * (limit + 1)).encode()
    refused(bound, csv_content, "too_many_rows", file_name="线索.csv")


def test_a_csv_line_of_a_million_cells_is_refused(bound):
    content = ("手机号,姓名\n" + "," * 2_000_000 + "1\n").encode()
    assert refused(bound, content, "file_too_complex", file_name="线索.csv").details["reason"] == "line"


# ---------------------------------------------------------------- broken and protected files


def test_broken_zips_are_refused(bound, no_reader_in_process):
    good = xlsx([HEADERS, ["13800000000", "甲"]])
    refused(bound, b"PK\x03\x04" + b"\x00" * 200, "invalid_file")
    refused(bound, good[: len(good) // 2], "invalid_file")  # cut short: no central directory
    member = zipfile.ZipFile(io.BytesIO(good)).getinfo("xl/worksheets/sheet1.xml")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra) + 10
    corrupt = bytearray(good)
    corrupt[start] ^= 0xFF  # one flipped byte in the sheet's deflate stream
    refused(bound, bytes(corrupt), "invalid_file")
    # A zip that is not a workbook at all (a docx, an ods ...).
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    refused(bound, output.getvalue(), "invalid_file")


def cfb(*names):
    """A minimal OLE2 compound file (512-byte sectors) whose directory lists ``names``."""
    header = bytearray(512)
    header[:8] = sheets.CFB_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 44, 1, 1, 0)  # one FAT sector; the directory at sector 1
    struct.pack_into("<IIIII", header, 56, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 76, 0, *[0xFFFFFFFF] * 108)
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *[0xFFFFFFFF] * 126)
    directory = b""
    for index, name in enumerate(("Root Entry", *names)):
        encoded = (name + "\0").encode("utf-16-le")
        entry = encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), 5 if index == 0 else 2, 1)
        directory += entry.ljust(128, b"\0")
    return bytes(header) + fat + directory.ljust(512, b"\0")


def test_password_protected_files_are_refused(bound, no_reader_in_process):
    """An xlsx with a password to open it is an OLE2 container of EncryptionInfo + EncryptedPackage."""
    error = refused(bound, cfb("EncryptionInfo", "EncryptedPackage"), "file_encrypted")
    assert "密码" in error.message
    # The OLE2 magic on junk, or an OLE2 file that is not a workbook (a .doc): unreadable.
    refused(bound, sheets.CFB_MAGIC + b"\x00" * 600, "invalid_file")
    refused(bound, cfb("WordDocument"), "invalid_file")
    # A zip whose members are encrypted (the zip's own password).
    good = bytearray(xlsx([HEADERS, ["13800000000", "甲"]]))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = good.find(signature)
        while position != -1:
            good[position + flags_at] |= 0x1
            position = good.find(signature, position + 4)
    refused(bound, bytes(good), "file_encrypted")


def test_an_xls_that_calamine_cannot_read_fails_its_job_cleanly(bound, django_capture_on_commit_callbacks):
    """An OLE2 file with a Workbook stream passes the survey (an xls is checked by the job):
    the child cannot read it, and the job fails with the reason; nothing is imported."""
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(actor=bound, kind="lead", file_name="线索.xls", content=cfb("Workbook"))
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "无法读取该文件，请上传 xlsx、xls 或 csv 格式的表格"
    assert (job.processed, job.succeeded) == (0, 0)
    assert not Lead.objects.exists()


# ---------------------------------------------------------------- bombs


def test_huge_shared_strings_are_refused(bound, no_reader_in_process, monkeypatch):
    items = b"<si><t>a</t></si>" * 3_000_000  # 51 MB that zips to a hundred KB
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + items + b"</sst>"
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    content = workbook(f"<sheetData>{rows}</sheetData>", shared_strings=strings)
    assert len(content) < 1_000_000
    assert refused(bound, content, "file_too_complex").details["reason"] in ("ratio", "shared_strings")
    # Within the ratio, still over the size calamine would hold in memory.
    monkeypatch.setattr(sheets, "MAX_SHARED_STRINGS_BYTES", 1_000_000)
    varied = b"".join(b"<si><t>%d</t></si>" % n for n in range(100_000))
    content = workbook(f"<sheetData>{rows}</sheetData>", shared_strings=b"<sst>" + varied + b"</sst>")
    assert refused(bound, content, "file_too_complex").details == {"reason": "shared_strings"}


def test_a_zip_bomb_member_is_refused(bound, no_reader_in_process, monkeypatch):
    sheet = f"<sheetData>{inline_row(1, *HEADERS)}{inline_row(2, '13800000000', '甲')}</sheetData>"
    bomb = workbook(sheet, extra=[("xl/styles.xml", b"\x00" * 50_000_000)])  # 50 MB -> 50 KB
    assert len(bomb) < 1_000_000
    assert refused(bound, bomb, "file_too_complex").details == {"reason": "ratio"}
    # Many members each under the ratio, too big together.
    monkeypatch.setattr(sheets, "MAX_UNCOMPRESSED_BYTES", 2_000_000)
    parts = [(f"xl/media/image{n}.bin", bytes(range(256)) * 4_000) for n in range(3)]
    assert refused(bound, workbook(sheet, extra=parts), "file_too_complex").details == {"reason": "size"}


def test_a_member_that_inflates_beyond_its_declared_size_is_refused(bound, no_reader_in_process):
    """Declared 100 bytes, inflates to 50 MB: zipfile would stop at 100, another reader might not."""
    sheet = f"<sheetData>{inline_row(1, *HEADERS)}{inline_row(2, '13800000000', '甲')}</sheetData>"
    content = bytearray(workbook(sheet, extra=[("xl/styles.xml", b" " * 50_000_000)]))
    member = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/styles.xml")
    struct.pack_into("<I", content, member.header_offset + 22, 100)  # local header: uncompressed size
    central = content.find(b"PK\x01\x02")
    while not content[central + 46 :].startswith(b"xl/styles.xml"):
        central = content.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", content, central + 24, 100)  # central directory: uncompressed size
    assert zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/styles.xml").file_size == 100
    refused(bound, bytes(content), "invalid_file")


# ---------------------------------------------------------------- the parse in the job: limits


def sparse_bytes():
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write(1048575, 16383, "x")
    book.close()
    return output.getvalue()


def test_a_reader_that_dies_in_the_child_is_a_refusal_not_a_crash(tmp_path):
    """Past the survey (as a file it misses would be), calamine aborts on the 512 GB range: in the
    child, under its memory limit; this process goes on and answers ``file_too_complex``."""
    path = tmp_path / "sparse.xlsx"
    path.write_bytes(sparse_bytes())
    with pytest.raises(BusinessError) as caught:
        imports.parse_table(path)
    assert caught.value.code == "file_too_complex" and caught.value.details == {"reason": "limits"}
    assert "时间或内存" in caught.value.message


def test_a_parse_over_its_time_is_stopped(tmp_path, settings):
    settings.IMPORT_PARSE_WALL_SECONDS = 0.001
    path = tmp_path / "ok.xlsx"
    path.write_bytes(xlsx([HEADERS, ["13800000000", "甲"]]))
    with pytest.raises(BusinessError) as caught:
        imports.parse_table(path)
    assert caught.value.code == "file_too_complex"


def test_a_job_whose_file_overruns_the_child_fails_and_imports_nothing(
    bound, django_capture_on_commit_callbacks
):
    """The job's file swapped for the sparse bomb after the survey: the job fails with the reason,
    no lead is written, and this (the worker's) process is alive to say so."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = imports.import_start(
            actor=bound, kind="lead", file_name="线索.xlsx", content=xlsx([HEADERS, ["13800000000", "甲"]])
        )
    with open(job.file_path, "wb") as stored:
        stored.write(sparse_bytes())
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == "failed" and "时间或内存" in job.error
    assert (job.processed, job.succeeded, job.failed) == (0, 0, 0)
    assert not Lead.objects.exists()


# ---------------------------------------------------------------- a normal file still goes through


def test_a_normal_import_still_works_end_to_end(
    bound, no_reader_in_process, django_capture_on_commit_callbacks
):
    content = xlsx([["手机", "联系人", "公司名称"], ["13800000011", "甲", "甲公司"], ["12345", "乙", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(actor=bound, kind="lead", file_name="线索.xlsx", content=content)
    job.refresh_from_db()
    assert (job.status, job.total, job.succeeded, job.failed) == ("done", 2, 1, 1)
    assert Lead.objects.get().phone == "13800000011"
    assert sys.modules["python_calamine"].__class__ is _Tripwire  # the parse ran in the child
