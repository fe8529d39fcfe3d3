"""Resignation inheritance (离职继承, INH-01..04): a registry the owning apps plug into.

Each app that owns records (leads, customers) registers a handler (``core.hooks.INHERITANCE``,
through :func:`register`): how many records a resigned
employee still holds (``count``), and how to move some or all of them to an active employee
(``transfer``, which respects holding limits and answers per-record results). Until an app
registers, inheritance simply has nothing to move.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import codes, hooks, timeline
from tidecrm.core.bulk import BulkResult, each_independently
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.core.permissions import check

from . import verbs
from .models import Employee

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class InheritanceHandler:
    kind: str  # "lead", "customer": the key of the ids list ("lead_ids", "customer_ids")
    label: "StrOrPromise"
    count: Callable  # count(employee_ids) -> {employee_id: n}
    transfer: Callable  # transfer(actor, from_employee, to_employee, ids or None) -> {"succeeded", "failed"}


def register(handler: InheritanceHandler) -> None:
    """Plug in how an app counts and moves a resigned employee's records (at start-up):
    ``core.hooks.INHERITANCE``, under the handler's kind."""
    hooks.register(hooks.INHERITANCE, handler, key=handler.kind)


def handlers() -> dict[str, InheritanceHandler]:
    """The registered handlers by kind, in registration order."""
    return hooks.keyed(hooks.INHERITANCE)


def pending_employees(*, actor: Employee) -> list[Employee]:
    """Return resigned employees with their counts of records waiting per kind (INH-01)."""
    check(actor, "org.inherit")
    employees = list(
        Employee.objects.filter(status=Employee.Status.RESIGNED)
        .select_related("main_department")
        .order_by("-resigned_at")
    )
    ids = [e.pk for e in employees]
    counts = {kind: handler.count(ids) for kind, handler in handlers().items()}
    for employee in employees:
        employee.pending_counts = {kind: counts[kind].get(employee.pk, 0) for kind in handlers()}
    return employees


def inherit(
    *,
    actor: Employee,
    from_employee_id: int,
    to_employee_id: int,
    ids_by_kind: Mapping[str, Sequence[int] | None] | None = None,
) -> dict[str, Any]:
    """Move a resigned employee's records (all, or the ids given per kind) to an active employee."""
    check(actor, "org.inherit")
    source = Employee.objects.filter(pk=from_employee_id).first()
    target = Employee.objects.filter(pk=to_employee_id, deleted_at__isnull=True).first()
    if source is None or target is None:
        raise NotFound()
    if source.status != Employee.Status.RESIGNED:
        raise BusinessError(codes.EMPLOYEE_NOT_RESIGNED, _("只能继承已离职员工的数据"), status=409)
    if target.status != Employee.Status.ACTIVE:
        raise BusinessError(codes.EMPLOYEE_NOT_ACTIVE, _("接收人必须是在职且已启用的员工"), status=409)
    results: dict[str, Any] = {}
    with transaction.atomic():
        for kind, handler in handlers().items():
            ids = (ids_by_kind or {}).get(kind)
            results[kind] = handler.transfer(actor, source, target, ids)
        timeline.record(
            actor=actor,
            verb=verbs.EMPLOYEE_INHERITED,
            obj=source,
            data={"to": target.pk, "results": {k: len(v["succeeded"]) for k, v in results.items()}},
        )
    return results


def inherit_many(*, actor: Employee, from_employee_ids: Iterable[int], to_employee_id: int) -> BulkResult:
    """Batch 继承: move everything of several resigned employees to one active employee.

    Each resigned employee succeeds or fails on its own (API.md bulk answer).
    """
    check(actor, "org.inherit")
    return each_independently(
        from_employee_ids,
        lambda pk: inherit(actor=actor, from_employee_id=pk, to_employee_id=to_employee_id),
    )
