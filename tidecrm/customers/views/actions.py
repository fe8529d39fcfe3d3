"""Customer actions (SPEC CUST-02/18/19/21/22, POOL-02/03/04/05): the list's bulk actions (添加标签,
转移, 移入公海, 删除, 领取, 分配, 定向, 恢复), with the modal some ask for first, and the same
moves on one customer from its detail. Each calls the batch service, which answers per record."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.web import login_required, parse_ids, parse_int
from tidecrm.org.models import Department

from .. import config, services
from ..access import access_customer
from ._common import DETAIL_CHANGED, _toast, summary
from .detail import _detail_again

# Bulk actions per view: (action, label, button style, permission).
BULK = {
    "owned": (
        ("tags", gettext_lazy("添加标签"), "outline-primary", None),
        ("transfer", gettext_lazy("转移"), "outline-primary", "customer.transfer"),
        ("release", gettext_lazy("移入公海"), "outline-warning", "customer.release"),
        ("delete", gettext_lazy("删除"), "outline-danger", "customer.delete"),
    ),
    "pool": (
        ("claim", gettext_lazy("领取"), "primary", "customer.claim"),
        ("assign", gettext_lazy("分配"), "outline-primary", "customer.assign"),
        ("target", gettext_lazy("定向"), "outline-primary", "customer.assign"),
        ("delete", gettext_lazy("删除"), "outline-danger", "customer.delete"),
    ),
    "bin": (("restore", gettext_lazy("恢复"), "primary", "customer.delete"),),
}
BULK_DONE = {
    "tags": gettext_lazy("已为 %(n)s 个客户添加标签"),
    "transfer": gettext_lazy("已转移 %(n)s 个客户"),
    "release": gettext_lazy("已将 %(n)s 个客户移入公海"),
    "delete": gettext_lazy("已删除 %(n)s 个客户，可在回收站恢复"),
    "claim": gettext_lazy("已领取 %(n)s 个客户"),
    "assign": gettext_lazy("已分配 %(n)s 个客户"),
    "target": gettext_lazy("已设置 %(n)s 个客户的定向部门"),
    "restore": gettext_lazy("已恢复 %(n)s 个客户"),
}
# Actions that ask for more in a modal first: the modal template and what it needs.
NEEDS_MODAL = {
    "tags": "tag_ids",
    "transfer": "employee_id",
    "assign": "employee_id",
    "release": "confirmed",
    "target": "confirmed",
}


@login_required
@require_POST
def customer_bulk(request, action):
    """Run a batch action on the ticked customers; some open a modal first (tags, transfer,
    assign, release with a reason) and post back here."""
    actor = request.employee
    services_for = {
        "tags": services.customers_add_tags,
        "transfer": services.customers_transfer,
        "release": services.customers_release,
        "delete": services.customers_delete,
        "claim": services.customers_claim,
        "assign": services.customers_assign,
        "target": services.customers_pool_target,
        "restore": services.customers_restore,
    }
    if action not in services_for:
        raise ValidationFailed(message=_("未知操作"))
    ids = parse_ids(request.POST.getlist("customer_ids"))
    if not ids:
        raise ValidationFailed(message=_("请先选择客户"))
    kwargs = {"actor": actor, "ids": ids}
    needs = NEEDS_MODAL.get(action)
    if needs and not request.POST.get(needs):
        return render(request, "customers/_bulk_modal.html", _bulk_context(action, ids))
    if action == "tags":
        kwargs["tag_ids"] = parse_ids(request.POST.getlist("tag_ids"))
    if action in ("transfer", "assign"):
        kwargs["employee_id"] = parse_int(request.POST["employee_id"])
        if kwargs["employee_id"] is None:
            raise ValidationFailed({"employee_id": [_("请选择员工")]}, message=_("请选择员工"))
    if action in ("release", "transfer", "assign"):
        kwargs["reason"] = (request.POST.get("reason") or "").strip()[:200]
    if action == "target":
        kwargs["department_ids"] = parse_ids(request.POST.getlist("department_ids"))
    result = services_for[action](**kwargs)
    return _toast(
        summary(result, BULK_DONE[action]), "warning" if result["failed"] else "success", close="modal"
    )


def _bulk_context(action, ids):
    return {
        "action": action,
        "customer_ids": ids,
        "tag_groups": config.tag_groups() if action == "tags" else [],
        "departments": Department.objects.order_by("path") if action == "target" else [],
        "title": dict((a, label) for kind in BULK.values() for a, label, _s, _p in kind)[action],
    }


def _refuse_if_failed(result):
    """A batch service run on one record from the detail: its refusal becomes the answer."""
    if result["failed"]:
        failure = result["failed"][0]
        raise BusinessError(failure["code"], failure["message"])


@login_required
@require_POST
def customer_action(request, customer_id, action):
    """Detail actions: 领取, 删除, 恢复 (others go through a modal)."""
    actor = request.employee
    # The drawer names a customer the caller had on screen: one gone from their sight is 404,
    # as the drawer itself would be, before the batch service's permission check.
    access_customer(actor, customer_id, "read")
    single = {
        "claim": (services.customers_claim, BULK_DONE["claim"]),
        "delete": (services.customers_delete, BULK_DONE["delete"]),
        "restore": (services.customers_restore, BULK_DONE["restore"]),
    }
    if action not in single:
        raise ValidationFailed(message=_("未知操作"))
    apply, done = single[action]
    _refuse_if_failed(apply(actor=actor, ids=[customer_id]))
    if action == "delete":
        return _toast(done % {"n": 1}, close="drawer")
    return _detail_again(request, customer_id, done % {"n": 1})


@login_required
def customer_move(request, customer_id, action):
    """移入公海 (with reason), 转移 and 分配 (choose the employee) from the detail: a modal."""
    actor = request.employee
    customer = access_customer(actor, customer_id)
    if action not in ("release", "transfer", "assign"):
        raise NotFound()
    context = {**_bulk_context(action, [customer.pk]), "customer": customer, "single": True}
    if request.method == "POST":
        reason = (request.POST.get("reason") or "").strip()[:200]
        if action == "release":
            result = services.customers_release(actor=actor, ids=[customer.pk], reason=reason)
        else:
            employee_id = parse_int(request.POST.get("employee_id"))
            if not employee_id:
                raise ValidationFailed(message=_("请选择员工"))
            apply = services.customers_transfer if action == "transfer" else services.customers_assign
            result = apply(actor=actor, ids=[customer.pk], employee_id=employee_id, reason=reason)
        _refuse_if_failed(result)
        return _toast(BULK_DONE[action] % {"n": 1}, close="modal", trigger=DETAIL_CHANGED)
    return render(request, "customers/_bulk_modal.html", context)
