"""Customer API: the people on a customer -- collaborators (联合跟进人, employees who share it) and
its contacts (CUST-07, CUST-15, CUST-17)."""

from ninja import Status

from tidecrm.core.api import Id

from .. import selectors, services
from ..access import access_customer
from ..models import Contact
from ._common import ERRORS, Router, _one, customer_out
from .schemas import CollaboratorIn, ContactIn, ContactOut, ContactPatch, CustomerOut

router = Router()


def contact_out(contact, masked):
    return {
        "id": contact.pk,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "gender": contact.gender,
        "title": contact.title,
        "remark": contact.remark,
        "is_primary": contact.is_primary,
        "masked": masked,
        "created_at": contact.created_at,
        **selectors.shown_contact(contact, masked),
    }


@router.post("/customers/{int:customer_id}/collaborators", response={200: CustomerOut, **ERRORS})
def collaborator_add(request, customer_id: int, payload: CollaboratorIn):
    """联合跟进人 with ``read`` or ``write`` access (409 ``collaborator_is_owner``)."""
    services.collaborator_set(actor=request.employee, customer_id=customer_id, **payload.dict())
    return customer_out(_one(request, customer_id))


@router.delete("/customers/{int:customer_id}/collaborators/{int:employee_id}", response={204: None, **ERRORS})
def collaborator_remove(request, customer_id: int, employee_id: int):
    services.collaborator_remove(actor=request.employee, customer_id=customer_id, employee_id=employee_id)
    return Status(204, None)


# ---------------------------------------------------------------- contacts


@router.get("/customers/{int:customer_id}/contacts", response={200: list[ContactOut], **ERRORS})
def contact_list(request, customer_id: int):
    customer = access_customer(request.employee, customer_id, "read")
    masked = selectors.masker(request.employee)(customer)
    return [
        contact_out(c, masked)
        for c in Contact.objects.filter(customer=customer).order_by("-is_primary", "id")
    ]


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **ERRORS})
def contact_create(request, customer_id: int, payload: ContactIn):
    """Add a contact (at most 10 → 409 ``contact_limit_reached``; ``is_primary`` moves the mark)."""
    contact = services.contact_add(actor=request.employee, customer_id=customer_id, **payload.dict())
    return Status(201, contact_out(contact, selectors.masker(request.employee)(contact.customer)))


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS})
def contact_update(request, contact_id: int, payload: ContactPatch):
    contact = services.contact_update(
        actor=request.employee, contact_id=contact_id, **payload.dict(exclude_unset=True)
    )
    return contact_out(contact, selectors.masker(request.employee)(contact.customer))


@router.delete("/contacts/{int:contact_id}", response={204: None, **ERRORS})
def contact_delete(request, contact_id: int, new_primary_id: Id | None = None):
    """Delete a contact; the primary needs ``new_primary_id`` (409 ``primary_contact_required``),
    the last one stays (409 ``last_contact``)."""
    services.contact_delete(actor=request.employee, contact_id=contact_id, new_primary_id=new_primary_id)
    return Status(204, None)
