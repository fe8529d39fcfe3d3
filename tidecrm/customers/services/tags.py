"""Customer tags (SPEC CUST-10, CUST-02): tag validation (one tag per single-select group),
setting or adding a customer's tags with a timeline event, and 批量添加标签."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, timeline
from tidecrm.core.bulk import each_independently
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.ownership import require_state

from .. import verbs
from ..access import access_customer
from ..models import Customer, CustomerTag, Tag

State = Customer.State


def validate_tags(tag_ids):
    """Return the tag ids, refusing unknown tags and two tags of one single-select group."""
    tag_ids = list(dict.fromkeys(int(t) for t in tag_ids or []))
    if not tag_ids:
        return []
    tags = list(Tag.objects.filter(pk__in=tag_ids).select_related("group"))
    if len(tags) != len(tag_ids):
        raise ValidationFailed({"tag_ids": [_("标签不存在")]})
    seen = {}
    for tag in tags:
        if not tag.group.multiple and tag.group_id in seen:
            raise ValidationFailed(
                {"tag_ids": [_("标签组“%(group)s”只能选一个标签") % {"group": tag.group.name}]},
                message=_("标签组“%(group)s”只能选一个标签") % {"group": tag.group.name},
            )
        seen[tag.group_id] = tag
    return tag_ids


def _tag_names(customer):
    return sorted(
        Tag.objects.filter(pk__in=CustomerTag.objects.filter(customer=customer).values("tag_id")).values_list(
            "name", flat=True
        )
    )


def customer_set_tags(*, actor, customer_id, tag_ids, add=False):
    """Set a customer's tags (or, with ``add``, add them; a single-select group's new tag
    replaces the one it had)."""
    tag_ids = validate_tags(tag_ids)
    with transaction.atomic():
        customer = access_customer(actor, customer_id, "change", lock=True)
        require_state(customer, State.OWNED, action=_("修改标签"))
        before = _tag_names(customer)
        links = CustomerTag.objects.filter(customer=customer)
        if add:
            single_groups = Tag.objects.filter(pk__in=tag_ids, group__multiple=False).values("group_id")
            links.filter(tag__group_id__in=single_groups).exclude(tag_id__in=tag_ids).delete()
        else:
            links.exclude(tag_id__in=tag_ids).delete()
        have = set(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))
        CustomerTag.objects.bulk_create(
            [CustomerTag(customer=customer, tag_id=t) for t in tag_ids if t not in have]
        )
        after = _tag_names(customer)
        if before != after:
            customer.updated_at = clock.now()
            customer.save(update_fields=["updated_at"])
            timeline.record(
                actor=actor, verb=verbs.CUSTOMER_TAGS, obj=customer, changes={str(_("标签")): [before, after]}
            )
    return customer


def customers_add_tags(*, actor, ids, tag_ids):
    """批量添加标签 (CUST-02)."""
    tag_ids = validate_tags(tag_ids)
    if not tag_ids:
        raise ValidationFailed({"tag_ids": [_("请选择标签")]}, message=_("请选择标签"))
    return each_independently(
        ids, lambda pk: customer_set_tags(actor=actor, customer_id=pk, tag_ids=tag_ids, add=True)
    )
