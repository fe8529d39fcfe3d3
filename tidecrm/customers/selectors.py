"""Customer reads: the one visibility rule, the views of CUST-03, the detail, masking, journey.

Visibility (SPEC ROLE "Semantics"): an owned customer is visible when its owner is in the
caller's customer scope (org.scopes) or the caller is a collaborator (CUST-17); a pool customer
when it is in a pool the caller may use (POOL-05: their library's, or all for pool managers);
the recycle bin to holders of ``customer.delete`` within scope. Everything else answers 404.
Lists decorate a page of rows with a constant number of queries (primary contacts, tags).
"""

from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from tidecrm.core import clock
from tidecrm.core.dates import filter_dates
from tidecrm.core.errors import NotFound, PermissionDenied
from tidecrm.core.models import TimelineEvent
from tidecrm.core.normalize import mask_email, mask_phone, mask_qq, normalize_phone
from tidecrm.org.models import DataScope, Department, EmployeeDepartment
from tidecrm.org.scopes import effective_scopes, visible_owner_ids, visible_owner_q

from . import config
from .models import Collaborator, Contact, Customer, CustomerFlow, CustomerTag, Followup, PoolTarget

State = Customer.State
VIEWS = ("mine", "collaborating", "team", "all", "pool", "bin")
SORTS = {
    "created": "-created_at",
    "updated": "-updated_at",
    "followup": "-last_followup_at",
    "acquired": "-acquired_at",
    "released": "-released_at",
}


def pool_library_ids(actor):
    """The libraries whose pool the caller may use: None = all (pool managers, company scope)."""
    if actor.has_permission("customer.assign") or DataScope.COMPANY in effective_scopes(actor, "customer")[0]:
        return None
    return [config.library_of(actor).pk]


MAX_LISTED_IDS = 5000


def collaborating_q(actor):
    """Customers the caller follows jointly: a list of ids (a handful per employee)."""
    ids, _owners = _collaborations(actor)
    if ids is None:
        return Q(Exists(Collaborator.objects.filter(customer_id=OuterRef("pk"), employee_id=actor.pk)))
    return Q(pk__in=ids)


def _collaborations(actor):
    """(customer ids, their owners) of the caller's collaborations; (None, None) past
    MAX_LISTED_IDS, where the lists would be too long to send."""
    rows = list(
        Collaborator.objects.filter(employee_id=actor.pk).values_list("customer_id", "customer__owner_id")[
            : MAX_LISTED_IDS + 1
        ]
    )
    if len(rows) > MAX_LISTED_IDS:
        return None, None
    return [customer_id for customer_id, _owner in rows], {owner for _customer, owner in rows if owner}


def _either(scope, *others):
    """``scope | others``, where an empty scope ``Q()`` means everything (an empty Q would
    otherwise vanish from the OR and narrow it)."""
    if not scope:
        return Q()
    for other in others:
        scope |= other
    return scope


def owned_condition(actor):
    """Owned customers the caller may see: owner in their scope, or they collaborate.

    Written so that one index answers it: ``owner_id IN (scope owners + the collaborations'
    owners)`` is the index condition on (tenant, owner, state, created_at, id), and the exact rule
    (owner in scope OR one of the collaborations) is checked on the same index entries. The
    plain OR of the two would make PostgreSQL combine two bitmaps and read every row from the
    table: a department manager's deep page or count over 50,000 customers costs 5-10 times more.
    """
    owners = visible_owner_ids(actor, "customer")
    if owners is None:  # the whole company: no need to look up collaborations
        return Q(state=State.OWNED)
    ids, collaboration_owners = _collaborations(actor)
    if ids is None:
        return Q(state=State.OWNED) & (Q(owner_id__any=owners) | collaborating_q(actor))
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


def pool_condition(actor):
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


def target_department_ids(actor):
    """The departments a pool customer may be targeted at for ``actor`` to see it: the
    departments they belong to and every department above them."""
    paths = Department.objects.filter(
        pk__in=EmployeeDepartment.objects.filter(employee=actor).values("department_id")
    ).values_list("path", flat=True)
    return sorted({int(part) for path in paths for part in path.strip("/").split("/") if part})


def target_departments(customer_ids):
    """{customer id: [Department]} for the targeted customers among ``customer_ids``."""
    targets = {}
    for target in (
        PoolTarget.objects.filter(customer_id__in=customer_ids)
        .select_related("department")
        .order_by("department__path")
    ):
        targets.setdefault(target.customer_id, []).append(target.department)
    return targets


def bin_condition(actor):
    """Deleted customers the caller may restore: holders of customer.delete, for customers whose
    former owner is in their scope (or that they deleted, or came from a pool they may use)."""
    if not actor.has_permission("customer.delete"):
        return Q(pk__in=[])
    libraries = pool_library_ids(actor)
    from_pool = Q(state_before_delete=State.POOL)
    if libraries is not None:
        from_pool &= Q(library_id__in=libraries)
    return Q(state=State.DELETED) & _either(
        visible_owner_q(actor, "customer", owner_field="previous_owner_id"), Q(deleted_by=actor), from_pool
    )


def visible_condition(actor):
    return owned_condition(actor) | pool_condition(actor)


SEARCH_ID_LIMIT = 5000


def _search(customers, q, *, actor, state):
    """Name (normalised, so 康师傅食品有限公司 finds 康师傅食品), or a contact's phone (any
    format, or its last digits) or name.

    Where ``actor`` sees the phones of customers in ``state`` masked (every list holds one
    state), a phone finds a contact by its whole number only: matching a part of it would let
    a dozen searches recover the digits that ``139****0008`` hides.

    The matches are looked up first, each side by its own index (on PostgreSQL the trigram
    indexes of migration 0010 for contained text), and the list then filters by id: an OR
    across the two tables would test every customer in scope. Broad searches (more than
    SEARCH_ID_LIMIT matches) filter by the subquery instead. Text too short for trigrams (one or
    two characters) is tested on the rows in list order, so a page stops early, unless it is rare
    (see _short_name_q)."""
    q = q.strip()
    digits = normalize_phone(q)
    by_name = Customer.objects.filter(name__icontains=q).values_list("pk", flat=True)
    if digits.isdigit() and len(digits) >= 4:
        if len(digits) == 11 or phones_masked(actor, state):
            mobile = Q(mobile=digits)
        elif len(digits) == 4:  # "the last four digits": an exact, indexed lookup
            mobile = Q(mobile_last4=digits)
        else:
            mobile = Q(mobile__contains=digits)
        by_contact = Contact.objects.filter(mobile).values_list("customer_id", flat=True)
    else:
        by_contact = Contact.objects.filter(name=q).values_list("customer_id", flat=True)
    if len(q) < 3:
        return customers.filter(_short_name_q(q) | _ids_q(by_contact))
    matches = by_name.union(by_contact)
    ids = list(matches[: SEARCH_ID_LIMIT + 1])
    return customers.filter(pk__in=ids if len(ids) <= SEARCH_ID_LIMIT else matches)


def _short_name_q(q):
    """Names containing one or two characters, tested on the rows in list order (a page stops
    early) -- with a plain LIKE when the text has no letters (most Chinese names): no UPPER() on
    every row, a third of the time. Two characters on PostgreSQL ask the ``name_bigrams`` column
    of migration 0013 instead: the same matches, indexed for rare pairs, and estimated from the
    column's statistics so that the planner can choose."""
    if len(q) == 2 and connection.vendor == "postgresql":
        table = Customer._meta.db_table
        return Q(
            RawSQL(
                # UPPER in SQL, as the column has it (Python's "ß".upper() is "SS": no pair).
                f'"{table}"."name_bigrams" @> ARRAY[UPPER(%s)]::text[]',
                (q,),
                output_field=BooleanField(),
            )
        )
    return Q(name__contains=q) if q.upper() == q.lower() else Q(name__icontains=q)


def _ids_q(ids_query):
    """``pk IN`` the ids of ``ids_query``, sent as a list when it is short (an index condition
    the database can OR with others, where a subquery is tested row by row)."""
    ids = list(ids_query[: SEARCH_ID_LIMIT + 1])
    return Q(pk__any=ids) if len(ids) <= SEARCH_ID_LIMIT else Q(pk__in=ids_query)


def count_limit(q):
    """How far a list's total is counted: text too short for the search indexes matches broadly
    and is tested row by row, so its total stops earlier (the pager shows 共 1000+ 条)."""
    from tidecrm.core.pagination import COUNT_LIMIT

    return SHORT_SEARCH_COUNT_LIMIT if q and len(q.strip()) < 3 else COUNT_LIMIT


SHORT_SEARCH_COUNT_LIMIT = 1000


def customer_list(
    *,
    actor,
    view="mine",
    library_id=None,
    q=None,
    stage_id=None,
    tag_id=None,
    owner_id=None,
    deal_status=None,
    source=None,
    created_from=None,
    created_to=None,
    no_followup_days=None,
    sort="created",
):
    """Return one view of CUST-03 (我的客户, 我参与的, 团队, 全部客户, 公海, 回收站), filtered."""
    if view == "mine":
        customers = Customer.objects.filter(state=State.OWNED, owner=actor)
    elif view == "collaborating":
        customers = Customer.objects.filter(collaborating_q(actor), state=State.OWNED)
    elif view == "team":
        customers = Customer.objects.filter(owned_condition(actor)).exclude(owner=actor)
    elif view == "all":
        customers = Customer.objects.filter(owned_condition(actor))
    elif view == "pool":
        customers = Customer.objects.filter(pool_condition(actor))
        library_id = library_id or config.library_of(actor).pk
        customers = customers.filter(library_id=library_id)
    elif view == "bin":
        if not actor.has_permission("customer.delete"):
            raise PermissionDenied()
        customers = Customer.objects.filter(bin_condition(actor))
    else:
        raise NotFound()
    if library_id and view != "pool":
        customers = customers.filter(library_id=library_id)
    if stage_id:
        customers = customers.filter(stage_id=stage_id)
    if tag_id:
        customers = customers.filter(pk__in=CustomerTag.objects.filter(tag_id=tag_id).values("customer_id"))
    if owner_id:  # the recycle bin keeps no owner: its 原跟进人 is the previous one
        customers = customers.filter(**{"previous_owner_id" if view == "bin" else "owner_id": owner_id})
    if deal_status:
        customers = customers.filter(deal_status=deal_status)
    if source:
        customers = customers.filter(source=source)
    if no_followup_days:
        cutoff = clock.now() - timedelta(days=int(no_followup_days))
        customers = customers.filter(Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=cutoff))
    customers = filter_dates(customers, "created_at", created_from, created_to)
    if q:
        state = {"pool": State.POOL, "bin": State.DELETED}.get(view, State.OWNED)
        customers = _search(customers, q, actor=actor, state=state)
    order = SORTS.get(sort) or (
        "-released_at" if view == "pool" else "-deleted_at" if view == "bin" else "-created_at"
    )
    # previous_owner / deleted_by are rare and shown in few columns: fetched for the page by id
    # rather than hash-joining the whole employee table into every list query.
    return (
        customers.select_related("owner", "stage", "library")
        .prefetch_related("previous_owner", "deleted_by")
        .order_by(order, "-id")
    )


def customer_get(*, actor, customer_id, include_deleted=False):
    """One customer the caller may see; another tenant's, out of scope or unknown is 404."""
    condition = visible_condition(actor)
    if include_deleted:
        condition |= bin_condition(actor)
    customer = (
        Customer.objects.filter(condition, pk=customer_id)
        .select_related("owner", "previous_owner", "stage", "library", "created_by")
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer


# ---------------------------------------------------------------- masking (GEN-03, CUST-15)


def _masked(protected, state):
    """The masking rule: customers outside someone's ownership (pool, recycle bin) are masked
    for everyone (GEN-03, POOL-01); every customer is for an employee under data protection."""
    return protected or state != State.OWNED


def phones_masked(actor, state):
    """Whether ``actor`` sees the phones of customers in ``state`` masked (as :func:`masker`
    decides it per customer); the settings are read only when the state leaves it open."""
    return state != State.OWNED or _masked(config.is_masked_for(actor), state)


def masker(actor):
    """Return ``masked(customer) -> bool`` for this caller: pool and recycle-bin customers are
    always masked; everything is masked for employees under data protection (CUST-15)."""
    protected = config.is_masked_for(actor)

    def masked(customer):
        return _masked(protected, customer.state)

    return masked


def shown_contact(contact, masked):
    """A contact's phone, QQ, e-mail and WeChat as this caller may see them."""
    if not masked:
        return {"mobile": contact.mobile, "qq": contact.qq, "email": contact.email, "wechat": contact.wechat}
    return {
        "mobile": mask_phone(contact.mobile),
        "qq": mask_qq(contact.qq),
        "email": mask_email(contact.email),
        "wechat": "****" if contact.wechat else "",
    }


def decorate(customers, actor):
    """Attach ``primary`` (a contact with ``shown`` fields), ``tags``, ``masked``,
    ``contacts_count`` and ``collaborator_ids`` to a page of customers: three queries whatever
    the page size."""
    customers = list(customers)
    ids = [c.pk for c in customers]
    primaries, counts = {}, {}
    for contact in Contact.objects.filter(customer_id__in=ids):  # at most 10 a customer (CUST-01)
        counts[contact.customer_id] = counts.get(contact.customer_id, 0) + 1
        if contact.is_primary:
            primaries[contact.customer_id] = contact
    collaborators = {}
    for customer_id, employee_id in Collaborator.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "employee_id"
    ):
        collaborators.setdefault(customer_id, []).append(employee_id)
    tags = {}
    for link in (
        CustomerTag.objects.filter(customer_id__in=ids)
        .select_related("tag__group")
        .order_by("tag__group__position", "tag__position")
    ):
        tags.setdefault(link.customer_id, []).append(link.tag)
    targets = (
        target_departments([c.pk for c in customers if c.targeted])
        if any(c.targeted for c in customers)
        else {}
    )
    masked = masker(actor)
    for customer in customers:
        customer.target_departments = targets.get(customer.pk, [])
        customer.masked = masked(customer)
        customer.primary = primaries.get(customer.pk)
        if customer.primary:
            customer.primary.shown = shown_contact(customer.primary, customer.masked)
        customer.tags = tags.get(customer.pk, [])
        customer.contacts_count = counts.get(customer.pk, 0)
        customer.collaborator_ids = collaborators.get(customer.pk, [])
    return customers


def contacts_of(customer, actor):
    masked = masker(actor)(customer)
    contacts = list(Contact.objects.filter(customer=customer).order_by("-is_primary", "id"))
    for contact in contacts:
        contact.shown = shown_contact(contact, masked)
    return contacts


def collaborators_of(customer):
    return list(Collaborator.objects.filter(customer=customer).select_related("employee").order_by("id"))


def tag_ids_of(customer):
    return list(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))


def access_of(actor, customer):
    """What the caller may do on a visible customer: ``manage`` (owner or scope), ``write``
    (write collaborator), ``read`` (read collaborator, or pool)."""
    if customer.state != State.OWNED:
        return "read"
    if (
        customer.owner_id == actor.pk
        or Customer.objects.filter(visible_owner_q(actor, "customer"), pk=customer.pk).exists()
    ):
        return "manage"
    collaborator = Collaborator.objects.filter(customer=customer, employee=actor).first()
    return collaborator.access if collaborator else "read"


# ---------------------------------------------------------------- journey (FUP-03/04)


def followups_of(customer):
    return (
        Followup.objects.filter(customer=customer)
        .select_related("created_by", "contact")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )


def attachment_get(*, actor, attachment_id):
    """An attachment of a follow-up on a customer the caller may see (else 404)."""
    from .models import FollowupAttachment

    attachment = FollowupAttachment.objects.filter(pk=attachment_id).select_related("followup").first()
    if attachment is None or attachment.followup.customer_id is None:
        raise NotFound()
    customer_get(actor=actor, customer_id=attachment.followup.customer_id, include_deleted=True)
    return attachment


def flows_of(customer):
    return (
        CustomerFlow.objects.filter(customer=customer)
        .select_related("from_owner", "to_owner", "operator")
        .order_by("-created_at", "-id")
    )


CHANGE_VERBS = (
    "customer.updated",
    "customer.stage",
    "customer.tags",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "customer.collaborator_added",
    "customer.collaborator_changed",
    "customer.collaborator_removed",
    "customer.pool_targeted",
    "customer.opportunity",
    "customer.contract",
)  # an import shows once, as its flow record 导入


def changes_of(customer):
    return (
        TimelineEvent.objects.filter(object_type="customer", object_id=customer.pk, verb__in=CHANGE_VERBS)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def journey(customer, *, limit=50):
    """The customer journey, newest first: follow-ups, changes (old → new) and ownership moves,
    as dicts ``{kind, at, actor, ...}`` for the page and the API."""
    items = []
    for followup in followups_of(customer)[:limit]:
        items.append(
            {
                "kind": "followup",
                "at": followup.created_at,
                "actor": followup.created_by.name if followup.created_by else "",
                "method": followup.get_method_display(),
                "content": followup.content,
                "contact": followup.contact.name if followup.contact else "",
                "next_followup_at": followup.next_followup_at,
                "attachments": [
                    {"id": a.pk, "name": a.name, "size": a.size, "is_image": a.is_image}
                    for a in followup.attachments.all()
                ],
            }
        )
    for event in changes_of(customer)[:limit]:
        items.append(
            {
                "kind": "change",
                "at": event.created_at,
                "actor": event.actor.name if event.actor else "",
                "verb": event.verb,
                "changes": event.changes,
                "data": event.data,
            }
        )
    for flow in flows_of(customer)[:limit]:
        items.append(
            {
                "kind": "flow",
                "at": flow.created_at,
                "actor": flow.operator.name if flow.operator else "",
                "flow": flow.kind,
                "label": flow.get_kind_display(),
                "from": flow.from_owner.name if flow.from_owner else "",
                "to": flow.to_owner.name if flow.to_owner else "",
                "reason": flow.reason,
            }
        )
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[:limit]


def followup_list(
    *, actor, employee_id=None, customer_id=None, method=None, created_from=None, created_to=None
):
    """The global follow-up list (FUP-05): records of customers the caller may see, plus their
    own, newest first."""
    followups = Followup.objects.filter(customer__isnull=False).filter(
        Q(customer__in=Customer.objects.filter(visible_condition(actor)).values("pk")) | Q(created_by=actor)
    )
    if employee_id:
        followups = followups.filter(created_by_id=employee_id)
    if customer_id:
        followups = followups.filter(customer_id=customer_id)
    if method:
        followups = followups.filter(method=method)
    followups = filter_dates(followups, "created_at", created_from, created_to)
    return (
        followups.select_related("created_by", "customer", "contact")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )
