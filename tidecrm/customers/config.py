"""Customer settings an administrator keeps (CUST-10/11/13/14, POOL-12/13): libraries with their
pools and duplicate rules, progress stages, tag groups, enterprise switches.

Defaults are created on first use (the default library, the five default stages), so a new
enterprise works without a setup step, and every read goes through the functions here.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.org.models import Department, Employee

from . import verbs
from .models import Customer, CustomerSettings, Library, LibraryDepartment, Stage, Tag, TagGroup

DEFAULT_LIBRARY_NAME = "默认客户库"


def _get_or_create(model, lookup, defaults):
    """get_or_create that survives two first uses at once (the unique constraint decides)."""
    try:
        with transaction.atomic():
            return model.objects.get_or_create(**lookup, defaults=defaults)[0]
    except IntegrityError:
        return model.objects.get(**lookup)


# ---------------------------------------------------------------- lookups


def seed_defaults():
    """What an enterprise's customers start with (at registration, core.hooks.TENANT_CREATED;
    idempotent): the settings row, the default library (默认客户库, CUST-13) with the
    customer-name duplicate rule, and the default progress stages (CUST-11)."""
    _get_or_create(CustomerSettings, {}, {})
    _get_or_create(
        Library, {"is_default": True}, {"name": DEFAULT_LIBRARY_NAME, "duplicate_fields": ["customer_name"]}
    )
    if not Stage.objects.exists():
        for position, name in enumerate(Stage.DEFAULTS):
            _get_or_create(
                Stage, {"name": name}, {"position": position, "is_terminal": name == Stage.DEFAULTS[-1]}
            )


def customer_settings():
    """Return the enterprise's customer settings row (CUST-13/15/21; seeded at registration)."""
    return CustomerSettings.objects.get()


def default_library():
    """Return the default library (默认客户库, CUST-13; seeded at registration): employees of
    departments no library is assigned work in it."""
    return Library.objects.get(is_default=True)


def stages():
    """Return the progress stages in order, the terminal stage last (seeded at registration)."""
    return list(Stage.objects.order_by("is_terminal", "position", "id"))


def first_stage():
    """Return the first progress stage (CUST-11): a new customer's stage when none is given."""
    return stages()[0]


def library_of(employee):
    """The library an employee works in: that of their main department or its nearest assigned
    ancestor; the default library otherwise (CUST-13 PROPOSED)."""
    department = employee.main_department if employee.main_department_id else None
    if department is not None:
        ancestor_ids = [int(part) for part in department.path.strip("/").split("/") if part]
        assigned = dict(
            LibraryDepartment.objects.filter(department_id__in=ancestor_ids).values_list(
                "department_id", "library_id"
            )
        )
        for department_id in reversed(ancestor_ids):  # nearest first
            if department_id in assigned:
                return Library.objects.get(pk=assigned[department_id])
    return default_library()


def is_masked_for(employee):
    """CUST-15: does this employee see customers' phone, QQ, e-mail and WeChat masked?"""
    return employee.pk in set(customer_settings().masked_employee_ids)


# ---------------------------------------------------------------- libraries (CUST-13/14, POOL-12/13)


def _clean_library(values):
    errors, cleaned = {}, {}
    if "name" in values:
        cleaned["name"] = (values["name"] or "").strip()
        if not cleaned["name"]:
            errors["name"] = [_("请填写客户库名称")]
        elif len(cleaned["name"]) > 40:
            errors["name"] = [_("名称不能超过40个字")]
    if "duplicate_fields" in values:
        fields = [f for f in Library.DUPLICATE_FIELDS if f in (values["duplicate_fields"] or [])]
        if set(values["duplicate_fields"] or []) - set(Library.DUPLICATE_FIELDS):
            errors["duplicate_fields"] = [_("查重字段只能是客户名称、联系人姓名、联系人手机号")]
        elif not fields:
            errors["duplicate_fields"] = [_("请至少选择一个查重字段")]
        cleaned["duplicate_fields"] = fields
    if "duplicate_match" in values:
        if values["duplicate_match"] not in Library.Match.values:
            errors["duplicate_match"] = [_("请选择匹配方式")]
        cleaned["duplicate_match"] = values["duplicate_match"]
    for field in ("daily_claim_limit", "reclaim_cooldown_days"):
        if field in values:
            value = values[field]
            if value is not None and (not isinstance(value, int) or value < 0 or value > 10000):
                errors[field] = [_("请输入 0 到 10000 之间的整数，留空为不限")]
            cleaned[field] = value
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def libraries():
    """Every library (the default first) with its department ids and customer counts."""
    default_library()
    found = list(Library.objects.order_by("-is_default", "id"))
    departments = {}
    for library_id, department_id in LibraryDepartment.objects.values_list("library_id", "department_id"):
        departments.setdefault(library_id, []).append(department_id)
    counts = dict(
        Customer.objects.exclude(state=Customer.State.DELETED)
        .values("library_id")
        .annotate(n=Count("pk"))
        .values_list("library_id", "n")
    )
    for library in found:
        library.department_ids = departments.get(library.pk, [])
        library.customer_count = counts.get(library.pk, 0)
    return found


def _set_departments(library, department_ids):
    department_ids = list(dict.fromkeys(int(d) for d in department_ids or []))
    if len(Department.objects.filter(pk__in=department_ids)) != len(department_ids):
        raise ValidationFailed({"department_ids": [_("部门不存在")]})
    # A department belongs to one library: assigning it here moves it from any other (CUST-13).
    LibraryDepartment.objects.filter(department_id__in=department_ids).exclude(library=library).delete()
    LibraryDepartment.objects.filter(library=library).exclude(department_id__in=department_ids).delete()
    have = set(LibraryDepartment.objects.filter(library=library).values_list("department_id", flat=True))
    LibraryDepartment.objects.bulk_create(
        [LibraryDepartment(library=library, department_id=d) for d in department_ids if d not in have]
    )


def library_create(*, actor, name, department_ids=(), **values):
    """Add a library (CUST-13) with its duplicate rule, claim limits (POOL-12/13) and
    departments (moved from any library that had them). Needs ``customer.settings``; refusals: 422
    on a bad name, rule or limit, ``duplicate_library``."""
    check(actor, "customer.settings")
    cleaned = _clean_library({"name": name, **values})
    cleaned.setdefault("duplicate_fields", ["customer_name"])
    default_library()
    with transaction.atomic():
        if Library.objects.filter(name=cleaned["name"]).exists():
            raise BusinessError(codes.DUPLICATE_LIBRARY, _("已有同名客户库"))
        library = Library.objects.create(**cleaned)
        if department_ids:
            _set_departments(library, department_ids)
        timeline.record(actor=actor, verb=verbs.LIBRARY_CREATED, obj=library)
    return library


def library_update(*, actor, library_id, department_ids=None, **values):
    """Change a library's name, duplicate rule, claim limits or departments, as one timeline
    event. The default library takes no departments (422: it holds every unassigned one). Needs
    ``customer.settings``; refusals: 404 for an unknown library, 422, ``duplicate_library``."""
    check(actor, "customer.settings")
    cleaned = _clean_library(values)
    with transaction.atomic():
        library = Library.objects.select_for_update().filter(pk=library_id).first()
        if library is None:
            raise NotFound()
        if "name" in cleaned and Library.objects.filter(name=cleaned["name"]).exclude(pk=library.pk).exists():
            raise BusinessError(codes.DUPLICATE_LIBRARY, _("已有同名客户库"))
        changes = timeline.diff(library, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(library, field, value)
        library.save()
        if department_ids is not None:
            if library.is_default and department_ids:
                raise ValidationFailed({"department_ids": [_("默认客户库包含所有未分配的部门，无需添加")]})
            _set_departments(library, department_ids)
            changes["department_ids"] = [None, sorted(int(d) for d in department_ids)]
        if changes:
            timeline.record(actor=actor, verb=verbs.LIBRARY_UPDATED, obj=library, changes=changes)
    return library


def library_delete(*, actor, library_id):
    """Delete a library: never the default one, never one that still holds customers."""
    check(actor, "customer.settings")
    with transaction.atomic():
        library = Library.objects.select_for_update().filter(pk=library_id).first()
        if library is None:
            raise NotFound()
        if library.is_default:
            raise BusinessError(codes.DEFAULT_LIBRARY, _("默认客户库不能删除"))
        if Customer.objects.filter(library=library).exists():
            raise BusinessError(
                codes.LIBRARY_NOT_EMPTY, _("客户库中还有客户（含公海和回收站），请先转移后再删除")
            )
        timeline.record(actor=actor, verb=verbs.LIBRARY_DELETED, obj=library)
        library.delete()


def _employee_ids(values, field):
    """Return ``values`` as sorted, distinct ids of employees of this enterprise, or refuse
    (422 naming ``field``): an id of another enterprise's employee or of nobody is not stored."""
    ids = sorted({int(v) for v in values or []})
    if Employee.objects.filter(pk__in=ids).count() != len(ids):  # the manager keeps to this tenant
        raise ValidationFailed({field: [_("员工不存在")]})
    return ids


def settings_update(*, actor, **values):
    """Enterprise switches: cross-library duplicates, masked employees (CUST-15), forbid delete."""
    check(actor, "customer.settings")
    if "masked_employee_ids" in values:
        values["masked_employee_ids"] = _employee_ids(values["masked_employee_ids"], "masked_employee_ids")
    with transaction.atomic():
        settings = CustomerSettings.objects.select_for_update().get(pk=customer_settings().pk)
        changes = timeline.diff(settings, values, list(values))
        for field, value in values.items():
            setattr(settings, field, value)
        settings.save()
        if changes:
            timeline.record(
                actor=actor,
                verb=verbs.CUSTOMER_SETTINGS,
                obj=settings,
                object_type="customer_settings",
                changes=changes,
            )
    return settings


# ---------------------------------------------------------------- stages (CUST-11)


def _stage_name(name):
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("请填写进展名称")]})
    if len(name) > 20:
        raise ValidationFailed({"name": [_("进展名称不能超过20个字")]})
    return name


def stage_create(*, actor, name):
    """Add a stage before the terminal one; at most 10 in all (``stage_limit_reached``)."""
    check(actor, "customer.settings")
    name = _stage_name(name)
    stages()
    with transaction.atomic():
        terminal = Stage.objects.select_for_update().get(is_terminal=True)  # serialises stage edits
        if Stage.objects.count() >= Stage.MAX:
            raise BusinessError(codes.STAGE_LIMIT_REACHED, _("最多添加%(n)s个进展") % {"n": Stage.MAX})
        if Stage.objects.filter(name=name).exists():
            raise BusinessError(codes.DUPLICATE_STAGE, _("已有同名进展"))
        position = (Stage.objects.filter(is_terminal=False).aggregate(m=Max("position"))["m"] or 0) + 1
        stage = Stage.objects.create(name=name, position=position)
        terminal.position = position + 1
        terminal.save(update_fields=["position"])
        timeline.record(actor=actor, verb=verbs.STAGE_CREATED, obj=stage)
    return stage


def _editable_stage(stage_id):
    stage = Stage.objects.select_for_update().filter(pk=stage_id).first()
    if stage is None:
        raise NotFound()
    if stage.is_terminal:
        raise BusinessError(
            codes.TERMINAL_STAGE, _("最后一个进展“%(name)s”固定不可修改或删除") % {"name": stage.name}
        )
    return stage


def stage_update(*, actor, stage_id, name=None, position=None):
    """Rename a progress stage or move it among the non-terminal ones (CUST-11); the terminal
    stage is fixed (``terminal_stage``). Needs ``customer.settings``; refusals: 404, 422,
    ``duplicate_stage``."""
    check(actor, "customer.settings")
    with transaction.atomic():
        stage = _editable_stage(stage_id)
        changes = {}
        if name is not None:
            name = _stage_name(name)
            if Stage.objects.filter(name=name).exclude(pk=stage.pk).exists():
                raise BusinessError(codes.DUPLICATE_STAGE, _("已有同名进展"))
            changes["name"] = [stage.name, name]
            stage.name = name
        if position is not None:
            order = [
                s
                for s in Stage.objects.filter(is_terminal=False).order_by("position", "id")
                if s.pk != stage.pk
            ]
            order.insert(max(0, min(int(position), len(order))), stage)
            for index, item in enumerate(order):
                if item.position != index:
                    Stage.objects.filter(pk=item.pk).update(position=index)
            stage.position = order.index(stage)
        stage.save()
        if changes:
            timeline.record(actor=actor, verb=verbs.STAGE_UPDATED, obj=stage, changes=changes)
    return stage


def stage_delete(*, actor, stage_id, move_to_id=None):
    """Delete a stage; its customers move to ``move_to_id`` (required when it has any)."""
    check(actor, "customer.settings")
    with transaction.atomic():
        stage = _editable_stage(stage_id)
        in_use = Customer.objects.filter(stage=stage).exists()
        target = None
        if move_to_id:
            target = Stage.objects.filter(pk=move_to_id).exclude(pk=stage.pk).first()
            if target is None:
                raise ValidationFailed({"move_to_id": [_("请选择客户要变更到的进展")]})
        elif in_use:
            raise BusinessError(
                codes.STAGE_IN_USE,
                _("该进展下还有客户，删除前请选择这些客户要变更到的进展"),
                details={"field": "move_to_id"},
            )
        moved = Customer.objects.filter(stage=stage).update(stage=target) if target else 0
        timeline.record(
            actor=actor,
            verb=verbs.STAGE_DELETED,
            obj=stage,
            data={"moved": moved, "to": target.name if target else None},
        )
        stage.delete()
    return moved


# ---------------------------------------------------------------- tags (CUST-10)


def tag_groups():
    """Every tag group with its tags, in order (two queries)."""
    groups = list(TagGroup.objects.order_by("position", "id"))
    tags = {}
    for tag in Tag.objects.order_by("position", "id"):
        tags.setdefault(tag.group_id, []).append(tag)
    for group in groups:
        group.tag_list = tags.get(group.pk, [])
    return groups


def _clean_group(values):
    errors, cleaned = {}, {}
    if "name" in values:
        cleaned["name"] = (values["name"] or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 20:
            errors["name"] = [_("请填写标签组名称（不超过20个字）")]
    if "color" in values:
        if values["color"] not in TagGroup.COLORS:
            errors["color"] = [_("请选择颜色")]
        cleaned["color"] = values["color"]
    if "multiple" in values:
        cleaned["multiple"] = bool(values["multiple"])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def tag_group_create(*, actor, name, color="blue", multiple=True, tags=()):
    """Add a tag group (CUST-10) at the end, with its first ``tags``. Needs
    ``customer.settings``; refusals: 422 on a bad name or colour, ``duplicate_tag_group``, and
    those of :func:`tag_create`."""
    check(actor, "customer.settings")
    cleaned = _clean_group({"name": name, "color": color, "multiple": multiple})
    with transaction.atomic():
        if TagGroup.objects.filter(name=cleaned["name"]).exists():
            raise BusinessError(codes.DUPLICATE_TAG_GROUP, _("已有同名标签组"))
        position = (TagGroup.objects.aggregate(m=Max("position"))["m"] or 0) + 1
        group = TagGroup.objects.create(**cleaned, position=position)
        for tag_name in tags:
            tag_create(actor=actor, group_id=group.pk, name=tag_name)
        timeline.record(actor=actor, verb=verbs.TAG_GROUP_CREATED, obj=group)
    return group


def tag_group_update(*, actor, group_id, **values):
    """Change a tag group's name, colour or single/multi-select (CUST-10); it cannot turn
    single-select while a customer holds two of its tags (``tag_group_in_use``). Needs
    ``customer.settings``; refusals: 404, 422, ``duplicate_tag_group``."""
    check(actor, "customer.settings")
    cleaned = _clean_group(values)
    with transaction.atomic():
        group = TagGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound()
        if "name" in cleaned and TagGroup.objects.filter(name=cleaned["name"]).exclude(pk=group.pk).exists():
            raise BusinessError(codes.DUPLICATE_TAG_GROUP, _("已有同名标签组"))
        if cleaned.get("multiple") is False and group.multiple:
            # Turning a group single-select must not leave customers with two of its tags.
            from .models import CustomerTag

            doubled = (
                CustomerTag.objects.filter(tag__group=group)
                .values("customer_id")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .exists()
            )
            if doubled:
                raise BusinessError(codes.TAG_GROUP_IN_USE, _("已有客户在该组选了多个标签，不能改为单选"))
        changes = timeline.diff(group, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(group, field, value)
        group.save()
        if changes:
            timeline.record(actor=actor, verb=verbs.TAG_GROUP_UPDATED, obj=group, changes=changes)
    return group


def tag_group_delete(*, actor, group_id):
    """Delete a group with its tags; customers simply lose those tags."""
    check(actor, "customer.settings")
    with transaction.atomic():
        group = TagGroup.objects.filter(pk=group_id).first()
        if group is None:
            raise NotFound()
        timeline.record(actor=actor, verb=verbs.TAG_GROUP_DELETED, obj=group)
        group.delete()


def tag_create(*, actor, group_id, name):
    """Add a tag at the end of a group (CUST-10). Needs ``customer.settings``; refusals: 422
    on a bad name, 404 for an unknown group, ``duplicate_tag``."""
    check(actor, "customer.settings")
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise ValidationFailed({"name": [_("请填写标签名称（不超过20个字）")]})
    group = TagGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound()
    if Tag.objects.filter(group=group, name=name).exists():
        raise BusinessError(codes.DUPLICATE_TAG, _("该组已有同名标签"))
    position = (Tag.objects.filter(group=group).aggregate(m=Max("position"))["m"] or 0) + 1
    return Tag.objects.create(group=group, name=name, position=position)


def tag_delete(*, actor, tag_id):
    """Delete a tag (CUST-10); customers simply lose it. Needs ``customer.settings``; 404 for
    an unknown tag."""
    check(actor, "customer.settings")
    deleted, _rows = Tag.objects.filter(pk=tag_id).delete()
    if not deleted:
        raise NotFound()
