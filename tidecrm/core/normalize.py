"""Normalise what people type: phones in any format, company names with or without suffixes."""

import re
import unicodedata

_PHONE_JUNK = re.compile(r"[\s\-–—()（）.]")
_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")
_BRACKETS = re.compile(r"[()（）\[\]【】]")
_SPACES = re.compile(r"\s+")


def normalize_phone(value: object) -> str:
    """Return the phone without spaces, dashes, brackets and a +86/0086 prefix ("" when empty)."""
    if not value:
        return ""
    phone = unicodedata.normalize("NFKC", str(value)).strip()
    phone = _PHONE_JUNK.sub("", phone)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def is_mobile(value: object) -> bool:
    """Return whether ``value`` is a mainland mobile number (11 digits from 13x to 19x), once normalised."""
    return bool(MOBILE_RE.match(normalize_phone(value)))


def normalize_company(value: object) -> str:
    """Return a company name folded for duplicate checks (full/half width, brackets, suffixes)."""
    if not value:
        return ""
    name = str(value)
    if not unicodedata.is_normalized("NFKC", name):  # a quick check; most names already are
        name = unicodedata.normalize("NFKC", name)
    name = _SPACES.sub("", _BRACKETS.sub("", name.strip().lower()))
    changed = True
    while changed:
        changed = False
        for suffix in _COMPANY_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return name


def mask_phone(phone: str | None) -> str:
    """GEN-03: first 3 + **** + last 4 (156****2345)."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else ("****" if phone else "")


def mask_qq(qq: str | None) -> str:
    """GEN-03 (PROPOSED): first 2 + **** + last 2."""
    return f"{qq[:2]}****{qq[-2:]}" if qq and len(qq) >= 4 else ("****" if qq else "")


def mask_email(email: str | None) -> str:
    """GEN-03 (PROPOSED): first character + *** + @domain."""
    if not email:
        return ""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
