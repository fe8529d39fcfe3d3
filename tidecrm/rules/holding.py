"""Holding limits (保有量, HOLD-01..08) as one shared service.

Each owning app registers how it counts what an employee holds (``register_counter``). Services
that make someone an owner call :func:`reserve` inside their transaction: it locks the employee's
row (so two acquisitions for the same person run one after the other), counts, and refuses with
``holding_limit_reached`` when the new records would pass the limit. Grandfathering (HOLD-06):
nothing is taken away from someone already above a new limit; they just cannot acquire more.

Precedence (SPEC Decisions): a rule naming the employee > a rule naming the nearest department
(rules on a department cover its sub-departments) > the default rule.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.org.models import Department, Employee

from .models import HoldingLimitRule

COUNTERS = {}
OBJECT_LABELS = {"lead": gettext_lazy("线索"), "customer": gettext_lazy("客户")}
MAX_CUSTOM_RULES = 5  # HOLD-02: "您还可以添加 5 条规则"


def register_counter(obj, count_owned):
    """Register ``count_owned(employee_ids) -> {employee_id: n}`` for ``obj`` ("lead", "customer")."""
    COUNTERS[obj] = count_owned


def _rules(obj):
    return list(HoldingLimitRule.objects.filter(object=obj).order_by("position", "id"))


def limit_for(employee, obj, *, rules=None):
    """Return the holding limit of ``employee`` for ``obj`` (None = unlimited)."""
    rules = _rules(obj) if rules is None else rules
    custom = [rule for rule in rules if not rule.is_default]
    for rule in custom:
        if employee.pk in rule.employee_ids:
            return rule.limit
    own_path = (
        Employee.objects.filter(pk=employee.pk).values_list("main_department__path", flat=True).first() or ""
    )
    paths = dict(
        Department.objects.filter(pk__in={d for rule in custom for d in rule.department_ids}).values_list(
            "pk", "path"
        )
    )
    best, best_depth = None, -1
    for rule in custom:
        for department_id in rule.department_ids:
            path = paths.get(department_id, "")
            if path and own_path.startswith(path) and path.count("/") > best_depth:
                best, best_depth = rule, path.count("/")
    if best is not None:
        return best.limit
    default = next((rule for rule in rules if rule.is_default), None)
    return default.limit if default else None


def usage(employee, obj):
    """Return (held, limit) for the "已拥有 X / 上限 Y" display (HOLD-08)."""
    held = COUNTERS[obj]([employee.pk]).get(employee.pk, 0) if obj in COUNTERS else 0
    return held, limit_for(employee, obj)


def reserve(employee, obj, adding=1):
    """Lock ``employee`` and refuse if owning ``adding`` more of ``obj`` would pass the limit.

    Call inside the transaction that changes ownership, before the change.
    """
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    limit = limit_for(employee, obj)
    if limit is None:
        return
    held = COUNTERS[obj]([employee.pk]).get(employee.pk, 0)
    if held + adding > limit:
        raise BusinessError(
            "holding_limit_reached",
            _("%(name)s的%(obj)s保有量已达上限（已拥有 %(held)s / 上限 %(limit)s）")
            % {"name": employee.name, "obj": OBJECT_LABELS[obj], "held": held, "limit": limit},
            details={"employee_id": employee.pk, "held": held, "limit": limit},
        )


def settings_get(*, actor):
    """Return the holding-limit settings in API.md's shape."""
    answer = {}
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


def settings_put(*, actor, data):
    """Replace the holding-limit rules (at most 5 custom rules per object plus the default)."""
    check(actor, "rules.holding_limits")
    errors = {}
    for obj, spec in data.items():
        if obj not in OBJECT_LABELS:
            errors[obj] = [_("未知的对象")]
            continue
        if len(spec.get("rules", [])) > MAX_CUSTOM_RULES:
            errors[f"{obj}.rules"] = [_("最多添加 %(n)s 条规则") % {"n": MAX_CUSTOM_RULES}]
        for index, rule in enumerate(spec.get("rules", [])):
            if not (rule.get("name") or "").strip():
                errors[f"{obj}.rules.{index}.name"] = [_("请填写规则名")]
            if rule.get("limit") is not None and int(rule["limit"]) < 0:
                errors[f"{obj}.rules.{index}.limit"] = [_("上限不能为负数")]
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
        for obj, spec in data.items():
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
