"""Lead writes (SPEC LEAD-*, API.md "Leads"): every transition of LEAD-24 is a function here.

Ownership moves lock the lead rows (``select_for_update``) and re-check state inside the
transaction, reserve holding-limit capacity for the new owner (rules.holding), and write a
:class:`LeadFlow` row plus a timeline event. Bulk actions answer per record.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes, timeline
from tidecrm.core.bulk import each_independently
from tidecrm.core.dates import day_start
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_company, normalize_phone
from tidecrm.core.ownership import locked_for_job, record_move, require_state
from tidecrm.core.permissions import check
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import Followup, Tag
from tidecrm.org.models import Employee
from tidecrm.rules import holding

from . import verbs
from .access import access_lead
from .models import Lead, LeadFlow, LeadSettings

State, Status, Kind = Lead.State, Lead.Status, LeadFlow.Kind
EDITABLE = ("name", "company_name", "qq", "email", "wechat", "source", "remark")

# LEAD-14/15 and the binding decision on Q-08: where each status may be set from.
STATUS_FROM = {
    Status.CALLBACK: (Status.PENDING, Status.INVALID, Status.CLAIMED_PENDING),
    Status.INVALID: (Status.PENDING, Status.CALLBACK),
}


# ---------------------------------------------------------------- helpers


def seed_defaults():
    """What an enterprise's leads start with (at registration, core.hooks.TENANT_CREATED;
    idempotent): the lead-pool settings row, every rule off."""
    LeadSettings.objects.get_or_create()


def lead_settings():
    """Return the enterprise's lead-pool settings (seeded at registration)."""
    return LeadSettings.objects.get()


def _clean(values):
    """Validate and normalise lead fields; return the cleaned dict."""
    errors, cleaned = {}, {}
    if "phone" in values:
        phone = normalize_phone(values.get("phone"))
        if not phone:
            errors["phone"] = [_("请填写手机号")]
        elif not is_mobile(phone):
            errors["phone"] = [_("手机号格式错误")]
        cleaned["phone"] = phone
    for field in EDITABLE:
        if field in values:
            cleaned[field] = (values.get(field) or "").strip()
    if "company_name" in cleaned:
        cleaned["company_key"] = normalize_company(cleaned["company_name"])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def holder_label(lead):
    """Who holds a lead, in words a salesperson understands (for ``duplicate_lead``)."""
    if lead.state == State.OWNED and lead.owner_id:
        return lead.owner.name
    return {
        State.UNALLOCATED: _("待分配线索"),
        State.POOL: _("公共线索池"),
        State.CONVERTED: _("已转为客户"),
    }.get(lead.state, "")


def _duplicate_of(cleaned, exclude_pk=None):
    """Return the live lead a new or edited lead would duplicate (LEAD-27), or None."""
    live = Lead.objects.filter(deleted_at__isnull=True).select_related("owner")
    if exclude_pk:
        live = live.exclude(pk=exclude_pk)
    if cleaned.get("phone"):
        found = live.filter(phone=cleaned["phone"]).first()
        if found:
            return found, "phone"
    if cleaned.get("company_key"):
        found = live.filter(company_key=cleaned["company_key"]).exclude(company_key="").first()
        if found:
            return found, "company_name"
    return None


def _refuse_duplicate(cleaned, exclude_pk=None):
    if cleaned.get("phone"):
        customer = customer_services.duplicate_of(mobile=cleaned["phone"])
        if customer:  # LEAD-27: a phone that already belongs to a customer's contact
            holder = customer_services.holder_of(customer)
            raise BusinessError(
                codes.DUPLICATE_LEAD,
                _("线索重复：该手机号已是客户“%(name)s”的联系人（%(where)s）")
                % {"name": customer.name, "where": customer_services.held_where(customer)},
                details={"field": "phone", "holder": holder, "customer_id": customer.pk},
            )
    duplicate = _duplicate_of(cleaned, exclude_pk)
    if duplicate:
        lead, field = duplicate
        raise BusinessError(
            codes.DUPLICATE_LEAD,
            _("线索重复：%(what)s已存在（%(holder)s）")
            % {"what": _("手机号") if field == "phone" else _("客户名称"), "holder": holder_label(lead)},
            details={
                "field": field,
                "holder": holder_label(lead),
                "lead_id": lead.pk if lead.state == State.OWNED else None,
            },
        )


def _flow(lead, kind, *, operator, from_owner=None, to_owner=None, reason=""):
    record_move(
        LeadFlow, lead, kind, operator=operator, from_owner=from_owner, to_owner=to_owner, reason=reason
    )


def _active_employee(employee_id):
    employee = Employee.objects.filter(pk=employee_id, deleted_at__isnull=True).first()
    if employee is None:
        raise NotFound()
    if employee.status != Employee.Status.ACTIVE:
        raise BusinessError(codes.EMPLOYEE_NOT_ACTIVE, _("跟进员工已离职或被禁用"))
    return employee


# ---------------------------------------------------------------- create / edit


def lead_create(*, actor, owner_id=None, to_me=False, **values):
    """Create a lead (LEAD-03/11).

    Unallocated by default (needs ``lead.allocate``); with ``owner_id`` owned by that employee;
    with ``to_me`` (or when the caller cannot manage the pending pool) owned by the caller.
    Refusals: ``duplicate_lead``, ``holding_limit_reached``, 422 on a missing or bad phone.
    """
    check(actor, "lead.create")
    cleaned = _clean({"phone": values.get("phone"), **{f: values.get(f, "") for f in EDITABLE}})
    owner = None
    if owner_id:
        if owner_id != actor.pk:
            check(actor, "lead.allocate")
        owner = _active_employee(owner_id)
    elif to_me or not actor.has_permission("lead.allocate"):
        owner = actor
    now = clock.now()
    try:
        with transaction.atomic():
            _refuse_duplicate(cleaned)
            if owner:
                holding.reserve(owner, "lead")
            lead = Lead.objects.create(
                **cleaned,
                state=State.OWNED if owner else State.UNALLOCATED,
                status=Status.PENDING if owner else "",
                owner=owner,
                created_by=actor,
                allocated_at=now if owner else None,
                # The customers' tag groups (as at import): unknown tags or two of one
                # single-select group are refused, not stored.
                tag_ids=customer_services.validate_tags(values.get("tag_ids")),
            )
            _flow(lead, Kind.CREATE, operator=actor, to_owner=owner)
    except IntegrityError:
        _refuse_duplicate(cleaned)  # a concurrent insert won: answer with its holder
        raise
    return lead


def lead_update(*, actor, lead_id, **values):
    """Edit a lead's fields (LEAD-07); a new phone or company name is checked for duplicates.
    An owned lead by whoever may work it, the pools' leads by allocators."""
    values = {k: v for k, v in values.items() if k in ("phone", *EDITABLE) and v is not None}
    cleaned = _clean(values)
    with transaction.atomic():
        lead = access_lead(actor, lead_id, lock=True)
        if lead.state != State.OWNED:
            check(actor, "lead.allocate")
        _refuse_duplicate({k: v for k, v in cleaned.items() if getattr(lead, k) != v}, exclude_pk=lead.pk)
        changes = timeline.diff(lead, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(lead, field, value)
        lead.updated_at = clock.now()
        try:
            with transaction.atomic():
                lead.save()
        except IntegrityError:
            raise BusinessError(codes.DUPLICATE_LEAD, _("线索重复"))
        if changes:
            timeline.record(actor=actor, verb=verbs.LEAD_UPDATED, obj=lead, changes=changes)
    return lead


# ---------------------------------------------------------------- ownership moves


@transaction.atomic
def lead_allocate(*, actor, lead_id, employee):
    """待分配 → owned by ``employee``, status 待处理 (LEAD-05)."""
    lead = access_lead(actor, lead_id, lock=True, permission="lead.allocate")
    require_state(lead, State.UNALLOCATED, action=_("分配"))
    holding.reserve(employee, "lead")
    now = clock.now()
    lead.state, lead.status, lead.owner, lead.recycled = State.OWNED, Status.PENDING, employee, False
    lead.allocated_at = lead.updated_at = now
    lead.save()
    _flow(lead, Kind.ALLOCATE, operator=actor, to_owner=employee)
    return lead


def leads_allocate(*, actor, ids, employee_id):
    """Batch 分配: each lead succeeds or fails alone (e.g. ``holding_limit_reached`` past the limit)."""
    check(actor, "lead.allocate")
    employee = _active_employee(employee_id)
    return each_independently(ids, lambda pk: lead_allocate(actor=actor, lead_id=pk, employee=employee))


def _take_from_owner(*, actor, lead_id, kind, reason, action_label, permission):
    """Clear the owner of an owned lead, remembering them: 回收 (to 待分配) or 放弃 (to the pool)."""
    lead = access_lead(actor, lead_id, lock=True, permission=permission)
    require_state(lead, State.OWNED, action=action_label)
    previous, now = lead.owner, clock.now()
    lead.owner, lead.previous_owner, lead.updated_at = None, previous, now
    if kind == Kind.RECYCLE:
        lead.state, lead.recycled, lead.recycled_at = State.UNALLOCATED, True, now
    else:
        lead.state, lead.released_at = State.POOL, now
    lead.save()
    _flow(lead, kind, operator=actor, from_owner=previous, reason=reason)
    return lead


@transaction.atomic
def lead_recycle(*, actor, lead_id, reason=""):
    """Owned → 回收待分配 (LEAD-12): the owner is cleared and remembered."""
    return _take_from_owner(
        actor=actor,
        lead_id=lead_id,
        kind=Kind.RECYCLE,
        reason=reason,
        action_label=_("回收"),
        permission="lead.recycle",
    )


def leads_recycle(*, actor, ids, reason=""):
    """Bulk 回收 (LEAD-12): each lead succeeds or fails alone (core.bulk). Needs ``lead.recycle``."""
    check(actor, "lead.recycle")
    return each_independently(ids, lambda pk: lead_recycle(actor=actor, lead_id=pk, reason=reason))


@transaction.atomic
def lead_release(*, actor, lead_id, reason=""):
    """放弃 (LEAD-13): owned → 公共线索池; the previous follower is remembered."""
    return _take_from_owner(
        actor=actor,
        lead_id=lead_id,
        kind=Kind.RELEASE,
        reason=reason,
        action_label=_("放弃"),
        permission="lead.release",
    )


def leads_release(*, actor, ids, reason=""):
    """Bulk 放弃 (LEAD-13), each lead alone. Needs ``lead.release``."""
    check(actor, "lead.release")
    return each_independently(ids, lambda pk: lead_release(actor=actor, lead_id=pk, reason=reason))


@transaction.atomic
def lead_claim(*, actor, lead_id):
    """领取 (LEAD-22): pool → owned by the caller, status 领取待处理.

    Refusals: ``already_claimed`` (someone was first), ``daily_claim_limit_reached``,
    ``reclaim_cooldown``, ``holding_limit_reached``.
    """
    lead = access_lead(actor, lead_id, "claim", lock=True, permission="lead.claim")
    if lead.state != State.POOL:
        if lead.state == State.OWNED:
            raise BusinessError(codes.ALREADY_CLAIMED, _("该线索已被领取"))
        require_state(lead, State.POOL, action=_("领取"))
    rules = lead_settings()
    now = clock.now()
    holding.reserve(actor, "lead")  # also locks the caller: their own claims run one at a time
    if rules.daily_claim_limit is not None:
        today = LeadFlow.objects.filter(
            to_owner=actor, kind=Kind.CLAIM, created_at__gte=day_start(now)
        ).count()
        if today >= rules.daily_claim_limit:
            raise BusinessError(
                codes.DAILY_CLAIM_LIMIT_REACHED,
                _("今日领取已达上限（%(n)s 条），请明天再领取") % {"n": rules.daily_claim_limit},
            )
    if rules.reclaim_cooldown_days:
        since = now - timedelta(days=rules.reclaim_cooldown_days)
        if LeadFlow.objects.filter(
            lead=lead, from_owner=actor, kind__in=[Kind.RELEASE, Kind.RECYCLE], created_at__gte=since
        ).exists():
            raise BusinessError(
                codes.RECLAIM_COOLDOWN,
                _("您在 %(n)s 天内放弃或被回收过该线索，暂不能重新领取") % {"n": rules.reclaim_cooldown_days},
            )
    lead.state, lead.status, lead.owner = State.OWNED, Status.CLAIMED_PENDING, actor
    lead.claimed_at = lead.updated_at = now
    lead.save()
    _flow(lead, Kind.CLAIM, operator=actor, to_owner=actor)
    return lead


def leads_claim(*, actor, ids):
    """Bulk 领取 (LEAD-22), each lead alone with its own refusal. Needs ``lead.claim``."""
    check(actor, "lead.claim")
    return each_independently(ids, lambda pk: lead_claim(actor=actor, lead_id=pk))


def lead_set_status(*, actor, lead_id, status):
    """待回访 / 无效 (LEAD-14/15, Q-08 decision): anything else is ``invalid_transition``."""
    if status not in STATUS_FROM:
        raise ValidationFailed({"status": [_("只能设为待回访或无效")]})
    with transaction.atomic():
        lead = access_lead(actor, lead_id, lock=True)
        require_state(lead, State.OWNED, action=_("修改状态"))
        if lead.status not in STATUS_FROM[status]:
            raise BusinessError(
                codes.INVALID_TRANSITION,
                _("“%(from)s”的线索不能设为“%(to)s”")
                % {"from": Status(lead.status).label, "to": Status(status).label},
            )
        before = lead.status
        lead.status, lead.updated_at = status, clock.now()
        lead.save(update_fields=["status", "updated_at"])
        timeline.record(actor=actor, verb=verbs.LEAD_STATUS, obj=lead, changes={"status": [before, status]})
    return lead


@transaction.atomic
def lead_followup_add(*, actor, lead_id, content, method="call", next_followup_at=None):
    """添加跟进 (LEAD-18) on an owned lead the caller may work on; stamps last_followup_at."""
    lead = access_lead(actor, lead_id, lock=True)
    require_state(lead, State.OWNED, action=_("添加跟进"))
    followup = customer_services.followup_create(
        actor=actor, lead=lead, content=content, method=method, next_followup_at=next_followup_at
    )
    lead.last_followup_at = followup.created_at
    lead.save(update_fields=["last_followup_at"])
    return followup


def _convert_create(actor, lead, customer_name, contact_name):
    return customer_services.customer_create(
        actor=actor,
        owner=lead.owner,
        name=customer_name if customer_name is not None else lead.company_name,
        contact_name=contact_name if contact_name is not None else lead.name,
        mobile=lead.phone,
        email=lead.email,
        qq=lead.qq,
        wechat=lead.wechat,
        source=lead.source,
        remark=lead.remark,
        tag_ids=Tag.objects.filter(pk__in=lead.tag_ids).values_list("pk", flat=True),
        from_lead=lead,
    )


CONVERTIBLE = (Status.PENDING, Status.CLAIMED_PENDING, Status.CALLBACK)


def status_actions(actor, lead):
    """Which of 待回访 / 无效 / 转客户 the drawer offers on ``lead`` (the rules of
    :func:`lead_set_status` and :func:`lead_convert`, so a button never leads to a refusal)."""
    owned = lead.state == State.OWNED
    return {
        "can_callback": owned and lead.status in STATUS_FROM[Status.CALLBACK],
        "can_invalid": owned and lead.status in STATUS_FROM[Status.INVALID],
        "can_convert": owned and lead.status in CONVERTIBLE and actor.has_permission("lead.convert"),
    }


@transaction.atomic
def lead_convert(*, actor, lead_id, customer_name=None, contact_name=None):
    """转客户 (LEAD-16): an owned lead becomes a customer of the same owner.

    Needs a customer name and a contact name (taken from the lead when not given; 422 when
    neither has one). From 待处理, 领取待处理 or 待回访 only (an 无效 lead is first marked 待回访).
    The customer create rules apply: ``duplicate_customer``, ``holding_limit_reached``.
    """
    lead = access_lead(actor, lead_id, lock=True, permission="lead.convert")
    require_state(lead, State.OWNED, action=_("转客户"))
    if lead.status not in CONVERTIBLE:
        raise BusinessError(codes.INVALID_TRANSITION, _("无效线索不能转客户，请先标记为待回访"))
    try:
        customer = _convert_create(actor, lead, customer_name, contact_name)
    except ValidationFailed as error:  # the API names the fields after this call's arguments
        renamed = {"name": "customer_name"}
        raise ValidationFailed({renamed.get(k, k): v for k, v in error.fields.items()}) from None
    Followup.objects.filter(lead=lead).update(customer=customer)  # the journey keeps the lead's history
    latest = Followup.objects.filter(customer=customer).order_by("-created_at", "-id").first()
    if latest is not None:  # the customer was followed up when the lead was: 未跟进天数 counts from it
        customer.last_followup_at, customer.last_contact_method = latest.created_at, latest.method
        customer.save(update_fields=["last_followup_at", "last_contact_method"])
    now = clock.now()
    lead.state, lead.customer, lead.converted_at, lead.updated_at = State.CONVERTED, customer, now, now
    lead.save()
    _flow(
        lead,
        Kind.CONVERT,
        operator=actor,
        from_owner=lead.owner,
        to_owner=lead.owner,
        reason=_("转为客户“%(name)s”") % {"name": customer.name},
    )
    return customer


@transaction.atomic  # the row lock needs a transaction (PostgreSQL refuses it outside one)
def lead_delete(*, actor, lead_id):
    """Soft delete (LEAD-06/19/23); the phone and company name become free again."""
    lead = access_lead(actor, lead_id, lock=True, permission="lead.delete")
    lead.deleted_at = lead.updated_at = clock.now()
    lead.save(update_fields=["deleted_at", "updated_at"])
    _flow(lead, Kind.DELETE, operator=actor, from_owner=lead.owner)
    return lead


def leads_delete(*, actor, ids):
    """Bulk soft delete (LEAD-06/19/23), each lead alone. Needs ``lead.delete``."""
    check(actor, "lead.delete")
    return each_independently(ids, lambda pk: lead_delete(actor=actor, lead_id=pk))


def lead_settings_update(*, actor, **values):
    """Set the lead pools' daily claim limit, re-claim cooldown and timeout (None = off)."""
    check(actor, "lead.settings")
    errors = {k: [_("请输入不小于 0 的整数")] for k, v in values.items() if v is not None and int(v) < 0}
    if values.get("timeout_recycle_hours") == 0:
        errors["timeout_recycle_hours"] = [_("超时时间至少 1 小时")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        settings = LeadSettings.objects.select_for_update().get(pk=lead_settings().pk)
        changes = timeline.diff(settings, values, list(values))
        for field, value in values.items():
            setattr(settings, field, value)
        settings.save()
        if changes:
            timeline.record(
                actor=actor,
                verb=verbs.LEAD_SETTINGS,
                obj=settings,
                object_type="lead_settings",
                changes=changes,
            )
    return settings


def lead_inherit(*, actor, lead_id, employee):
    """INH-03 / LEAD-25: a resigned employee's owned lead goes to ``employee`` with its status
    kept; the receiver's lead holding limit applies."""
    with transaction.atomic():
        lead = locked_for_job(Lead, lead_id, deleted_at__isnull=True)
        require_state(lead, State.OWNED, action=_("继承"))
        holding.reserve(employee, "lead")
        previous = lead.owner
        lead.owner, lead.previous_owner, lead.updated_at = employee, previous, clock.now()
        lead.save(update_fields=["owner", "previous_owner", "updated_at"])
        _flow(lead, Kind.INHERIT, operator=actor, from_owner=previous, to_owner=employee)
    return lead
