"""Customer records (SPEC CUST-04/06/09, HOLD-02/04): validation of the customer's own fields,
新建客户 with its contacts and tags, 编辑客户 with its 修改记录, and the deal status
(已结单 / has won) recomputed from the opportunity statuses the ``core.hooks.DEAL_SOURCES`` report."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes, hooks, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.normalize import normalize_company
from tidecrm.core.ownership import require_state
from tidecrm.core.permissions import check
from tidecrm.org.models import Employee
from tidecrm.org.scopes import visible_owner_q

from .. import config, verbs
from ..access import access_customer
from ..models import Contact, Customer, CustomerFlow, CustomerTag, Stage
from ._common import _flow, _reserve
from .contacts import clean_contact
from .duplicates import _duplicate_lock, refuse_duplicate
from .tags import validate_tags

State, Kind = Customer.State, CustomerFlow.Kind
EDITABLE = ("name", "kind", "source", "remark", "stage_id")


def _clean_customer(values):
    errors, cleaned = {}, {}
    if "name" in values:
        name = (values.get("name") or "").strip()
        if not name:
            errors["name"] = [_("请填写客户名称")]
        elif len(name) > 100:
            errors["name"] = [_("客户名称不能超过100个字")]
        cleaned["name"], cleaned["name_key"] = name, normalize_company(name)
    if "kind" in values:
        if values["kind"] not in Customer.Kind.values:
            errors["kind"] = [_("请选择客户类型")]
        cleaned["kind"] = values["kind"]
    for field, limit in (("source", 40), ("remark", 500)):
        if field in values:
            cleaned[field] = (values.get(field) or "").strip()
            if len(cleaned[field]) > limit:
                errors[field] = [_("不能超过%(n)s个字") % {"n": limit}]
    if "stage_id" in values and values["stage_id"] is not None:
        if not Stage.objects.filter(pk=values["stage_id"]).exists():
            errors["stage_id"] = [_("请选择客户进展")]
        cleaned["stage_id"] = values["stage_id"]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def customer_create(
    *,
    actor,
    name,
    contacts=(),
    owner=None,
    to_pool=False,
    library=None,
    kind=Customer.Kind.ENTERPRISE,
    source="",
    remark="",
    stage_id=None,
    tag_ids=(),
    from_lead=None,
    contact_name=None,
    mobile="",
    email="",
    qq="",
    wechat="",
):
    """新建客户 (CUST-04): owned by ``owner`` (default the caller), or into a library's pool.

    ``contacts`` is a list of dicts (the first becomes primary, ≤ 10); ``contact_name`` /
    ``mobile`` / ... is the one-contact shorthand lead conversion uses. Refusals: 422 on
    missing names or a bad mobile, ``duplicate_customer`` naming the holder (CUST-14),
    ``holding_limit_reached`` (HOLD-02), ``contact_limit_reached``.
    """
    if from_lead is None:  # conversion is checked by the caller (lead.convert, LEAD-16)
        check(actor, "customer.create")
    if contact_name is not None:
        contacts = [{"name": contact_name, "mobile": mobile, "email": email, "qq": qq, "wechat": wechat}]
    errors = {}
    try:
        cleaned = _clean_customer(
            {"name": name, "kind": kind, "source": source, "remark": remark, "stage_id": stage_id}
        )
    except ValidationFailed as error:
        errors.update(error.fields)
        cleaned = {}
    if not contacts:
        errors["contacts"] = [_("请至少填写一个联系人")]
    if len(contacts) > Contact.MAX_PER_CUSTOMER:
        raise BusinessError(codes.CONTACT_LIMIT_REACHED, _("一个客户最多10个联系人"))
    cleaned_contacts = []
    for index, contact in enumerate(contacts):
        try:
            cleaned_contacts.append(clean_contact(contact))
        except ValidationFailed as error:
            for field, messages in error.fields.items():
                errors[f"contacts.{index}.{field}" if index else f"contact_{field}"] = messages
    mobiles = [c["mobile"] for c in cleaned_contacts]
    if len(set(mobiles)) != len(mobiles):
        errors["contacts"] = [_("联系人手机号重复")]
    if errors:
        raise ValidationFailed(errors)
    tag_ids = validate_tags(tag_ids)
    if owner is None and not to_pool:
        owner = actor
    if owner is not None and owner.pk != actor.pk and from_lead is None:
        check(actor, "customer.transfer")
        if not Employee.objects.filter(
            visible_owner_q(actor, "customer", owner_field="pk"), pk=owner.pk
        ).exists():
            raise NotFound()
    if library is None:
        library = config.library_of(owner or actor)
    now = clock.now()
    with transaction.atomic():
        if owner is not None:  # HOLD-04: a customer created at the terminal stage does not count
            _reserve(owner, Customer(stage_id=cleaned.get("stage_id") or config.first_stage().pk))
        _duplicate_lock(library)
        refuse_duplicate(
            library,
            name_key=cleaned["name_key"],
            contact_names=[c["name"] for c in cleaned_contacts],
            mobiles=mobiles,
        )
        cleaned["stage_id"] = cleaned.get("stage_id") or config.first_stage().pk
        customer = Customer.objects.create(
            **cleaned,
            library=library,
            state=State.OWNED if owner else State.POOL,
            owner=owner,
            acquired_at=now if owner else None,
            released_at=None if owner else now,
            from_lead=from_lead,
            created_by=actor,
        )
        Contact.objects.bulk_create(
            [
                Contact(customer=customer, created_by=actor, is_primary=index == 0, **contact)
                for index, contact in enumerate(cleaned_contacts)
            ]
        )
        CustomerTag.objects.bulk_create([CustomerTag(customer=customer, tag_id=t) for t in tag_ids])
        _flow(
            customer,
            Kind.CREATE,
            operator=actor,
            to_owner=owner,
            reason=_("由线索转化") if from_lead else "",
        )
    return customer


FIELD_LABELS = {
    "name": _("客户名称"),
    "kind": _("客户类型"),
    "source": _("来源"),
    "remark": _("描述"),
    "stage_id": _("客户进展"),
}


def customer_update(*, actor, customer_id, **values):
    """编辑客户 (CUST-06): each changed field lands in 修改记录 (field, old → new, who, when)."""
    values = {k: v for k, v in values.items() if k in EDITABLE and v is not None}
    cleaned = _clean_customer(values)
    with transaction.atomic():
        customer = access_customer(actor, customer_id, "change", lock=True)
        require_state(customer, State.OWNED, action=_("编辑"))
        if "name_key" in cleaned and cleaned["name_key"] != customer.name_key:
            _duplicate_lock(customer.library)
            refuse_duplicate(
                customer.library,
                name_key=cleaned["name_key"],
                # "all" mode: the rename must be checked with the customer's own contacts
                contact_names=Contact.objects.filter(customer=customer).values_list("name", flat=True),
                exclude_pk=customer.pk,
            )
        changes = timeline.diff(customer, cleaned, [f for f in EDITABLE if f in cleaned])
        if "stage_id" in changes:
            names = dict(Stage.objects.filter(pk__in=changes["stage_id"]).values_list("pk", "name"))
            changes["stage_id"] = [names.get(changes["stage_id"][0]), names.get(changes["stage_id"][1])]
        if "kind" in changes:
            changes["kind"] = [str(Customer.Kind(v).label) for v in changes["kind"]]
        for field, value in cleaned.items():
            setattr(customer, field, value)
        customer.updated_at = clock.now()
        customer.save()
        if changes:
            timeline.record(
                actor=actor,
                verb=verbs.CUSTOMER_STAGE if list(changes) == ["stage_id"] else verbs.CUSTOMER_UPDATED,
                obj=customer,
                changes={str(FIELD_LABELS[f]): v for f, v in changes.items()},
            )
    return customer


# ---------------------------------------------------------------- deal status (CUST-09, Q-10)


def deal_status_of(statuses):
    """Return (deal_status, has_won) from a customer's opportunity statuses: 已结单 when there is
    at least one and every one is won or lost; ``has_won`` when any was won."""
    statuses = list(statuses)
    closed = bool(statuses) and all(s in ("won", "lost") for s in statuses)
    return (Customer.DealStatus.CLOSED if closed else Customer.DealStatus.OPEN), "won" in statuses


def refresh_deal_status(customer_ids):
    """Recompute ``deal_status`` and ``has_won`` for these customers (called by sales on every
    opportunity create, status change and delete)."""
    statuses = {pk: [] for pk in customer_ids}
    for source in hooks.each(hooks.DEAL_SOURCES):
        for pk, found in source(list(customer_ids)).items():
            statuses.setdefault(pk, []).extend(found)
    for pk, found in statuses.items():
        deal_status, has_won = deal_status_of(found)
        Customer.objects.filter(pk=pk).update(deal_status=deal_status, has_won=has_won)
