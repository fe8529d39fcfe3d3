"""SMS behind one interface (DESIGN "integrations"): a sandbox outbox by default, HTTP for real.

``SMS_PROVIDER=sandbox`` (default) stores messages in :class:`SandboxSms` (shown on the login page
in DEBUG so a demo user can log in by code); ``SMS_PROVIDER=http`` posts
``{"phone", "text", "sign"}`` as JSON to ``SMS_HTTP_URL`` with ``Authorization: Bearer
SMS_HTTP_TOKEN`` and expects a 2xx answer.
"""

import json
import os
import urllib.request

from django.conf import settings

from tidecrm.core.errors import BusinessError


class SmsError(BusinessError):
    status = 502
    default_code = "sms_failed"
    default_message = "短信发送失败，请稍后重试"


class SmsProvider:
    def send(self, phone, text):  # pragma: no cover - interface
        raise NotImplementedError


class SandboxSmsProvider(SmsProvider):
    def send(self, phone, text):
        from .models import SandboxSms

        SandboxSms.objects.create(phone=phone, text=text)


class HttpSmsProvider(SmsProvider):
    def __init__(self, url, token, sign="潮汐CRM", timeout=5):
        self.url, self.token, self.sign, self.timeout = url, token, sign, timeout

    def send(self, phone, text):
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
            raise SmsError(details={"reason": str(error)}) from error


def get_provider():
    """Return the configured SMS provider."""
    if settings.SMS_PROVIDER == "http":
        return HttpSmsProvider(os.environ["SMS_HTTP_URL"], os.environ.get("SMS_HTTP_TOKEN", ""))
    return SandboxSmsProvider()


def send_sms(phone, text):
    get_provider().send(phone, text)


def sandbox_outbox(phone, limit=5):
    """Return the newest sandbox messages sent to ``phone`` (for the demo auth pages in DEBUG).

    Only one number's: the page shows the codes of the phone typed on it, never anyone else's.
    """
    from .models import SandboxSms

    if not phone:
        return []
    return list(SandboxSms.objects.filter(phone=phone)[:limit])
