"""Function permissions (功能权限): a registry of codes each app fills, and the checks.

Apps register their codes at import time (``register``); roles store lists of codes; the
super admin holds every code. Data scopes (数据权限) live in ``tidecrm.org.scopes``.
"""

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils.translation import gettext_lazy as _

from .errors import NotAuthenticated, PermissionDenied

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_View = TypeVar("_View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Permission:
    code: str
    label: "StrOrPromise"
    module: str
    module_label: "StrOrPromise"
    owner_only: bool = False


REGISTRY: dict[str, Permission] = {}
MODULES: dict[str, "StrOrPromise"] = {}
# Codes the seeded system roles get by default, by role key ("admin" gets every code).
DEFAULT_GRANTS: dict[str, set[str]] = {}


def register(
    module: str,
    module_label: "StrOrPromise",
    codes: Mapping[str, "StrOrPromise"],
    *,
    owner_only: Iterable[str] = (),
    defaults: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Register ``codes`` ({code: label}) under ``module``.

    ``owner_only`` codes stay with the super admin; ``defaults`` ({system role key: [codes]})
    says which seeded system roles hold which codes.
    """
    MODULES[module] = module_label
    for code, label in codes.items():
        REGISTRY[code] = Permission(code, label, module, module_label, code in owner_only)
    for role_key, granted in (defaults or {}).items():
        DEFAULT_GRANTS.setdefault(role_key, set()).update(granted)


def default_codes(role_key: str) -> list[str]:
    """Return the codes a seeded system role holds."""
    if role_key == "admin":
        return sorted(code for code, permission in REGISTRY.items() if not permission.owner_only)
    return sorted(DEFAULT_GRANTS.get(role_key, ()))


def all_codes() -> set[str]:
    """Return every registered code."""
    return set(REGISTRY)


def grouped() -> list[tuple[str, "StrOrPromise", list[Permission]]]:
    """Return [(module, module_label, [Permission, ...]), ...] in registration order."""
    groups: dict[str, list[Permission]] = {}
    for permission in REGISTRY.values():
        groups.setdefault(permission.module, []).append(permission)
    return [(module, MODULES[module], perms) for module, perms in groups.items()]


def check(employee: Any, code: str) -> None:
    """Raise unless ``employee`` holds the function permission ``code``."""
    if employee is None:
        raise NotAuthenticated()
    if not employee.has_permission(code):
        raise PermissionDenied()


def permission_required(code: str) -> Callable[[_View], _View]:
    """Decorate a view or API operation (``request`` first) so it runs only with ``code``."""

    def decorator(func: _View) -> _View:
        @functools.wraps(func)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            check(getattr(request, "employee", None), code)
            return func(request, *args, **kwargs)

        wrapper.permission_code = code  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


register(
    "settings",
    _("企业设置"),
    {
        "settings.enterprise": _("企业信息与安全设置"),
        "settings.security_log": _("查看安全日志"),
        "settings.api_tokens": _("管理全员 API 令牌"),
        "settings.transfer_owner": _("转移企业（超级管理员）"),
    },
    owner_only=("settings.transfer_owner",),
)
