"""Contacts (SPEC CUST-07, LEAD-27): validation, add (≤ 10 per customer, the first primary, the
mobile checked against other customers), edit and delete (never the last one; deleting the
primary names the new one)."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.core.ownership import require_state

from .. import verbs
from ..access import access_contact, access_customer
from ..models import Contact, Customer, Followup
from .duplicates import _duplicate_lock, refuse_duplicate

State = Customer.State
CONTACT_FIELDS = ("name", "mobile", "gender", "title", "email", "qq", "wechat", "remark")


def clean_contact(values, *, partial=False):
    """Validate a contact (CUST-07): name and a valid mobile required; description ≤ 150."""
    errors, cleaned = {}, {}
    for field in CONTACT_FIELDS:
        if field in values or not partial:
            cleaned[field] = (values.get(field) or "").strip()
    if "name" in cleaned:
        if not cleaned["name"]:
            errors["name"] = [_("请填写联系人姓名")]
        elif len(cleaned["name"]) > 40:
            errors["name"] = [_("联系人姓名不能超过40个字")]
        cleaned["name_key"] = cleaned["name"].replace(" ", "")
    if "mobile" in cleaned:
        cleaned["mobile"] = normalize_phone(cleaned["mobile"])
        if not cleaned["mobile"]:
            errors["mobile"] = [_("请填写手机号")]
        elif not is_mobile(cleaned["mobile"]):
            errors["mobile"] = [_("手机号格式错误")]
    if "gender" in cleaned:
        cleaned["gender"] = cleaned["gender"] or Contact.Gender.UNKNOWN
        if cleaned["gender"] not in Contact.Gender.values:
            errors["gender"] = [_("请选择性别")]
    if cleaned.get("email") and "@" not in cleaned["email"]:
        errors["email"] = [_("邮箱格式错误")]
    if len(cleaned.get("remark", "")) > 150:
        errors["remark"] = [_("描述不能超过150个字")]
    if cleaned.get("qq") and not cleaned["qq"].isdigit():
        errors["qq"] = [_("QQ号只能是数字")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def contact_add(*, actor, customer_id, **values):
    """Add a contact: ≤ 10 per customer (``contact_limit_reached``); the first is primary; its
    mobile is checked against other customers (one phone, one holder)."""
    cleaned = clean_contact(values)
    make_primary = bool(values.get("is_primary"))
    with transaction.atomic():
        customer = access_customer(actor, customer_id, "change", lock=True)
        require_state(customer, State.OWNED, action=_("添加联系人"))
        existing = Contact.objects.filter(customer=customer)
        count = existing.count()
        if count >= Contact.MAX_PER_CUSTOMER:
            raise BusinessError(codes.CONTACT_LIMIT_REACHED, _("一个客户最多10个联系人"))
        if existing.filter(mobile=cleaned["mobile"]).exists():
            raise ValidationFailed({"mobile": [_("该客户已有此手机号的联系人")]})
        _duplicate_lock(customer.library)
        refuse_duplicate(customer.library, mobiles=[cleaned["mobile"]], exclude_pk=customer.pk)
        if make_primary and count:
            existing.filter(is_primary=True).update(is_primary=False)
        contact = Contact.objects.create(
            customer=customer, created_by=actor, is_primary=make_primary or not count, **cleaned
        )
        timeline.record(actor=actor, verb=verbs.CONTACT_CREATED, obj=customer, data={"contact": contact.name})
    return contact


def _contact_locked(actor, contact_id):
    contact, customer = access_contact(actor, contact_id, "change", lock=True)
    require_state(customer, State.OWNED, action=_("修改联系人"))
    return contact, customer


def contact_update(*, actor, contact_id, **values):
    """Edit a contact (CUST-07) of an owned customer the caller may change; changed fields go
    to 修改记录. A new mobile is checked against the customer's other contacts (422) and other
    customers (``duplicate_customer``, LEAD-27); ``is_primary`` makes it the primary."""
    cleaned = clean_contact(
        {k: v for k, v in values.items() if k in CONTACT_FIELDS and v is not None}, partial=True
    )
    with transaction.atomic():
        contact, customer = _contact_locked(actor, contact_id)
        if "mobile" in cleaned and cleaned["mobile"] != contact.mobile:
            if Contact.objects.filter(customer=customer, mobile=cleaned["mobile"]).exists():
                raise ValidationFailed({"mobile": [_("该客户已有此手机号的联系人")]})
            _duplicate_lock(customer.library)
            refuse_duplicate(customer.library, mobiles=[cleaned["mobile"]], exclude_pk=customer.pk)
        changes = timeline.diff(contact, cleaned, [f for f in CONTACT_FIELDS if f in cleaned])
        for field, value in cleaned.items():
            setattr(contact, field, value)
        if values.get("is_primary") and not contact.is_primary:
            Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
            contact.is_primary = True
            changes["is_primary"] = [False, True]
        contact.save()
        if changes:
            timeline.record(
                actor=actor,
                verb=verbs.CONTACT_UPDATED,
                obj=customer,
                data={"contact": contact.name},
                changes=changes,
            )
    return contact


def contact_delete(*, actor, contact_id, new_primary_id=None):
    """Delete a contact. The last one cannot go (a customer keeps a contact); deleting the
    primary needs the new primary (``primary_contact_required``)."""
    with transaction.atomic():
        contact, customer = _contact_locked(actor, contact_id)
        others = Contact.objects.filter(customer=customer).exclude(pk=contact.pk)
        if not others.exists():
            raise BusinessError(codes.LAST_CONTACT, _("客户至少保留一个联系人"))
        if contact.is_primary:
            new_primary = others.filter(pk=new_primary_id).first() if new_primary_id else None
            if new_primary is None:
                raise BusinessError(
                    codes.PRIMARY_CONTACT_REQUIRED, _("删除首要联系人前，请选择新的首要联系人")
                )
        # Follow-ups keep their text, no longer the contact: within the tenant, by its index
        # (Followup.contact is DO_NOTHING, or Django would scan every tenant's follow-ups).
        Followup.objects.filter(contact=contact).update(contact=None)
        contact.delete()
        if contact.is_primary:
            others.filter(pk=new_primary.pk).update(is_primary=True)
        timeline.record(actor=actor, verb=verbs.CONTACT_DELETED, obj=customer, data={"contact": contact.name})
