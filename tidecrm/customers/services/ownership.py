"""Ownership moves (SPEC CUST-18/19/21/22, POOL-02/03/04/05/12/13/14, HOLD-02..06, INH-03):
转移, 移入公海, 定向, 领取, 分配, 删除 into the recycle bin, 恢复 and inheritance, each alone and
in bulk. Each reads its customer through the access policy first (a customer the caller may not
see is 404 before any permission or state is told), locks the row, re-checks its state, reserves
holding-limit capacity for the new owner and writes a flow record (``_common._flow``). Apps
may refuse a release through ``core.hooks.RELEASE_GUARDS`` (sales: a contract in approval)."""

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes, hooks, timeline
from tidecrm.core.bulk import each_independently
from tidecrm.core.dates import day_start
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.ownership import locked_for_job, require_state
from tidecrm.core.permissions import check
from tidecrm.org.models import Department, Employee

from .. import config, verbs
from ..access import access_customer
from ..models import Collaborator, Contact, Customer, CustomerFlow, PoolTarget
from ._common import (
    _clear_targets,
    _flow,
    _reserve,
    _take_ownership,
    active_employee,
)
from .duplicates import refuse_duplicate

State, Kind = Customer.State, CustomerFlow.Kind


@transaction.atomic
def customer_transfer(*, actor, customer_id, employee, reason=""):
    """转移 (CUST-18): to another employee of the same library; acquired time restarts."""
    customer = access_customer(actor, customer_id, "manage", lock=True, permission="customer.transfer")
    require_state(customer, State.OWNED, action=_("转移"))
    if customer.owner_id == employee.pk:
        raise BusinessError(codes.SAME_OWNER, _("该客户已由%(name)s跟进") % {"name": employee.name})
    if config.library_of(employee).pk != customer.library_id:
        raise BusinessError(
            codes.LIBRARY_MISMATCH, _("%(name)s不属于该客户所在的客户库") % {"name": employee.name}
        )
    _reserve(employee, customer)
    previous = customer.owner
    _take_ownership(customer, employee, now=clock.now())
    customer.previous_owner = previous
    customer.save()
    Collaborator.objects.filter(customer=customer, employee=employee).delete()  # now the owner
    _flow(customer, Kind.TRANSFER, operator=actor, from_owner=previous, to_owner=employee, reason=reason)
    return customer


def customers_transfer(*, actor, ids, employee_id, reason=""):
    """Bulk 转移 (CUST-18): each customer succeeds or fails alone (core.bulk). Needs
    ``customer.transfer``; the receiver must be active (404, ``employee_not_active``)."""
    check(actor, "customer.transfer")
    employee = active_employee(employee_id)
    return each_independently(
        ids, lambda pk: customer_transfer(actor=actor, customer_id=pk, employee=employee, reason=reason)
    )


@transaction.atomic
def customer_release(*, actor, customer_id, reason=""):
    """移入公海 / 放弃 (CUST-19): into the pool of its library; 原跟进人 is remembered, and the
    previous owner's re-claim cooldown starts (POOL-12)."""
    customer = access_customer(actor, customer_id, "manage", lock=True, permission="customer.release")
    require_state(customer, State.OWNED, action=_("移入公海"))
    for guard in hooks.each(hooks.RELEASE_GUARDS):
        guard(customer)
    previous, now = customer.owner, clock.now()
    customer.owner, customer.previous_owner, customer.state = None, previous, State.POOL
    customer.released_at = customer.updated_at = now
    customer.release_reason = (reason or "")[:200]
    customer.save()
    _flow(customer, Kind.RELEASE, operator=actor, from_owner=previous, reason=reason)
    return customer


def customers_release(*, actor, ids, reason=""):
    """Bulk 移入公海 (CUST-19), each customer alone. Needs ``customer.release``."""
    check(actor, "customer.release")
    return each_independently(ids, lambda pk: customer_release(actor=actor, customer_id=pk, reason=reason))


@transaction.atomic
def customer_pool_target(*, actor, customer_id, departments):
    """定向 (POOL-05): send a pool customer to ``departments`` (only their members, with their
    sub-departments, may then see and claim it); no departments = the whole library again. Pool
    managers only (customer.assign)."""
    customer = access_customer(actor, customer_id, lock=True, permission="customer.assign")
    require_state(customer, State.POOL, action=_("定向"))
    before = sorted(PoolTarget.objects.filter(customer=customer).values_list("department__name", flat=True))
    PoolTarget.objects.filter(customer=customer).delete()
    PoolTarget.objects.bulk_create(PoolTarget(customer=customer, department=d) for d in departments)
    customer.targeted, customer.updated_at = bool(departments), clock.now()
    customer.save(update_fields=["targeted", "updated_at"])
    after = sorted(d.name for d in departments)
    if before != after:
        timeline.record(
            actor=actor,
            verb=verbs.CUSTOMER_POOL_TARGETED,
            obj=customer,
            data={"departments": "、".join(after)},
        )
    return customer


def customers_pool_target(*, actor, ids, department_ids):
    """Bulk 定向 (POOL-05), each customer alone. Needs ``customer.assign``; 422 for an
    unknown department."""
    check(actor, "customer.assign")
    departments = list(Department.objects.filter(pk__in=set(department_ids)))
    if len(departments) != len(set(department_ids)):
        raise ValidationFailed({"department_ids": [_("部门不存在")]})
    return each_independently(
        ids, lambda pk: customer_pool_target(actor=actor, customer_id=pk, departments=departments)
    )


@transaction.atomic
def customer_claim(*, actor, customer_id):
    """领取 (POOL-02), refusals in the SPEC's order: not visible (404), ``reclaim_cooldown``,
    ``daily_claim_limit_reached``, ``holding_limit_reached``, ``already_claimed``."""
    customer = access_customer(actor, customer_id, "claim", lock=True, permission="customer.claim")
    if customer.state == State.OWNED:
        raise BusinessError(codes.ALREADY_CLAIMED, _("该客户已被领取"))
    library = customer.library
    now = clock.now()
    if library.reclaim_cooldown_days:
        since = now - timedelta(days=library.reclaim_cooldown_days)
        if CustomerFlow.objects.filter(
            customer=customer, from_owner=actor, kind__in=[Kind.RELEASE, Kind.RECYCLE], created_at__gte=since
        ).exists():
            raise BusinessError(
                codes.RECLAIM_COOLDOWN,
                _("该客户被回收或放弃后%(n)s天内不能重复领取") % {"n": library.reclaim_cooldown_days},
            )
    if library.daily_claim_limit is not None:
        # The caller's claims run one at a time, so the count below cannot be raced past.
        Employee.objects.select_for_update().filter(pk=actor.pk).first()
        today = CustomerFlow.objects.filter(
            to_owner=actor, kind=Kind.CLAIM, created_at__gte=day_start(now)
        ).count()
        if today >= library.daily_claim_limit:
            raise BusinessError(
                codes.DAILY_CLAIM_LIMIT_REACHED,
                _("今日领取数已达上限（%(n)s）") % {"n": library.daily_claim_limit},
            )
    _reserve(actor, customer)
    _take_ownership(customer, actor, now=now)
    customer.save()
    _flow(customer, Kind.CLAIM, operator=actor, from_owner=None, to_owner=actor)
    return customer


def customers_claim(*, actor, ids):
    """Bulk 领取 (POOL-02), each customer alone with its own refusal. Needs ``customer.claim``."""
    check(actor, "customer.claim")
    return each_independently(ids, lambda pk: customer_claim(actor=actor, customer_id=pk))


@transaction.atomic
def customer_assign(*, actor, customer_id, employee, reason=""):
    """分配 (POOL-03): a pool manager gives a pool customer to an employee of its library; only
    the holding limit applies (no cooldown, no daily limit)."""
    customer = access_customer(actor, customer_id, lock=True, permission="customer.assign")
    require_state(customer, State.POOL, action=_("分配"))
    if config.library_of(employee).pk != customer.library_id:
        raise BusinessError(
            codes.LIBRARY_MISMATCH, _("%(name)s不属于该客户所在的客户库") % {"name": employee.name}
        )
    _reserve(employee, customer)
    _take_ownership(customer, employee, now=clock.now())
    customer.save()
    _flow(customer, Kind.ASSIGN, operator=actor, to_owner=employee, reason=reason)
    return customer


def customers_assign(*, actor, ids, employee_id, reason=""):
    """Bulk 分配 (POOL-03), each customer alone. Needs ``customer.assign``; the receiver
    must be active (404, ``employee_not_active``)."""
    check(actor, "customer.assign")
    employee = active_employee(employee_id)
    return each_independently(
        ids, lambda pk: customer_assign(actor=actor, customer_id=pk, employee=employee, reason=reason)
    )


def may_delete(actor):
    """删除 is offered (and done) only to holders of customer.delete, and not at all where the
    enterprise forbids deleting customers."""
    return actor.has_permission("customer.delete") and not config.customer_settings().forbid_delete


@transaction.atomic
def customer_delete(*, actor, customer_id):
    """删除 (CUST-21/POOL-04): into the customer recycle bin (CUST-22), unless the enterprise
    forbids deleting customers (``deletion_forbidden``)."""
    customer = access_customer(actor, customer_id, "manage", lock=True, permission="customer.delete")
    if config.customer_settings().forbid_delete:
        raise BusinessError(codes.DELETION_FORBIDDEN, _("企业已设置禁止删除客户"), status=403)
    require_state(customer, State.OWNED, State.POOL, action=_("删除"))
    previous, now = customer.owner, clock.now()
    _clear_targets(customer)
    customer.state_before_delete, customer.state = customer.state, State.DELETED
    if previous:
        customer.previous_owner = previous
    customer.owner, customer.deleted_at, customer.deleted_by, customer.updated_at = None, now, actor, now
    customer.save()
    _flow(customer, Kind.DELETE, operator=actor, from_owner=previous)
    return customer


def customers_delete(*, actor, ids):
    """Bulk 删除 (CUST-21/POOL-04), each customer alone. Needs ``customer.delete``."""
    check(actor, "customer.delete")
    return each_independently(ids, lambda pk: customer_delete(actor=actor, customer_id=pk))


@transaction.atomic
def customer_restore(*, actor, customer_id):
    """恢复 (CUST-22): back to the former owner when they are active and under their limit,
    otherwise into the library's pool. A twin created meanwhile blocks it (``duplicate_customer``)."""
    customer = access_customer(actor, customer_id, "restore", lock=True, permission="customer.delete")
    require_state(customer, State.DELETED, action=_("恢复"))
    contacts = list(Contact.objects.filter(customer=customer))
    refuse_duplicate(
        customer.library,
        name_key=customer.name_key,
        contact_names=[c.name for c in contacts],
        mobiles=[c.mobile for c in contacts],
        exclude_pk=customer.pk,
    )
    now = clock.now()
    owner = customer.previous_owner if customer.state_before_delete == State.OWNED else None
    if owner is not None and owner.status == Employee.Status.ACTIVE and owner.deleted_at is None:
        try:
            with transaction.atomic():
                _reserve(owner, customer)
        except BusinessError:
            owner = None
    else:
        owner = None
    customer.deleted_at, customer.deleted_by, customer.state_before_delete = None, None, ""
    if owner:
        _take_ownership(customer, owner, now=now)
    else:
        customer.state, customer.released_at, customer.updated_at = State.POOL, now, now
    customer.save()
    _flow(customer, Kind.RESTORE, operator=actor, to_owner=owner)
    return customer


def customers_restore(*, actor, ids):
    """Bulk 恢复 (CUST-22), each customer alone. Needs ``customer.delete``."""
    check(actor, "customer.delete")
    return each_independently(ids, lambda pk: customer_restore(actor=actor, customer_id=pk))


def customer_inherit(*, actor, customer_id, employee):
    """INH-03: a resigned employee's customer goes to ``employee`` (holding limit applies)."""
    with transaction.atomic():
        customer = locked_for_job(Customer, customer_id)
        require_state(customer, State.OWNED, action=_("继承"))
        _reserve(employee, customer)
        previous = customer.owner
        _take_ownership(customer, employee, now=clock.now())
        customer.previous_owner = previous
        customer.save()
        Collaborator.objects.filter(customer=customer, employee=employee).delete()
        _flow(customer, Kind.INHERIT, operator=actor, from_owner=previous, to_owner=employee)
    return customer
