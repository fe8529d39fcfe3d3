"""Departments (SPEC ORG-01..02): create, rename, move with the whole subtree (at most
``Department.MAX_DEPTH`` levels), set the head, delete an empty one. Moving a subtree must not
widen the actor's data access (``administration._check_administration``)."""

from types import EllipsisType
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from tidecrm.core import codes, hooks, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.permissions import check

from .. import verbs
from ..models import Department, Employee, EmployeeDepartment
from ..scopes import organisation_changed
from ._common import _employee_or_404
from .administration import _check_administration


def _department_parent(parent_id: int | None) -> Department | None:
    if parent_id is None:
        return None
    parent = Department.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationFailed({"parent_id": [_("上级部门不存在")]})
    return parent


def _check_depth(depth: int) -> None:
    if depth > Department.MAX_DEPTH:
        raise BusinessError(codes.DEPARTMENT_TOO_DEEP, _("最多支持5级子部门"), status=409)


def department_create(
    *,
    actor: Employee,
    name: str,
    parent_id: int | None = None,
    head_id: int | None = None,
    sort_order: int = 0,
) -> Department:
    """Create a department under ``parent_id`` (None = directly under the enterprise)."""
    check(actor, "org.manage_departments")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("请填写部门名称")]})
    parent = _department_parent(parent_id)
    depth = parent.depth + 1 if parent else 1
    _check_depth(depth)
    head = _employee_or_404(head_id) if head_id else None
    try:
        with transaction.atomic():
            department = Department.objects.create(
                name=name[:60], parent=parent, depth=depth, head=head, sort_order=sort_order
            )
            department.path = f"{parent.path if parent else '/'}{department.pk}/"
            department.save(update_fields=["path"])
            timeline.record(actor=actor, verb=verbs.DEPARTMENT_CREATED, obj=department)
            organisation_changed(department.tenant_id)
    except IntegrityError:
        raise BusinessError(codes.DUPLICATE_DEPARTMENT, _("同级部门下已有同名部门"), status=409)
    return department


def department_update(
    *,
    actor: Employee,
    department: Department,
    name: str | None = None,
    parent_id: int | None | EllipsisType = ...,
    head_id: int | None | EllipsisType = ...,
    sort_order: int | None = None,
) -> Department:
    """Rename, move (with its whole subtree) or set the head of a department (``...``: unchanged)."""
    check(actor, "org.manage_departments")
    changes: dict[str, list[Any]] = {}
    with transaction.atomic():
        department = Department.objects.select_for_update().get(pk=department.pk)
        if name is not None:
            name = name.strip()
            if not name:
                raise ValidationFailed({"name": [_("请填写部门名称")]})
            if name != department.name:
                changes["name"] = [department.name, name]
                department.name = name[:60]
        if not isinstance(head_id, EllipsisType):
            head = _employee_or_404(head_id) if head_id else None
            if (head.pk if head else None) != department.head_id:
                changes["head"] = [department.head_id, head.pk if head else None]
                department.head = head
        if sort_order is not None:
            department.sort_order = sort_order
        if not isinstance(parent_id, EllipsisType) and parent_id != department.parent_id:
            parent = _department_parent(parent_id)
            if parent and parent.path.startswith(department.path):
                raise BusinessError(
                    codes.INVALID_PARENT, _("不能把部门移动到它自己或其下级部门之下"), status=409
                )
            # Its members land in the scopes that cover the new parent: the actor's among them.
            _check_administration(actor, subtree=department)
            _move_subtree(department, parent)
            changes["parent"] = [department.parent_id, parent.pk if parent else None]
            department.parent = parent
        try:
            with transaction.atomic():
                department.save()
        except IntegrityError:
            raise BusinessError(codes.DUPLICATE_DEPARTMENT, _("同级部门下已有同名部门"), status=409)
        if changes:
            timeline.record(actor=actor, verb=verbs.DEPARTMENT_UPDATED, obj=department, changes=changes)
        organisation_changed(department.tenant_id)
    department.refresh_from_db()
    return department


def _move_subtree(department: Department, parent: Department | None) -> None:
    """Rewrite the path and depth of ``department`` and all below it in one UPDATE."""
    old_path = department.path
    new_path = f"{parent.path if parent else '/'}{department.pk}/"
    depth_shift = (parent.depth + 1 if parent else 1) - department.depth
    deepest = (
        Department.objects.filter(path__startswith=old_path)
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    )
    _check_depth((deepest or department.depth) + depth_shift)
    Department.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    department.path = new_path
    department.depth += depth_shift


def department_delete(*, actor: Employee, department: Department) -> None:
    """Delete an empty department (no sub-departments, no members): else ``department_not_empty``."""
    check(actor, "org.manage_departments")
    with transaction.atomic():
        if (
            Department.objects.filter(parent=department).exists()
            or EmployeeDepartment.objects.filter(
                department=department, employee__deleted_at__isnull=True
            ).exists()
        ):
            raise BusinessError(
                codes.DEPARTMENT_NOT_EMPTY, _("请先移走该部门下的子部门和员工，再删除"), status=409
            )
        EmployeeDepartment.objects.filter(department=department).delete()
        Employee.objects.filter(main_department=department).update(main_department=None)
        timeline.record(actor=actor, verb=verbs.DEPARTMENT_DELETED, obj=department)
        for listener in hooks.each(hooks.DEPARTMENT_DELETING):  # e.g. customers: pool targets
            listener(department)
        department.delete()
        organisation_changed(department.tenant_id)
