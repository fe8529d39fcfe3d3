"""What the customer API modules share: the ``Router`` (``core.api.PackageRouter``), the
error responses every endpoint documents, the customer serialiser, and the lookups of one customer,
of a list view and of a library (CUST-02, CUST-03, CUST-05, CUST-13)."""

from tidecrm.core.api import ErrorOut, PackageRouter
from tidecrm.core.errors import NotFound, ValidationFailed

from .. import config, selectors
from ..access import access_customer
from ..models import Customer, Library

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


Router = PackageRouter  # keeps the operation ids the one-module API had


def customer_out(customer):
    primary = getattr(customer, "primary", None)
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "library_id": customer.library_id,
        "owner_id": customer.owner_id,
        "owner_name": customer.owner.name if customer.owner_id else None,
        "state": customer.state,
        "deal_status": customer.deal_status,
        "has_won": customer.has_won,
        "stage_id": customer.stage_id,
        "stage_name": customer.stage.name if customer.stage_id else None,
        "tag_ids": [t.pk for t in customer.tags],
        "source": customer.source,
        "remark": customer.remark,
        "primary_contact": {"id": primary.pk, "name": primary.name, "mobile": primary.shown["mobile"]}
        if primary
        else None,
        "contacts_count": customer.contacts_count,
        "collaborator_ids": customer.collaborator_ids,
        "masked": customer.masked,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "acquired_at": customer.acquired_at if customer.state == Customer.State.OWNED else None,
        "last_followup_at": customer.last_followup_at,
        "released_at": customer.released_at,
        "previous_owner_id": customer.previous_owner_id,
        "target_department_ids": [d.pk for d in getattr(customer, "target_departments", [])],
        "custom": {},
    }


def _one(request, customer_id, *, include_deleted=False):
    customer = access_customer(request.employee, customer_id, "read" if include_deleted else "view")
    return selectors.decorate([customer], request.employee)[0]


def _view(scope, state):
    if state == Customer.State.POOL:
        return "pool"
    if state == Customer.State.DELETED:
        return "bin"
    if scope not in ("mine", "team", "all", "collaborating"):
        raise ValidationFailed({"scope": ["mine, team, all, collaborating"]})
    return scope


def _library(library_id):
    if library_id is None:
        return config.default_library()
    library = Library.objects.filter(pk=library_id).first()
    if library is None:
        raise NotFound()
    return library
