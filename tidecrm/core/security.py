"""Deployment security: trusted proxies and the client's address, path ids in range, response headers.

Settings (README "Configuration"): ``TRUSTED_PROXIES`` (networks whose ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are believed), ``CONTENT_SECURITY_POLICY`` (pages).
"""

import functools
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from .api import MAX_ID
from .errors import NotFound

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
GetResponse = Callable[[HttpRequest], HttpResponse]

# ---------------------------------------------------------------- trusted proxies


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> Address | None:
    """The IP address in ``text`` (an ``X-Forwarded-For`` entry or REMOTE_ADDR), or None.

    Proxies write ``1.2.3.4``, ``2001:db8::1``, and some add a port: ``1.2.3.4:5678``,
    ``[2001:db8::1]:5678``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted_proxy(address: Address | None) -> bool:
    """Whether ``address`` (an ``ipaddress`` address or None) is in ``TRUSTED_PROXIES``."""
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """Return the address the request came from, as text (None when unknown).

    Behind trusted proxies (``TRUSTED_PROXIES``) that is the right-most ``X-Forwarded-For``
    entry that is not itself a trusted proxy: each proxy appends the address it was called from,
    so entries left of the first untrusted one are whatever the client chose to send. A direct
    peer that is not a trusted proxy is the client, and its ``X-Forwarded-For`` is ignored.
    """
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(peer):
        return str(peer)
    client: Address = peer
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            break  # garbage from here on left: the last proxy we trust is as far as we know
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)


class TrustedProxyMiddleware:
    """Forget ``X-Forwarded-*`` headers that did not come from a trusted proxy.

    ``SECURE_PROXY_SSL_HEADER`` makes Django believe ``X-Forwarded-Proto`` from anyone; this runs
    first, so only a trusted proxy can say the client used HTTPS (the HTTPS redirect, secure
    cookies and CSRF's referer check depend on it)."""

    FORWARDED = (
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PORT",
    )

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(_address(request.META.get("REMOTE_ADDR") or "")):
            for header in self.FORWARDED:
                request.META.pop(header, None)
        return self.get_response(request)


# ---------------------------------------------------------------- path ids


class PathIdMiddleware:
    """Answer 404 for an ``<int:...>`` path id no row can have (≥ 2^63), on pages and in the API.

    Django's ``int`` converter takes any run of digits; such an id would reach the database and
    overflow its bigint (a 500) instead of being the missing record it is (API.md: an id out of
    range in a path → 404). One check here covers every route, today's and tomorrow's."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Iterable[Any],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        values = list(view_args) + list(view_kwargs.values())
        if not any(type(value) is int and value > MAX_ID for value in values):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(NotFound().as_dict(), status=404, json_dumps_params={"ensure_ascii": False})
        raise Http404


# ---------------------------------------------------------------- response headers


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy to pages and keep private answers out of caches.

    ``Cache-Control: private, no-store`` goes on every answer to a signed-in caller, on every API
    answer and on every download (``Content-Disposition``): shared caches and the browser's disk
    must not keep customer data."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        if (
            getattr(request, "employee", None) is not None
            or request.path.startswith("/api/")
            or response.has_header("Content-Disposition")
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response
