"""Contract writes (SPEC CON-01..04): contracts numbered per enterprise, one per
opportunity, edited while draft or rejected, submitted through the approval component
(office.approvals, registered here as ``"contract"``) when the enterprise configured approvers,
withdrawn or voided; an effective contract moves its customer to the terminal progress stage.
Contract follow-ups (CON-04).
"""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import clock, codes, timeline
from tidecrm.core.access import restrict
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.customers import services as customer_services
from tidecrm.customers import verbs as customer_verbs
from tidecrm.customers.models import Customer, Stage
from tidecrm.office import approvals

from .. import verbs
from ..access import access_contract
from ..models import ZERO, Contract, Opportunity, PaymentPlan
from ._common import CStatus, _customer_for_work, _next_number, money, sales_settings
from .products import _lines, _replace_lines


def _clean_contract(values):
    cleaned, errors = {}, {}
    if "title" in values:
        cleaned["title"] = (values.get("title") or "").strip()
        if not cleaned["title"] or len(cleaned["title"]) > 100:
            errors["title"] = [_("请填写合同名称（不超过100个字）")]
    if "amount" in values:
        try:
            cleaned["amount"] = money(values["amount"])
        except ValidationFailed as error:
            errors.update(error.fields)
    for field in ("signed_on", "start_on", "end_on"):
        if field in values:
            cleaned[field] = values[field]
    if cleaned.get("start_on") and cleaned.get("end_on") and cleaned["end_on"] < cleaned["start_on"]:
        errors["end_on"] = [_("结束日期不能早于开始日期")]
    if "remark" in values:
        cleaned["remark"] = (values.get("remark") or "").strip()[:500]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def contract_create(
    *,
    actor,
    customer_id,
    title,
    amount,
    opportunity_id=None,
    signed_on=None,
    start_on=None,
    end_on=None,
    remark="",
    product_lines=(),
):
    """新建合同 (CON-02): a draft numbered <prefix><date><seq>; one per opportunity
    (``opportunity_has_contract``); submit it for approval (or effect) with contract_submit."""
    check(actor, "contract.create")
    cleaned = _clean_contract(
        {
            "title": title,
            "amount": amount,
            "signed_on": signed_on,
            "start_on": start_on,
            "end_on": end_on,
            "remark": remark,
        }
    )
    lines = _lines(product_lines)
    with transaction.atomic():
        customer = _customer_for_work(actor, customer_id)
        opportunity = None
        if opportunity_id:
            opportunity = (
                Opportunity.objects.select_for_update()
                .filter(pk=opportunity_id, deleted_at__isnull=True)
                .first()
            )
            if opportunity is None or opportunity.customer_id != customer.pk:
                raise ValidationFailed({"opportunity_id": [_("商机不属于该客户")]})
            if Contract.objects.filter(opportunity=opportunity).exclude(status=CStatus.VOID).exists():
                raise BusinessError(codes.OPPORTUNITY_HAS_CONTRACT, _("该商机已关联合同"))
        settings = sales_settings()
        try:
            with transaction.atomic():
                contract = Contract.objects.create(
                    number=_next_number("contract", settings.number_prefix),
                    customer=customer,
                    opportunity=opportunity,
                    owner=customer.owner,
                    created_by=actor,
                    **cleaned,
                )
        except IntegrityError:
            raise BusinessError(codes.OPPORTUNITY_HAS_CONTRACT, _("该商机已关联合同")) from None
        _replace_lines("contract", contract, lines)
        timeline.record(actor=actor, verb=verbs.CONTRACT_CREATED, obj=contract)
        timeline.record(
            actor=actor,
            verb=customer_verbs.CUSTOMER_CONTRACT,
            obj=customer,
            data={"contract": contract.number},
        )
    return contract


def _require_contract(contract, *statuses, action):
    if contract.status not in statuses:
        raise BusinessError(
            codes.INVALID_TRANSITION,
            _("“%(status)s”的合同不能%(action)s")
            % {"status": contract.get_status_display(), "action": action},
        )


def contract_update(*, actor, contract_id, product_lines=None, **values):
    """Edit a draft or rejected contract (approved ones are voided and re-created)."""
    check(actor, "contract.create")
    cleaned = _clean_contract({k: v for k, v in values.items() if v is not None})
    lines = _lines(product_lines) if product_lines is not None else None
    with transaction.atomic():
        contract = access_contract(actor, contract_id, "change", lock=True)
        _require_contract(contract, CStatus.DRAFT, CStatus.REJECTED, action=_("修改"))
        if "amount" in cleaned:
            planned = PaymentPlan.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"] or ZERO
            if planned > cleaned["amount"]:
                raise BusinessError(
                    codes.PLAN_EXCEEDS_AMOUNT,
                    _("回款计划总额不能超过合同金额（已计划 %(planned)s，合同 %(amount)s）")
                    % {"planned": planned, "amount": cleaned["amount"]},
                )
        changes = timeline.diff(contract, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(contract, field, value)
        contract.updated_at = clock.now()
        contract.save()
        if lines is not None:
            _replace_lines("contract", contract, lines)
        if changes:
            timeline.record(actor=actor, verb=verbs.CONTRACT_UPDATED, obj=contract, changes=changes)
    return contract


def _effective(contract, actor):
    """An approved contract takes effect: the customer moves to the terminal progress stage."""
    contract.status, contract.updated_at = CStatus.APPROVED, clock.now()
    contract.save(update_fields=["status", "updated_at"])
    terminal = Stage.objects.filter(is_terminal=True).first()
    customer = Customer.objects.select_for_update().get(pk=contract.customer_id)
    if terminal and customer.stage_id != terminal.pk:
        before = customer.stage.name if customer.stage_id else None
        customer.stage, customer.updated_at = terminal, clock.now()
        customer.save(update_fields=["stage", "updated_at"])
        timeline.record(
            actor=actor,
            verb=customer_verbs.CUSTOMER_STAGE,
            obj=customer,
            changes={str(_("客户进展")): [before, terminal.name]},
            reason=_("合同%(number)s生效") % {"number": contract.number},
        )
    timeline.record(actor=actor, verb=verbs.CONTRACT_APPROVED, obj=contract)


def contract_submit(*, actor, contract_id):
    """提交: draft/rejected → pending_approval when the enterprise has approvers (CON-03),
    otherwise → approved (effective) at once."""
    check(actor, "contract.create")
    with transaction.atomic():
        contract = access_contract(actor, contract_id, "change", lock=True)
        _require_contract(contract, CStatus.DRAFT, CStatus.REJECTED, action=_("提交"))
        settings = sales_settings()
        if settings.approval_enabled and settings.level1_approver_ids:
            approvals.start(
                actor=actor,
                object_type="contract",
                object_id=contract.pk,
                title=f"{contract.number} {contract.title}",
                levels=[settings.level1_approver_ids, settings.level2_approver_ids],
                cc_ids=settings.cc_ids,
            )
            contract.status, contract.updated_at = CStatus.PENDING, clock.now()
            contract.save(update_fields=["status", "updated_at"])
            timeline.record(actor=actor, verb=verbs.CONTRACT_SUBMITTED, obj=contract)
        else:
            _effective(contract, actor)
    return contract


def contract_void(*, actor, contract_id, reason=""):
    """作废: any contract not yet void; a pending approval is withdrawn with it."""
    check(actor, "contract.void")
    with transaction.atomic():
        contract = access_contract(actor, contract_id, "change", lock=True)
        _require_contract(
            contract, CStatus.DRAFT, CStatus.PENDING, CStatus.APPROVED, CStatus.REJECTED, action=_("作废")
        )
        from tidecrm.office.models import ApprovalRequest

        ApprovalRequest.objects.filter(
            object_type="contract", object_id=contract.pk, status=ApprovalRequest.Status.PENDING
        ).update(status=ApprovalRequest.Status.WITHDRAWN, finished_at=clock.now())
        contract.status, contract.updated_at = CStatus.VOID, clock.now()
        contract.save(update_fields=["status", "updated_at"])
        timeline.record(actor=actor, verb=verbs.CONTRACT_VOIDED, obj=contract, reason=reason or "")
    return contract


def _on_approved(request, actor):
    contract = Contract.objects.select_for_update().get(pk=request.object_id)
    if contract.status == CStatus.PENDING:
        _effective(contract, actor)


def _on_rejected(request, actor):
    Contract.objects.filter(pk=request.object_id, status=CStatus.PENDING).update(
        status=CStatus.REJECTED, updated_at=clock.now()
    )
    timeline.record(
        actor=actor,
        verb=verbs.CONTRACT_REJECTED,
        object_type="contract",
        object_id=request.object_id,
        label=request.title,
    )


def _on_withdrawn(request, actor):
    Contract.objects.filter(pk=request.object_id, status=CStatus.PENDING).update(
        status=CStatus.DRAFT, updated_at=clock.now()
    )


approvals.register(
    "contract",
    label=gettext_lazy("合同审批"),  # lazy: registered at import, shown in the reader's language
    on_approved=_on_approved,
    on_rejected=_on_rejected,
    on_withdrawn=_on_withdrawn,
    visible=lambda actor, contract_id: restrict(Contract.objects.filter(pk=contract_id), actor).exists(),
)


def contract_withdraw(*, actor, contract_id):
    """撤回: the initiator takes a pending contract back to draft."""
    from tidecrm.office.models import ApprovalRequest

    with transaction.atomic():
        contract = access_contract(actor, contract_id, "change", lock=True)
        _require_contract(contract, CStatus.PENDING, action=_("撤回"))
        request = ApprovalRequest.objects.filter(
            object_type="contract", object_id=contract.pk, status=ApprovalRequest.Status.PENDING
        ).first()
        if request is None:
            raise NotFound()
        approvals.withdraw(actor=actor, request_id=request.pk)
    return contract


def contract_followup_add(*, actor, contract_id, content, method="call", next_followup_at=None):
    """合同跟进 (CON-04): a follow-up on the customer that names the contract (FUP-02)."""
    with transaction.atomic():
        contract = access_contract(actor, contract_id, "view", lock=True)
        followup = customer_services.customer_followup_add(
            actor=actor,
            customer_id=contract.customer_id,
            content=content,
            method=method,
            next_followup_at=next_followup_at,
        )
        followup.contract_pk = contract.pk
        followup.save(update_fields=["contract_pk"])
    return followup
