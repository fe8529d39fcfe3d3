"""Shared fixtures: enterprises, employees, API clients. See tests/factories.py."""

import itertools

import pytest
from django.test import Client

from tidecrm.core.tenancy import tenant_context

from . import factories

PASSWORD = factories.PASSWORD


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_inline():
    """Huey runs tasks as they are enqueued (in-memory queue): jobs finish inside the test."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    """Argon2 stays the production hasher (tested in test_passwords); tests hash fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"] + settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans): a request made by an earlier test in
    the same worker may have left English active in this thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def mark_sudo(client):
    """Mark ``client``'s web session as freshly re-authenticated (sudo mode, Q-21), as the sudo
    page does: enterprise-settings pages then open for an admin. Call it after logging in (a
    login clears the mark); return the client."""
    from tidecrm.accounts.sessions import SESSION_SUDO
    from tidecrm.core import clock

    session = client.session
    session[SESSION_SUDO] = clock.now().isoformat()
    session.save()
    return client


@pytest.fixture
def sudo():
    """Return ``mark_sudo``: ``sudo(client)`` puts a logged-in test client in sudo mode."""
    return mark_sudo


@pytest.fixture
def enterprise(db):
    """A fresh enterprise; returns its super admin (owner) employee."""
    return factories.enterprise()


@pytest.fixture
def other_enterprise(db):
    return factories.enterprise(name="另一家企业有限公司")


@pytest.fixture
def bound(enterprise):
    """Bind the enterprise's tenant for the test body (ORM access to tenant models)."""
    with tenant_context(enterprise.tenant):
        yield enterprise


class ApiClient:
    """A JSON client for /api/v1 that authenticates with a Bearer token."""

    def __init__(self, token=None):
        self.client = Client()
        self.token = token

    def _headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self._headers())

    def _send(self, method, path, body):
        return getattr(self.client, method)(
            f"/api/v1{path}",
            body if body is not None else {},
            content_type="application/json",
            **self._headers(),
        )

    def post(self, path, body=None):
        return self._send("post", path, body)

    def put(self, path, body=None):
        return self._send("put", path, body)

    def patch(self, path, body=None):
        return self._send("patch", path, body)

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", **self._headers())


@pytest.fixture
def api():
    """Return a factory: ``api(employee)`` → an ApiClient with a fresh token; ``api()`` anonymous."""

    def make(employee=None):
        return ApiClient(factories.token_for(employee) if employee else None)

    return make


_ips = itertools.count(1)


@pytest.fixture
def fresh_ip():
    """Return a new loopback-range IP each call (throttling and new-IP tests)."""
    return lambda: f"10.9.{next(_ips) // 250}.{next(_ips) % 250 + 1}"
