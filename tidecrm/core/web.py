"""Helpers every page view uses: login and permission gates, sudo mode, error pages, htmx."""

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .api import MAX_ID
from .errors import BusinessError, ValidationFailed
from .permissions import check

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def is_htmx(request: HttpRequest) -> bool:
    """Return whether the request was made by htmx (it then wants a partial, not a page)."""
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """Return the ``next`` parameter when it points inside this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def login_required(view: View) -> View:
    """Send anonymous visitors to the login page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "employee", None) is None:
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def page_permission_required(code: str) -> Callable[[View], View]:
    """Require a login and the function permission ``code`` (403 page otherwise)."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            check(request.employee, code)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class BusinessErrorMiddleware:
    """Render a refused action on a page: an error page, or a toast for htmx requests.

    The API has its own handlers (``core.api``); this covers the server-rendered pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, DataError | OverflowError):
            # The last line for pages, as in core.api: a number, date or NUL character the form
            # parsing let through that its column or the calendar cannot hold is invalid input.
            logger.warning("Out-of-range input on %s %s", request.method, request.path, exc_info=exception)
            exception = ValidationFailed(message=_("提交的值无法保存：数值或日期超出范围，或含有无效字符"))
        if not isinstance(exception, BusinessError):
            return None
        context = {"page_error": exception}
        if is_htmx(request):
            response = render(
                request,
                "components/toast.html",
                {"level": "danger", "text": exception.message},
                status=exception.status,
            )
            response["HX-Retarget"] = "#toasts"
            response["HX-Reswap"] = "beforeend"
            return response
        if exception.status == 401:
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        return render(request, "errors/error.html", context, status=exception.status)


# ---------------------------------------------------------------- htmx answers and form values


def toast_response(
    text: object, level: str = "success", *, trigger: str | None = None, close: str | None = None
) -> HttpResponse:
    """Answer an htmx action with a toast (into #toasts), tell listeners of ``trigger`` to refresh,
    and optionally close the modal or drawer (``close="modal"`` / ``"drawer"``) after the swap."""
    from django.template.loader import render_to_string

    response = HttpResponse(render_to_string("components/toast.html", {"level": level, "text": text}))
    response["HX-Retarget"] = "#toasts"
    response["HX-Reswap"] = "beforeend"
    if trigger:
        response["HX-Trigger"] = trigger
    if close:
        response["HX-Trigger-After-Swap"] = f"{close}-close"
    return response


def add_toast(
    response: HttpResponse,
    request: HttpRequest,
    text: object,
    level: str = "success",
    *,
    trigger: str | None = None,
    close_modal: bool = False,
) -> HttpResponse:
    """Add an out-of-band toast (and optionally an emptied modal slot) to a rendered partial."""
    from django.template.loader import render_to_string

    toast = render_to_string("components/toast.html", {"level": level, "text": text}, request)
    extra = f'<div hx-swap-oob="beforeend:#toasts">{toast}</div>'
    if close_modal:
        extra += '<div id="modal-slot" hx-swap-oob="true"></div>'
    response.content += extra.encode()
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def bulk_summary(result: Mapping[str, Any], done_format: str, failed_format: str) -> str:
    """One line for a batch answer: ``done_format % {n}``, then ``failed_format % {n, why}`` with
    the distinct reasons of the records that did not go through."""
    text = done_format % {"n": len(result["succeeded"])}
    if result["failed"]:
        reasons = "；".join(dict.fromkeys(f["message"] for f in result["failed"]))
        text += failed_format % {"n": len(result["failed"]), "why": reasons}
    return text


def parse_ids(values: Iterable[object]) -> list[int]:
    """The integer ids among posted values (anything else is ignored)."""
    return [number for number in map(parse_int, values) if number]


def parse_int(value: object) -> int | None:
    """A whole number from a form or query value (0 ≤ n < 2^63), or None for anything else.

    ASCII digits only: ``str.isdigit`` also takes ``²``, which ``int`` refuses (a 500), and ``٣``;
    and a bigint is the widest column a number can go to."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def parse_date(value: str | None) -> date | None:
    """An ISO date from a form field, or None when empty or malformed."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_local_datetime(value: str | None, field: str = "next_followup_at") -> datetime | None:
    """A ``datetime-local`` form value in the enterprise's time zone, None when empty; a
    malformed one is a 422 naming ``field`` (时间格式不正确)."""
    from django.utils import timezone

    if not value:
        return None
    moment: datetime | None
    try:
        moment = timezone.make_aware(datetime.fromisoformat(value))
    except ValueError:
        moment = None
    if moment is None or not 1 < moment.year < 9999:  # year 1 or 9999 overflows moved to UTC
        raise ValidationFailed({field: [_("时间格式不正确")]}, message=_("时间格式不正确"))
    return moment


def error_text(error: BusinessError) -> str:
    """One line for a toast or message: a form refusal's field messages joined by ；, else the
    refusal's message."""
    fields = getattr(error, "fields", None) or {}
    return "；".join(m for ms in fields.values() for m in ms) or error.message
