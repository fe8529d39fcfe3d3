"""Customer writes. For now: create (with its primary contact), used by lead conversion."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_company, normalize_phone
from tidecrm.rules import holding

from .models import Contact, Customer, Followup


def holder_of(customer):
    """Who holds a customer, for ``duplicate_customer``: the owner's name or 公海."""
    return customer.owner.name if customer.state == Customer.State.OWNED and customer.owner_id else _("公海")


def duplicate_of(*, name_key="", mobile=""):
    """Return the live customer a new one would duplicate (default rule: customer name; and a
    contact's mobile, which LEAD-27 also checks), or None."""
    live = Customer.objects.exclude(state=Customer.State.DELETED).select_related("owner")
    if name_key:
        found = live.filter(name_key=name_key).first()
        if found:
            return found
    if mobile:
        contact = (
            Contact.objects.filter(mobile=mobile, customer__in=live).select_related("customer__owner").first()
        )
        if contact:
            return contact.customer
    return None


def customer_create(
    *,
    actor,
    owner,
    name,
    contact_name,
    mobile="",
    email="",
    qq="",
    wechat="",
    source="",
    remark="",
    tag_ids=(),
    from_lead=None,
):
    """Create an owned customer with its primary contact.

    Refusals: 422 without a customer or contact name, ``duplicate_customer`` (naming the holder),
    ``holding_limit_reached`` for the owner's customer limit.
    """
    name, contact_name = (name or "").strip(), (contact_name or "").strip()
    errors = {}
    if not name:
        errors["customer_name"] = [_("请填写客户名称")]
    if not contact_name:
        errors["contact_name"] = [_("请填写联系人姓名")]
    mobile = normalize_phone(mobile)
    if mobile and not is_mobile(mobile):
        errors["mobile"] = [_("手机号格式错误")]
    if errors:
        raise ValidationFailed(errors)
    name_key = normalize_company(name)
    with transaction.atomic():
        holding.reserve(owner, "customer")  # also serialises this owner's acquisitions
        duplicate = duplicate_of(name_key=name_key, mobile=mobile)
        if duplicate:
            raise BusinessError(
                "duplicate_customer",
                _("客户已存在：%(name)s（%(holder)s）")
                % {"name": duplicate.name, "holder": holder_of(duplicate)},
                details={"owner": holder_of(duplicate), "customer_id": duplicate.pk},
            )
        customer = Customer.objects.create(
            name=name,
            name_key=name_key,
            owner=owner,
            source=source,
            remark=remark,
            tag_ids=list(tag_ids),
            from_lead=from_lead,
            created_by=actor,
        )
        Contact.objects.create(
            customer=customer,
            name=contact_name,
            mobile=mobile,
            email=email,
            qq=qq,
            wechat=wechat,
            is_primary=True,
        )
        timeline.record(
            actor=actor,
            verb="customer.created",
            obj=customer,
            data={"from_lead": from_lead.pk if from_lead else None},
        )
    return customer


def followup_create(
    *,
    actor,
    content,
    method=Followup.Method.CALL,
    next_followup_at=None,
    lead=None,
    customer=None,
    contact=None,
):
    """Write one follow-up record (FUP-01) for a lead or a customer; the caller checked access.

    Refusals: 422 for empty content, an unknown method, or a next follow-up time in the past.
    """
    content = (content or "").strip()
    errors = {}
    if not content:
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
    timeline.record(
        actor=actor,
        verb="followup.created",
        obj=lead or customer,
        data={"followup_id": followup.pk, "method": method},
    )
    return followup
