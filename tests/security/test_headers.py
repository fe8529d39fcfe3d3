"""Finding 10 (issue 11): deployment headers and the client's address behind proxies.

* HTTPS=1 turns on HSTS, the HTTPS redirect and secure cookies, and ``manage.py check --deploy``
  is clean with the production settings README "Configuration" documents;
* pages carry the Content-Security-Policy; signed-in pages, API answers and downloads carry
  ``Cache-Control: private, no-store``;
* ``X-Forwarded-For`` / ``X-Forwarded-Proto`` count only from ``TRUSTED_PROXIES``, and the client
  IP (what the new-IP login check sees) is the right-most forwarded address that is not a proxy.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory

from tests import factories
from tidecrm.accounts.models import TrustedIP
from tidecrm.accounts.sessions import SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash
from tidecrm.core.security import TrustedProxyMiddleware, client_ip

ROOT = Path(__file__).resolve().parents[2]


def _signed_in(employee):
    client = Client()
    session = client.session
    session.update({SESSION_EMPLOYEE: employee.pk, SESSION_AUTH_HASH: auth_hash(employee.account)})
    session.save()
    return client


def _no_store(response):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


# ---------------------------------------------------------------- HTTPS and check --deploy


def _deployed_settings(tmp_path, **env):
    """Import the settings in a fresh process with ``env`` and run ``check --deploy`` there."""
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')\n"
        "names = ['SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD',\n"
        "         'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',\n"
        "         'SECURE_PROXY_SSL_HEADER', 'TRUSTED_PROXIES']\n"
        "print(json.dumps({name: getattr(settings, name) for name in names}))\n"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set for Playwright by tests/e2e/conftest.py in the same worker.
        if key
        not in {
            "DEBUG",
            "HTTPS",
            "SECURE_COOKIES",
            "SECURE_SSL_REDIRECT",
            "TRUSTED_PROXIES",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
        and not key.startswith("HSTS_")
    }
    environment.update({"DJANGO_SETTINGS_MODULE": "tidecrm.settings", "VAR_DIR": str(tmp_path), **env})
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    return done


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    """README "Configuration": HTTPS=1, HSTS_PRELOAD=1, SECRET_KEY, ALLOWED_HOSTS (+ a proxy)."""
    done = _deployed_settings(
        tmp_path,
        HTTPS="1",
        HSTS_PRELOAD="1",
        SECRET_KEY="k" * 20 + "-production-secret-key-0123456789abcdefghijklmnop",
        ALLOWED_HOSTS="crm.example.com",
        TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8",
    )

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout + done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_SSL_REDIRECT"] and values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["TRUSTED_PROXIES"] == ["127.0.0.1", "10.0.0.0/8"]


def test_secure_cookies_is_the_older_name_of_https(tmp_path):
    done = _deployed_settings(
        tmp_path,
        SECURE_COOKIES="1",
        HSTS_PRELOAD="1",
        SECRET_KEY="s" * 10 + "x" * 20 + "0123456789abcdefghij",
        ALLOWED_HOSTS="crm.example.com",
    )

    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] and values["SESSION_COOKIE_SECURE"]
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no trusted proxy: X-Forwarded-Proto is ignored


def test_plain_http_by_default():
    """With nothing set (make run, the tests) the site stays usable over http://127.0.0.1."""
    assert django_settings.SECURE_HSTS_SECONDS == 0
    assert not django_settings.SECURE_SSL_REDIRECT
    assert not django_settings.SESSION_COOKIE_SECURE
    assert django_settings.SECURE_PROXY_SSL_HEADER is None


def test_the_https_redirect_believes_only_a_trusted_proxy(db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000

    behind_proxy = Client(REMOTE_ADDR="10.0.0.7").get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200
    assert behind_proxy["Strict-Transport-Security"].startswith("max-age=31536000")
    spoofed = Client(REMOTE_ADDR="203.0.113.5").get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301 and spoofed["Location"].startswith("https://")


# ---------------------------------------------------------------- Content-Security-Policy


def test_pages_carry_the_content_security_policy(enterprise):
    for response in (Client().get("/login/"), _signed_in(enterprise).get("/customers/")):
        assert response.status_code == 200
        policy = response["Content-Security-Policy"]
        directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
        assert directives["default-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert all("http" not in source for sources in directives.values() for source in sources)


def test_the_policy_can_be_set_or_turned_off(db, settings):
    settings.CONTENT_SECURITY_POLICY = "default-src 'none'"
    assert Client().get("/login/")["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY = ""
    assert "Content-Security-Policy" not in Client().get("/login/")


# ---------------------------------------------------------------- Cache-Control


def test_private_answers_are_not_stored(enterprise, api):
    page = _signed_in(enterprise).get("/customers/")
    assert page.status_code == 200 and _no_store(page)
    partial = _signed_in(enterprise).get("/customers/", HTTP_HX_REQUEST="true")
    assert _no_store(partial)
    for response in (api(enterprise).get("/me"), api().get("/me"), api(enterprise).get("/no-such-thing")):
        assert _no_store(response), response.status_code


def test_downloads_are_not_stored(enterprise, api):
    export = api(enterprise).get("/leads/export")
    assert export.status_code == 200 and export.has_header("Content-Disposition")
    assert _no_store(export)
    page_export = _signed_in(enterprise).get("/leads/export/")
    assert page_export.status_code == 200 and _no_store(page_export)


def test_the_anonymous_login_page_may_be_cached_privately_only(db):
    """Not signed in, nothing private: the login page keeps Django's own caching headers."""
    assert not _no_store(Client().get("/login/"))


# ---------------------------------------------------------------- trusted proxies and the client IP


def _request(peer, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # 6.6.6.6: the client's own claim
        ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.4", "198.51.100.1"),  # through two proxies
        ("10.1.2.3", "10.9.9.9, 10.0.0.4", "10.9.9.9"),  # every hop a proxy: the first
        ("127.0.0.1", "garbage, 10.0.0.4", "10.0.0.4"),  # no address beyond the last proxy
        ("127.0.0.1", "198.51.100.1:5555", "198.51.100.1"),
        ("127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
        ("127.0.0.1", "2001:db8::2", "2001:db8::2"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("::ffff:127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: the header is the client's
        ("203.0.113.5", "127.0.0.1", "203.0.113.5"),
    ],
)
def test_client_ip_is_the_right_most_address_that_is_not_a_trusted_proxy(settings, peer, forwarded, client):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]

    assert client_ip(_request(peer, forwarded)) == client


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []

    assert client_ip(_request("127.0.0.1", "198.51.100.1")) == "127.0.0.1"
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) is None


def test_forwarded_headers_of_an_untrusted_peer_are_dropped(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    seen = {}

    def remember(request):
        seen.update(request.META)

    headers = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "1.2.3.4",
        "HTTP_X_FORWARDED_HOST": "evil",
    }
    TrustedProxyMiddleware(remember)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", **headers))
    assert not set(headers) & set(seen)
    TrustedProxyMiddleware(remember)(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers))
    assert set(headers) <= set(seen)


def test_the_new_ip_check_sees_the_client_behind_the_proxy(enterprise, settings):
    """TEN-10 trusts the forwarded client address, and only when a trusted proxy forwarded it."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    def login(client, client_address):
        return client.post(
            "/api/v1/auth/token",
            {"login": enterprise.phone, "password": factories.PASSWORD},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=client_address,
        )

    assert login(proxy, "198.51.100.7").status_code == 200
    assert set(TrustedIP.objects.filter(account_id=enterprise.account_id).values_list("ip", flat=True)) >= {
        "198.51.100.7"
    }
    assert not TrustedIP.objects.filter(account_id=enterprise.account_id, ip="10.0.0.2").exists()
    assert login(proxy, "198.51.100.7").status_code == 200  # the same client again: trusted
    # A direct caller cannot borrow the trusted address by claiming it.
    spoofing = login(Client(REMOTE_ADDR="203.0.113.9"), "198.51.100.7")
    assert spoofing.status_code == 409 and spoofing.json()["code"] == "verification_required"
    # Another client behind the proxy is a new IP too (or its code waits for the SMS cool-down).
    moved = login(proxy, "198.51.100.8")
    assert moved.json()["code"] in {"verification_required", "code_too_frequent"}
