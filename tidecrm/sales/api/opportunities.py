"""Sales API: opportunities -- list, create, edit, delete, win / lose / reopen, the stage
history and follow-ups on an opportunity (OPP-01..03, OPP-05..13, FUP-02)."""

from ninja import Query, Status

from tidecrm.core.api import PageOut
from tidecrm.core.pagination import paginate

from .. import selectors, services
from ..access import access_opportunity
from ._common import ERRORS, Router, _line_dicts, _lines
from .schemas import (
    FollowupIn,
    LoseIn,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OpportunityQuery,
    StageHistoryOut,
)

router = Router()


def opportunity_out(opportunity, *, lines=True):
    return {
        "id": opportunity.pk,
        "name": opportunity.name,
        "customer_id": opportunity.customer_id,
        "customer_name": opportunity.customer.name,
        "owner_id": opportunity.owner_id,
        "owner_name": opportunity.owner.name if opportunity.owner_id else None,
        "stage_id": opportunity.stage_id,
        "stage_name": opportunity.stage.name,
        "win_probability": opportunity.stage.win_probability,
        "amount": str(opportunity.amount),
        "status": opportunity.status,
        "expected_close_date": opportunity.expected_close_date,
        "closed_at": opportunity.closed_on,
        "closed_by_id": opportunity.closed_by_id,
        "note": opportunity.note,
        "lose_reason": opportunity.lose_reason,
        "created_at": opportunity.created_at,
        "product_lines": _lines(opportunity=opportunity) if lines else [],
    }


@router.get("/opportunities", response={200: PageOut[OpportunityOut], **ERRORS})
def opportunity_list(request, filters: Query[OpportunityQuery]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    result = paginate(
        selectors.opportunity_list(actor=request.employee, **data), page=page, page_size=page_size
    )
    return result.as_dict(lambda o: opportunity_out(o, lines=False))


@router.post("/opportunities", response={201: OpportunityOut, **ERRORS})
def opportunity_create(request, payload: OpportunityIn):
    """Create on a customer the caller works on; owner = the customer's owner; status ``open``."""
    data = payload.dict()
    data["product_lines"] = _line_dicts(payload.product_lines)
    opportunity = services.opportunity_create(actor=request.employee, **data)
    return Status(201, opportunity_out(access_opportunity(request.employee, opportunity.pk)))


@router.get("/opportunities/{int:opportunity_id}", response={200: OpportunityOut, **ERRORS})
def opportunity_detail(request, opportunity_id: int):
    return opportunity_out(access_opportunity(request.employee, opportunity_id))


@router.patch("/opportunities/{int:opportunity_id}", response={200: OpportunityOut, **ERRORS})
def opportunity_update(request, opportunity_id: int, payload: OpportunityPatch):
    """Edit an open opportunity (409 ``invalid_transition`` when won or lost)."""
    data = payload.dict(exclude_unset=True)
    if "product_lines" in data:
        data["product_lines"] = _line_dicts(payload.product_lines)
    services.opportunity_update(actor=request.employee, opportunity_id=opportunity_id, **data)
    return opportunity_out(access_opportunity(request.employee, opportunity_id))


@router.delete("/opportunities/{int:opportunity_id}", response={204: None, **ERRORS})
def opportunity_delete(request, opportunity_id: int):
    """Soft delete (409 ``opportunity_has_contract`` while a contract is linked)."""
    services.opportunity_delete(actor=request.employee, opportunity_id=opportunity_id)
    return Status(204, None)


@router.post("/opportunities/{int:opportunity_id}/win", response={200: OpportunityOut, **ERRORS})
def opportunity_win(request, opportunity_id: int):
    """open → won, stage becomes the last; anything else 409 ``invalid_transition``."""
    services.opportunity_win(actor=request.employee, opportunity_id=opportunity_id)
    return opportunity_out(access_opportunity(request.employee, opportunity_id))


@router.post("/opportunities/{int:opportunity_id}/lose", response={200: OpportunityOut, **ERRORS})
def opportunity_lose(request, opportunity_id: int, payload: LoseIn):
    """open → lost, stage kept."""
    services.opportunity_lose(actor=request.employee, opportunity_id=opportunity_id, reason=payload.reason)
    return opportunity_out(access_opportunity(request.employee, opportunity_id))


@router.post("/opportunities/{int:opportunity_id}/reopen", response={200: OpportunityOut, **ERRORS})
def opportunity_reopen(request, opportunity_id: int):
    """won or lost → open, stage kept."""
    services.opportunity_reopen(actor=request.employee, opportunity_id=opportunity_id)
    return opportunity_out(access_opportunity(request.employee, opportunity_id))


@router.get(
    "/opportunities/{int:opportunity_id}/stage-history", response={200: list[StageHistoryOut], **ERRORS}
)
def opportunity_history(request, opportunity_id: int):
    """The immutable stage history: entered, left, by whom."""
    opportunity = access_opportunity(request.employee, opportunity_id)
    return [
        {
            "stage_id": h.stage_id,
            "stage_name": h.stage_name,
            "entered_at": h.entered_at,
            "entered_by_id": h.entered_by_id,
            "left_at": h.left_at,
            "left_by_id": h.left_by_id,
        }
        for h in selectors.history_of(opportunity)
    ]


@router.post("/opportunities/{int:opportunity_id}/followups", response={201: dict, **ERRORS})
def opportunity_followup(request, opportunity_id: int, payload: FollowupIn):
    """商机跟进: recorded on the customer's journey too (FUP-02)."""
    followup = services.opportunity_followup_add(
        actor=request.employee, opportunity_id=opportunity_id, **payload.dict()
    )
    return Status(
        201, {"id": followup.pk, "customer_id": followup.customer_id, "opportunity_id": opportunity_id}
    )
