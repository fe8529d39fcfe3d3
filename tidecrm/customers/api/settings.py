"""Customer settings API (API.md "Settings"): customer libraries, pool rules, duplicate rules,
customer stages, tag groups and tags, and the enterprise's customer settings (CUST-10, CUST-11,
CUST-13..15, CUST-21, POOL-12, POOL-13)."""

from ninja import Status

from tidecrm.core.api import Id
from tidecrm.core.permissions import check

from .. import config
from ._common import ERRORS, Router, _library
from .schemas import (
    CustomerSettingsIO,
    DuplicateRulesIO,
    LibraryIn,
    LibraryOut,
    LibraryPatch,
    PoolRulesIO,
    StageIn,
    StageOut,
    StagePatch,
    TagGroupIn,
    TagGroupOut,
    TagGroupPatch,
    TagIn,
    TagOut,
)

router = Router(tags=["customer settings"])


def library_out(library):
    return {
        "id": library.pk,
        "name": library.name,
        "is_default": library.is_default,
        "department_ids": getattr(library, "department_ids", []),
        "customer_count": getattr(library, "customer_count", 0),
        "duplicate_fields": library.duplicate_fields,
        "duplicate_match": library.duplicate_match,
        "daily_claim_limit": library.daily_claim_limit,
        "reclaim_cooldown_days": library.reclaim_cooldown_days,
    }


def _group_out(group):
    return {
        "id": group.pk,
        "name": group.name,
        "color": group.color,
        "multiple": group.multiple,
        "tags": [{"id": t.pk, "name": t.name} for t in group.tag_list],
    }


@router.get("/customer-libraries", response={200: list[LibraryOut], **ERRORS})
def library_list(request):
    """Customer libraries (the default one first), each with its departments and customer count:
    for ``customer.settings``, and for pool managers (``customer.assign``), who name libraries
    when they file customers into a pool."""
    if not request.employee.has_permission("customer.assign"):
        check(request.employee, "customer.settings")
    return [library_out(library) for library in config.libraries()]


@router.post("/customer-libraries", response={201: LibraryOut, **ERRORS})
def library_create(request, payload: LibraryIn):
    library = config.library_create(actor=request.employee, **payload.dict())
    return Status(201, library_out(next(x for x in config.libraries() if x.pk == library.pk)))


@router.patch("/customer-libraries/{int:library_id}", response={200: LibraryOut, **ERRORS})
def library_update(request, library_id: int, payload: LibraryPatch):
    config.library_update(actor=request.employee, library_id=library_id, **payload.dict(exclude_unset=True))
    return library_out(next(x for x in config.libraries() if x.pk == library_id))


@router.delete("/customer-libraries/{int:library_id}", response={204: None, **ERRORS})
def library_delete(request, library_id: int):
    """409 ``default_library`` for the default one, ``library_not_empty`` while it holds customers."""
    config.library_delete(actor=request.employee, library_id=library_id)
    return Status(204, None)


@router.get("/settings/pool-rules", response={200: PoolRulesIO, **ERRORS})
def pool_rules_get(request, library_id: Id | None = None):
    check(request.employee, "customer.settings")
    library = _library(library_id)
    return {
        "daily_claim_limit": library.daily_claim_limit,
        "reclaim_cooldown_days": library.reclaim_cooldown_days,
    }


@router.put("/settings/pool-rules", response={200: PoolRulesIO, **ERRORS})
def pool_rules_put(request, payload: PoolRulesIO, library_id: Id | None = None):
    """Daily claim limit (POOL-13) and re-claim cooldown days (POOL-12) of a library's pool; null = off."""
    library = _library(library_id)
    library = config.library_update(actor=request.employee, library_id=library.pk, **payload.dict())
    return {
        "daily_claim_limit": library.daily_claim_limit,
        "reclaim_cooldown_days": library.reclaim_cooldown_days,
    }


@router.get("/settings/duplicate-rules", response={200: DuplicateRulesIO, **ERRORS})
def duplicate_rules_get(request, library_id: Id | None = None):
    check(request.employee, "customer.settings")
    library = _library(library_id)
    return {"fields": library.duplicate_fields, "match": library.duplicate_match}


@router.put("/settings/duplicate-rules", response={200: DuplicateRulesIO, **ERRORS})
def duplicate_rules_put(request, payload: DuplicateRulesIO, library_id: Id | None = None):
    """``fields`` ⊆ customer_name, contact_name, contact_mobile; ``match`` any or all."""
    library = _library(library_id)
    library = config.library_update(
        actor=request.employee,
        library_id=library.pk,
        duplicate_fields=payload.fields,
        duplicate_match=payload.match,
    )
    return {"fields": library.duplicate_fields, "match": library.duplicate_match}


@router.get("/settings/customer-stages", response={200: list[StageOut], **ERRORS})
def stage_list(request):
    return [
        {"id": s.pk, "name": s.name, "position": s.position, "is_terminal": s.is_terminal}
        for s in config.stages()
    ]


@router.post("/settings/customer-stages", response={201: StageOut, **ERRORS})
def stage_create(request, payload: StageIn):
    """Add a stage before the terminal 已签约 (at most 10 → 409 ``stage_limit_reached``)."""
    stage = config.stage_create(actor=request.employee, name=payload.name)
    return Status(201, {"id": stage.pk, "name": stage.name, "position": stage.position, "is_terminal": False})


@router.patch("/settings/customer-stages/{int:stage_id}", response={200: StageOut, **ERRORS})
def stage_update(request, stage_id: int, payload: StagePatch):
    """Rename or move; the terminal stage answers 409 ``terminal_stage``."""
    stage = config.stage_update(actor=request.employee, stage_id=stage_id, **payload.dict(exclude_unset=True))
    return {"id": stage.pk, "name": stage.name, "position": stage.position, "is_terminal": stage.is_terminal}


@router.delete("/settings/customer-stages/{int:stage_id}", response={204: None, **ERRORS})
def stage_delete(request, stage_id: int, move_to_id: Id | None = None):
    """Delete; its customers move to ``move_to_id`` (409 ``stage_in_use`` without one)."""
    config.stage_delete(actor=request.employee, stage_id=stage_id, move_to_id=move_to_id)
    return Status(204, None)


@router.get("/settings/tag-groups", response={200: list[TagGroupOut], **ERRORS})
def tag_group_list(request):
    return [_group_out(g) for g in config.tag_groups()]


@router.post("/settings/tag-groups", response={201: TagGroupOut, **ERRORS})
def tag_group_create(request, payload: TagGroupIn):
    group = config.tag_group_create(actor=request.employee, **payload.dict())
    return Status(201, _group_out(next(g for g in config.tag_groups() if g.pk == group.pk)))


@router.patch("/settings/tag-groups/{int:group_id}", response={200: TagGroupOut, **ERRORS})
def tag_group_update(request, group_id: int, payload: TagGroupPatch):
    config.tag_group_update(actor=request.employee, group_id=group_id, **payload.dict(exclude_unset=True))
    return _group_out(next(g for g in config.tag_groups() if g.pk == group_id))


@router.delete("/settings/tag-groups/{int:group_id}", response={204: None, **ERRORS})
def tag_group_delete(request, group_id: int):
    config.tag_group_delete(actor=request.employee, group_id=group_id)
    return Status(204, None)


@router.post("/settings/tag-groups/{int:group_id}/tags", response={201: TagOut, **ERRORS})
def tag_create(request, group_id: int, payload: TagIn):
    tag = config.tag_create(actor=request.employee, group_id=group_id, name=payload.name)
    return Status(201, {"id": tag.pk, "name": tag.name})


@router.delete("/settings/tags/{int:tag_id}", response={204: None, **ERRORS})
def tag_delete(request, tag_id: int):
    config.tag_delete(actor=request.employee, tag_id=tag_id)
    return Status(204, None)


@router.get("/settings/customers", response={200: CustomerSettingsIO, **ERRORS})
def customer_settings_get(request):
    check(request.employee, "customer.settings")
    settings = config.customer_settings()
    return {
        "cross_library_duplicates": settings.cross_library_duplicates,
        "masked_employee_ids": settings.masked_employee_ids,
        "forbid_delete": settings.forbid_delete,
    }


@router.put("/settings/customers", response={200: CustomerSettingsIO, **ERRORS})
def customer_settings_put(request, payload: CustomerSettingsIO):
    """允许跨客户库重复, 资料保护 (employees who see contacts masked, CUST-15), 禁止删除客户."""
    config.settings_update(actor=request.employee, **payload.dict())
    return customer_settings_get(request)
