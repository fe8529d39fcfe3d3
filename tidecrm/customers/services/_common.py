"""Helpers every customer write shares (SPEC HOLD-02/04, POOL-14): the state check, the
holding-limit reservation, taking ownership, and the flow record + timeline event written on
every ownership move, which also calls the :data:`OWNER_LISTENERS` (sales: opportunities and
contracts follow the customer). Who may do what is :mod:`tidecrm.customers.access`: every write
reads its customer with ``access_customer(actor, id, action, lock=True)``."""

from django.utils.translation import gettext as _

from tidecrm.core import timeline
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.org.models import Employee
from tidecrm.rules import holding

from ..models import Customer, CustomerFlow, PoolTarget, Stage

State, Kind = Customer.State, CustomerFlow.Kind

# Functions called as ``listener(customer, old_owner, new_owner, kind, actor)`` after every
# ownership move, inside its transaction (POOL-14: opportunities and contracts follow).
OWNER_LISTENERS = []


def _flow(customer, kind, *, operator, from_owner=None, to_owner=None, reason=""):
    CustomerFlow.objects.create(
        customer=customer,
        kind=kind,
        from_owner=from_owner,
        to_owner=to_owner,
        operator=operator,
        reason=reason[:200],
    )
    timeline.record(
        actor=operator,
        verb=f"customer.{kind}",
        obj=customer,
        changes={"owner": [from_owner.name if from_owner else None, to_owner.name if to_owner else None]}
        if from_owner != to_owner
        else {},
        reason=reason,
    )
    if from_owner != to_owner:
        for listener in OWNER_LISTENERS:
            listener(customer, from_owner, to_owner, kind, operator)


def active_employee(employee_id):
    employee = (
        Employee.objects.filter(pk=employee_id, deleted_at__isnull=True)
        .select_related("main_department")
        .first()
    )
    if employee is None:
        raise NotFound()
    if employee.status != Employee.Status.ACTIVE:
        raise BusinessError("employee_not_active", _("该员工已离职或被禁用"))
    return employee


def locked_for_job(customer_id):
    """Lock a customer row for a job that acts for the enterprise, not for a caller's access
    (inheritance, INH-03): callers go through :func:`tidecrm.customers.access.access_customer`."""
    customer = Customer.objects.select_for_update(of=("self",)).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def _require_state(customer, *states, action):
    if customer.state not in states:
        where = {State.OWNED: _("已有跟进人"), State.POOL: _("在公海中"), State.DELETED: _("在回收站中")}
        raise BusinessError(
            "invalid_transition",
            _("该客户%(where)s，不能%(action)s") % {"where": where[customer.state], "action": action},
        )


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
