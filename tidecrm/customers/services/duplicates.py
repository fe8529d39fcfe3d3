"""Duplicate checks (SPEC CUST-13/14, LEAD-27, BEYOND-02): which live customers a new or changed
one is compared with, by the library's rule (customer name / contact name / contact mobile, any
or all), the ``duplicate_customer`` refusal naming the holder, and the lock that serialises the
check with the insert."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from tidecrm.core import codes
from tidecrm.core.errors import BusinessError

from .. import config
from ..models import Contact, Customer, CustomerSettings, Library

State = Customer.State


def holder_of(customer):
    """Who holds a customer, for ``duplicate_customer``: the owner's name, 公海 or 回收站."""
    if customer.state == State.OWNED and customer.owner_id:
        return customer.owner.name
    return _("公海") if customer.state == State.POOL else _("回收站")


def held_where(customer):
    """Where a customer is, for a refusal a salesperson reads: 跟进人：张三, 在公海中 or 在回收站中
    (公海 is no person to name as 跟进人)."""
    if customer.state == State.OWNED and customer.owner_id:
        return _("跟进人：%(name)s") % {"name": customer.owner.name}
    return _("在公海中") if customer.state == State.POOL else _("在回收站中")


def _candidates(library):
    """Customers a new one in ``library`` is checked against: its library, or every library when
    the enterprise forbids cross-library duplicates (CUST-13). The recycle bin does not hold a
    name or phone (the refusal names an owner or 公海, CUST-14); a twin created meanwhile blocks
    the restore instead (customer_restore)."""
    live = Customer.objects.exclude(state=State.DELETED)
    if config.customer_settings().cross_library_duplicates:
        live = live.filter(library=library)
    return live


KEY_FIELDS = ("customer_name", "contact_name", "contact_mobile")


@dataclass(frozen=True)
class DuplicateRule:
    """What a library's rule (CUST-13) compares for one customer's keys — the one definition
    both :func:`find_duplicate` (SQL) and the import's in-memory index
    (``customers.imports.DuplicateIndex``) apply.

    ``together``: in ``all`` mode, the fields one customer must match at once (empty unless the
    customer has a key for every field of the rule); ``each``: in ``any`` mode, the fields tried
    in order, the first match wins; ``mobile_after``: the contact mobile is checked afterwards
    whatever the rule (LEAD-27: one phone, one holder), unless ``any`` mode already tried it.
    """

    together: tuple[str, ...]
    each: tuple[str, ...]
    mobile_after: bool


def duplicate_rule(library, keys):
    """Return the :class:`DuplicateRule` of ``library`` for ``keys`` (field → key or keys; an
    empty key is no key)."""
    fields = list(library.duplicate_fields or ["customer_name"])
    present = tuple(field for field in KEY_FIELDS if field in fields and keys.get(field))
    all_mode = library.duplicate_match == Library.Match.ALL
    together = present if all_mode and present and len(present) == len(fields) else ()
    each = () if all_mode else present
    mobile_after = bool(keys.get("contact_mobile")) and (all_mode or "contact_mobile" not in present)
    return DuplicateRule(together, each, mobile_after)


def find_duplicate(library, *, name_key="", contact_names=(), mobiles=(), exclude_pk=None):
    """Return ``(customer, field)`` that a customer with these keys would duplicate, or None.

    The library's rule picks the keys (customer name / contact name / contact mobile) and the
    mode: ``any`` — one key matching is enough; ``all`` — one customer must match every key.
    Contact mobile is always checked as well (LEAD-27: one phone, one holder). The rule is
    :func:`duplicate_rule`.
    """
    live = _candidates(library).select_related("owner")
    if exclude_pk:
        live = live.exclude(pk=exclude_pk)
    contact_names = [n.replace(" ", "") for n in contact_names if n]
    mobiles = [m for m in mobiles if m]
    conditions = {
        "customer_name": lambda: Q(name_key=name_key),
        "contact_name": lambda: Q(
            pk__in=Contact.objects.filter(name_key__in=contact_names).values("customer_id")
        ),
        "contact_mobile": lambda: Q(pk__in=Contact.objects.filter(mobile__in=mobiles).values("customer_id")),
    }
    rule = duplicate_rule(
        library, {"customer_name": name_key, "contact_name": contact_names, "contact_mobile": mobiles}
    )
    if rule.together:
        combined = Q()
        for field in rule.together:
            combined &= conditions[field]()
        found = live.filter(combined).first()
        if found:
            return found, "+".join(rule.together)
    for field in rule.each:
        found = live.filter(conditions[field]()).first()
        if found:
            return found, field
    if rule.mobile_after:
        found = live.filter(conditions["contact_mobile"]()).first()
        if found:
            return found, "contact_mobile"
    return None


def duplicate_of(*, name_key="", mobile=""):
    """The live customer holding this name key or contact mobile, whatever the library (used by
    the lead duplicate check, LEAD-27), or None."""
    live = Customer.objects.exclude(state=State.DELETED).select_related("owner")
    if name_key:
        found = live.filter(name_key=name_key).first()
        if found:
            return found
    if mobile:
        return live.filter(pk__in=Contact.objects.filter(mobile=mobile).values("customer_id")).first()
    return None


def refuse_duplicate(library, **keys):
    """Raise ``duplicate_customer`` (CUST-14) when :func:`find_duplicate` finds a customer:
    the message says where it is held; ``details`` name the holder, the matching field and, for
    an owned customer, its id. Call it under :func:`_duplicate_lock`."""
    duplicate = find_duplicate(library, **keys)
    if duplicate:
        customer, field = duplicate
        holder = holder_of(customer)
        raise BusinessError(
            codes.DUPLICATE_CUSTOMER,
            _("客户已存在：%(name)s（%(where)s）") % {"name": customer.name, "where": held_where(customer)},
            details={
                "owner": holder,
                "field": field,
                "customer_id": customer.pk if customer.state == State.OWNED else None,
            },
        )


def _duplicate_lock(library):
    """Serialise duplicate checks with inserts: lock the library row, or the enterprise's customer
    settings row when duplicates are checked across libraries (two people saving the same new
    customer at once: one wins, the other gets ``duplicate_customer``)."""
    settings = config.customer_settings()
    if settings.cross_library_duplicates:
        Library.objects.select_for_update().filter(pk=library.pk).first()
    else:
        CustomerSettings.objects.select_for_update().filter(pk=settings.pk).first()
