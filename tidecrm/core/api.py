"""Shared API plumbing: the caller's authentication, error answers, list shapes."""

from typing import Any, Generic, TypeVar

from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from .errors import BusinessError, NotAuthenticated, PermissionDenied, ValidationFailed

T = TypeVar("T")


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


class PageOut(Schema, Generic[T]):
    items: list[T]
    total: int  # exact up to core.pagination.COUNT_LIMIT (10,000), that bound beyond
    total_capped: bool = False  # True: more than ``total`` rows match
    page: int
    page_size: int


class BulkFailure(Schema):
    id: int
    code: str
    message: str


class BulkOut(Schema):
    succeeded: list[int]
    failed: list[BulkFailure]


class IdsIn(Schema):
    ids: list[int]


class CallerAuth(HttpBearer):
    """Bearer token (``<tenant_id>.<secret>``) or the browser session with its CSRF token.

    The middleware has already resolved the caller; this only accepts or refuses it.
    """

    def __call__(self, request):
        method = getattr(request, "auth_method", None)
        if method == "token":
            return request.employee
        if method == "session":
            if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
                raise PermissionDenied("csrf_failed", "CSRF 校验失败，请刷新页面后重试")
            return request.employee
        return None

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None


def _field_errors(errors):
    fields = {}
    for error in errors:
        location = [part for part in error.get("loc", ()) if isinstance(part, str)]
        location = [part for part in location if part not in ("body", "payload", "query", "path", "form")]
        name = location[-1] if location else "__all__"
        fields.setdefault(name, []).append(error.get("msg", "invalid"))
    return fields


def install_error_handlers(api):
    """Answer every error in the API.md shape ``{code, message, details}``."""

    def answer(request, error: BusinessError):
        return api.create_response(request, error.as_dict(), status=error.status)

    api.add_exception_handler(BusinessError, answer)
    api.add_exception_handler(
        NinjaValidationError,
        lambda request, exc: answer(request, ValidationFailed(_field_errors(exc.errors))),
    )
    api.add_exception_handler(AuthenticationError, lambda request, exc: answer(request, NotAuthenticated()))
    api.add_exception_handler(
        Http404,
        lambda request, exc: answer(request, BusinessError("not_found", "记录不存在或无权查看", status=404)),
    )

    def http_error(request, exc: HttpError):
        if exc.status_code == 400:
            # ninja's only 400 is a request body it cannot parse: for API.md a validation error.
            return answer(request, ValidationFailed({"body": ["请求内容不是有效的 JSON"]}))
        codes = {
            401: "not_authenticated",
            403: "permission_denied",
            404: "not_found",
            405: "method_not_allowed",
        }
        return answer(
            request, BusinessError(codes.get(exc.status_code, "error"), str(exc), status=exc.status_code)
        )

    api.add_exception_handler(HttpError, http_error)


class JsonRenderer(JSONRenderer):
    """Answer JSON with Chinese as it is (not \\u escapes): readable for integrators and logs."""

    json_dumps_params = {"ensure_ascii": False}
