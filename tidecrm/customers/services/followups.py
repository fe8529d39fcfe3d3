"""Follow-ups (SPEC FUP-01/02, CUST-01): one follow-up record with checked attachments, for a
lead or a customer; on a customer it also stamps the last follow-up time and contact method
(which recycling reads)."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, timeline, uploads
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.ownership import require_state

from .. import verbs
from ..access import access_customer
from ..models import Contact, Customer, Followup, FollowupAttachment

State = Customer.State


def followup_create(
    *,
    actor,
    content,
    method=Followup.Method.CALL,
    next_followup_at=None,
    lead=None,
    customer=None,
    contact=None,
    files=(),
):
    """Write one follow-up record (FUP-01) for a lead or a customer; the caller checked access.

    ``files`` are (name, bytes) attachments, checked by content (core.uploads). Refusals: 422
    for empty content without attachments, an unknown method, a next follow-up time in the
    past, or a file that is not an allowed kind (``invalid_file``).
    """
    content = (content or "").strip()
    checked = uploads.check_all(list(files))
    errors = {}
    if not content and not checked:
        errors["content"] = [_("请填写跟进内容")]
    elif len(content) > 2000:
        errors["content"] = [_("跟进内容不能超过2000字")]
    if method not in Followup.Method.values:
        errors["method"] = [_("请选择跟进方式")]
    if next_followup_at is not None and next_followup_at <= clock.now():
        errors["next_followup_at"] = [_("下次跟进时间应晚于现在")]
    if errors:
        raise ValidationFailed(errors)
    followup = Followup.objects.create(
        lead=lead,
        customer=customer,
        contact=contact,
        content=content,
        method=method,
        next_followup_at=next_followup_at,
        created_by=actor,
    )
    FollowupAttachment.objects.bulk_create(
        [
            FollowupAttachment(
                followup=followup,
                file=uploads.store(data, folder="followups", kind=kind),
                name=name[:200],
                content_type=kind.content_type,
                size=len(data),
                is_image=kind.image,
            )
            for name, data, kind in checked
        ]
    )
    timeline.record(
        actor=actor,
        verb=verbs.FOLLOWUP_CREATED,
        obj=lead or customer,
        data={"followup_id": followup.pk, "method": method},
    )
    return followup


def customer_followup_add(
    *, actor, customer_id, content, method="call", contact_id=None, next_followup_at=None, files=()
):
    """添加跟进 on a customer (optionally about one of its contacts, FUP-02); stamps the
    customer's last follow-up time and contact method (CUST-01, used by recycling)."""
    with transaction.atomic():
        customer = access_customer(actor, customer_id, "follow_up", lock=True)
        require_state(customer, State.OWNED, action=_("添加跟进"))
        contact = None
        if contact_id:
            contact = Contact.objects.filter(pk=contact_id, customer=customer).first()
            if contact is None:
                raise ValidationFailed({"contact_id": [_("联系人不属于该客户")]})
        followup = followup_create(
            actor=actor,
            customer=customer,
            contact=contact,
            content=content,
            method=method,
            next_followup_at=next_followup_at,
            files=files,
        )
        customer.last_followup_at = followup.created_at
        customer.last_contact_method = method
        customer.save(update_fields=["last_followup_at", "last_contact_method"])
    return followup
