"""Shared API plumbing: the caller's authentication, input types, error answers, list shapes."""

import json
import logging
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DataError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.utils import check_csrf
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from . import codes
from .errors import BusinessError, NotAuthenticated, PermissionDenied, ValidationFailed

T = TypeVar("T")
logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- input types

MAX_ID = 2**63 - 1  # primary keys are bigint: API.md "Ids are positive integers below 2^63"
MIN_INT, MAX_INT = -(2**63), 2**63 - 1  # no integer column is wider than bigint


def _not_a_boolean(value):
    # pydantic's lax int takes JSON true/false as 1/0: an id of ``true`` would name record 1.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Id = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=MAX_ID)]
"""The type of every id a request names (body, query, form): 1 ≤ id < 2^63, booleans refused."""


def _within_the_calendar(value):
    # Years 1 and 9999 are the edges of Python's calendar: such a datetime may not move to UTC or
    # to the enterprise's zone (OverflowError when stored or shown), e.g. 9999-12-31T23:59-14:00.
    if value is not None and not 1 < value.year < 9999:
        raise PydanticCustomError("datetime_range", "Input should be a datetime between the years 2 and 9998")
    return value


DatetimeIn = Annotated[datetime, AfterValidator(_within_the_calendar)]
"""A datetime a request carries: one that every time zone can show."""


def enum_of(choices, default=..., **field_kwargs):
    """A ``Field`` whose JSON schema lists the allowed values of an enum-valued string field.

    ``choices`` is a model's ``TextChoices.choices`` (or any ``(value, label)`` pairs, or bare
    values), so the document never drifts from the models. Only the OpenAPI document changes:
    validation stays with the services, which refuse a value outside the list with their own
    codes and messages. For ``str | None`` the list lands on the string branch of ``anyOf``, so
    ``null`` stays allowed (API.md "Enums appear in the OpenAPI document")."""
    values = [str(choice[0] if isinstance(choice, (tuple, list)) else choice) for choice in choices]

    def add_enum(schema):
        branches = [branch for branch in schema.get("anyOf", ()) if branch.get("type") == "string"]
        for branch in branches or [schema]:
            branch["enum"] = list(values)

    return Field(default, json_schema_extra=add_enum, **field_kwargs)


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
    ids: list[Id]


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
                raise PermissionDenied(codes.CSRF_FAILED, "CSRF 校验失败，请刷新页面后重试")
            return request.employee
        return None

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None


class BodyRefused(ValueError):
    """A JSON body that parses but cannot be stored; ``fields`` names where, as API.md's 422."""

    def __init__(self, fields):
        super().__init__(fields)
        self.fields = fields


class JsonParser(Parser):
    """Parse JSON bodies, refusing text and numbers no column can hold.

    JSON can spell a lone surrogate (``"\\ud800"``, not encodable as UTF-8), a NUL character
    (PostgreSQL text refuses it) and integers of any size (bigint overflow). Refused here, once
    for every endpoint, they answer 422 instead of failing in the database. ``NaN`` and
    ``Infinity`` are not JSON at all.
    """

    def parse_body(self, request):
        data = json.loads(request.body, parse_constant=_not_json)
        fields = {}
        for name, message in _unstorable(data):
            fields.setdefault(name, []).append(message)
        if fields:
            raise BodyRefused(fields)
        return data


def _not_json(constant):
    raise ValueError(f"{constant} is not JSON")


def _encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable(data):
    """Yield ``(field, message)`` for each value of ``data`` (parsed JSON) no column can hold;
    ``field`` is the name of the innermost object member holding it."""
    stack = [("__all__", data)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                yield name, _("不能包含空字符（\\u0000）")
            if not _encodable(value):
                yield name, _("包含无效的 Unicode 字符（单独的代理项）")
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if not MIN_INT <= value <= MAX_INT:
                yield name, _("数值超出范围")
        elif isinstance(value, dict):
            for key, item in value.items():
                label = key if _encodable(key) and "\x00" not in key else name
                stack.append((label, key))  # member names are text too
                stack.append((label, item))
        elif isinstance(value, list):
            stack.extend((name, item) for item in value)


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
        lambda request, exc: answer(
            request, BusinessError(codes.NOT_FOUND, "记录不存在或无权查看", status=404)
        ),
    )

    def http_error(request, exc: HttpError):
        if exc.status_code == 400:
            # ninja's only 400 is a request body it cannot parse: for API.md a validation error.
            if isinstance(exc.__cause__, BodyRefused):
                return answer(request, ValidationFailed(exc.__cause__.fields))
            return answer(request, ValidationFailed({"body": [_("请求内容不是有效的 JSON")]}))
        status_codes = {
            401: codes.NOT_AUTHENTICATED,
            403: codes.PERMISSION_DENIED,
            404: codes.NOT_FOUND,
            405: codes.METHOD_NOT_ALLOWED,
        }
        return answer(
            request,
            BusinessError(status_codes.get(exc.status_code, codes.ERROR), str(exc), status=exc.status_code),
        )

    api.add_exception_handler(HttpError, http_error)

    # A request Django itself cannot read: answered 400 in the API's shape, not an HTML page.
    api.add_exception_handler(
        MultiPartParserError,
        lambda request, exc: answer(
            request,
            BusinessError(
                codes.MALFORMED_MULTIPART,
                _("multipart 请求内容无法解析（缺少或错误的 boundary）"),
                status=400,
            ),
        ),
    )

    def bad_request(request, exc):
        logger.warning("Bad API request %s: %s", request.path, exc)
        return answer(request, BusinessError(codes.BAD_REQUEST, _("请求无法处理"), status=400))

    api.add_exception_handler(SuspiciousOperation, bad_request)
    api.add_exception_handler(BadRequest, bad_request)

    def out_of_range(request, exc):
        # The last line: a value the edge let through that the database or the calendar cannot
        # hold (a number too large for its column, a date that overflows when moved to UTC, a NUL
        # character in a query parameter, which PostgreSQL text refuses).
        # Validation at the edge (Id, DatetimeIn, JsonParser) should have refused it; the log says
        # where it did not.
        logger.warning("Out-of-range input on %s %s", request.method, request.path, exc_info=exc)
        return answer(
            request,
            ValidationFailed({"__all__": [_("提交的值无法保存：数值或日期超出范围，或含有无效字符")]}),
        )

    api.add_exception_handler(DataError, out_of_range)
    api.add_exception_handler(OverflowError, out_of_range)


class JsonRenderer(JSONRenderer):
    """Answer JSON with Chinese as it is (not \\u escapes): readable for integrators and logs."""

    json_dumps_params = {"ensure_ascii": False}


class PackageRouter(Router):
    """A router for an API split into a package of modules: its default operation id is
    ``<API package>_<view name>`` (``tidecrm_sales_api_opportunity_list``), the id the endpoint
    had while the API was one module, so splitting an app's ``api.py`` leaves the OpenAPI
    document -- and the clients generated from it -- as they were."""

    def add_api_operation(self, path, methods, view_func, *, operation_id=None, **options):
        if operation_id is None:
            package = view_func.__module__.rpartition(".")[0]
            operation_id = f"{package}_{view_func.__name__}".replace(".", "_")
        return super().add_api_operation(path, methods, view_func, operation_id=operation_id, **options)
