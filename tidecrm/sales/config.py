"""Sales settings writes: contract numbering, the contract approval flow (CON-03) and the
orders switch (ORD-04), on the enterprise's one ContractSettings row."""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import timeline
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.org.models import Employee

from . import services
from .models import ContractSettings

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
                verb="contract.settings",
                obj=settings,
                object_type="contract_settings",
                label=str(_("合同设置")),
                changes=changes,
            )
    return settings
