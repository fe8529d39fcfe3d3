"""Uploaded files checked by what they contain, not by what they are called (DESIGN "Secure by
default"): the first bytes must be one of the allowed kinds and agree with the extension.

    kind = uploads.check(name, content)          # raises ValidationFailed(code "invalid_file")
    stored = uploads.store(content, folder="followups", kind=kind)

Files live under MEDIA_ROOT with a random name; they are served only through views that check
the caller may see the record they belong to (never as public /media/ URLs).
"""

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from . import codes
from .errors import ValidationFailed


def _refuse(text: str) -> NoReturn:
    raise ValidationFailed({"files": [text]}, message=text, code=codes.INVALID_FILE)


MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 9


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    extensions: tuple[str, ...]
    image: bool = False


KINDS = (
    Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), image=True),
    Kind("png", "image/png", (".png",), image=True),
    Kind("gif", "image/gif", (".gif",), image=True),
    Kind("webp", "image/webp", (".webp",), image=True),
    Kind("pdf", "application/pdf", (".pdf",)),
    Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    Kind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)),
    Kind("mp3", "audio/mpeg", (".mp3",)),
    Kind("m4a", "audio/mp4", (".m4a",)),
)
ACCEPT = ",".join(ext for kind in KINDS for ext in kind.extensions)


def _sniff(content: bytes) -> str | None:
    head = content[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "office"  # docx / xlsx / pptx are zip files: the extension says which
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    return None


def check(name: str | None, content: bytes) -> Kind:
    """Return the :class:`Kind` of an upload, or refuse it (``invalid_file``, 422)."""
    extension = os.path.splitext(name or "")[1].lower()
    if not content:
        _refuse(_("文件“%(name)s”是空的") % {"name": name})
    if len(content) > MAX_BYTES:
        _refuse(_("文件“%(name)s”超过 10 MB") % {"name": name})
    sniffed = _sniff(content)
    for kind in KINDS:
        if extension in kind.extensions and (
            sniffed == kind.key or (sniffed == "office" and kind.key in ("docx", "xlsx", "pptx"))
        ):
            return kind
    _refuse(
        _("不支持的文件“%(name)s”：只能上传图片、PDF、Word/Excel/PPT 文档或录音，且内容须与扩展名一致")
        % {"name": name}
    )


def check_all(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes, Kind]]:
    """Check a list of (name, content); return [(name, content, kind)]."""
    if len(files) > MAX_FILES:
        _refuse(_("最多上传%(n)s个附件") % {"n": MAX_FILES})
    return [(name, content, check(name, content)) for name, content in files]


def store(content: bytes, *, folder: str, kind: Kind) -> str:
    """Save the bytes under a random name and return the storage path."""
    path = f"{folder}/{secrets.token_hex(16)}{kind.extensions[0]}"
    return default_storage.save(path, ContentFile(content))
