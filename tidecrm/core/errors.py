"""Typed business errors with stable codes (API.md "Errors").

Services raise these; the API maps them to ``{"code", "message", "details"}`` with the status
below, and pages show ``message`` (zh-Hans by default) to the user.
"""

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class BusinessError(Exception):
    """A refused business action: a stable ``code``, a human ``message``, optional ``details``."""

    status: int = 409
    default_code: str = "conflict"
    default_message: "StrOrPromise" = _("操作无法完成")

    def __init__(
        self,
        code: str | None = None,
        message: object = None,
        *,
        details: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = str(message if message is not None else self.default_message)
        self.details = details or {}
        if status is not None:
            self.status = status
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(BusinessError):
    """Missing, of another tenant, or outside the caller's data scope: always the same answer."""

    status = 404
    default_code = "not_found"
    default_message = _("记录不存在或无权查看")


class PermissionDenied(BusinessError):
    status = 403
    default_code = "permission_denied"
    default_message = _("没有权限执行此操作")


class NotAuthenticated(BusinessError):
    status = 401
    default_code = "not_authenticated"
    default_message = _("请先登录")


class ValidationFailed(BusinessError):
    """Input that cannot be accepted; ``fields`` maps a field name to its messages."""

    status = 422
    default_code = "validation_error"
    default_message = _("提交的内容有误")

    def __init__(
        self, fields: dict[str, Any] | None = None, message: object = None, *, code: str | None = None
    ) -> None:
        fields = {
            name: [str(m) for m in (msgs if isinstance(msgs, list | tuple) else [msgs])]
            for name, msgs in (fields or {}).items()
        }
        super().__init__(code or self.default_code, message, details={"fields": fields})

    @property
    def fields(self) -> dict[str, list[str]]:
        return self.details["fields"]


class Throttled(BusinessError):
    status = 429
    default_code = "too_many_attempts"
    default_message = _("尝试次数过多，请稍后再试")
