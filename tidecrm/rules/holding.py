"""Holding limits (保有量, HOLD-01..08) as one shared service.

Each owning app registers how it counts what an employee holds (``register_counter``). Services
that make someone an owner call :func:`reserve` inside their transaction: it locks the employee's
row (so two acquisitions for the same person run one after the other), counts, and refuses with
``holding_limit_reached`` when the new records would pass the limit. Grandfathering (HOLD-06):
nothing is taken away from someone already above a new limit; they just cannot acquire more.

Precedence (SPEC Decisions): a rule naming the employee > a rule naming the nearest department
(rules on a department cover its sub-departments) > the default rule.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import codes, hooks
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.org.models import Department, Employee

from .models import HoldingLimitRule

# count_owned(employee_ids) -> {employee_id: n}, per object ("lead", "customer")
Counter = Callable[[list[int]], dict[int, int]]
OBJECT_LABELS = {"lead": gettext_lazy("线索"), "customer": gettext_lazy("客户")}
MAX_CUSTOM_RULES = 5  # HOLD-02: "您还可以添加 5 条规则"


def register_counter(obj: str, count_owned: Counter) -> None:
    """Register ``count_owned(employee_ids) -> {employee_id: n}`` for ``obj`` ("lead", "customer")
    at ``core.hooks.HOLDING_COUNTERS``."""
    hooks.register(hooks.HOLDING_COUNTERS, count_owned, key=obj)


def counter(obj: str) -> Counter | None:
    """The registered ``count_owned`` of ``obj``, or None when no app counts it."""
    found: Counter | None = hooks.keyed(hooks.HOLDING_COUNTERS).get(obj)
    return found


def require_counter(obj: str) -> Counter:
    """The registered ``count_owned`` of ``obj``; no app counting it is a start-up bug."""
    count = counter(obj)
    if count is None:
        raise RuntimeError(f"no app counts {obj!r} holdings")
    return count


def _rules(obj: str) -> list[HoldingLimitRule]:
    return list(HoldingLimitRule.objects.filter(object=obj).order_by("position", "id"))


def limit_for(employee: Employee, obj: str) -> int | None:
    """Return the holding limit of ``employee`` for ``obj`` (None = unlimited)."""
    return limits_for([employee], obj)[employee.pk]


def limits_for(employees: Sequence[Employee], obj: str) -> dict[int, int | None]:
    """Return {employee_id: limit} for many employees with three queries in all (HOLD-08 page)."""
    rules = _rules(obj)
    custom = [rule for rule in rules if not rule.is_default]
    paths = dict(
        Department.objects.filter(pk__in={d for rule in custom for d in rule.department_ids}).values_list(
            "pk", "path"
        )
    )
    own_paths = dict(
        Employee.objects.filter(pk__in=[e.pk for e in employees]).values_list("pk", "main_department__path")
    )
    default = next((rule.limit for rule in rules if rule.is_default), None)
    answer: dict[int, int | None] = {}
    for employee in employees:
        named = next((rule for rule in custom if employee.pk in rule.employee_ids), None)
        if named is not None:
            answer[employee.pk] = named.limit
            continue
        own_path: str = own_paths.get(employee.pk) or ""
        best: HoldingLimitRule | None = None
        best_depth = -1
        for rule in custom:
            for department_id in rule.department_ids:
                path = paths.get(department_id, "")
                if path and own_path.startswith(path) and path.count("/") > best_depth:
                    best, best_depth = rule, path.count("/")
        answer[employee.pk] = best.limit if best is not None else default
    return answer


def usage(employee: Employee, obj: str) -> tuple[int, int | None]:
    """Return (held, limit) for the "已拥有 X / 上限 Y" display (HOLD-08)."""
    count = counter(obj)
    held = count([employee.pk]).get(employee.pk, 0) if count else 0
    return held, limit_for(employee, obj)


def usage_table(employees: Sequence[Employee]) -> list[dict[str, Any]]:
    """Return one row per employee with (held, limit) per object, for the HOLD-08 page: a few
    queries in all, however many employees."""
    ids = [e.pk for e in employees]
    limits = {obj: limits_for(employees, obj) for obj in OBJECT_LABELS}
    held = {obj: count(ids) if (count := counter(obj)) else {} for obj in OBJECT_LABELS}
    return [
        {"employee": e, **{obj: (held[obj].get(e.pk, 0), limits[obj][e.pk]) for obj in OBJECT_LABELS}}
        for e in employees
    ]


def reserve(employee: Employee, obj: str, adding: int = 1) -> None:
    """Lock ``employee`` and refuse if owning ``adding`` more of ``obj`` would pass the limit.

    Call inside the transaction that changes ownership, before the change.
    """
    # NO KEY: serialises the limit checks without blocking the foreign-key checks (FOR KEY SHARE)
    # that rows pointing at this employee take at commit -- two of those would deadlock.
    Employee.objects.select_for_update(no_key=True).filter(pk=employee.pk).first()
    limit = limit_for(employee, obj)
    if limit is None:
        return
    held = require_counter(obj)([employee.pk]).get(employee.pk, 0)
    if held + adding > limit:
        raise BusinessError(
            codes.HOLDING_LIMIT_REACHED,
            _("%(name)s的%(obj)s保有量已达上限（已拥有 %(held)s / 上限 %(limit)s）")
            % {"name": employee.name, "obj": OBJECT_LABELS[obj], "held": held, "limit": limit},
            details={"employee_id": employee.pk, "held": held, "limit": limit},
        )


def settings_get(*, actor: Employee) -> dict[str, Any]:
    """Return the holding-limit settings in API.md's shape, to those who may change them: the
    rules name who holds how much (an employee reads their own limit through :func:`usage`)."""
    check(actor, "rules.holding_limits")
    answer: dict[str, Any] = {}
    for obj in OBJECT_LABELS:
        rules = _rules(obj)
        default = next((rule for rule in rules if rule.is_default), None)
        answer[obj] = {
            "default_limit": default.limit if default else None,
            "rules": [
                {
                    "name": r.name,
                    "limit": r.limit,
                    "employee_ids": r.employee_ids,
                    "department_ids": r.department_ids,
                }
                for r in rules
                if not r.is_default
            ],
        }
    return answer


def _limit(value: Any) -> int | None:
    """Read a limit from input: empty = unlimited (None), else a whole number ≥ 0."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if str(number) == str(value).strip() or isinstance(value, int) else -1


def settings_put(*, actor: Employee, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the holding-limit rules (at most 5 custom rules per object plus the default)."""
    check(actor, "rules.holding_limits")
    cleaned: dict[str, dict[str, Any]] = {
        obj: {
            "default_limit": _limit(spec.get("default_limit")),
            "rules": [{**rule, "limit": _limit(rule.get("limit"))} for rule in spec.get("rules", [])],
        }
        for obj, spec in data.items()
    }
    errors: dict[str, list[str]] = {}
    for obj, spec in cleaned.items():
        if spec["default_limit"] is not None and spec["default_limit"] < 0:
            errors[f"{obj}.default_limit"] = [_("上限应为不小于 0 的整数")]
    for obj, spec in cleaned.items():
        if obj not in OBJECT_LABELS:
            errors[obj] = [_("未知的对象")]
            continue
        if len(spec.get("rules", [])) > MAX_CUSTOM_RULES:
            errors[f"{obj}.rules"] = [_("最多添加 %(n)s 条规则") % {"n": MAX_CUSTOM_RULES}]
        for index, rule in enumerate(spec.get("rules", [])):
            if not (rule.get("name") or "").strip():
                errors[f"{obj}.rules.{index}.name"] = [_("请填写规则名")]
            if rule["limit"] is not None and rule["limit"] < 0:
                errors[f"{obj}.rules.{index}.limit"] = [_("上限应为不小于 0 的整数")]
            known = set(
                Employee.objects.filter(pk__in=rule.get("employee_ids", [])).values_list("pk", flat=True)
            )
            if known != set(rule.get("employee_ids", [])):
                errors[f"{obj}.rules.{index}.employee_ids"] = [_("员工不存在")]
            known = set(
                Department.objects.filter(pk__in=rule.get("department_ids", [])).values_list("pk", flat=True)
            )
            if known != set(rule.get("department_ids", [])):
                errors[f"{obj}.rules.{index}.department_ids"] = [_("部门不存在")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        for obj, spec in cleaned.items():
            HoldingLimitRule.objects.filter(object=obj).delete()
            HoldingLimitRule.objects.create(
                object=obj, name=str(_("默认规则")), limit=spec.get("default_limit"), is_default=True
            )
            for position, rule in enumerate(spec.get("rules", []), start=1):
                HoldingLimitRule.objects.create(
                    object=obj,
                    name=rule["name"].strip()[:40],
                    limit=rule.get("limit"),
                    employee_ids=sorted(set(rule.get("employee_ids", []))),
                    department_ids=sorted(set(rule.get("department_ids", []))),
                    position=position,
                )
    return settings_get(actor=actor)
