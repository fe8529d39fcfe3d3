"""Sudo mode for web pages (SPEC Q-21, TEN-14): enterprise settings need a fresh
re-authentication. An accounts concept (the session mark and its freshness are accounts'), so
the decorator lives here and ``core`` stays below accounts.
"""

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tidecrm.core.web import is_htmx, login_required

from .sessions import SESSION_SUDO, sudo_is_fresh


def sudo_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Enterprise settings need a re-authentication within SUDO_MINUTES (Q-21, TEN-14).

    Without a fresh one a page is sent to the sudo page with ``next`` pointing back to it; an
    htmx request (a modal, a drawer action) gets ``HX-Redirect`` there instead, so the browser
    leaves the page rather than swapping the sudo form into a fragment, and comes back to the
    page it was on. Only those the sudo page lets in are asked (``Employee.is_admin``: the super
    admin and the 管理员 role); someone holding a single settings permission through a custom
    role has no sudo page to go to and passes as before. Put it below the permission gate, so
    an employee without the permission gets the 403 page rather than a password prompt.
    """

    @login_required
    @functools.wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.employee.is_admin or sudo_is_fresh(request.session.get(SESSION_SUDO)):
            return view(request, *args, **kwargs)
        if not is_htmx(request):
            return redirect(_sudo_url(request.get_full_path()))
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _sudo_url(_htmx_page(request))
        return response

    return wrapper


def _sudo_url(next_path: str) -> str:
    return f"{reverse('sudo')}?{urlencode({'next': next_path})}"


def _htmx_page(request: HttpRequest) -> str:
    """The page an htmx request came from (``HX-Current-URL``, when on this site) to return to
    after sudo; the request's own URL is a fragment or an action. Else the settings home."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(current)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path or "/"
    return reverse("settings_home")
