"""Open API: holding-limit settings (API.md "Settings")."""

from ninja import Router, Schema

from tidecrm.core.api import ErrorOut, Id

from . import holding

router = Router(tags=["settings"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class RuleIO(Schema):
    name: str
    limit: int | None = None
    employee_ids: list[Id] = []
    department_ids: list[Id] = []


class ObjectLimitsIO(Schema):
    default_limit: int | None = None
    rules: list[RuleIO] = []


class HoldingLimitsIO(Schema):
    lead: ObjectLimitsIO = ObjectLimitsIO()
    customer: ObjectLimitsIO = ObjectLimitsIO()


@router.get("/settings/holding-limits", response={200: HoldingLimitsIO, **ERRORS})
def holding_limits(request):
    return holding.settings_get(actor=request.employee)


@router.put("/settings/holding-limits", response={200: HoldingLimitsIO, **ERRORS})
def holding_limits_update(request, payload: HoldingLimitsIO):
    """Replace the rules; ``null`` limit = unlimited; at most 5 rules per object besides the default."""
    return holding.settings_put(actor=request.employee, data=payload.dict())
