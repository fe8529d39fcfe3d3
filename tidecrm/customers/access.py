"""Who may see or change a customer, a contact, a follow-up or an attachment (SPEC ROLE
"Semantics", CUST-17, POOL-05, CUST-22): the customers' :class:`~tidecrm.core.access.Policy`.

An owned customer is visible when its owner is in the caller's customer scope (org.scopes) or the
caller is a collaborator (CUST-17); a pool customer when it is in a pool the caller may use
(POOL-05: their library's, less those targeted at other departments; all for pool managers); a
deleted one (the recycle bin) to holders of ``customer.delete`` for customers whose former owner is
in their scope, that they deleted, or that came from a pool they may use. Everything else is 404.

The actions:

=============  ==================================================================================
``view``       live customers the caller sees (owned ∪ pool)
``view_owned`` / ``view_pool`` / ``view_bin``: one state each (the lists of CUST-03)
``read``       ``view`` ∪ the recycle bin (the drawer, the journey, attachments)
``manage``     ownership moves and collaborators: the owner or a scope covering the owner;
               collaborators may not (404)
``change``     edit, contacts, tags: ``manage`` or a write collaborator (a read collaborator is
               answered 403 ``permission_denied``)
``follow_up``  every collaborator too
``claim``      the pool customers the caller may claim, and owned ones (someone was faster: the
               service answers ``already_claimed``)
``restore``    the recycle-bin rows the caller may restore
=============  ==================================================================================

``manage``, ``change``, ``follow_up`` and ``restore`` only narrow the state they concern (owned,
or deleted for ``restore``): a customer in another state is left to the service's state rule, so
that it is answered ``invalid_transition`` rather than 404.
"""

from collections.abc import Callable, Iterable

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext as _

from tidecrm.core import access, codes
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.org.models import DataScope, Department, Employee, EmployeeDepartment
from tidecrm.org.scopes import effective_scopes, visible_owner_ids, visible_owner_q

from . import config
from .models import Collaborator, Contact, Customer, Followup, FollowupAttachment, PoolTarget

State = Customer.State
MAX_LISTED_IDS = 5000


# ---------------------------------------------------------------- the conditions


def pool_library_ids(actor: Employee) -> list[int] | None:
    """The libraries whose pool the caller may use: None = all (pool managers, company scope)."""
    if actor.has_permission("customer.assign") or DataScope.COMPANY in effective_scopes(actor, "customer")[0]:
        return None
    return [config.library_of(actor).pk]


def _collaborations(
    actor: Employee, *, access_level: str | None = None
) -> tuple[list[int], set[int]] | tuple[None, None]:
    """(customer ids, their owners) of the caller's collaborations (only those with
    ``access_level`` when given); (None, None) past MAX_LISTED_IDS, where the lists would be too
    long to send."""
    links = Collaborator.objects.filter(employee_id=actor.pk)
    if access_level:
        links = links.filter(access=access_level)
    rows = list(links.values_list("customer_id", "customer__owner_id")[: MAX_LISTED_IDS + 1])
    if len(rows) > MAX_LISTED_IDS:
        return None, None
    return [customer_id for customer_id, _owner in rows], {owner for _customer, owner in rows if owner}


def shared_with_q(actor: Employee, *, field: str = "customer_id", access_level: str | None = None) -> Q:
    """The ``Q`` over ``field`` (a customer id column) of the customers the caller collaborates
    on (with ``access_level`` when given): their opportunities and contracts are shared too."""
    ids, _owners = _collaborations(actor, access_level=access_level)
    if ids is None:
        links = Collaborator.objects.filter(employee_id=actor.pk)
        if access_level:
            links = links.filter(access=access_level)
        return Q(**{f"{field}__in": links.values("customer_id")})
    return Q(**{f"{field}__any": ids})


def collaborating_q(actor: Employee, *, access_level: str | None = None) -> Q:
    """Customers the caller follows jointly (with ``access_level`` when given)."""
    return shared_with_q(actor, field="pk", access_level=access_level)


def owned_condition(actor: Employee, *, access_level: str | None = None) -> Q:
    """Owned customers the caller may see: owner in their scope, or they collaborate (with
    ``access_level`` when given: ``write`` for the customers they may edit).

    Written so that one index answers it: ``owner_id IN (scope owners + the collaborations'
    owners)`` is the index condition on (tenant, owner, state, created_at, id), and the exact rule
    (owner in scope OR one of the collaborations) is checked on the same index entries. The
    plain OR of the two would make PostgreSQL combine two bitmaps and read every row from the
    table: a department manager's deep page or count over 50,000 customers costs 5-10 times more.
    """
    owners = visible_owner_ids(actor, "customer")
    if owners is None:  # the whole company: no need to look up collaborations
        return Q(state=State.OWNED)
    ids, collaboration_owners = _collaborations(actor, access_level=access_level)
    if ids is None or collaboration_owners is None:
        return Q(state=State.OWNED) & (
            Q(owner_id__any=owners) | collaborating_q(actor, access_level=access_level)
        )
    extra_owners = collaboration_owners - set(owners)
    if not extra_owners:  # every collaboration is already in scope
        return Q(state=State.OWNED, owner_id__any=owners)
    # owner in scope, or owner outside it and one of the collaborations -- written as "not (an
    # outside owner and not a collaboration)" so that PostgreSQL estimates it as the owner list
    # alone (an OR of the scope repeated would be counted twice, the row estimate 20 times too
    # low, and deep pages sorted where walking the newest-first index is cheaper).
    return Q(state=State.OWNED, owner_id__any=sorted({*owners, *extra_owners})) & ~(
        Q(owner_id__any=sorted(extra_owners)) & ~Q(pk__any=ids)
    )


def managed_condition(actor: Employee) -> Q:
    """Owned customers the caller manages: their own, or the owner in their customer scope."""
    return Q(state=State.OWNED) & access.any_of(Q(owner_id=actor.pk), visible_owner_q(actor, "customer"))


def target_department_ids(actor: Employee) -> list[int]:
    """The departments a pool customer may be targeted at for ``actor`` to see it: the
    departments they belong to and every department above them."""
    paths = Department.objects.filter(
        pk__in=EmployeeDepartment.objects.filter(employee=actor).values("department_id")
    ).values_list("path", flat=True)
    return sorted({int(part) for path in paths for part in path.strip("/").split("/") if part})


def pool_condition(actor: Employee) -> Q:
    """Pool customers the caller may see and claim (POOL-05): their library's pool, less those
    targeted at departments they are not in (定向公海); pool managers see every pool."""
    libraries = pool_library_ids(actor)
    condition = Q(state=State.POOL)
    if libraries is None:
        return condition
    targeted_at_me = PoolTarget.objects.filter(department_id__any=target_department_ids(actor))
    return (
        condition
        & Q(library_id__in=libraries)
        & (Q(targeted=False) | Q(pk__in=targeted_at_me.values("customer_id")))
    )


def bin_condition(actor: Employee) -> Q:
    """Deleted customers the caller may restore: holders of customer.delete, for customers whose
    former owner is in their scope (or that they deleted, or came from a pool they may use)."""
    if not actor.has_permission("customer.delete"):
        return Q(pk__in=[])
    libraries = pool_library_ids(actor)
    from_pool = Q(state_before_delete=State.POOL)
    if libraries is not None:
        from_pool &= Q(library_id__in=libraries)
    return Q(state=State.DELETED) & access.any_of(
        visible_owner_q(actor, "customer", owner_field="previous_owner_id"), Q(deleted_by=actor), from_pool
    )


def _view(actor: Employee) -> Q:
    return owned_condition(actor) | pool_condition(actor)


def _read(actor: Employee) -> Q:
    return _view(actor) | bin_condition(actor)


def _only_owned(condition: Q) -> Q:
    """``condition`` applied to owned customers only (others are left to the state rules)."""
    return ~Q(state=State.OWNED) | condition


def _own_owned(actor: Employee, customer: Customer, action: str) -> bool:
    """The owner of an owned customer may do everything the policy grants on it."""
    return (
        action in ("manage", "change", "follow_up", "read", "view", "view_owned")
        and customer.state == State.OWNED
        and customer.owner_id == actor.pk
    )


def _customer_refusal(actor: Employee, customer: Customer, action: str) -> Exception:
    if (
        action == "change"
        and customer.state == State.OWNED
        and Collaborator.objects.filter(customer=customer, employee=actor).exists()
    ):
        return BusinessError(codes.PERMISSION_DENIED, _("您是该客户的只读协作人，不能修改"), status=403)
    return NotFound()


CUSTOMERS = access.register(
    access.Policy(
        model=Customer,
        conditions={
            "view": _view,
            "view_owned": owned_condition,
            "view_pool": pool_condition,
            "view_bin": bin_condition,
            "read": _read,
            "manage": lambda actor: _read(actor) & _only_owned(managed_condition(actor)),
            "change": lambda actor: (
                _read(actor)
                & _only_owned(managed_condition(actor) | owned_condition(actor, access_level="write"))
            ),
            "follow_up": _read,  # every owned customer one sees is in scope or collaborated
            "claim": lambda actor: Q(state=State.OWNED) | pool_condition(actor),
            "restore": lambda actor: _read(actor) & (~Q(state=State.DELETED) | bin_condition(actor)),
        },
        known={"manage": "read", "change": "read", "follow_up": "read", "restore": "read", "claim": "claim"},
        denied=_customer_refusal,
        shortcut=_own_owned,
    )
)

CUSTOMER_RELATED = ("owner", "previous_owner", "stage", "library", "created_by")


def access_customer(
    actor: Employee,
    customer_id: int,
    action: str = "view",
    *,
    lock: bool = False,
    permission: str | None = None,
    related: Iterable[str] = CUSTOMER_RELATED,
) -> Customer:
    """The customer ``customer_id`` if ``actor`` may ``action`` it (404 otherwise; 403 for a
    missing ``permission`` or a read collaborator's edit). With ``lock`` the row is locked and the
    decision taken on it."""
    return access.access(
        Customer,
        actor,
        customer_id,
        action,
        lock=lock,
        permission=permission,
        related=("owner",) if lock else related,
    )


def access_level(actor: Employee, customer: Customer) -> str:
    """What the caller may do on a visible customer: ``manage`` (owner or scope), ``write``
    (write collaborator), ``read`` (read collaborator, pool, recycle bin)."""
    if customer.state != State.OWNED:
        return "read"
    if access.permits(actor, customer, "manage"):
        return "manage"
    return "write" if access.permits(actor, customer, "change") else "read"


# ---------------------------------------------------------------- contacts, follow-ups, files


def _through_customer(action: str, field: str = "customer") -> Callable[[Employee], Q]:
    return lambda actor: Q(
        **{f"{field}__in": access.restrict(Customer.objects.all(), actor, action).values("pk")}
    )


CONTACTS = access.register(
    access.Policy(
        model=Contact,
        conditions={action: _through_customer(action) for action in ("view", "read", "change")},
        known={"change": "read"},
    )
)


def access_contact(
    actor: Employee, contact_id: int, action: str = "view", *, lock: bool = False
) -> tuple[Contact, Customer]:
    """``(contact, customer)`` if ``actor`` may ``action`` the contact's customer; with ``lock``
    both rows are locked (the customer first, as every customer write does)."""
    contact = Contact.objects.filter(pk=contact_id).only("pk", "customer_id").first()
    if contact is None:
        raise NotFound()
    customer = access_customer(actor, contact.customer_id, action, lock=lock)
    contacts = Contact.objects.select_for_update() if lock else Contact.objects.all()
    contact = contacts.filter(pk=contact_id, customer_id=customer.pk).first()
    if contact is None:  # deleted while we waited for the customer's lock
        raise NotFound()
    contact.customer = customer
    return contact, customer


def _followups_visible(actor: Employee) -> Q:
    """A customer's follow-ups with the customer; a lead's with the lead (its own policy); and
    every follow-up of a customer its author wrote (FUP-05: one's own records stay listed)."""
    lead = apps.get_model("leads", "Lead")
    return (
        Q(customer__in=access.restrict(Customer.objects.all(), actor, "view").values("pk"))
        | Q(customer__isnull=False, created_by=actor)
        | Q(lead__in=access.restrict(lead.objects.all(), actor).values("pk"))
    )


FOLLOWUPS = access.register(access.Policy(model=Followup, conditions={"view": _followups_visible}))

ATTACHMENTS = access.register(
    access.Policy(
        model=FollowupAttachment,
        conditions={
            # the drawer of a deleted customer still shows its journey, files included
            "view": lambda actor: Q(
                followup__customer__in=access.restrict(Customer.objects.all(), actor, "read").values("pk")
            )
        },
    )
)


def access_attachment(actor: Employee, attachment_id: int) -> FollowupAttachment:
    """An attachment of a follow-up on a customer the caller may read (else 404)."""
    return access.access(FollowupAttachment, actor, attachment_id, related=("followup",))
