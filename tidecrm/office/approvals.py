"""A small reusable approval component (CON-03, OFF-08).

An app registers what happens to its records when an approval ends::

    approvals.register("contract", on_approved=..., on_rejected=..., on_withdrawn=..., label=...)

then calls :func:`start` inside its own transaction. Approvers act with :func:`decide`: at each
level any one approver decides for the level (or-sign); approval at the last level approves
the request, a rejection at any level rejects it; the initiator may :func:`withdraw` while it is
pending. Two approvers acting at once: the request row is locked, the second one gets
``already_decided``. The CC list is recorded for notification when the request completes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes, hooks, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed

from . import verbs
from .models import ApprovalAction, ApprovalRequest

Status, Decision = ApprovalRequest.Status, ApprovalAction.Decision


@dataclass(frozen=True)
class Handler:
    object_type: str
    label: str
    on_approved: Callable[..., Any]
    on_rejected: Callable[..., Any]
    on_withdrawn: Callable[..., Any]
    url: Callable[[int], str] | None = None  # url(object_id) -> page of the record
    visible: Callable[[Any, int], bool] | None = (
        None  # visible(actor, object_id) -> whether the caller may see the record
    )


def register(object_type, *, label, on_approved, on_rejected, on_withdrawn, url=None, visible=None):
    """Plug in what approving, rejecting and withdrawing do to records of ``object_type`` (at
    start-up): ``core.hooks.APPROVAL_HANDLERS``."""
    hooks.register(
        hooks.APPROVAL_HANDLERS,
        Handler(object_type, label, on_approved, on_rejected, on_withdrawn, url, visible),
        key=object_type,
    )


def handler_of(object_type):
    """The registered handler of ``object_type``, or None."""
    return hooks.keyed(hooks.APPROVAL_HANDLERS).get(object_type)


def start(*, actor, object_type, object_id, title, levels, cc_ids=()):
    """Open an approval for a record. ``levels`` is [[ids], [ids]] (1 or 2 non-empty levels)."""
    levels = [sorted({int(i) for i in level}) for level in levels if level]
    if not levels or len(levels) > 2:
        raise ValidationFailed(message=_("请先在设置中配置一级审批人"))
    if ApprovalRequest.objects.filter(
        object_type=object_type, object_id=object_id, status=Status.PENDING
    ).exists():
        raise BusinessError(codes.APPROVAL_PENDING, _("该记录已在审批中"))
    request = ApprovalRequest.objects.create(
        object_type=object_type,
        object_id=object_id,
        title=title[:200],
        initiator=actor,
        levels=levels,
        cc_ids=sorted({int(i) for i in cc_ids}),
    )
    timeline.record(
        actor=actor, verb=verbs.APPROVAL_STARTED, object_type=object_type, object_id=object_id, label=title
    )
    return request


def _locked(request_id):
    request = ApprovalRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    return request


def _known_to(actor, request):
    """Whether ``actor`` may know of the request: its initiator, an approver of any level, a CC,
    or someone who may see the record it is about (the record's own access policy, through its
    handler). Anyone else is answered 404, as for the record itself."""
    if actor.pk == request.initiator_id or actor.pk in (request.cc_ids or []):
        return True
    if any(actor.pk in level for level in request.levels):
        return True
    handler = handler_of(request.object_type)
    return bool(handler and handler.visible and handler.visible(actor, request.object_id))


def _locked_known(actor, request_id):
    request = _locked(request_id)
    if not _known_to(actor, request):
        raise NotFound()
    return request


@transaction.atomic
def decide(*, actor, request_id, approve, comment=""):
    """同意 or 驳回 at the current level; only its approvers may, and only while pending. A request
    the caller may not know of is 404."""
    request = _locked_known(actor, request_id)
    if request.status != Status.PENDING:
        raise BusinessError(codes.ALREADY_DECIDED, _("该审批已被处理"))
    if actor.pk not in request.approvers():
        # An approver of a level already passed was beaten to it; anyone else (a stranger, or an
        # approver of a later level while an earlier one is open) is not an approver here.
        if any(actor.pk in level for level in request.levels[: request.current_level - 1]):
            raise BusinessError(codes.ALREADY_DECIDED, _("该审批节点已被其他审批人处理"))
        raise BusinessError(codes.NOT_APPROVER, _("您不是当前节点的审批人"), status=403)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed({"comment": [_("请填写驳回原因")]}, message=_("请填写驳回原因"))
    level = request.current_level
    ApprovalAction.objects.create(
        request=request,
        level=level,
        actor=actor,
        decision=Decision.APPROVE if approve else Decision.REJECT,
        comment=(comment or "")[:500],
    )
    handler = handler_of(request.object_type)
    if not approve:
        request.status, request.finished_at = Status.REJECTED, clock.now()
        request.save()
        handler.on_rejected(request, actor)
    elif request.current_level < len(request.levels):
        request.current_level += 1
        request.save()
    else:
        request.status, request.finished_at = Status.APPROVED, clock.now()
        request.save()
        handler.on_approved(request, actor)
    timeline.record(
        actor=actor,
        verb=verbs.APPROVAL_APPROVED if approve else verbs.APPROVAL_REJECTED,
        object_type=request.object_type,
        object_id=request.object_id,
        label=request.title,
        reason=comment or "",
        data={"level": level},
    )
    return request


@transaction.atomic
def withdraw(*, actor, request_id):
    """撤回: the initiator takes a pending request back (404 for a request the caller may not
    know of)."""
    request = _locked_known(actor, request_id)
    if request.initiator_id != actor.pk:
        raise BusinessError(codes.PERMISSION_DENIED, _("只有发起人可以撤回"), status=403)
    if request.status != Status.PENDING:
        raise BusinessError(codes.ALREADY_DECIDED, _("该审批已结束，不能撤回"))
    ApprovalAction.objects.create(
        request=request, level=request.current_level, actor=actor, decision=Decision.WITHDRAW
    )
    request.status, request.finished_at = Status.WITHDRAWN, clock.now()
    request.save()
    handler_of(request.object_type).on_withdrawn(request, actor)
    return request


def pending_for(employee):
    """The approval to-do list: pending requests whose current level names ``employee``.

    Levels are short JSON lists, so the filter runs in Python over the pending requests only.
    """
    pending = (
        ApprovalRequest.objects.filter(status=Status.PENDING)
        .select_related("initiator")
        .order_by("-created_at")
    )
    return [r for r in pending if employee.pk in r.approvers()]


def history_of(object_type, object_id):
    return list(
        ApprovalRequest.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("initiator")
        .prefetch_related("actions__actor")
        .order_by("-created_at")
    )
