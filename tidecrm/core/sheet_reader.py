"""The full read of a spreadsheet, in a child process under limits (see core.sheets).

    headers, rows = sheet_reader.parse_file(path, max_rows=..., memory_bytes=..., cpu_seconds=...,
                                            wall_seconds=...)

runs ``python -m tidecrm.core.sheet_reader`` on the file: the child lowers its own address-space
and CPU limits before it loads calamine, reads the first sheet (stopping at the row limit) and
hands the rows back in a temporary file. A child killed by a limit, or overrunning the wall
clock, is :class:`sheets.Refusal` ``file_too_complex``; the caller's process is never at risk.
No Django here, as in core.sheets.
"""

import logging
import marshal
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tidecrm.core import codes, sheets
from tidecrm.core.sheets import CFB_MAGIC, ZIP_MAGIC, Refusal, cell_text

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def read_rows(path, *, max_rows):
    """Return (headers, rows) of the first sheet of the file at ``path``: rows padded or cut to
    the header's width, empty rows left out, at most ``max_rows`` (refused beyond)."""
    with open(path, "rb") as file:
        head = file.read(8)
    if head[:4] == ZIP_MAGIC or head == CFB_MAGIC:
        table = _workbook_rows(path, max_rows)
    else:
        with open(path, "rb") as file:
            text = sheets.decode_text(file.read())
        table, cells = [], 0
        for row in sheets.csv_rows(text):
            if any(row):
                table.append(row)
                cells += len(row)
                if len(table) > max_rows + 1:
                    raise Refusal(codes.TOO_MANY_ROWS)
                if cells > sheets.MAX_CELLS:
                    raise Refusal(codes.FILE_TOO_COMPLEX, reason="range", rows=len(table), columns=len(row))
    if len(table) < 2:
        raise Refusal(codes.EMPTY_FILE)
    width = len(table[0])
    return table[0], [(row + [""] * width)[:width] for row in table[1:]]


def _workbook_rows(path, max_rows):
    import python_calamine  # here: the web process never loads the reader

    try:
        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except Exception as error:  # noqa: BLE001 - any parser failure means "not a spreadsheet we can read"
        text = str(error).lower()
        raise Refusal(
            codes.FILE_ENCRYPTED if "password" in text or "encrypt" in text else codes.INVALID_FILE
        ) from None
    if sheet.merged_cell_ranges:
        raise Refusal(codes.MERGED_CELLS)
    if sheet.height * sheet.width > sheets.MAX_CELLS:
        raise Refusal(codes.FILE_TOO_COMPLEX, reason="range", rows=sheet.height, columns=sheet.width)
    table = []
    for values in sheet.iter_rows():
        row = [cell_text(value) for value in values]
        if any(row):
            table.append(row)
            if len(table) > max_rows + 1:
                raise Refusal(codes.TOO_MANY_ROWS)
    return table


def parse_file(path, *, max_rows, memory_bytes, cpu_seconds, wall_seconds):
    """Return (headers, rows) of the file at ``path``, read by :func:`read_rows` in a child
    process with at most ``memory_bytes`` of address space, ``cpu_seconds`` of CPU and
    ``wall_seconds`` in all; raise :class:`Refusal` for the file, or when the child dies."""
    with tempfile.TemporaryDirectory(prefix="tidecrm-sheet-") as folder:
        target = os.path.join(folder, "table.marshal")
        command = [sys.executable, "-m", "tidecrm.core.sheet_reader", str(path), target, str(max_rows)]
        command += [str(memory_bytes), str(cpu_seconds)]
        environment = {**os.environ, "RUST_BACKTRACE": "0"}
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), environment.get("PYTHONPATH")])
        )
        try:
            child = subprocess.run(
                command,
                cwd=PROJECT_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=wall_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:  # run() has killed it
            raise Refusal(codes.FILE_TOO_COMPLEX, reason="limits") from None
        if child.returncode != 0 or not os.path.exists(target):
            logger.warning(
                "spreadsheet reader exited with %s: %s",
                child.returncode,
                child.stderr[-2000:].decode(errors="replace"),
            )
            # Killed (a signal: out of memory, out of CPU) or out of memory inside Python.
            if child.returncode < 0:
                raise Refusal(codes.FILE_TOO_COMPLEX, reason="limits")
            raise Refusal(codes.INVALID_FILE)
        with open(target, "rb") as file:
            result = marshal.loads(file.read())  # written by the child below: plain lists and strings
    if "refusal" in result:
        raise Refusal(result["refusal"], **result["details"])
    return result["headers"], result["rows"]


def _limit(memory_bytes, cpu_seconds):
    import resource

    def lower(kind, soft, hard):
        _current, ceiling = resource.getrlimit(kind)
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        resource.setrlimit(kind, (soft, hard))

    lower(resource.RLIMIT_AS, memory_bytes, memory_bytes)
    lower(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 2)  # SIGXCPU, then SIGKILL
    lower(resource.RLIMIT_CORE, 0, 0)  # an aborted reader leaves no core file


def main(argv):
    source, target, max_rows, memory_bytes, cpu_seconds = argv
    _limit(int(float(memory_bytes)), int(float(cpu_seconds)))
    try:
        headers, rows = read_rows(source, max_rows=int(max_rows))
        result = {"headers": headers, "rows": rows}
    except Refusal as refusal:
        result = {"refusal": refusal.code, "details": refusal.details}
    except MemoryError:
        result = {"refusal": codes.FILE_TOO_COMPLEX, "details": {"reason": "limits"}}
    partial = f"{target}.partial"
    with open(partial, "wb") as file:
        file.write(marshal.dumps(result))  # the same interpreter reads it back, faster than JSON
    os.replace(partial, target)  # the parent never reads half a file


if __name__ == "__main__":
    main(sys.argv[1:])
