"""Customer reads: the views of CUST-03, search, masking, the journey and the follow-up list.

Who sees what is the customers' access policy (:mod:`tidecrm.customers.access`): the lists
``restrict`` by it and one record is read with ``access_customer``. Lists decorate a page of rows
with a constant number of queries (primary contacts, tags).
"""

from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from tidecrm.core import clock
from tidecrm.core.access import restrict
from tidecrm.core.dates import filter_dates
from tidecrm.core.errors import NotFound, PermissionDenied
from tidecrm.core.models import TimelineEvent
from tidecrm.core.normalize import mask_email, mask_phone, mask_qq, normalize_phone

from . import config, verbs
from .access import collaborating_q
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


def count_options(q, view):
    """How :func:`tidecrm.core.pagination.paginate` counts a customer list: up to
    :func:`count_limit`, and from the planner's estimate first where the list is usually far
    longer than that -- a search too short for the trigram index (33,000 customers for a city's
    name: its capped count reads them all, ~26 ms) and the whole company's list or pool (a
    million rows) -- so that their totals show "1000+" / "10000+" without counting."""
    short = bool(q and len(q.strip()) < 3)
    return {"count_limit": count_limit(q), "estimate": short or (view in ("all", "pool") and not q)}


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
    # 我的客户 and 我参与的 are within every scope by definition (an owner and a collaborator see
    # the customer): they skip resolving the scope; the other views are the policy's.
    if view == "mine":
        customers = Customer.objects.filter(state=State.OWNED, owner=actor)
    elif view == "collaborating":
        customers = Customer.objects.filter(collaborating_q(actor), state=State.OWNED)
    elif view == "team":
        customers = restrict(Customer.objects.exclude(owner=actor), actor, "view_owned")
    elif view == "all":
        customers = restrict(Customer.objects.all(), actor, "view_owned")
    elif view == "pool":
        customers = restrict(Customer.objects.all(), actor, "view_pool")
        library_id = library_id or config.library_of(actor).pk
        customers = customers.filter(library_id=library_id)
    elif view == "bin":
        if not actor.has_permission("customer.delete"):
            raise PermissionDenied()
        customers = restrict(Customer.objects.all(), actor, "view_bin")
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
    """Return a customer's contacts, the primary first, each with ``shown``: phone, QQ, e-mail
    and WeChat as the caller may see them (GEN-03, CUST-15). The caller read ``customer`` through
    ``access_customer``."""
    masked = masker(actor)(customer)
    contacts = list(Contact.objects.filter(customer=customer).order_by("-is_primary", "id"))
    for contact in contacts:
        contact.shown = shown_contact(contact, masked)
    return contacts


def collaborators_of(customer):
    """Return a customer's collaborators (CUST-17) with their employees, in the order added."""
    return list(Collaborator.objects.filter(customer=customer).select_related("employee").order_by("id"))


def tag_ids_of(customer):
    """Return the ids of a customer's tags (CUST-10)."""
    return list(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))


# ---------------------------------------------------------------- journey (FUP-03/04)


def followups_of(customer):
    """Return a customer's follow-ups (FUP-03), newest first, with author, contact and
    attachments loaded (a queryset: the journey slices it)."""
    return (
        Followup.objects.filter(customer=customer)
        .select_related("created_by", "contact")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )


def flows_of(customer):
    """Return a customer's ownership history (流转记录, CUST-29), newest first, employees joined."""
    return (
        CustomerFlow.objects.filter(customer=customer)
        .select_related("from_owner", "to_owner", "operator")
        .order_by("-created_at", "-id")
    )


CHANGE_VERBS = (
    verbs.CUSTOMER_UPDATED,
    verbs.CUSTOMER_STAGE,
    verbs.CUSTOMER_TAGS,
    verbs.CONTACT_CREATED,
    verbs.CONTACT_UPDATED,
    verbs.CONTACT_DELETED,
    verbs.CUSTOMER_COLLABORATOR_ADDED,
    verbs.CUSTOMER_COLLABORATOR_CHANGED,
    verbs.CUSTOMER_COLLABORATOR_REMOVED,
    verbs.CUSTOMER_POOL_TARGETED,
    verbs.CUSTOMER_OPPORTUNITY,
    verbs.CUSTOMER_CONTRACT,
)  # an import shows once, as its flow record 导入


def changes_of(customer):
    """Return a customer's 修改记录 (CUST-06, FUP-04): its timeline events of CHANGE_VERBS
    (fields, stage, tags, contacts, collaborators, pool targets, opportunities, contracts), newest
    first."""
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
    followups = restrict(Followup.objects.filter(customer__isnull=False), actor)
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
