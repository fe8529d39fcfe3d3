"""Sales API: 审批待办 -- the approvals waiting for the caller, approve and reject (CON-03,
OFF-08)."""

from tidecrm.office import approvals

from ._common import ERRORS, Router
from .schemas import ApprovalOut, DecisionIn

router = Router()


def _approval_out(request):
    return {
        "id": request.pk,
        "object_type": request.object_type,
        "object_id": request.object_id,
        "title": request.title,
        "initiator_id": request.initiator_id,
        "current_level": request.current_level,
        "levels": request.levels,
        "status": request.status,
        "created_at": request.created_at,
    }


@router.get("/approvals", response={200: list[ApprovalOut], **ERRORS})
def approval_todo(request):
    """审批待办: pending approvals whose current level names the caller."""
    return [_approval_out(r) for r in approvals.pending_for(request.employee)]


@router.post("/approvals/{int:approval_id}/approve", response={200: ApprovalOut, **ERRORS})
def approval_approve(request, approval_id: int, payload: DecisionIn):
    """Or-sign: one approver decides for the level; 403 ``not_approver``, 409 ``already_decided``."""
    return _approval_out(
        approvals.decide(
            actor=request.employee, request_id=approval_id, approve=True, comment=payload.comment
        )
    )


@router.post("/approvals/{int:approval_id}/reject", response={200: ApprovalOut, **ERRORS})
def approval_reject(request, approval_id: int, payload: DecisionIn):
    return _approval_out(
        approvals.decide(
            actor=request.employee, request_id=approval_id, approve=False, comment=payload.comment
        )
    )
