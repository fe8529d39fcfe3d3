"""Customer API: follow-ups on a customer (with attachments), the customer journey (客户旅程) and
联系记录, every follow-up the caller may see (FUP-01, FUP-03..05)."""

from datetime import datetime

from django.urls import reverse
from ninja import File, Form, Query, Status, UploadedFile

from tidecrm.core.api import Id, PageOut
from tidecrm.core.pagination import paginate

from .. import selectors, services
from ..access import access_customer
from ..models import Followup
from ._common import ERRORS, Router
from .schemas import FollowupIn, FollowupOut, FollowupQuery, TimelineItemOut

router = Router()


def followup_out(followup):
    return {
        "id": followup.pk,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "size": a.size,
                "content_type": a.content_type,
                "url": reverse("followup_attachment", args=[a.pk]),
            }
            for a in followup.attachments.all()
        ],
        "customer_id": followup.customer_id,
        "customer_name": followup.customer.name if followup.customer_id else None,
        "contact_id": followup.contact_id,
        "content": followup.content,
        "method": followup.method,
        "next_followup_at": followup.next_followup_at,
        "created_by_id": followup.created_by_id,
        "created_by_name": followup.created_by.name if followup.created_by_id else None,
        "created_at": followup.created_at,
    }


@router.get("/customers/{int:customer_id}/followups", response={200: list[FollowupOut], **ERRORS})
def followup_list(request, customer_id: int):
    customer = access_customer(request.employee, customer_id, "read")
    return [followup_out(f) for f in selectors.followups_of(customer).select_related("customer")[:200]]


@router.post("/customers/{int:customer_id}/followups", response={201: FollowupOut, **ERRORS})
def followup_create(request, customer_id: int, payload: FollowupIn):
    """添加跟进; updates ``last_followup_at`` (owner, managers in scope, collaborators)."""
    followup = services.customer_followup_add(
        actor=request.employee, customer_id=customer_id, **payload.dict()
    )
    return Status(201, followup_out(followup))


@router.post("/customers/{int:customer_id}/followups/upload", response={201: FollowupOut, **ERRORS})
def followup_upload(
    request,
    customer_id: int,
    content: Form[str] = "",
    method: Form[str] = Followup.Method.CALL,
    contact_id: Form[Id | None] = None,
    files: File[list[UploadedFile]] = None,
):
    """添加跟进 with attachments (multipart ``files``: images, PDF, Word/Excel/PPT, recordings;
    ≤ 9 files of ≤ 10 MB, checked by content → 422 ``invalid_file``)."""
    followup = services.customer_followup_add(
        actor=request.employee,
        customer_id=customer_id,
        content=content,
        method=method,
        contact_id=contact_id,
        files=[(f.name, f.read()) for f in (files or [])[:10]],
    )
    return Status(201, followup_out(followup))


@router.get("/customers/{int:customer_id}/timeline", response={200: list[TimelineItemOut], **ERRORS})
def customer_timeline(request, customer_id: int):
    """客户旅程: follow-ups, changes (old → new), contact events and ownership moves, newest first."""
    customer = access_customer(request.employee, customer_id, "read")
    items = selectors.journey(customer, limit=100)
    return [
        {"kind": item["kind"], "at": item["at"], "actor": item["actor"], "detail": _plain_detail(item)}
        for item in items
    ]


def _plain_detail(item):
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in item.items()
        if k not in ("kind", "at", "actor")
    }


@router.get("/followups", response={200: PageOut[FollowupOut], **ERRORS})
def followups_all(request, filters: Query[FollowupQuery]):
    """联系记录 (FUP-05): every follow-up on customers the caller may see, newest first."""
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    return paginate(
        selectors.followup_list(actor=request.employee, **data), page=page, page_size=page_size
    ).as_dict(followup_out)
