"""Helpers every customer write shares (SPEC HOLD-02/04, POOL-14): the state check, the
holding-limit reservation, taking ownership, and the flow record + timeline event written on
every ownership move, which also tells the listeners of ``core.hooks.OWNER_CHANGED`` (sales:
opportunities and contracts follow the customer). Who may do what is :mod:`tidecrm.customers.access`: every write
reads its customer with ``access_customer(actor, id, action, lock=True)``."""

from django.utils.translation import gettext as _

from tidecrm.core import codes, hooks
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.core.ownership import record_move
from tidecrm.org.models import Employee
from tidecrm.rules import holding

from ..models import Customer, CustomerFlow, PoolTarget, Stage

State, Kind = Customer.State, CustomerFlow.Kind


def _flow(customer, kind, *, operator, from_owner=None, to_owner=None, reason=""):
    """Record one ownership move (core.ownership.record_move), then tell the listeners of
    ``core.hooks.OWNER_CHANGED``."""
    record_move(
        CustomerFlow,
        customer,
        kind,
        operator=operator,
        from_owner=from_owner,
        to_owner=to_owner,
        reason=reason,
    )
    if from_owner != to_owner:
        for listener in hooks.each(hooks.OWNER_CHANGED):
            listener(customer, from_owner, to_owner, kind, operator)


def active_employee(employee_id):
    """Return the employee a customer is handed to: 404 when missing or deleted,
    ``employee_not_active`` when resigned or disabled."""
    employee = (
        Employee.objects.filter(pk=employee_id, deleted_at__isnull=True)
        .select_related("main_department")
        .first()
    )
    if employee is None:
        raise NotFound()
    if employee.status != Employee.Status.ACTIVE:
        raise BusinessError(codes.EMPLOYEE_NOT_ACTIVE, _("该员工已离职或被禁用"))
    return employee


def counts_toward_limit(customer):
    """HOLD-04 / Q-15: a customer counts while owned, not at the terminal stage and not won."""
    if customer.has_won:
        return False
    return not Stage.objects.filter(pk=customer.stage_id, is_terminal=True).exists()


def _reserve(owner, customer=None, n=1):
    if customer is None or counts_toward_limit(customer):
        holding.reserve(owner, "customer", n)


def _take_ownership(customer, owner, *, now):
    _clear_targets(customer)
    customer.owner, customer.state = owner, State.OWNED
    customer.acquired_at = customer.updated_at = now
    customer.released_at, customer.release_reason = None, ""


def _clear_targets(customer):
    """A customer leaving the pool leaves its targets behind (a later release starts afresh)."""
    if customer.targeted:
        PoolTarget.objects.filter(customer=customer).delete()
        customer.targeted = False
