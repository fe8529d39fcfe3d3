"""Sales API: the opportunity stages and their win probabilities (OPP-04)."""

from ninja import Status

from tidecrm.core.api import Id

from .. import services
from ._common import ERRORS, Router
from .schemas import StageIn, StageOut, StagePatch

router = Router()


def _stage_out(stage):
    return {
        "id": stage.pk,
        "name": stage.name,
        "position": stage.position,
        "win_probability": stage.win_probability,
    }


@router.get("/opportunity-stages", response={200: list[StageOut], **ERRORS})
def stage_list(request):
    """Ordered stages with ``win_probability``; the last one is the won stage."""
    return [_stage_out(s) for s in services.stages()]


@router.post("/opportunity-stages", response={201: StageOut, **ERRORS})
def stage_create(request, payload: StageIn):
    """Add a stage before the won stage (at most 20 → 409 ``stage_limit_reached``)."""
    return Status(201, _stage_out(services.stage_create(actor=request.employee, **payload.dict())))


@router.patch("/opportunity-stages/{int:opportunity_stage_id}", response={200: StageOut, **ERRORS})
def stage_update(request, opportunity_stage_id: int, payload: StagePatch):
    return _stage_out(
        services.stage_update(
            actor=request.employee, stage_id=opportunity_stage_id, **payload.dict(exclude_unset=True)
        )
    )


@router.delete("/opportunity-stages/{int:opportunity_stage_id}", response={204: None, **ERRORS})
def stage_delete(request, opportunity_stage_id: int, move_to_id: Id | None = None):
    """409 ``last_stage`` for the won stage; ``stage_in_use`` without ``move_to_id``."""
    services.stage_delete(actor=request.employee, stage_id=opportunity_stage_id, move_to_id=move_to_id)
    return Status(204, None)
