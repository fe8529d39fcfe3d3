"""Helpers every customer write shares (SPEC CUST-17, HOLD-02/04, POOL-14): the row lock that
answers 404 before revealing state, the state check, who may manage or edit a customer, the
holding-limit reservation, taking ownership, and the flow record + timeline event written on
every ownership move, which also calls the :data:`OWNER_LISTENERS` (sales: opportunities and
contracts follow the customer)."""

from django.utils.translation import gettext as _

from tidecrm.core import timeline
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.org.models import Employee
from tidecrm.org.scopes import visible_owner_q
from tidecrm.rules import holding

from ..models import Collaborator, Customer, CustomerFlow, PoolTarget, Stage

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


def _locked(customer_id, actor=None):
    """Lock a customer row. With ``actor``, one the actor may not see at all (another library's
    pool, someone else's recycle bin, out of scope) is 404 before any state is revealed."""
    if actor is not None:
        from ..selectors import bin_condition, visible_condition

        if not Customer.objects.filter(
            visible_condition(actor) | bin_condition(actor), pk=customer_id
        ).exists():
            raise NotFound()
    # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the owner's outer join.
    customer = (
        Customer.objects.select_for_update(of=("self",))
        .filter(pk=customer_id)
        .select_related("owner")
        .first()
    )
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


def may_manage(actor, customer):
    """Ownership moves and collaborators: the owner, or someone whose customer scope covers the
    owner. Collaborators may not (CUST-17). Anything else is 404, as for an unseen record."""
    if customer.owner_id == actor.pk:
        return
    if not Customer.objects.filter(visible_owner_q(actor, "customer"), pk=customer.pk).exists():
        raise NotFound()


def may_write(actor, customer, *, followup=False):
    """Edit (and follow up): the managers above, or a collaborator with write access (any
    collaborator may add follow-ups)."""
    if customer.owner_id == actor.pk:
        return
    collaborator = Collaborator.objects.filter(customer=customer, employee=actor).first()
    if collaborator and (followup or collaborator.access == Collaborator.Access.WRITE):
        return
    if Customer.objects.filter(visible_owner_q(actor, "customer"), pk=customer.pk).exists():
        return
    if collaborator:
        raise BusinessError("permission_denied", _("您是该客户的只读协作人，不能修改"), status=403)
    raise NotFound()


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
