"""Uploads are checked by content: every refusal is ``invalid_file`` (422) with the file named."""

import pytest

from tidecrm.core import uploads
from tidecrm.core.errors import ValidationFailed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.7\n" + b"\x00" * 16


def refused(func, *args):
    with pytest.raises(ValidationFailed) as caught:
        func(*args)
    assert caught.value.code == "invalid_file" and caught.value.status == 422
    return caught.value.message


def test_the_content_must_match_the_extension():
    assert uploads.check("合同.pdf", PDF).key == "pdf"
    assert uploads.check("照片.PNG", PNG).key == "png"
    assert "伪装.pdf" in refused(uploads.check, "伪装.pdf", PNG)
    assert "脚本.exe" in refused(uploads.check, "脚本.exe", b"MZ" + b"\x00" * 16)


def test_empty_too_large_and_too_many_files_are_refused():
    assert "空" in refused(uploads.check, "空.pdf", b"")
    assert "10 MB" in refused(uploads.check, "大.pdf", PDF + b"\x00" * uploads.MAX_BYTES)
    files = [(f"{n}.pdf", PDF) for n in range(uploads.MAX_FILES + 1)]
    assert str(uploads.MAX_FILES) in refused(uploads.check_all, files)
    assert len(uploads.check_all(files[:-1])) == uploads.MAX_FILES
