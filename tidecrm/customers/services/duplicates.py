"""Duplicate checks (SPEC CUST-13/14, LEAD-27, BEYOND-02): which live customers a new or changed
one is compared with, by the library's rule (customer name / contact name / contact mobile, any
or all), the ``duplicate_customer`` refusal naming the holder, and the lock that serialises the
check with the insert."""

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


def find_duplicate(library, *, name_key="", contact_names=(), mobiles=(), exclude_pk=None):
    """Return ``(customer, field)`` that a customer with these keys would duplicate, or None.

    The library's rule picks the keys (customer name / contact name / contact mobile) and the
    mode: ``any`` — one key matching is enough; ``all`` — one customer must match every key.
    Contact mobile is always checked as well (LEAD-27: one phone, one holder).
    """
    fields = list(library.duplicate_fields or ["customer_name"])
    live = _candidates(library).select_related("owner")
    if exclude_pk:
        live = live.exclude(pk=exclude_pk)
    contact_names = [n.replace(" ", "") for n in contact_names if n]
    mobiles = [m for m in mobiles if m]
    conditions = {}
    if "customer_name" in fields and name_key:
        conditions["customer_name"] = Q(name_key=name_key)
    if "contact_name" in fields and contact_names:
        conditions["contact_name"] = Q(
            pk__in=Contact.objects.filter(name_key__in=contact_names).values("customer_id")
        )
    mobile_condition = Q(pk__in=Contact.objects.filter(mobile__in=mobiles).values("customer_id"))
    if "contact_mobile" in fields and mobiles:
        conditions["contact_mobile"] = mobile_condition
    if library.duplicate_match == Library.Match.ALL and len(conditions) == len(fields) and conditions:
        combined = Q()
        for condition in conditions.values():
            combined &= condition
        found = live.filter(combined).first()
        if found:
            return found, "+".join(conditions)
    elif library.duplicate_match != Library.Match.ALL:
        for field, condition in conditions.items():
            found = live.filter(condition).first()
            if found:
                return found, field
    if mobiles and (library.duplicate_match == Library.Match.ALL or "contact_mobile" not in conditions):
        found = live.filter(mobile_condition).first()
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
