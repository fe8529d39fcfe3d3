"""Collaborators (SPEC CUST-17): the owner or a manager over the owner adds, changes or removes
a read-only or writing collaborator; each change is a timeline event."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.ownership import require_state

from .. import verbs
from ..access import access_customer
from ..models import Collaborator, Customer
from ._common import active_employee

State = Customer.State


def collaborator_set(*, actor, customer_id, employee_id, access=Collaborator.Access.READ):
    """Add an employee as a read or write collaborator of an owned customer (CUST-17), or
    change their access. The owner or a scope covering the owner (``manage``); refusals: 422 on an
    unknown access, 404, ``employee_not_active``, ``invalid_transition``, ``collaborator_is_owner``."""
    if access not in Collaborator.Access.values:
        raise ValidationFailed({"access": [_("权限只能是只读或可编辑")]})
    employee = active_employee(employee_id)
    with transaction.atomic():
        customer = access_customer(actor, customer_id, "manage", lock=True)
        require_state(customer, State.OWNED, action=_("添加协作人"))
        if customer.owner_id == employee.pk:
            raise BusinessError(codes.COLLABORATOR_IS_OWNER, _("跟进人无需添加为协作人"))
        collaborator, created = Collaborator.objects.update_or_create(
            customer=customer, employee=employee, defaults={"access": access}
        )
        timeline.record(
            actor=actor,
            verb=verbs.CUSTOMER_COLLABORATOR_ADDED if created else verbs.CUSTOMER_COLLABORATOR_CHANGED,
            obj=customer,
            data={"employee": employee.name, "access": str(Collaborator.Access(access).label)},
        )
    return collaborator


def collaborator_remove(*, actor, customer_id, employee_id):
    """Remove a collaborator (CUST-17); who may is as for :func:`collaborator_set`. 404 when
    the employee is not one."""
    with transaction.atomic():
        customer = access_customer(actor, customer_id, "manage", lock=True)
        require_state(customer, State.OWNED, action=_("移除协作人"))
        collaborator = (
            Collaborator.objects.filter(customer=customer, employee_id=employee_id)
            .select_related("employee")
            .first()
        )
        if collaborator is None:
            raise NotFound()
        collaborator.delete()
        timeline.record(
            actor=actor,
            verb=verbs.CUSTOMER_COLLABORATOR_REMOVED,
            obj=customer,
            data={"employee": collaborator.employee.name},
        )
