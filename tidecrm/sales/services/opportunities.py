"""Opportunity writes (SPEC OPP-01..14): create on a customer the caller works on, edit,
win, lose, reopen and soft-delete following the OPP-09 state machine exactly
(``invalid_transition`` otherwise), with an immutable stage history; every change recomputes
the customer's ``deal_status`` and ``has_won`` (CUST-09). Opportunity follow-ups (OPP-13).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.customers import services as customer_services
from tidecrm.customers import verbs as customer_verbs

from .. import verbs
from ..access import access_opportunity
from ..models import ZERO, Contract, Opportunity, OpportunityStage, StageHistory
from ._common import CStatus, Status, _customer_for_work, money
from .products import _lines, _replace_lines
from .stages import stages, won_stage


def _history_enter(opportunity, stage, actor, now):
    StageHistory.objects.filter(opportunity=opportunity, left_at__isnull=True).update(
        left_at=now, left_by=actor
    )
    StageHistory.objects.create(
        opportunity=opportunity, stage=stage, stage_name=stage.name, entered_at=now, entered_by=actor
    )


def _refresh_deal(customer_id):
    customer_services.refresh_deal_status([customer_id])


def _clean_opportunity(values):
    cleaned, errors = {}, {}
    if "name" in values:
        cleaned["name"] = (values.get("name") or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 100:
            errors["name"] = [_("请填写商机名称（不超过100个字）")]
    if "amount" in values:
        try:
            cleaned["amount"] = money(values["amount"], allow_zero=True)
        except ValidationFailed as error:
            errors.update(error.fields)
    if "note" in values:
        cleaned["note"] = (values.get("note") or "").strip()
        if len(cleaned["note"]) > 150:
            errors["note"] = [_("备注不能超过150个字")]
    if "expected_close_date" in values:
        cleaned["expected_close_date"] = values["expected_close_date"]
    if "stage_id" in values and values["stage_id"] is not None:
        if not OpportunityStage.objects.filter(pk=values["stage_id"]).exists():
            errors["stage_id"] = [_("请选择商机阶段")]
        cleaned["stage_id"] = values["stage_id"]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def opportunity_create(
    *, actor, customer_id, name, amount=0, stage_id=None, expected_close_date=None, note="", product_lines=()
):
    """新建商机 (OPP-03): on a customer the caller works on; follower = the customer's owner;
    status 未成交; amount = Σ lines when lines are given."""
    check(actor, "opportunity.create")
    cleaned = _clean_opportunity(
        {
            "name": name,
            "amount": amount,
            "note": note,
            "expected_close_date": expected_close_date,
            "stage_id": stage_id,
        }
    )
    lines = _lines(product_lines)
    with transaction.atomic():
        customer = _customer_for_work(actor, customer_id)
        stage_id = cleaned.pop("stage_id", None) or stages()[0].pk
        if lines:
            cleaned["amount"] = sum((line["subtotal"] for line in lines), ZERO)
        opportunity = Opportunity.objects.create(
            customer=customer, owner=customer.owner, stage_id=stage_id, created_by=actor, **cleaned
        )
        _replace_lines("opportunity", opportunity, lines)
        _history_enter(opportunity, opportunity.stage, actor, opportunity.created_at)
        timeline.record(actor=actor, verb=verbs.OPPORTUNITY_CREATED, obj=opportunity)
        timeline.record(
            actor=actor,
            verb=customer_verbs.CUSTOMER_OPPORTUNITY,
            obj=customer,
            data={"opportunity": opportunity.name, "action": "created"},
        )
        _refresh_deal(customer.pk)
    return opportunity


def _require_open(opportunity, action):
    if opportunity.status != Status.OPEN:
        raise BusinessError(
            codes.INVALID_TRANSITION,
            _("“%(status)s”的商机不能%(action)s，请先取消%(status)s")
            % {"status": opportunity.get_status_display(), "action": action},
        )


def opportunity_update(*, actor, opportunity_id, product_lines=None, **values):
    """Edit an open opportunity (won/lost ones are cancelled first, OPP-09); a stage change is
    written to the stage history."""
    check(actor, "opportunity.create")
    cleaned = _clean_opportunity(
        {k: v for k, v in values.items() if v is not None or k == "expected_close_date"}
    )
    lines = _lines(product_lines) if product_lines is not None else None
    with transaction.atomic():
        opportunity = access_opportunity(actor, opportunity_id, "change", lock=True)
        _require_open(opportunity, _("修改"))
        now = clock.now()
        if lines is not None:
            _replace_lines("opportunity", opportunity, lines)
            if lines:
                cleaned["amount"] = sum((line["subtotal"] for line in lines), ZERO)
        changes = timeline.diff(opportunity, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(opportunity, field, value)
        opportunity.updated_at = now
        opportunity.save()
        if "stage_id" in changes:
            opportunity.refresh_from_db(fields=["stage"])
            _history_enter(opportunity, opportunity.stage, actor, now)
        if changes:
            timeline.record(actor=actor, verb=verbs.OPPORTUNITY_UPDATED, obj=opportunity, changes=changes)
    return opportunity


def _close(actor, opportunity_id, status, *, reason=""):
    with transaction.atomic():
        opportunity = access_opportunity(actor, opportunity_id, "change", lock=True)
        label = _("赢单") if status == Status.WON else _("输单")
        if opportunity.status != Status.OPEN:
            raise BusinessError(
                codes.INVALID_TRANSITION,
                _("只有未成交的商机可以%(action)s") % {"action": label},
            )
        now = clock.now()
        opportunity.status, opportunity.closed_on, opportunity.closed_by = status, clock.today(), actor
        opportunity.updated_at = now
        if status == Status.WON:
            last = won_stage()
            if opportunity.stage_id != last.pk:
                opportunity.stage = last
                _history_enter(opportunity, last, actor, now)
        else:
            opportunity.lose_reason = (reason or "")[:200]
        opportunity.save()
        timeline.record(actor=actor, verb=f"opportunity.{status}", obj=opportunity, reason=reason or "")
        _refresh_deal(opportunity.customer_id)
    return opportunity


def opportunity_win(*, actor, opportunity_id):
    """赢单 (OPP-05): 未成交 → 赢单, stage becomes the last; close date today, closer = caller."""
    check(actor, "opportunity.create")
    return _close(actor, opportunity_id, Status.WON)


def opportunity_lose(*, actor, opportunity_id, reason=""):
    """输单 (OPP-07): 未成交 → 输单, stage kept."""
    check(actor, "opportunity.create")
    return _close(actor, opportunity_id, Status.LOST, reason=reason)


def opportunity_reopen(*, actor, opportunity_id):
    """取消赢单 / 取消输单 (OPP-06/08): back to 未成交, stage kept, close date and closer cleared."""
    check(actor, "opportunity.create")
    with transaction.atomic():
        opportunity = access_opportunity(actor, opportunity_id, "change", lock=True)
        if opportunity.status == Status.OPEN:
            raise BusinessError(codes.INVALID_TRANSITION, _("未成交的商机无需取消"))
        before = opportunity.status
        opportunity.status, opportunity.closed_on, opportunity.closed_by = Status.OPEN, None, None
        opportunity.lose_reason, opportunity.updated_at = "", clock.now()
        opportunity.save()
        timeline.record(
            actor=actor,
            verb=verbs.OPPORTUNITY_REOPENED,
            obj=opportunity,
            changes={"status": [before, "open"]},
        )
        _refresh_deal(opportunity.customer_id)
    return opportunity


def opportunity_delete(*, actor, opportunity_id):
    """删除 (OPP-10): soft delete, blocked while a (non-void) contract is linked."""
    check(actor, "opportunity.delete")
    with transaction.atomic():
        opportunity = access_opportunity(actor, opportunity_id, "change", lock=True)
        if Contract.objects.filter(opportunity=opportunity).exclude(status=CStatus.VOID).exists():
            raise BusinessError(codes.OPPORTUNITY_HAS_CONTRACT, _("该商机已关联合同，不能删除"))
        opportunity.deleted_at = opportunity.updated_at = clock.now()
        opportunity.save(update_fields=["deleted_at", "updated_at"])
        StageHistory.objects.filter(opportunity=opportunity, left_at__isnull=True).update(
            left_at=opportunity.deleted_at, left_by=actor
        )
        timeline.record(actor=actor, verb=verbs.OPPORTUNITY_DELETED, obj=opportunity)
        _refresh_deal(opportunity.customer_id)


def opportunity_followup_add(*, actor, opportunity_id, content, method="call", next_followup_at=None):
    """商机跟进 (OPP-13): a follow-up on the customer that names the opportunity (FUP-02)."""
    with transaction.atomic():
        opportunity = access_opportunity(actor, opportunity_id, "view", lock=True)
        followup = customer_services.customer_followup_add(
            actor=actor,
            customer_id=opportunity.customer_id,
            content=content,
            method=method,
            next_followup_at=next_followup_at,
        )
        followup.opportunity_pk = opportunity.pk
        followup.save(update_fields=["opportunity_pk"])
    return followup
