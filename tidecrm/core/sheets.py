"""Spreadsheets read without trusting them (GEN-06 imports).

An xlsx is a zip of XML and an xls an OLE2 container, and the reader (calamine) believes what
they say: two cells at A1 and XFD1048576 make it allocate 512 GB for the range between them
(the process aborts), five million rows cost it half a minute and 1.5 GB before anyone could
count them. So a file is read in two steps:

* :func:`survey`, in the request: bounded checks in pure Python that never hold more than a
  chunk of the file -- every zip member inflated here with a counter (the declared sizes are
  the attacker's) within size and ratio limits, the first sheet's declared and actual used
  range, its rows counted up to the limit and no further, merged cells, password protection --
  and the header row, so that a wrong file is refused at once with a clear code.
* :func:`core.sheet_reader.parse_file`, in the import job: calamine (or the csv reader) in a
  short-lived child process under a memory, CPU and wall-clock limit. A child that dies or
  overruns is a refusal (``file_too_complex``), never a dead worker.

No Django here: the child process imports this module and ``sheet_reader`` alone. Refusals are
:class:`Refusal` (a code and details); ``core.imports`` words them for people.
"""

import csv
import io
import logging
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

from tidecrm.core import codes

logger = logging.getLogger(__name__)

# The used range of a sheet (rows x columns between its first and last value): calamine
# allocates a 32-byte slot for every cell of it. 100,000 rows x 60 columns.
MAX_CELLS = 6_000_000
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # all the members of a zip together
MAX_SHARED_STRINGS_BYTES = 100 * 1024 * 1024  # read whole into memory by calamine
MAX_PART_BYTES = 10 * 1024 * 1024  # workbook.xml and its relationships, parsed whole here
MAX_MEMBERS = 2_000
# Real sheets deflate 5-30 times; a member inflating far more is a bomb (beyond a floor that
# lets small, very regular parts be).
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_ROW_BYTES = 32 * 1024 * 1024  # one <row> of the sheet XML (or its head before <sheetData>)
MAX_LINE_CHARS = 1024 * 1024  # one line of a csv file
CHUNK_BYTES = 1024 * 1024
HEADER_CANDIDATES = 5  # value rows kept to find the header (the first with text in it)
HEADER_STRINGS = 10_000  # shared strings read to name the header cells, at most

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: an xls, or an encrypted xlsx


class Refusal(Exception):
    """A file refused before or while reading it: a stable ``code`` and ``details``.

    Codes (constants of :mod:`tidecrm.core.codes`): ``invalid_file``, ``file_encrypted``,
    ``file_too_complex`` (details ``reason``: range, size, ratio, shared_strings, line, limits),
    ``empty_file``, ``too_many_rows``, ``merged_cells``.
    """

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Survey:
    """What :func:`survey` found: the kind, the header row when it could be read without
    parsing the file (None for xls), and the number of data rows (at most; None for xls)."""

    kind: str
    headers: list | None
    rows: int | None


def cell_text(value):
    """Return a cell's value as the text an importer reads."""
    if type(value) is str:  # the common case first: most cells are text
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13800000000.0 from Excel is a phone, not a float
    return str(value).strip()


def survey(content, *, max_rows):
    """Check ``content`` (bytes) without parsing it; return a :class:`Survey` or raise :class:`Refusal`."""
    if content[:4] == ZIP_MAGIC:
        return _survey_xlsx(content, max_rows)
    if content[:8] == CFB_MAGIC:
        return _survey_cfb(content)
    return _survey_csv(content, max_rows)


# ---------------------------------------------------------------- xlsx


def _survey_xlsx(content, max_rows):
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except Exception:  # noqa: BLE001 - whatever zipfile makes of it, it is not a workbook
        raise Refusal(codes.INVALID_FILE) from None
    _check_members(members)
    sheet = _first_sheet(archive, {member.filename for member in members})
    scanner = _SheetScanner(max_rows)
    # The sheet last: a bomb elsewhere is found before the rows are counted.
    for member in sorted(members, key=lambda member: member.filename == sheet):
        for data in _inflate(content, member):
            if member.filename == sheet:
                scanner.feed(data)
    scanner.finish()
    headers = _header_row(archive, scanner.candidates)
    return Survey("xlsx", headers, scanner.rows - 1)


def _check_members(members):
    """Refuse from the zip's directory alone: encryption, odd compression, ambiguous names,
    too many or too big members (declared sizes: :func:`_inflate` holds each member to them)."""
    if len(members) > MAX_MEMBERS:
        raise Refusal(codes.FILE_TOO_COMPLEX, reason="size")
    names = set()
    for member in members:
        if member.filename in names:  # two readers may pick different ones
            raise Refusal(codes.INVALID_FILE)
        names.add(member.filename)
        if member.flag_bits & 0x1:
            raise Refusal(codes.FILE_ENCRYPTED)
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refusal(codes.INVALID_FILE)
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="ratio")
        if posixpath.basename(member.filename).lower().startswith("sharedstrings") and (
            member.file_size > MAX_SHARED_STRINGS_BYTES
        ):
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="shared_strings")
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        raise Refusal(codes.FILE_TOO_COMPLEX, reason="size")


def _inflate(content, member):
    """Yield the bytes of one member in chunks, inflated here rather than by zipfile (which
    stops at the declared size, where another reader may not): refuse a member that inflates to
    more or less than it declares, or fails its CRC."""
    try:
        offset = member.header_offset
        if content[offset : offset + 4] != ZIP_MAGIC:
            raise ValueError("no local header")
        name_length, extra_length = struct.unpack_from("<HH", content, offset + 26)
        start = offset + 30 + name_length + extra_length
        data = memoryview(content)[start : start + member.compress_size]
        if len(data) != member.compress_size:
            raise ValueError("truncated")
        produced, crc = 0, 0
        for piece in _pieces(data, member.compress_type):
            produced += len(piece)
            if produced > member.file_size:
                raise ValueError("inflates beyond its declared size")
            crc = zlib.crc32(piece, crc)
            yield piece
        if produced != member.file_size or crc != member.CRC:
            raise ValueError("size or CRC mismatch")
    except (ValueError, struct.error, zlib.error):
        raise Refusal(codes.INVALID_FILE) from None


def _pieces(data, compress_type):
    if compress_type == zipfile.ZIP_STORED:
        for start in range(0, len(data), CHUNK_BYTES):
            yield bytes(data[start : start + CHUNK_BYTES])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position = 0
    while not inflater.eof:
        if inflater.unconsumed_tail:
            source = inflater.unconsumed_tail
        else:
            source = data[position : position + CHUNK_BYTES]
            position += len(source)
        piece = inflater.decompress(source, CHUNK_BYTES)
        if piece:
            yield piece
        elif not source:
            raise ValueError("truncated deflate stream")


def _small_part(archive, name):
    info = archive.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise Refusal(codes.FILE_TOO_COMPLEX, reason="size")
    return ElementTree.fromstring(archive.read(name))


def _local(tag):
    return tag.rpartition("}")[2]


def _first_sheet(archive, names):
    """Return the member name of the workbook's first sheet, where calamine looks for it."""
    if "xl/workbook.xml" not in names:
        raise Refusal(codes.INVALID_FILE)  # not an xlsx (an ods, an xlsb, a docx ...)
    try:
        sheet = next(e for e in _small_part(archive, "xl/workbook.xml").iter() if _local(e.tag) == "sheet")
        relation = next(value for key, value in sheet.attrib.items() if _local(key) == "id")
        relations = _small_part(archive, "xl/_rels/workbook.xml.rels")
        target = next(
            e.get("Target", "")
            for e in relations.iter()
            if _local(e.tag) == "Relationship" and e.get("Id") == relation
        )
    except Refusal:
        raise
    except Exception:  # noqa: BLE001 - no sheet, bad XML, missing relationship: unreadable
        raise Refusal(codes.INVALID_FILE) from None
    name = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    name = posixpath.normpath(name)
    if name not in names:
        raise Refusal(codes.INVALID_FILE)
    return name


_NS = rb"(?:[A-Za-z_][\w.-]*:)?"  # an element's namespace prefix, if any
_SHEET_DATA = re.compile(rb"<" + _NS + rb"sheetData\b[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</" + _NS + rb"sheetData\s*>")
_DIMENSION = re.compile(
    rb"<"
    + _NS
    + rb"dimension\b[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3})(\d{1,7})(?::([A-Za-z]{1,3})(\d{1,7}))?[\"']"
)
_ROW = re.compile(rb"<" + _NS + rb"row\b([^>]*?)(?:/>|>(.*?)</" + _NS + rb"row\s*>)", re.S)
_ROW_NUMBER = re.compile(rb"\br\s*=\s*[\"'](\d{1,7})[\"']")
# The reference (column letters, row digits) of each cell that may hold a value: not self-closing
# (Excel writes a styled empty cell as <c r="K9" s="1"/>, and calamine leaves it out). The first
# pattern is what writers emit and starts with a literal (fast); the second any legal spelling.
_VALUE_CELL_FAST = re.compile(rb' r="([A-Z]{1,3})(\d{1,7})"[^>]*(?<!/)>')
_VALUE_CELL = re.compile(rb"<" + _NS + rb"c\b[^>]*?\sr\s*=\s*[\"']([A-Za-z]{1,3})(\d{1,7})[\"'][^>]*(?<!/)>")
_CELL = re.compile(rb"<" + _NS + rb"c\b")
_CELL_REFERENCE = re.compile(rb"<" + _NS + rb"c\b[^>]*?\sr\s*=\s*[\"']([A-Za-z]{1,3})\d{1,7}[\"']")
_VALUE = re.compile(rb"<" + _NS + rb"(?:v|is)\b")
_MERGE = re.compile(rb"<" + _NS + rb"mergeCell\b")
_COLUMNS: dict[bytes, int] = {}


def _column(letters):
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for letter in letters.upper():
            number = number * 26 + letter - 64
        _COLUMNS[letters] = number
    return number


class _SheetScanner:
    """Count a sheet's value rows and measure its used range from the XML as it is inflated,
    the way calamine will see them (cells without a value do not count), without parsing it.

    The XML is taken a run of whole rows at a time and read with one C-level pass of a regular
    expression over the cell references (100,000 rows x 4 columns: about 0.2 s). A sheet whose
    cells carry no reference (allowed: each follows the one before) is read row by row instead.
    What this misses in a hostile file, the limits on the child process that parses it catch.
    Stops at the first thing over a limit.
    """

    def __init__(self, max_rows):
        self.max_rows = max_rows
        self.rows = 0  # rows holding a value, the header included
        self.candidates = []  # the first value rows' XML, to read the header from
        self.merged = False
        self._carry = b""
        self._state = "head"  # head -> rows -> tail
        self._last_row = 0  # of the row-by-row reading
        self._boundary_row = None  # the last row of the run before (a row cut in two counts once)
        self._bounds = None  # [first row, last row, first column, last column]

    def feed(self, data):
        buffer = self._carry + data if self._carry else data
        if self._state == "head":
            start = _SHEET_DATA.search(buffer)
            if start is None:
                self._keep(buffer)
                return
            self._check_dimension(buffer[: start.start()])
            self._state = "tail" if start.group(1) else "rows"
            buffer = buffer[start.end() :]
        if self._state == "rows":
            closing = _SHEET_DATA_END.search(buffer) if b"sheetData" in buffer else None
            end = closing.start() if closing else buffer.rfind(b"row>") + 4  # after the last </row>
            if end > 3:
                self._rows(buffer[:end])
            if closing is None:
                self._keep(buffer[max(end, 0) :])
                return
            self._state = "tail"
            buffer = buffer[closing.end() :]
        if _MERGE.search(buffer):
            self.merged = True
        self._carry = buffer[-64:]  # a tag split between two chunks

    def _keep(self, buffer):
        if len(buffer) > MAX_ROW_BYTES:
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="size")
        self._carry = buffer

    def _check_dimension(self, head):
        found = _DIMENSION.search(head)
        if found is None:
            return
        first_column, first_row, last_column, last_row = found.groups()
        rows = abs(int(last_row or first_row) - int(first_row)) + 1
        columns = abs(_column(last_column or first_column) - _column(first_column)) + 1
        if rows * columns > MAX_CELLS:
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="range", rows=rows, columns=columns)

    def _rows(self, segment):
        if len(self.candidates) < HEADER_CANDIDATES:
            for row in _ROW.finditer(segment):
                if row.group(2) and _VALUE.search(row.group(2)):
                    self.candidates.append(row.group(2))
                    if len(self.candidates) == HEADER_CANDIDATES:
                        break
        references = _VALUE_CELL_FAST.findall(segment) or _VALUE_CELL.findall(segment)
        # Cells with no reference of their own (writers put r first): read those rows one by one.
        unreferenced = segment.count(b"<c") - segment.count(b'<c r="')
        if not references or unreferenced > 0:
            if _VALUE.search(segment):
                for row in _ROW.finditer(segment):
                    self._row_by_row(row.group(1), row.group(2))
            return
        letters, digits = zip(*references, strict=True)
        numbers = set(digits)
        self.rows += len(numbers) - (self._boundary_row in numbers)
        numbers = [int(number) for number in numbers]
        columns = [_column(item) for item in set(letters)]
        self._boundary_row = digits[-1]
        self._last_row = max(numbers)
        self._count(min(numbers), max(numbers), min(columns), max(columns))

    def _row_by_row(self, attributes, body):
        number = _ROW_NUMBER.search(attributes)
        self._last_row = number = int(number.group(1)) if number else self._last_row + 1
        if not body or not _VALUE.search(body):
            return
        # Cells without a reference sit after the one before: count them all, from A.
        cells = len(_CELL.findall(body))
        referenced = _CELL_REFERENCE.findall(body)
        last = max((_column(item) for item in set(referenced)), default=0) + cells - len(referenced)
        self.rows += 1
        self._count(number, number, 1, last)

    def _count(self, first_row, last_row, first_column, last_column):
        if self.rows > self.max_rows + 1:
            raise Refusal(codes.TOO_MANY_ROWS)
        if self._bounds is None:
            self._bounds = [first_row, last_row, first_column, last_column]
        else:
            bounds = self._bounds
            bounds[0], bounds[1] = min(bounds[0], first_row), max(bounds[1], last_row)
            bounds[2], bounds[3] = min(bounds[2], first_column), max(bounds[3], last_column)
        first_row, last_row, first_column, last_column = self._bounds
        rows, columns = last_row - first_row + 1, last_column - first_column + 1
        if rows * columns > MAX_CELLS:
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="range", rows=rows, columns=columns)

    def finish(self):
        if self.merged:
            raise Refusal(codes.MERGED_CELLS)
        if self.rows < 2:
            raise Refusal(codes.EMPTY_FILE)


def _header_row(archive, candidates):
    """Return the first candidate row with text in it, as texts by column, or None when it
    cannot be read here (the job's full read checks the columns then)."""
    try:
        rows = [_row_cells(body) for body in candidates]
        wanted = {int(value) for row in rows for _column_number, kind, value in row if kind == "s"}
        if wanted and max(wanted) > HEADER_STRINGS:
            return None
        strings = _shared_strings(archive, max(wanted)) if wanted else {}
        for row in rows:
            texts = {}
            for column_number, kind, value in row:
                if kind == "s":
                    value = strings.get(int(value), "")
                elif kind in ("n", ""):
                    value = cell_text(float(value)) if value else ""
                texts[column_number] = cell_text(value)
            if any(texts.values()):
                width = max(texts)
                return [texts.get(number, "") for number in range(1, width + 1)]
    except Exception:  # noqa: BLE001 - a header we cannot read here is read by the job
        logger.info("header row left to the import job", exc_info=True)
    return None


_PREFIXED_TAG = re.compile(rb"<(/?)[A-Za-z_][\w.-]*:")
_PREFIXED_ATTRIBUTE = re.compile(rb"(\s)[A-Za-z_][\w.-]*:([\w.-]+\s*=)")


def _row_cells(body):
    """Return [(column, type, raw value)] of a row's XML."""
    body = _PREFIXED_ATTRIBUTE.sub(rb"\1\2", _PREFIXED_TAG.sub(rb"<\1", body))
    row = ElementTree.fromstring(b"<row>" + body + b"</row>")
    cells, position = [], 0
    for cell in row:
        if cell.tag != "c":
            continue
        reference = re.match(r"([A-Za-z]{1,3})\d", cell.get("r", ""))
        position = _column(reference.group(1).encode()) if reference else position + 1
        kind = cell.get("t", "")
        if kind == "inlineStr":
            inline = cell.find("is")
            cells.append((position, "str", _string_item(inline) if inline is not None else ""))
        else:
            value = cell.find("v")
            cells.append((position, kind, (value.text or "") if value is not None else ""))
    return cells


def _string_item(element):
    """The text of an <si> or <is>: its <t>, or its runs' <t> (not the phonetic <rPh> runs)."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(archive, last):
    """Return {index: text} of the shared strings up to ``last``, reading no further."""
    strings = {}
    if "xl/sharedStrings.xml" not in archive.namelist():
        return strings
    with archive.open("xl/sharedStrings.xml") as stream:
        for _event, element in ElementTree.iterparse(stream):
            if _local(element.tag) == "si":
                strings[len(strings)] = _string_item(element)
                element.clear()
                if len(strings) > last:
                    break
    return strings


# ---------------------------------------------------------------- xls and encrypted OOXML (OLE2)


def _survey_cfb(content):
    names = {name.lower() for name in _cfb_names(content)}
    if names & {"encryptedpackage", "encryptioninfo"}:
        raise Refusal(codes.FILE_ENCRYPTED)  # an xlsx with a password to open it
    if not names & {"workbook", "book"}:
        raise Refusal(codes.INVALID_FILE)  # a Word document, an msi ...
    return Survey("xls", None, None)


_FREE = 0xFFFFFFFA  # sector ids from here up are markers (end of chain, free ...)


def _cfb_names(content):
    """Return the stream and storage names of an OLE2 compound file's directory."""
    try:
        sector_shift = struct.unpack_from("<H", content, 30)[0]
        if sector_shift not in (9, 12):
            raise ValueError("sector size")
        size = 1 << sector_shift
        most = len(content) // size
        fat_count, directory = struct.unpack_from("<II", content, 44)
        difat_sector, difat_count = struct.unpack_from("<II", content, 68)
        difat = list(struct.unpack_from("<109I", content, 76))
        for _ in range(min(difat_count, most)):
            if difat_sector >= _FREE:
                break
            entries = struct.unpack_from(f"<{size // 4}I", content, (difat_sector + 1) * size)
            difat.extend(entries[:-1])
            difat_sector = entries[-1]
        fat = []
        for sector in [sector for sector in difat if sector < _FREE][: min(fat_count, most)]:
            fat.extend(struct.unpack_from(f"<{size // 4}I", content, (sector + 1) * size))
        names, seen = [], set()
        while directory < _FREE:
            if directory in seen or directory >= len(fat):
                raise ValueError("directory chain")
            seen.add(directory)
            base = (directory + 1) * size
            for entry in range(base, base + size, 128):
                length = struct.unpack_from("<H", content, entry + 64)[0]
                if 2 <= length <= 64:
                    names.append(content[entry : entry + length - 2].decode("utf-16-le", "replace"))
            directory = fat[directory]
        return names
    except (ValueError, struct.error):
        raise Refusal(codes.INVALID_FILE) from None


# ---------------------------------------------------------------- csv


def _survey_csv(content, max_rows):
    headers, rows, cells = None, 0, 0
    for row in csv_rows(decode_text(content)):
        if not any(row):
            continue
        rows += 1
        cells += len(row)
        if headers is None:
            headers = row
        if rows > max_rows + 1:
            raise Refusal(codes.TOO_MANY_ROWS)
        if cells > MAX_CELLS:
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="range", rows=rows, columns=len(row))
    if rows < 2:
        raise Refusal(codes.EMPTY_FILE)
    return Survey("csv", headers, rows - 1)


def decode_text(content):
    """Return the text of a csv file (UTF-8, else GB18030), refusing binary content."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refusal(codes.INVALID_FILE)
    if "\x00" in text:
        raise Refusal(codes.INVALID_FILE)
    return text


def csv_rows(text):
    """Yield the stripped cells of each csv row; no line longer than MAX_LINE_CHARS is read."""

    def lines():
        for line in io.StringIO(text):
            if len(line) > MAX_LINE_CHARS:
                raise Refusal(codes.FILE_TOO_COMPLEX, reason="line")
            yield line

    try:
        for row in csv.reader(lines()):
            yield [cell.strip() for cell in row]
    except csv.Error:
        raise Refusal(codes.INVALID_FILE) from None
