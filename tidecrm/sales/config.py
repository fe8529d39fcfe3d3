"""Sales settings writes: contract numbering, the contract approval flow (CON-03), the
orders switch (ORD-04) and the order form layout (ORD-02), on the enterprise's one
ContractSettings row."""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import timeline
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.org.models import Employee

from . import services, verbs
from .models import ORDER_FORM_FIELDS, ContractSettings

PREFIX = re.compile(r"^[A-Za-z0-9-]{1,10}$")


def _active_ids(ids, field, errors):
    ids = sorted({int(i) for i in ids or []})
    found = set(
        Employee.objects.filter(
            pk__in=ids, status=Employee.Status.ACTIVE, deleted_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if len(found) != len(ids):
        errors[field] = [_("请选择在职员工")]
    return ids


def contract_settings_update(
    *,
    actor,
    number_prefix,
    approval_enabled,
    level1_approver_ids=(),
    level2_approver_ids=(),
    cc_ids=(),
    orders_enabled=False,
):
    """Save the contract settings: a prefix of 1–10 letters, digits or "-"; approvers and CC
    are active employees; approval on needs at least one level-1 approver; level 2 is optional.
    Running approvals keep the approvers they started with."""
    check(actor, "contract.settings")
    errors = {}
    number_prefix = (number_prefix or "").strip()
    if not PREFIX.match(number_prefix):
        errors["number_prefix"] = [_("合同编号前缀为1到10位字母、数字或“-”")]
    values = {
        "number_prefix": number_prefix,
        "approval_enabled": bool(approval_enabled),
        "level1_approver_ids": _active_ids(level1_approver_ids, "level1_approver_ids", errors),
        "level2_approver_ids": _active_ids(level2_approver_ids, "level2_approver_ids", errors),
        "cc_ids": _active_ids(cc_ids, "cc_ids", errors),
        "orders_enabled": bool(orders_enabled),
    }
    if values["approval_enabled"] and not values["level1_approver_ids"]:
        errors["level1_approver_ids"] = [_("开启审批时请至少选择一位一级审批人")]
    if values["level2_approver_ids"] and not values["level1_approver_ids"]:
        errors.setdefault("level2_approver_ids", [_("请先设置一级审批人")])
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        settings = ContractSettings.objects.select_for_update().get(pk=services.sales_settings().pk)
        changes = timeline.diff(settings, values, list(values))
        for field, value in values.items():
            setattr(settings, field, value)
        settings.save()
        if changes:
            timeline.record(
                actor=actor,
                verb=verbs.CONTRACT_SETTINGS,
                obj=settings,
                object_type="contract_settings",
                label=str(_("合同设置")),
                changes=changes,
            )
    return settings


def order_form_update(*, actor, order_form):
    """ORD-02: save the 新建订单 form layout, ``order_form`` being ``[{field, visible,
    required}]`` in display order over ORDER_FORM_FIELDS (the customer is always first and
    required). An unknown or repeated field, a hidden field marked required, or hiding both the
    amount and the product lines (an order needs one of them) is refused (422); fields left out
    are appended visible and optional."""
    check(actor, "contract.settings")
    errors, items, seen = [], [], set()
    for item in order_form or []:
        field = item.get("field") if isinstance(item, dict) else None
        if not isinstance(field, str) or field not in ORDER_FORM_FIELDS:
            errors.append(_("未知的订单字段：%(field)s") % {"field": field})
            continue
        if field in seen:
            errors.append(_("订单字段重复：%(field)s") % {"field": ORDER_FORM_FIELDS[field]})
            continue
        seen.add(field)
        visible, required = bool(item.get("visible", True)), bool(item.get("required", False))
        if required and not visible:
            errors.append(_("隐藏的字段不能设为必填：%(field)s") % {"field": ORDER_FORM_FIELDS[field]})
        items.append({"field": field, "visible": visible, "required": required})
    items += [
        {"field": field, "visible": True, "required": False}
        for field in ORDER_FORM_FIELDS
        if field not in seen
    ]
    shown = {item["field"] for item in items if item["visible"]}
    if not shown & {"amount", "product_lines"}:
        errors.append(_("订单金额和产品明细至少显示一项"))
    if errors:
        raise ValidationFailed({"order_form": errors}, message=errors[0])
    with transaction.atomic():
        settings = ContractSettings.objects.select_for_update().get(pk=services.sales_settings().pk)
        before = services.order_form(settings)
        settings.order_form = items
        settings.save(update_fields=["order_form"])
        if before != items:
            timeline.record(
                actor=actor,
                verb=verbs.ORDER_FORM_SETTINGS,
                obj=settings,
                object_type="contract_settings",
                label=str(_("订单表单")),
                changes={"order_form": [before, items]},
            )
    return settings
