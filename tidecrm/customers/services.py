"""Customer writes (SPEC CUST-*, POOL-02/03/12/13/14, HOLD-02..06, FUP-01; API.md "Customers").

Every ownership move — create, transfer, release, claim, assign, delete, restore, inherit — is
one function here. Each locks the customer row (``select_for_update``), re-checks its state
inside the transaction, reserves holding-limit capacity for the new owner (rules.holding, which
also serialises that owner's acquisitions), and writes a :class:`CustomerFlow` row plus a
timeline event. Bulk actions answer per record. Apps whose records follow the customer (sales:
opportunities and contracts, POOL-14) register in :data:`OWNER_LISTENERS`.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tidecrm.core import clock, timeline, uploads
from tidecrm.core.bulk import each_independently
from tidecrm.core.dates import day_start
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_company, normalize_phone
from tidecrm.core.permissions import check
from tidecrm.org.models import Department, Employee
from tidecrm.org.scopes import visible_owner_q
from tidecrm.rules import holding

from . import config
from .models import (
    Collaborator,
    Contact,
    Customer,
    CustomerFlow,
    CustomerSettings,
    CustomerTag,
    Followup,
    FollowupAttachment,
    Library,
    PoolTarget,
    Stage,
    Tag,
)

State, Kind = Customer.State, CustomerFlow.Kind
EDITABLE = ("name", "kind", "source", "remark", "stage_id")
CONTACT_FIELDS = ("name", "mobile", "gender", "title", "email", "qq", "wechat", "remark")

# Functions called as ``listener(customer, old_owner, new_owner, kind, actor)`` after every
# ownership move, inside its transaction (POOL-14: opportunities and contracts follow).
OWNER_LISTENERS = []
# ``source(customer_ids) -> {customer_id: [opportunity status, ...]}`` (CUST-09, set by sales).
DEAL_SOURCES = []
# ``guard(customer)`` raising a BusinessError when the customer may not go to the pool now
# (CUST-19: a contract in approval, set by sales).
RELEASE_GUARDS = []


# ---------------------------------------------------------------- validation


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


# ---------------------------------------------------------------- duplicates (CUST-14, BEYOND-02)


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
    duplicate = find_duplicate(library, **keys)
    if duplicate:
        customer, field = duplicate
        holder = holder_of(customer)
        raise BusinessError(
            "duplicate_customer",
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


# ---------------------------------------------------------------- helpers


def _flow(customer, kind, *, operator, from_owner=None, to_owner=None, reason=""):
    CustomerFlow.objects.create(
        customer=customer,
        kind=kind,
        from_owner=from_owner,
        to_owner=to_owner,
        operator=operator,
        reason=reason[:200],
    )
    timeline.record(
        actor=operator,
        verb=f"customer.{kind}",
        obj=customer,
        changes={"owner": [from_owner.name if from_owner else None, to_owner.name if to_owner else None]}
        if from_owner != to_owner
        else {},
        reason=reason,
    )
    if from_owner != to_owner:
        for listener in OWNER_LISTENERS:
            listener(customer, from_owner, to_owner, kind, operator)


def active_employee(employee_id):
    employee = (
        Employee.objects.filter(pk=employee_id, deleted_at__isnull=True)
        .select_related("main_department")
        .first()
    )
    if employee is None:
        raise NotFound()
    if employee.status != Employee.Status.ACTIVE:
        raise BusinessError("employee_not_active", _("该员工已离职或被禁用"))
    return employee


def _locked(customer_id, actor=None):
    """Lock a customer row. With ``actor``, one the actor may not see at all (another library's
    pool, someone else's recycle bin, out of scope) is 404 before any state is revealed."""
    if actor is not None:
        from .selectors import bin_condition, visible_condition

        if not Customer.objects.filter(
            visible_condition(actor) | bin_condition(actor), pk=customer_id
        ).exists():
            raise NotFound()
    # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the owner's outer join.
    customer = (
        Customer.objects.select_for_update(of=("self",))
        .filter(pk=customer_id)
        .select_related("owner")
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer


def _require_state(customer, *states, action):
    if customer.state not in states:
        where = {State.OWNED: _("已有跟进人"), State.POOL: _("在公海中"), State.DELETED: _("在回收站中")}
        raise BusinessError(
            "invalid_transition",
            _("该客户%(where)s，不能%(action)s") % {"where": where[customer.state], "action": action},
        )


def may_manage(actor, customer):
    """Ownership moves and collaborators: the owner, or someone whose customer scope covers the
    owner. Collaborators may not (CUST-17). Anything else is 404, as for an unseen record."""
    if customer.owner_id == actor.pk:
        return
    if not Customer.objects.filter(visible_owner_q(actor, "customer"), pk=customer.pk).exists():
        raise NotFound()


def may_write(actor, customer, *, followup=False):
    """Edit (and follow up): the managers above, or a collaborator with write access (any
    collaborator may add follow-ups)."""
    if customer.owner_id == actor.pk:
        return
    collaborator = Collaborator.objects.filter(customer=customer, employee=actor).first()
    if collaborator and (followup or collaborator.access == Collaborator.Access.WRITE):
        return
    if Customer.objects.filter(visible_owner_q(actor, "customer"), pk=customer.pk).exists():
        return
    if collaborator:
        raise BusinessError("permission_denied", _("您是该客户的只读协作人，不能修改"), status=403)
    raise NotFound()


def counts_toward_limit(customer):
    """HOLD-04 / Q-15: a customer counts while owned, not at the terminal stage and not won."""
    if customer.has_won:
        return False
    return not Stage.objects.filter(pk=customer.stage_id, is_terminal=True).exists()


def _reserve(owner, customer=None, n=1):
    if customer is None or counts_toward_limit(customer):
        holding.reserve(owner, "customer", n)


def _take_ownership(customer, owner, *, now):
    _clear_targets(customer)
    customer.owner, customer.state = owner, State.OWNED
    customer.acquired_at = customer.updated_at = now
    customer.released_at, customer.release_reason = None, ""


# ---------------------------------------------------------------- create / edit


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
        raise BusinessError("contact_limit_reached", _("一个客户最多10个联系人"))
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
        customer = _locked(customer_id, actor)
        _require_state(customer, State.OWNED, action=_("编辑"))
        may_write(actor, customer)
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
                verb="customer.stage" if list(changes) == ["stage_id"] else "customer.updated",
                obj=customer,
                changes={str(FIELD_LABELS[f]): v for f, v in changes.items()},
            )
    return customer


# ---------------------------------------------------------------- tags (CUST-10)


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
        customer = _locked(customer_id, actor)
        _require_state(customer, State.OWNED, action=_("修改标签"))
        may_write(actor, customer)
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
                actor=actor, verb="customer.tags", obj=customer, changes={str(_("标签")): [before, after]}
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


# ---------------------------------------------------------------- ownership moves


@transaction.atomic
def customer_transfer(*, actor, customer_id, employee, reason=""):
    """转移 (CUST-18): to another employee of the same library; acquired time restarts."""
    check(actor, "customer.transfer")
    customer = _locked(customer_id, actor)
    _require_state(customer, State.OWNED, action=_("转移"))
    may_manage(actor, customer)
    if customer.owner_id == employee.pk:
        raise BusinessError("same_owner", _("该客户已由%(name)s跟进") % {"name": employee.name})
    if config.library_of(employee).pk != customer.library_id:
        raise BusinessError(
            "library_mismatch", _("%(name)s不属于该客户所在的客户库") % {"name": employee.name}
        )
    _reserve(employee, customer)
    previous = customer.owner
    _take_ownership(customer, employee, now=clock.now())
    customer.previous_owner = previous
    customer.save()
    Collaborator.objects.filter(customer=customer, employee=employee).delete()  # now the owner
    _flow(customer, Kind.TRANSFER, operator=actor, from_owner=previous, to_owner=employee, reason=reason)
    return customer


def customers_transfer(*, actor, ids, employee_id, reason=""):
    check(actor, "customer.transfer")
    employee = active_employee(employee_id)
    return each_independently(
        ids, lambda pk: customer_transfer(actor=actor, customer_id=pk, employee=employee, reason=reason)
    )


@transaction.atomic
def customer_release(*, actor, customer_id, reason=""):
    """移入公海 / 放弃 (CUST-19): into the pool of its library; 原跟进人 is remembered, and the
    previous owner's re-claim cooldown starts (POOL-12)."""
    check(actor, "customer.release")
    customer = _locked(customer_id, actor)
    _require_state(customer, State.OWNED, action=_("移入公海"))
    may_manage(actor, customer)
    for guard in RELEASE_GUARDS:
        guard(customer)
    previous, now = customer.owner, clock.now()
    customer.owner, customer.previous_owner, customer.state = None, previous, State.POOL
    customer.released_at = customer.updated_at = now
    customer.release_reason = (reason or "")[:200]
    customer.save()
    _flow(customer, Kind.RELEASE, operator=actor, from_owner=previous, reason=reason)
    return customer


def customers_release(*, actor, ids, reason=""):
    check(actor, "customer.release")
    return each_independently(ids, lambda pk: customer_release(actor=actor, customer_id=pk, reason=reason))


def pool_visible(actor, customer):
    """POOL-05: a pool customer is visible to employees of its library -- when it is targeted at
    departments (定向公海), to members of those and their sub-departments -- and to pool managers
    always."""
    from .selectors import pool_library_ids, target_department_ids

    allowed = pool_library_ids(actor)
    if allowed is None:
        return True
    if customer.library_id not in allowed:
        return False
    return (
        not customer.targeted
        or PoolTarget.objects.filter(
            customer=customer, department_id__in=target_department_ids(actor)
        ).exists()
    )


@transaction.atomic
def customer_pool_target(*, actor, customer_id, departments):
    """定向 (POOL-05): send a pool customer to ``departments`` (only their members, with their
    sub-departments, may then see and claim it); no departments = the whole library again. Pool
    managers only (customer.assign)."""
    check(actor, "customer.assign")
    customer = _locked(customer_id, actor)
    if customer.state == State.DELETED:
        raise NotFound()
    _require_state(customer, State.POOL, action=_("定向"))
    before = sorted(PoolTarget.objects.filter(customer=customer).values_list("department__name", flat=True))
    PoolTarget.objects.filter(customer=customer).delete()
    PoolTarget.objects.bulk_create(PoolTarget(customer=customer, department=d) for d in departments)
    customer.targeted, customer.updated_at = bool(departments), clock.now()
    customer.save(update_fields=["targeted", "updated_at"])
    after = sorted(d.name for d in departments)
    if before != after:
        timeline.record(
            actor=actor,
            verb="customer.pool_targeted",
            obj=customer,
            data={"departments": "、".join(after)},
        )
    return customer


def customers_pool_target(*, actor, ids, department_ids):
    check(actor, "customer.assign")
    departments = list(Department.objects.filter(pk__in=set(department_ids)))
    if len(departments) != len(set(department_ids)):
        raise ValidationFailed({"department_ids": [_("部门不存在")]})
    return each_independently(
        ids, lambda pk: customer_pool_target(actor=actor, customer_id=pk, departments=departments)
    )


def _clear_targets(customer):
    """A customer leaving the pool leaves its targets behind (a later release starts afresh)."""
    if customer.targeted:
        PoolTarget.objects.filter(customer=customer).delete()
        customer.targeted = False


@transaction.atomic
def customer_claim(*, actor, customer_id):
    """领取 (POOL-02), refusals in the SPEC's order: not visible (404), ``reclaim_cooldown``,
    ``daily_claim_limit_reached``, ``holding_limit_reached``, ``already_claimed``."""
    check(actor, "customer.claim")
    customer = _locked(customer_id)
    if customer.state == State.DELETED or not pool_visible(actor, customer):
        raise NotFound()
    if customer.state == State.OWNED:
        raise BusinessError("already_claimed", _("该客户已被领取"))
    library = customer.library
    now = clock.now()
    if library.reclaim_cooldown_days:
        since = now - timedelta(days=library.reclaim_cooldown_days)
        if CustomerFlow.objects.filter(
            customer=customer, from_owner=actor, kind__in=[Kind.RELEASE, Kind.RECYCLE], created_at__gte=since
        ).exists():
            raise BusinessError(
                "reclaim_cooldown",
                _("该客户被回收或放弃后%(n)s天内不能重复领取") % {"n": library.reclaim_cooldown_days},
            )
    if library.daily_claim_limit is not None:
        # The caller's claims run one at a time, so the count below cannot be raced past.
        Employee.objects.select_for_update().filter(pk=actor.pk).first()
        today = CustomerFlow.objects.filter(
            to_owner=actor, kind=Kind.CLAIM, created_at__gte=day_start(now)
        ).count()
        if today >= library.daily_claim_limit:
            raise BusinessError(
                "daily_claim_limit_reached",
                _("今日领取数已达上限（%(n)s）") % {"n": library.daily_claim_limit},
            )
    _reserve(actor, customer)
    _take_ownership(customer, actor, now=now)
    customer.save()
    _flow(customer, Kind.CLAIM, operator=actor, from_owner=None, to_owner=actor)
    return customer


def customers_claim(*, actor, ids):
    check(actor, "customer.claim")
    return each_independently(ids, lambda pk: customer_claim(actor=actor, customer_id=pk))


@transaction.atomic
def customer_assign(*, actor, customer_id, employee, reason=""):
    """分配 (POOL-03): a pool manager gives a pool customer to an employee of its library; only
    the holding limit applies (no cooldown, no daily limit)."""
    check(actor, "customer.assign")
    customer = _locked(customer_id, actor)
    if customer.state == State.DELETED:
        raise NotFound()
    _require_state(customer, State.POOL, action=_("分配"))
    if config.library_of(employee).pk != customer.library_id:
        raise BusinessError(
            "library_mismatch", _("%(name)s不属于该客户所在的客户库") % {"name": employee.name}
        )
    _reserve(employee, customer)
    _take_ownership(customer, employee, now=clock.now())
    customer.save()
    _flow(customer, Kind.ASSIGN, operator=actor, to_owner=employee, reason=reason)
    return customer


def customers_assign(*, actor, ids, employee_id, reason=""):
    check(actor, "customer.assign")
    employee = active_employee(employee_id)
    return each_independently(
        ids, lambda pk: customer_assign(actor=actor, customer_id=pk, employee=employee, reason=reason)
    )


def may_delete(actor):
    """删除 is offered (and done) only to holders of customer.delete, and not at all where the
    enterprise forbids deleting customers."""
    return actor.has_permission("customer.delete") and not config.customer_settings().forbid_delete


@transaction.atomic
def customer_delete(*, actor, customer_id):
    """删除 (CUST-21/POOL-04): into the customer recycle bin (CUST-22), unless the enterprise
    forbids deleting customers (``deletion_forbidden``)."""
    check(actor, "customer.delete")
    if config.customer_settings().forbid_delete:
        raise BusinessError("deletion_forbidden", _("企业已设置禁止删除客户"), status=403)
    customer = _locked(customer_id, actor)
    _require_state(customer, State.OWNED, State.POOL, action=_("删除"))
    if customer.state == State.OWNED:
        may_manage(actor, customer)
    elif not pool_visible(actor, customer):
        raise NotFound()
    previous, now = customer.owner, clock.now()
    _clear_targets(customer)
    customer.state_before_delete, customer.state = customer.state, State.DELETED
    if previous:
        customer.previous_owner = previous
    customer.owner, customer.deleted_at, customer.deleted_by, customer.updated_at = None, now, actor, now
    customer.save()
    _flow(customer, Kind.DELETE, operator=actor, from_owner=previous)
    return customer


def customers_delete(*, actor, ids):
    check(actor, "customer.delete")
    return each_independently(ids, lambda pk: customer_delete(actor=actor, customer_id=pk))


@transaction.atomic
def customer_restore(*, actor, customer_id):
    """恢复 (CUST-22): back to the former owner when they are active and under their limit,
    otherwise into the library's pool. A twin created meanwhile blocks it (``duplicate_customer``)."""
    check(actor, "customer.delete")
    customer = _locked(customer_id, actor)
    _require_state(customer, State.DELETED, action=_("恢复"))
    from .selectors import bin_condition

    if not Customer.objects.filter(bin_condition(actor), pk=customer.pk).exists():
        raise NotFound()
    contacts = list(Contact.objects.filter(customer=customer))
    refuse_duplicate(
        customer.library,
        name_key=customer.name_key,
        contact_names=[c.name for c in contacts],
        mobiles=[c.mobile for c in contacts],
        exclude_pk=customer.pk,
    )
    now = clock.now()
    owner = customer.previous_owner if customer.state_before_delete == State.OWNED else None
    if owner is not None and owner.status == Employee.Status.ACTIVE and owner.deleted_at is None:
        try:
            with transaction.atomic():
                _reserve(owner, customer)
        except BusinessError:
            owner = None
    else:
        owner = None
    customer.deleted_at, customer.deleted_by, customer.state_before_delete = None, None, ""
    if owner:
        _take_ownership(customer, owner, now=now)
    else:
        customer.state, customer.released_at, customer.updated_at = State.POOL, now, now
    customer.save()
    _flow(customer, Kind.RESTORE, operator=actor, to_owner=owner)
    return customer


def customers_restore(*, actor, ids):
    check(actor, "customer.delete")
    return each_independently(ids, lambda pk: customer_restore(actor=actor, customer_id=pk))


def customer_inherit(*, actor, customer_id, employee):
    """INH-03: a resigned employee's customer goes to ``employee`` (holding limit applies)."""
    with transaction.atomic():
        customer = _locked(customer_id)
        _require_state(customer, State.OWNED, action=_("继承"))
        _reserve(employee, customer)
        previous = customer.owner
        _take_ownership(customer, employee, now=clock.now())
        customer.previous_owner = previous
        customer.save()
        Collaborator.objects.filter(customer=customer, employee=employee).delete()
        _flow(customer, Kind.INHERIT, operator=actor, from_owner=previous, to_owner=employee)
    return customer


# ---------------------------------------------------------------- collaborators (CUST-17)


def collaborator_set(*, actor, customer_id, employee_id, access=Collaborator.Access.READ):
    if access not in Collaborator.Access.values:
        raise ValidationFailed({"access": [_("权限只能是只读或可编辑")]})
    employee = active_employee(employee_id)
    with transaction.atomic():
        customer = _locked(customer_id, actor)
        _require_state(customer, State.OWNED, action=_("添加协作人"))
        may_manage(actor, customer)
        if customer.owner_id == employee.pk:
            raise BusinessError("collaborator_is_owner", _("跟进人无需添加为协作人"))
        collaborator, created = Collaborator.objects.update_or_create(
            customer=customer, employee=employee, defaults={"access": access}
        )
        timeline.record(
            actor=actor,
            verb="customer.collaborator_added" if created else "customer.collaborator_changed",
            obj=customer,
            data={"employee": employee.name, "access": str(Collaborator.Access(access).label)},
        )
    return collaborator


def collaborator_remove(*, actor, customer_id, employee_id):
    with transaction.atomic():
        customer = _locked(customer_id, actor)
        may_manage(actor, customer)
        collaborator = (
            Collaborator.objects.filter(customer=customer, employee_id=employee_id)
            .select_related("employee")
            .first()
        )
        if collaborator is None:
            raise NotFound()
        collaborator.delete()
        timeline.record(
            actor=actor,
            verb="customer.collaborator_removed",
            obj=customer,
            data={"employee": collaborator.employee.name},
        )


# ---------------------------------------------------------------- contacts (CUST-07)


def contact_add(*, actor, customer_id, **values):
    """Add a contact: ≤ 10 per customer (``contact_limit_reached``); the first is primary; its
    mobile is checked against other customers (one phone, one holder)."""
    cleaned = clean_contact(values)
    make_primary = bool(values.get("is_primary"))
    with transaction.atomic():
        customer = _locked(customer_id, actor)
        _require_state(customer, State.OWNED, action=_("添加联系人"))
        may_write(actor, customer)
        existing = Contact.objects.filter(customer=customer)
        count = existing.count()
        if count >= Contact.MAX_PER_CUSTOMER:
            raise BusinessError("contact_limit_reached", _("一个客户最多10个联系人"))
        if existing.filter(mobile=cleaned["mobile"]).exists():
            raise ValidationFailed({"mobile": [_("该客户已有此手机号的联系人")]})
        _duplicate_lock(customer.library)
        refuse_duplicate(customer.library, mobiles=[cleaned["mobile"]], exclude_pk=customer.pk)
        if make_primary and count:
            existing.filter(is_primary=True).update(is_primary=False)
        contact = Contact.objects.create(
            customer=customer, created_by=actor, is_primary=make_primary or not count, **cleaned
        )
        timeline.record(actor=actor, verb="contact.created", obj=customer, data={"contact": contact.name})
    return contact


def _contact_locked(actor, contact_id):
    contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    customer = _locked(contact.customer_id, actor)
    _require_state(customer, State.OWNED, action=_("修改联系人"))
    may_write(actor, customer)
    return Contact.objects.select_for_update().get(pk=contact.pk), customer


def contact_update(*, actor, contact_id, **values):
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
                verb="contact.updated",
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
            raise BusinessError("last_contact", _("客户至少保留一个联系人"))
        if contact.is_primary:
            new_primary = others.filter(pk=new_primary_id).first() if new_primary_id else None
            if new_primary is None:
                raise BusinessError("primary_contact_required", _("删除首要联系人前，请选择新的首要联系人"))
        # Follow-ups keep their text, no longer the contact: within the tenant, by its index
        # (Followup.contact is DO_NOTHING, or Django would scan every tenant's follow-ups).
        Followup.objects.filter(contact=contact).update(contact=None)
        contact.delete()
        if contact.is_primary:
            others.filter(pk=new_primary.pk).update(is_primary=True)
        timeline.record(actor=actor, verb="contact.deleted", obj=customer, data={"contact": contact.name})


# ---------------------------------------------------------------- follow-ups (FUP-01/02)


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
        verb="followup.created",
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
        customer = _locked(customer_id, actor)
        _require_state(customer, State.OWNED, action=_("添加跟进"))
        may_write(actor, customer, followup=True)
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
    for source in DEAL_SOURCES:
        for pk, found in source(list(customer_ids)).items():
            statuses.setdefault(pk, []).extend(found)
    for pk, found in statuses.items():
        deal_status, has_won = deal_status_of(found)
        Customer.objects.filter(pk=pk).update(deal_status=deal_status, has_won=has_won)
