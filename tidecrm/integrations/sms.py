"""SMS behind one interface (DESIGN "integrations"): a sandbox outbox by default, HTTP for real.

``SMS_PROVIDER=sandbox`` (default) stores messages in :class:`SandboxSms` (shown on the login page
in DEBUG so a demo user can log in by code); ``SMS_PROVIDER=http`` posts
``{"phone", "text", "sign"}`` as JSON to ``SMS_HTTP_URL`` with ``Authorization: Bearer
SMS_HTTP_TOKEN`` and expects a 2xx answer.
"""

import json
import os
import urllib.request
from typing import TYPE_CHECKING

from django.conf import settings

from tidecrm.core import logs
from tidecrm.core.errors import BusinessError
from tidecrm.core.normalize import mask_phone

if TYPE_CHECKING:
    from .models import SandboxSms


class SmsError(BusinessError):
    status = 502
    default_code = "sms_failed"
    default_message = "短信发送失败，请稍后重试"


class SmsProvider:
    name = "sms"  # what the log line calls the provider

    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SandboxSmsProvider(SmsProvider):
    name = "sandbox"

    def send(self, phone: str, text: str) -> None:
        from .models import SandboxSms

        SandboxSms.objects.create(phone=phone, text=text)


class HttpSmsProvider(SmsProvider):
    name = "http"

    def __init__(self, url: str, token: str, sign: str = "潮汐CRM", timeout: float = 5) -> None:
        self.url, self.token, self.sign, self.timeout = url, token, sign, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "text": text, "sign": self.sign}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError()
        except OSError as error:
            # The error's text (refused connection, timeout, HTTP status) is for the operator: it goes
            # to the provider log only. The caller gets the fixed message and the provider's name.
            logs.providers.warning("sms send via %s not accepted reason=%s", self.name, error)
            raise SmsError(details={"provider": self.name}) from error


def get_provider() -> SmsProvider:
    """Return the configured SMS provider."""
    if settings.SMS_PROVIDER == "http":
        return HttpSmsProvider(os.environ["SMS_HTTP_URL"], os.environ.get("SMS_HTTP_TOKEN", ""))
    return SandboxSmsProvider()


def send_sms(phone: str, text: str) -> None:
    """Send ``text`` to ``phone`` through the configured provider; log the call (never the text,
    which carries the code, nor the full number)."""
    provider = get_provider()
    with logs.provider_call("sms", provider.name, "send", target=mask_phone(phone)):
        provider.send(phone, text)


def sandbox_outbox(phone: str, limit: int = 5) -> list["SandboxSms"]:
    """Return the newest sandbox messages sent to ``phone`` (for the demo auth pages in DEBUG).

    Only one number's: the page shows the codes of the phone typed on it, never anyone else's.
    """
    from .models import SandboxSms

    if not phone:
        return []
    return list(SandboxSms.objects.filter(phone=phone)[:limit])
