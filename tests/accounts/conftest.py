"""Fixtures for the accounts tests: API clients calling from a chosen IP, the sandbox SMS outbox."""

import re

import pytest
from django.test import Client

from tidecrm.integrations.models import SandboxSms

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class IpClient:
    """A JSON client for /api/v1 whose requests come from ``ip``, with an optional Bearer token.

    The shared ``ApiClient`` always calls from 127.0.0.1; login throttling and the new-IP check
    need other addresses.
    """

    def __init__(self, ip="127.0.0.1", token=None):
        self.client = Client(REMOTE_ADDR=ip)
        self.token = token

    def _headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self._headers())

    def post(self, path, body=None):
        return self.client.post(
            f"/api/v1{path}",
            body if body is not None else {},
            content_type="application/json",
            **self._headers(),
        )

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", **self._headers())


@pytest.fixture
def client_from():
    """Return a factory: ``client_from("10.0.0.2", token=None)`` → an :class:`IpClient`."""
    return IpClient


class Outbox:
    """The sandbox SMS provider's outbox.

    Codes are sent in ``transaction.on_commit``; inside a test transaction those callbacks only
    run when captured, so wrap the call that sends a code in ``with outbox.sending():``.
    """

    def __init__(self, capture):
        self._capture = capture

    def sending(self):
        return self._capture(execute=True)

    @staticmethod
    def count(phone):
        return SandboxSms.objects.filter(phone=phone).count()

    @staticmethod
    def code(phone):
        """Return the 6-digit code of the newest message to ``phone``."""
        message = SandboxSms.objects.filter(phone=phone).order_by("-id").first()
        assert message is not None, f"no SMS was sent to {phone}"
        match = _CODE.search(message.text)
        assert match, f"no 6-digit code in {message.text!r}"
        return match.group(1)


@pytest.fixture
def outbox(db, django_capture_on_commit_callbacks):
    return Outbox(django_capture_on_commit_callbacks)


def wrong_code(code):
    """Return a 6-digit code that differs from ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
