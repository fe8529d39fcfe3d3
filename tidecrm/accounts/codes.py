"""One-time verification codes (TEN-02): send, then verify once.

6 digits, valid 5 minutes, invalid after 5 wrong tries; a number may be sent a new code after
60 seconds and at most 10 times a day per purpose-independent number.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes
from tidecrm.core.errors import BusinessError, Throttled, ValidationFailed
from tidecrm.integrations.sms import send_sms

from .models import VerificationCode

CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
DAILY_SENDS = 10
MAX_ATTEMPTS = 5

PURPOSE_TEXT: dict[str, str] = {
    VerificationCode.Purpose.REGISTER: "注册企业",
    VerificationCode.Purpose.LOGIN: "登录",
    VerificationCode.Purpose.NEW_IP: "新IP登录验证",
    VerificationCode.Purpose.RESET: "找回密码",
    VerificationCode.Purpose.SUDO: "进入管理后台",
    VerificationCode.Purpose.TRANSFER: "转移企业",
}


def _hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def code_send(*, phone: str, purpose: str, data: dict[str, Any] | None = None, deliver: bool = True) -> str:
    """Send a new code to ``phone`` for ``purpose`` and return its ``challenge_id``.

    ``deliver=False`` records the attempt without sending: callers use it for numbers without an
    account, so the throttling answers (``code_too_frequent``) do not reveal who is registered.
    """
    now = clock.now()
    last = VerificationCode.objects.filter(phone=phone, purpose=purpose).order_by("-created_at").first()
    if last and now - last.created_at < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last.created_at)).total_seconds()) + 1
        raise Throttled(
            codes.CODE_TOO_FREQUENT,
            _("验证码发送过于频繁，请 %(s)s 秒后再试") % {"s": wait},
            details={"retry_after": wait},
        )
    day_start = now - timedelta(days=1)
    if VerificationCode.objects.filter(phone=phone, created_at__gte=day_start).count() >= DAILY_SENDS:
        raise Throttled(codes.CODE_DAILY_LIMIT, _("该手机号今日获取验证码次数已达上限"))
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = VerificationCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_hash(code),
        challenge_id=secrets.token_urlsafe(18),
        data=data or {},
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    if deliver:
        transaction.on_commit(
            lambda: send_sms(
                phone, f"【潮汐CRM】您的验证码是 {code}，5分钟内有效，用于{PURPOSE_TEXT[purpose]}。请勿泄露。"
            )
        )
    return challenge.challenge_id


def code_verify(
    *, phone: str, purpose: str, code: str | None, challenge_id: str | None = None
) -> VerificationCode:
    """Consume a valid code and return its row; raise ``invalid_code`` / ``code_expired``.

    A wrong code counts an attempt on the newest pending code; after 5 the code is dead.
    """
    now = clock.now()
    pending = VerificationCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True)
    if challenge_id:
        pending = pending.filter(challenge_id=challenge_id)
    challenge = pending.order_by("-created_at").first()
    if challenge is None or challenge.attempts >= MAX_ATTEMPTS:
        raise ValidationFailed({"code": [_("验证码错误或已失效，请重新获取")]}, code=codes.INVALID_CODE)
    if challenge.expires_at <= now:
        raise ValidationFailed({"code": [_("验证码已过期，请重新获取")]}, code=codes.CODE_EXPIRED)
    if not hmac.compare_digest(challenge.code_hash, _hash(str(code or "").strip())):
        VerificationCode.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        raise ValidationFailed({"code": [_("验证码错误")]}, code=codes.INVALID_CODE)
    # Consume it exactly once even if two requests race.
    consumed = VerificationCode.objects.filter(pk=challenge.pk, used_at__isnull=True).update(used_at=now)
    if not consumed:
        raise BusinessError(codes.INVALID_CODE, _("验证码已被使用"), status=422)
    return challenge
