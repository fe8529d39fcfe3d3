"""Sales writes (SPEC OPP-*, CON-*, PROD-*, ORD-*; API.md "Sales").

Opportunities follow the OPP-09 state machine exactly (``invalid_transition`` otherwise) and
keep an immutable stage history; every change recomputes the customer's ``deal_status`` and
``has_won`` (CUST-09). Contracts are numbered per enterprise, one per opportunity, and go
through the approval component (office.approvals) when the enterprise configured approvers;
an effective contract moves its customer to the terminal progress stage. Amounts respect the
caps of Q-43: Σ plans ≤ amount, Σ invoiced ≤ amount, Σ payments ≤ amount unless confirmed.
"""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import clock, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import Customer, Stage
from tidecrm.office import approvals
from tidecrm.org.scopes import visible_owner_q

from .models import (
    ORDER_FORM_FIELDS,
    ZERO,
    Contract,
    ContractSettings,
    Invoice,
    LineItem,
    NumberSequence,
    Opportunity,
    OpportunityStage,
    Order,
    Payment,
    PaymentPlan,
    Product,
    ProductCategory,
    StageHistory,
    default_order_form,
)

Status = Opportunity.Status
CStatus = Contract.Status


# ---------------------------------------------------------------- helpers


def money(value, field="amount", *, positive=True, allow_zero=False):
    """Parse a money value ("1089.09", 1089.09, Decimal) with two places; refuse ≤ 0."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed({field: [_("请输入正确的金额")]}) from None
    if amount.is_nan() or amount > Decimal("999999999999"):
        raise ValidationFailed({field: [_("请输入正确的金额")]})
    if positive and (amount < 0 or (amount == 0 and not allow_zero)):
        raise ValidationFailed({field: [_("金额必须大于0")]})
    return amount


def sales_settings():
    from tidecrm.customers.config import _get_or_create

    return _get_or_create(ContractSettings, {}, {})


def _next_number(kind, prefix):
    """``<prefix><YYYYMMDD><4-digit sequence>``, unique per enterprise and safe under concurrency
    (the day's sequence row is locked)."""
    day = clock.today()
    try:
        with transaction.atomic():
            NumberSequence.objects.get_or_create(kind=kind, day=day)
    except IntegrityError:
        pass
    sequence = NumberSequence.objects.select_for_update().get(kind=kind, day=day)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{prefix}{day:%Y%m%d}{sequence.last:04d}"


def _customer_for_work(actor, customer_id):
    """A customer the caller may work on (owner, scope, or write collaborator), owned."""
    from tidecrm.customers.selectors import customer_get

    customer = customer_get(actor=actor, customer_id=customer_id)
    if customer.state != Customer.State.OWNED:
        raise BusinessError("invalid_transition", _("公海中的客户需先领取"))
    customer_services.may_write(actor, customer)
    return customer


def _may_change(actor, record, module):
    """Changing an opportunity or contract: its owner, someone whose scope covers the owner, or
    a collaborator with write access on the customer; read-only collaborators only look and
    follow up (CUST-17)."""
    from tidecrm.customers.models import Collaborator

    if record.owner_id == actor.pk:
        return
    if type(record).objects.filter(visible_owner_q(actor, module), pk=record.pk).exists():
        return
    if Collaborator.objects.filter(
        customer_id=record.customer_id, employee=actor, access=Collaborator.Access.WRITE
    ).exists():
        return
    raise BusinessError("permission_denied", _("您是该客户的只读协作人，不能修改"), status=403)


def visible_q(actor, module="opportunity"):
    """Opportunities/contracts the caller may see: owner within their scope for the module, or
    the customer is shared with them (CUST-17)."""
    from tidecrm.customers.models import Collaborator

    scope = visible_owner_q(actor, module)
    if not scope:
        return Q()
    return scope | Q(customer_id__in=Collaborator.objects.filter(employee=actor).values("customer_id"))


# ---------------------------------------------------------------- stages (OPP-04)


def stages():
    found = list(OpportunityStage.objects.order_by("position", "id"))
    if found:
        return found
    from tidecrm.customers.config import _get_or_create

    for position, (name, probability) in enumerate(OpportunityStage.DEFAULTS):
        _get_or_create(
            OpportunityStage, {"name": name}, {"position": position, "win_probability": probability}
        )
    return list(OpportunityStage.objects.order_by("position", "id"))


def won_stage():
    return stages()[-1]


def _probability(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({"win_probability": [_("成交概率应为0到100之间的整数")]}) from None
    if not 0 <= value <= 100:
        raise ValidationFailed({"win_probability": [_("成交概率应为0到100之间的整数")]})
    return value


def _stage_name(name):
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise ValidationFailed({"name": [_("请填写阶段名称（不超过20个字）")]})
    return name


def stage_create(*, actor, name, win_probability=0):
    check(actor, "opportunity.settings")
    name, probability = _stage_name(name), _probability(win_probability)
    stages()
    with transaction.atomic():
        list(OpportunityStage.objects.select_for_update())
        if OpportunityStage.objects.count() >= OpportunityStage.MAX:
            raise BusinessError("stage_limit_reached", _("商机阶段最多%(n)s个") % {"n": OpportunityStage.MAX})
        if OpportunityStage.objects.filter(name=name).exists():
            raise BusinessError("duplicate_stage", _("已有同名阶段"))
        # A new stage goes before the last (won) stage.
        ordered = list(OpportunityStage.objects.order_by("position", "id"))
        last = ordered[-1]
        stage = OpportunityStage.objects.create(
            name=name, win_probability=probability, position=last.position
        )
        last.position += 1
        last.save(update_fields=["position"])
        timeline.record(actor=actor, verb="opportunity_stage.created", obj=stage)
    return stage


def stage_update(*, actor, stage_id, name=None, win_probability=None, position=None):
    check(actor, "opportunity.settings")
    with transaction.atomic():
        ordered = list(OpportunityStage.objects.select_for_update().order_by("position", "id"))
        stage = next((s for s in ordered if s.pk == stage_id), None)
        if stage is None:
            raise NotFound()
        changes = {}
        if name is not None:
            name = _stage_name(name)
            if OpportunityStage.objects.filter(name=name).exclude(pk=stage.pk).exists():
                raise BusinessError("duplicate_stage", _("已有同名阶段"))
            changes["name"], stage.name = [stage.name, name], name
        if win_probability is not None:
            probability = _probability(win_probability)
            changes["win_probability"], stage.win_probability = (
                [stage.win_probability, probability],
                probability,
            )
        stage.save()
        if position is not None:
            # The last stage is the won stage (OPP-04/05): it stays last, nothing moves past it.
            if stage.pk == ordered[-1].pk:
                raise BusinessError("last_stage", _("最后一个阶段（成交）固定在最后"))
            ordered.remove(stage)
            ordered.insert(max(0, min(int(position), len(ordered) - 1)), stage)
            for index, item in enumerate(ordered):
                if item.position != index:
                    OpportunityStage.objects.filter(pk=item.pk).update(position=index)
            changes["position"] = [None, int(position)]
        timeline.record(actor=actor, verb="opportunity_stage.updated", obj=stage, changes=changes)
    return stage


def stage_delete(*, actor, stage_id, move_to_id=None):
    """Delete a stage: never the last (won) one, never below two stages; its opportunities move
    to ``move_to_id`` (``stage_in_use`` without one)."""
    check(actor, "opportunity.settings")
    with transaction.atomic():
        ordered = list(OpportunityStage.objects.select_for_update().order_by("position", "id"))
        stage = next((s for s in ordered if s.pk == stage_id), None)
        if stage is None:
            raise NotFound()
        if stage.pk == ordered[-1].pk:
            raise BusinessError("last_stage", _("最后一个阶段（成交）不能删除"))
        if len(ordered) <= OpportunityStage.MIN:
            raise BusinessError("stage_limit_reached", _("至少保留%(n)s个阶段") % {"n": OpportunityStage.MIN})
        in_use = Opportunity.objects.filter(stage=stage).exists()
        target = next((s for s in ordered if s.pk == move_to_id and s.pk != stage.pk), None)
        if move_to_id and target is None:
            raise ValidationFailed({"move_to_id": [_("请选择商机要迁移到的阶段")]})
        if in_use and target is None:
            raise BusinessError("stage_in_use", _("该阶段下还有商机，请选择迁移到的阶段"))
        moved = Opportunity.objects.filter(stage=stage).update(stage=target) if target else 0
        StageHistory.objects.filter(stage=stage).update(stage=None)
        timeline.record(actor=actor, verb="opportunity_stage.deleted", obj=stage, data={"moved": moved})
        stage.delete()
    return moved


# ---------------------------------------------------------------- products (PROD-01/02)


def category_create(*, actor, name, parent_id=None):
    check(actor, "product.manage")
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValidationFailed({"name": [_("请填写分类名称（不超过40个字）")]})
    with transaction.atomic():
        parent = None
        if parent_id:
            parent = ProductCategory.objects.select_for_update().filter(pk=parent_id).first()
            if parent is None:
                raise NotFound()
            if parent.depth >= ProductCategory.MAX_DEPTH:
                raise BusinessError(
                    "category_too_deep", _("产品分类最多%(n)s级") % {"n": ProductCategory.MAX_DEPTH}
                )
        if ProductCategory.objects.filter(parent=parent, name=name).exists():
            raise BusinessError("duplicate_category", _("同级已有同名分类"))
        category = ProductCategory.objects.create(
            name=name, parent=parent, depth=parent.depth + 1 if parent else 1
        )
        category.path = f"{parent.path if parent else '/'}{category.pk}/"
        category.save(update_fields=["path"])
    return category


def category_delete(*, actor, category_id):
    check(actor, "product.manage")
    with transaction.atomic():
        category = ProductCategory.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound()
        if (
            ProductCategory.objects.filter(parent=category).exists()
            or Product.objects.filter(category=category).exists()
        ):
            raise BusinessError("category_not_empty", _("分类下还有子分类或产品，不能删除"))
        category.delete()


PRODUCT_FIELDS = ("name", "category_id", "sku", "spec", "unit", "price", "on_sale", "description")


def _clean_product(values):
    cleaned, errors = {}, {}
    for field in ("name", "sku", "spec", "unit", "description"):
        if field in values:
            cleaned[field] = (values.get(field) or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("请填写产品名称")]
    if "category_id" in values:
        if not values["category_id"] or not ProductCategory.objects.filter(pk=values["category_id"]).exists():
            errors["category_id"] = [_("请先选择产品分类")]
        cleaned["category_id"] = values["category_id"]
    if "price" in values:
        try:
            cleaned["price"] = money(values["price"], "price", allow_zero=True)
        except ValidationFailed as error:
            errors.update(error.fields)
    if "on_sale" in values:
        cleaned["on_sale"] = bool(values["on_sale"])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def product_create(*, actor, **values):
    check(actor, "product.manage")
    cleaned = _clean_product(
        {f: values.get(f) for f in PRODUCT_FIELDS if f in values}
        | {"name": values.get("name"), "category_id": values.get("category_id")}
    )
    try:
        with transaction.atomic():
            product = Product.objects.create(**cleaned)
    except IntegrityError:
        raise BusinessError("duplicate_sku", _("产品编码已存在")) from None
    return product


def product_update(*, actor, product_id, **values):
    check(actor, "product.manage")
    cleaned = _clean_product({k: v for k, v in values.items() if k in PRODUCT_FIELDS and v is not None})
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    for field, value in cleaned.items():
        setattr(product, field, value)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise BusinessError("duplicate_sku", _("产品编码已存在")) from None
    return product


# ---------------------------------------------------------------- line items (OPP-12, PROD-04)


def _lines(raw_lines):
    """Validate line dicts {product_id, quantity, unit_price?, discount?} into LineItem kwargs
    with the product's name, unit and price snapshotted."""
    raw_lines = list(raw_lines or [])
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=[line.get("product_id") for line in raw_lines])
    }
    lines = []
    for index, line in enumerate(raw_lines):
        product = products.get(line.get("product_id"))
        if product is None:
            raise ValidationFailed({f"product_lines.{index}": [_("产品不存在")]})
        if not product.on_sale:
            raise ValidationFailed(
                {f"product_lines.{index}": [_("产品“%(name)s”已下架") % {"name": product.name}]}
            )
        quantity = money(line.get("quantity", 1), f"product_lines.{index}.quantity")
        unit_price = (
            money(line["unit_price"], f"product_lines.{index}.unit_price", allow_zero=True)
            if line.get("unit_price") is not None
            else product.price
        )
        discount = money(line.get("discount", 100), f"product_lines.{index}.discount", allow_zero=True)
        if discount > 100:
            raise ValidationFailed(
                {f"product_lines.{index}.discount": [_("成交比例应在0到100之间（100 为原价，90 即九折）")]}
            )
        subtotal = (unit_price * quantity * discount / 100).quantize(Decimal("0.01"))
        lines.append(
            {
                "product": product,
                "product_name": product.name,
                "unit": product.unit,
                "list_price": product.price,
                "unit_price": unit_price,
                "quantity": quantity,
                "discount": discount,
                "subtotal": subtotal,
            }
        )
    return lines


def _replace_lines(owner_field, owner, lines):
    LineItem.objects.filter(**{owner_field: owner}).delete()
    LineItem.objects.bulk_create([LineItem(**{owner_field: owner}, **line) for line in lines])


# ---------------------------------------------------------------- opportunities (OPP-01..14)


def _history_enter(opportunity, stage, actor, now):
    StageHistory.objects.filter(opportunity=opportunity, left_at__isnull=True).update(
        left_at=now, left_by=actor
    )
    StageHistory.objects.create(
        opportunity=opportunity, stage=stage, stage_name=stage.name, entered_at=now, entered_by=actor
    )


def _refresh_deal(customer_id):
    customer_services.refresh_deal_status([customer_id])


def _clean_opportunity(values):
    cleaned, errors = {}, {}
    if "name" in values:
        cleaned["name"] = (values.get("name") or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 100:
            errors["name"] = [_("请填写商机名称（不超过100个字）")]
    if "amount" in values:
        try:
            cleaned["amount"] = money(values["amount"], allow_zero=True)
        except ValidationFailed as error:
            errors.update(error.fields)
    if "note" in values:
        cleaned["note"] = (values.get("note") or "").strip()
        if len(cleaned["note"]) > 150:
            errors["note"] = [_("备注不能超过150个字")]
    if "expected_close_date" in values:
        cleaned["expected_close_date"] = values["expected_close_date"]
    if "stage_id" in values and values["stage_id"] is not None:
        if not OpportunityStage.objects.filter(pk=values["stage_id"]).exists():
            errors["stage_id"] = [_("请选择商机阶段")]
        cleaned["stage_id"] = values["stage_id"]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def opportunity_create(
    *, actor, customer_id, name, amount=0, stage_id=None, expected_close_date=None, note="", product_lines=()
):
    """新建商机 (OPP-03): on a customer the caller works on; follower = the customer's owner;
    status 未成交; amount = Σ lines when lines are given."""
    check(actor, "opportunity.create")
    cleaned = _clean_opportunity(
        {
            "name": name,
            "amount": amount,
            "note": note,
            "expected_close_date": expected_close_date,
            "stage_id": stage_id,
        }
    )
    lines = _lines(product_lines)
    with transaction.atomic():
        customer = _customer_for_work(actor, customer_id)
        stage_id = cleaned.pop("stage_id", None) or stages()[0].pk
        if lines:
            cleaned["amount"] = sum((line["subtotal"] for line in lines), ZERO)
        opportunity = Opportunity.objects.create(
            customer=customer, owner=customer.owner, stage_id=stage_id, created_by=actor, **cleaned
        )
        _replace_lines("opportunity", opportunity, lines)
        _history_enter(opportunity, opportunity.stage, actor, opportunity.created_at)
        timeline.record(actor=actor, verb="opportunity.created", obj=opportunity)
        timeline.record(
            actor=actor,
            verb="customer.opportunity",
            obj=customer,
            data={"opportunity": opportunity.name, "action": "created"},
        )
        _refresh_deal(customer.pk)
    return opportunity


def _locked_opportunity(actor, opportunity_id, *, change=True):
    opportunity = (
        Opportunity.objects.select_for_update().filter(pk=opportunity_id, deleted_at__isnull=True).first()
    )
    if opportunity is None or not Opportunity.objects.filter(visible_q(actor), pk=opportunity.pk).exists():
        raise NotFound()
    if change:
        _may_change(actor, opportunity, "opportunity")
    return opportunity


def _require_open(opportunity, action):
    if opportunity.status != Status.OPEN:
        raise BusinessError(
            "invalid_transition",
            _("“%(status)s”的商机不能%(action)s，请先取消%(status)s")
            % {"status": opportunity.get_status_display(), "action": action},
        )


def opportunity_update(*, actor, opportunity_id, product_lines=None, **values):
    """Edit an open opportunity (won/lost ones are cancelled first, OPP-09); a stage change is
    written to the stage history."""
    check(actor, "opportunity.create")
    cleaned = _clean_opportunity(
        {k: v for k, v in values.items() if v is not None or k == "expected_close_date"}
    )
    lines = _lines(product_lines) if product_lines is not None else None
    with transaction.atomic():
        opportunity = _locked_opportunity(actor, opportunity_id)
        _require_open(opportunity, _("修改"))
        now = clock.now()
        if lines is not None:
            _replace_lines("opportunity", opportunity, lines)
            if lines:
                cleaned["amount"] = sum((line["subtotal"] for line in lines), ZERO)
        changes = timeline.diff(opportunity, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(opportunity, field, value)
        opportunity.updated_at = now
        opportunity.save()
        if "stage_id" in changes:
            opportunity.refresh_from_db(fields=["stage"])
            _history_enter(opportunity, opportunity.stage, actor, now)
        if changes:
            timeline.record(actor=actor, verb="opportunity.updated", obj=opportunity, changes=changes)
    return opportunity


def _close(actor, opportunity_id, status, *, reason=""):
    with transaction.atomic():
        opportunity = _locked_opportunity(actor, opportunity_id)
        label = _("赢单") if status == Status.WON else _("输单")
        if opportunity.status != Status.OPEN:
            raise BusinessError(
                "invalid_transition",
                _("只有未成交的商机可以%(action)s") % {"action": label},
            )
        now = clock.now()
        opportunity.status, opportunity.closed_on, opportunity.closed_by = status, clock.today(), actor
        opportunity.updated_at = now
        if status == Status.WON:
            last = won_stage()
            if opportunity.stage_id != last.pk:
                opportunity.stage = last
                _history_enter(opportunity, last, actor, now)
        else:
            opportunity.lose_reason = (reason or "")[:200]
        opportunity.save()
        timeline.record(actor=actor, verb=f"opportunity.{status}", obj=opportunity, reason=reason or "")
        _refresh_deal(opportunity.customer_id)
    return opportunity


def opportunity_win(*, actor, opportunity_id):
    """赢单 (OPP-05): 未成交 → 赢单, stage becomes the last; close date today, closer = caller."""
    check(actor, "opportunity.create")
    return _close(actor, opportunity_id, Status.WON)


def opportunity_lose(*, actor, opportunity_id, reason=""):
    """输单 (OPP-07): 未成交 → 输单, stage kept."""
    check(actor, "opportunity.create")
    return _close(actor, opportunity_id, Status.LOST, reason=reason)


def opportunity_reopen(*, actor, opportunity_id):
    """取消赢单 / 取消输单 (OPP-06/08): back to 未成交, stage kept, close date and closer cleared."""
    check(actor, "opportunity.create")
    with transaction.atomic():
        opportunity = _locked_opportunity(actor, opportunity_id)
        if opportunity.status == Status.OPEN:
            raise BusinessError("invalid_transition", _("未成交的商机无需取消"))
        before = opportunity.status
        opportunity.status, opportunity.closed_on, opportunity.closed_by = Status.OPEN, None, None
        opportunity.lose_reason, opportunity.updated_at = "", clock.now()
        opportunity.save()
        timeline.record(
            actor=actor, verb="opportunity.reopened", obj=opportunity, changes={"status": [before, "open"]}
        )
        _refresh_deal(opportunity.customer_id)
    return opportunity


def opportunity_delete(*, actor, opportunity_id):
    """删除 (OPP-10): soft delete, blocked while a (non-void) contract is linked."""
    check(actor, "opportunity.delete")
    with transaction.atomic():
        opportunity = _locked_opportunity(actor, opportunity_id)
        if Contract.objects.filter(opportunity=opportunity).exclude(status=CStatus.VOID).exists():
            raise BusinessError("opportunity_has_contract", _("该商机已关联合同，不能删除"))
        opportunity.deleted_at = opportunity.updated_at = clock.now()
        opportunity.save(update_fields=["deleted_at", "updated_at"])
        StageHistory.objects.filter(opportunity=opportunity, left_at__isnull=True).update(
            left_at=opportunity.deleted_at, left_by=actor
        )
        timeline.record(actor=actor, verb="opportunity.deleted", obj=opportunity)
        _refresh_deal(opportunity.customer_id)


def opportunity_followup_add(*, actor, opportunity_id, content, method="call", next_followup_at=None):
    """商机跟进 (OPP-13): a follow-up on the customer that names the opportunity (FUP-02)."""
    with transaction.atomic():
        opportunity = _locked_opportunity(actor, opportunity_id, change=False)
        followup = customer_services.customer_followup_add(
            actor=actor,
            customer_id=opportunity.customer_id,
            content=content,
            method=method,
            next_followup_at=next_followup_at,
        )
        followup.opportunity_pk = opportunity.pk
        followup.save(update_fields=["opportunity_pk"])
    return followup


# ---------------------------------------------------------------- contracts (CON-01..03)


def _clean_contract(values):
    cleaned, errors = {}, {}
    if "title" in values:
        cleaned["title"] = (values.get("title") or "").strip()
        if not cleaned["title"] or len(cleaned["title"]) > 100:
            errors["title"] = [_("请填写合同名称（不超过100个字）")]
    if "amount" in values:
        try:
            cleaned["amount"] = money(values["amount"])
        except ValidationFailed as error:
            errors.update(error.fields)
    for field in ("signed_on", "start_on", "end_on"):
        if field in values:
            cleaned[field] = values[field]
    if cleaned.get("start_on") and cleaned.get("end_on") and cleaned["end_on"] < cleaned["start_on"]:
        errors["end_on"] = [_("结束日期不能早于开始日期")]
    if "remark" in values:
        cleaned["remark"] = (values.get("remark") or "").strip()[:500]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def contract_create(
    *,
    actor,
    customer_id,
    title,
    amount,
    opportunity_id=None,
    signed_on=None,
    start_on=None,
    end_on=None,
    remark="",
    product_lines=(),
):
    """新建合同 (CON-02): a draft numbered <prefix><date><seq>; one per opportunity
    (``opportunity_has_contract``); submit it for approval (or effect) with contract_submit."""
    check(actor, "contract.create")
    cleaned = _clean_contract(
        {
            "title": title,
            "amount": amount,
            "signed_on": signed_on,
            "start_on": start_on,
            "end_on": end_on,
            "remark": remark,
        }
    )
    lines = _lines(product_lines)
    with transaction.atomic():
        customer = _customer_for_work(actor, customer_id)
        opportunity = None
        if opportunity_id:
            opportunity = (
                Opportunity.objects.select_for_update()
                .filter(pk=opportunity_id, deleted_at__isnull=True)
                .first()
            )
            if opportunity is None or opportunity.customer_id != customer.pk:
                raise ValidationFailed({"opportunity_id": [_("商机不属于该客户")]})
            if Contract.objects.filter(opportunity=opportunity).exclude(status=CStatus.VOID).exists():
                raise BusinessError("opportunity_has_contract", _("该商机已关联合同"))
        settings = sales_settings()
        try:
            with transaction.atomic():
                contract = Contract.objects.create(
                    number=_next_number("contract", settings.number_prefix),
                    customer=customer,
                    opportunity=opportunity,
                    owner=customer.owner,
                    created_by=actor,
                    **cleaned,
                )
        except IntegrityError:
            raise BusinessError("opportunity_has_contract", _("该商机已关联合同")) from None
        _replace_lines("contract", contract, lines)
        timeline.record(actor=actor, verb="contract.created", obj=contract)
        timeline.record(
            actor=actor, verb="customer.contract", obj=customer, data={"contract": contract.number}
        )
    return contract


def _locked_contract(actor, contract_id, *, change=True):
    contract = Contract.objects.select_for_update().filter(pk=contract_id).first()
    if contract is None or not Contract.objects.filter(visible_q(actor, "contract"), pk=contract.pk).exists():
        raise NotFound()
    if change:
        _may_change(actor, contract, "contract")
    return contract


def _require_contract(contract, *statuses, action):
    if contract.status not in statuses:
        raise BusinessError(
            "invalid_transition",
            _("“%(status)s”的合同不能%(action)s")
            % {"status": contract.get_status_display(), "action": action},
        )


def contract_update(*, actor, contract_id, product_lines=None, **values):
    """Edit a draft or rejected contract (approved ones are voided and re-created)."""
    check(actor, "contract.create")
    cleaned = _clean_contract({k: v for k, v in values.items() if v is not None})
    lines = _lines(product_lines) if product_lines is not None else None
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _require_contract(contract, CStatus.DRAFT, CStatus.REJECTED, action=_("修改"))
        if "amount" in cleaned:
            planned = PaymentPlan.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"] or ZERO
            if planned > cleaned["amount"]:
                raise BusinessError(
                    "plan_exceeds_amount",
                    _("回款计划总额不能超过合同金额（已计划 %(planned)s，合同 %(amount)s）")
                    % {"planned": planned, "amount": cleaned["amount"]},
                )
        changes = timeline.diff(contract, cleaned, list(cleaned))
        for field, value in cleaned.items():
            setattr(contract, field, value)
        contract.updated_at = clock.now()
        contract.save()
        if lines is not None:
            _replace_lines("contract", contract, lines)
        if changes:
            timeline.record(actor=actor, verb="contract.updated", obj=contract, changes=changes)
    return contract


def _effective(contract, actor):
    """An approved contract takes effect: the customer moves to the terminal progress stage."""
    contract.status, contract.updated_at = CStatus.APPROVED, clock.now()
    contract.save(update_fields=["status", "updated_at"])
    terminal = Stage.objects.filter(is_terminal=True).first()
    customer = Customer.objects.select_for_update().get(pk=contract.customer_id)
    if terminal and customer.stage_id != terminal.pk:
        before = customer.stage.name if customer.stage_id else None
        customer.stage, customer.updated_at = terminal, clock.now()
        customer.save(update_fields=["stage", "updated_at"])
        timeline.record(
            actor=actor,
            verb="customer.stage",
            obj=customer,
            changes={str(_("客户进展")): [before, terminal.name]},
            reason=_("合同%(number)s生效") % {"number": contract.number},
        )
    timeline.record(actor=actor, verb="contract.approved", obj=contract)


def contract_submit(*, actor, contract_id):
    """提交: draft/rejected → pending_approval when the enterprise has approvers (CON-03),
    otherwise → approved (effective) at once."""
    check(actor, "contract.create")
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _require_contract(contract, CStatus.DRAFT, CStatus.REJECTED, action=_("提交"))
        settings = sales_settings()
        if settings.approval_enabled and settings.level1_approver_ids:
            approvals.start(
                actor=actor,
                object_type="contract",
                object_id=contract.pk,
                title=f"{contract.number} {contract.title}",
                levels=[settings.level1_approver_ids, settings.level2_approver_ids],
                cc_ids=settings.cc_ids,
            )
            contract.status, contract.updated_at = CStatus.PENDING, clock.now()
            contract.save(update_fields=["status", "updated_at"])
            timeline.record(actor=actor, verb="contract.submitted", obj=contract)
        else:
            _effective(contract, actor)
    return contract


def contract_void(*, actor, contract_id, reason=""):
    """作废: any contract not yet void; a pending approval is withdrawn with it."""
    check(actor, "contract.void")
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _require_contract(
            contract, CStatus.DRAFT, CStatus.PENDING, CStatus.APPROVED, CStatus.REJECTED, action=_("作废")
        )
        from tidecrm.office.models import ApprovalRequest

        ApprovalRequest.objects.filter(
            object_type="contract", object_id=contract.pk, status=ApprovalRequest.Status.PENDING
        ).update(status=ApprovalRequest.Status.WITHDRAWN, finished_at=clock.now())
        contract.status, contract.updated_at = CStatus.VOID, clock.now()
        contract.save(update_fields=["status", "updated_at"])
        timeline.record(actor=actor, verb="contract.voided", obj=contract, reason=reason or "")
    return contract


def _on_approved(request, actor):
    contract = Contract.objects.select_for_update().get(pk=request.object_id)
    if contract.status == CStatus.PENDING:
        _effective(contract, actor)


def _on_rejected(request, actor):
    Contract.objects.filter(pk=request.object_id, status=CStatus.PENDING).update(
        status=CStatus.REJECTED, updated_at=clock.now()
    )
    timeline.record(
        actor=actor,
        verb="contract.rejected",
        object_type="contract",
        object_id=request.object_id,
        label=request.title,
    )


def _on_withdrawn(request, actor):
    Contract.objects.filter(pk=request.object_id, status=CStatus.PENDING).update(
        status=CStatus.DRAFT, updated_at=clock.now()
    )


approvals.register(
    "contract",
    label=gettext_lazy("合同审批"),  # lazy: registered at import, shown in the reader's language
    on_approved=_on_approved,
    on_rejected=_on_rejected,
    on_withdrawn=_on_withdrawn,
)


def contract_withdraw(*, actor, contract_id):
    """撤回: the initiator takes a pending contract back to draft."""
    from tidecrm.office.models import ApprovalRequest

    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _require_contract(contract, CStatus.PENDING, action=_("撤回"))
        request = ApprovalRequest.objects.filter(
            object_type="contract", object_id=contract.pk, status=ApprovalRequest.Status.PENDING
        ).first()
        if request is None:
            raise NotFound()
        approvals.withdraw(actor=actor, request_id=request.pk)
    return contract


def contract_followup_add(*, actor, contract_id, content, method="call", next_followup_at=None):
    """合同跟进 (CON-04): a follow-up on the customer that names the contract (FUP-02)."""
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id, change=False)
        followup = customer_services.customer_followup_add(
            actor=actor,
            customer_id=contract.customer_id,
            content=content,
            method=method,
            next_followup_at=next_followup_at,
        )
        followup.contract_pk = contract.pk
        followup.save(update_fields=["contract_pk"])
    return followup


# ---------------------------------------------------------------- money: plans, payments, invoices (CON-05..07)


def _noun(kind):
    """合同 or 订单, for messages about the money of either."""
    return _("订单") if kind == "order" else _("合同")


def require_orders():
    """ORD-04: orders -- pages, reads and writes -- are behind the enterprise's switch; return
    the settings when it is on, else 403 ``feature_disabled``."""
    settings = sales_settings()
    if not settings.orders_enabled:
        raise BusinessError(
            "feature_disabled", _("企业未开启订单功能，请管理员在 合同设置 中开启"), status=403
        )
    return settings


def _target(actor, *, contract_id=None, order_id=None):
    if contract_id:
        return "contract", _locked_contract(actor, contract_id)
    require_orders()
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or not Order.objects.filter(visible_q(actor, "contract"), pk=order.pk).exists():
        raise NotFound()
    _may_change(actor, order, "contract")  # read-only collaborators look, as on contracts
    return "order", order


ORDER_CLOSED = (Order.Status.REJECTED, Order.Status.VOID)  # no plans, payments or invoices


def _require_live_order(kind, target, action):
    """Plans, payments and invoices only on orders that are neither rejected nor void."""
    if kind == "order" and target.status in ORDER_CLOSED:
        raise BusinessError(
            "invalid_transition",
            _("“%(s)s”的订单不能%(action)s") % {"s": target.get_status_display(), "action": action},
        )


def plan_add(*, actor, amount, due_on, contract_id=None, order_id=None, remark=""):
    """回款计划: Σ planned ≤ the contract amount (``plan_exceeds_amount``, Q-43)."""
    check(actor, "payment.create")
    amount = money(amount)
    if due_on is None:
        raise ValidationFailed({"due_on": [_("请选择计划回款日期")]})
    with transaction.atomic():
        kind, target = _target(actor, contract_id=contract_id, order_id=order_id)
        if kind == "contract":
            _require_contract(
                target,
                CStatus.DRAFT,
                CStatus.PENDING,
                CStatus.APPROVED,
                CStatus.REJECTED,
                action=_("添加回款计划"),
            )
        _require_live_order(kind, target, _("添加回款计划"))
        plans = PaymentPlan.objects.filter(**{kind: target})
        planned = plans.aggregate(s=Sum("amount"))["s"] or ZERO
        if planned + amount > target.amount:
            raise BusinessError(
                "plan_exceeds_amount",
                _("回款计划总额不能超过%(noun)s金额（已计划 %(planned)s，%(noun)s金额 %(amount)s）")
                % {"noun": _noun(kind), "planned": planned, "amount": target.amount},
            )
        period = (plans.aggregate(m=Max("period"))["m"] or 0) + 1
        plan = PaymentPlan.objects.create(
            **{kind: target}, period=period, due_on=due_on, amount=amount, remark=(remark or "")[:200]
        )
        timeline.record(
            actor=actor, verb=f"{kind}.plan_added", obj=target, data={"period": period, "amount": str(amount)}
        )
    return plan


def payment_add(
    *,
    actor,
    amount,
    received_on,
    contract_id=None,
    order_id=None,
    plan_id=None,
    method="",
    remark="",
    confirm_overpay=False,
):
    """回款记录 on an effective contract (or an order); Σ received above the amount needs
    ``confirm_overpay`` (``payment_exceeds_amount``, Q-43)."""
    check(actor, "payment.create")
    amount = money(amount)
    if received_on is None:
        raise ValidationFailed({"received_on": [_("请选择回款日期")]})
    with transaction.atomic():
        kind, target = _target(actor, contract_id=contract_id, order_id=order_id)
        if kind == "contract":
            _require_contract(target, CStatus.APPROVED, action=_("登记回款"))
        _require_live_order(kind, target, _("登记回款"))
        plan = None
        if plan_id:
            plan = PaymentPlan.objects.filter(pk=plan_id, **{kind: target}).first()
            if plan is None:
                raise ValidationFailed({"plan_id": [_("回款期次不属于该%(noun)s") % {"noun": _noun(kind)}]})
        if target.received_amount + amount > target.amount and not confirm_overpay:
            raise BusinessError(
                "payment_exceeds_amount",
                _("累计回款 %(total)s 将超过金额 %(amount)s，请确认后再提交")
                % {"total": target.received_amount + amount, "amount": target.amount},
            )
        payment = Payment.objects.create(
            **{kind: target},
            plan=plan,
            amount=amount,
            received_on=received_on,
            method=(method or "")[:20],
            remark=(remark or "")[:200],
            created_by=actor,
        )
        target.received_amount = (
            Payment.objects.filter(**{kind: target}).aggregate(s=Sum("amount"))["s"] or ZERO
        )
        target.save(update_fields=["received_amount"])
        timeline.record(actor=actor, verb=f"{kind}.payment", obj=target, data={"amount": str(amount)})
    return payment


def invoice_add(
    *,
    actor,
    amount,
    contract_id=None,
    order_id=None,
    type=Invoice.Type.NORMAL,
    title="",
    tax_number="",
    number="",
    issued_on=None,
):
    """开票: an application, issued when it has a number and date; Σ invoiced ≤ amount
    (``invoice_exceeds_amount``, Q-43)."""
    check(actor, "payment.create")
    amount = money(amount)
    if type not in Invoice.Type.values:
        raise ValidationFailed({"type": [_("请选择发票类型")]})
    with transaction.atomic():
        kind, target = _target(actor, contract_id=contract_id, order_id=order_id)
        if kind == "contract":
            _require_contract(target, CStatus.APPROVED, action=_("开票"))
        _require_live_order(kind, target, _("开票"))
        invoiced = Invoice.objects.filter(**{kind: target}).aggregate(s=Sum("amount"))["s"] or ZERO
        if invoiced + amount > target.amount:
            raise BusinessError(
                "invoice_exceeds_amount",
                _("开票总额不能超过金额（已开 %(done)s，金额 %(amount)s）")
                % {"done": invoiced, "amount": target.amount},
            )
        issued = bool(number and issued_on)
        invoice = Invoice.objects.create(
            **{kind: target},
            amount=amount,
            type=type,
            title=(title or "")[:100],
            tax_number=(tax_number or "")[:30],
            number=(number or "")[:40],
            issued_on=issued_on,
            status=Invoice.Status.ISSUED if issued else Invoice.Status.APPLIED,
            created_by=actor,
        )
        target.invoiced_amount = invoiced + amount
        target.save(update_fields=["invoiced_amount"])
        timeline.record(actor=actor, verb=f"{kind}.invoice", obj=target, data={"amount": str(amount)})
    return invoice


def plan_statuses(plans, payments):
    """Each plan's status: 已回款 / 部分回款 / 逾期 / 未回款 (CON-05), from payments linked to it."""
    paid = {}
    for payment in payments:
        if payment.plan_id:
            paid[payment.plan_id] = paid.get(payment.plan_id, ZERO) + payment.amount
    today = clock.today()
    for plan in plans:
        plan.paid = paid.get(plan.pk, ZERO)
        if plan.paid >= plan.amount:
            plan.state, plan.state_label = "paid", _("已回款")
        elif plan.due_on < today:
            plan.state, plan.state_label = "overdue", _("逾期")
        elif plan.paid > 0:
            plan.state, plan.state_label = "partial", _("部分回款")
        else:
            plan.state, plan.state_label = "unpaid", _("未回款")
    return plans


# ---------------------------------------------------------------- orders (ORD-01)


def order_form(settings=None):
    """ORD-02: the enterprise's order form layout as ``[{field, visible, required}]`` in display
    order — the stored list cleaned (unknown or repeated fields dropped, a hidden field never
    required) with any field it lacks appended visible, as in the default."""
    stored = (settings or sales_settings()).order_form
    stored = stored if isinstance(stored, list) and stored else default_order_form()
    items, seen = [], set()
    for item in stored:
        field = item.get("field") if isinstance(item, dict) else None
        if not isinstance(field, str) or field not in ORDER_FORM_FIELDS or field in seen:
            continue
        seen.add(field)
        visible = bool(item.get("visible", True))
        items.append({"field": field, "visible": visible, "required": visible and bool(item.get("required"))})
    items += [item for item in default_order_form() if item["field"] not in seen]
    return items


# The order_create parameter each form field fills (the key of its 422 message).
ORDER_FORM_PARAMS = {
    "contract": "contract_id",
    "order_date": "order_date",
    "amount": "amount",
    "remark": "remark",
    "product_lines": "product_lines",
}


def _check_order_form(settings, given):
    """ORD-02: the fields the enterprise made required must be given (``given`` maps a form
    field to whether it was). The amount counts as given when the order has product lines."""
    messages = {
        "contract": _("请选择关联合同"),
        "order_date": _("请填写下单日期"),
        "amount": _("请填写订单金额"),
        "remark": _("请填写备注"),
        "product_lines": _("请添加产品明细"),
    }
    errors = {
        ORDER_FORM_PARAMS[item["field"]]: [messages[item["field"]]]
        for item in order_form(settings)
        if item["required"] and not given[item["field"]]
    }
    if errors:
        raise ValidationFailed(errors)


def order_create(
    *, actor, customer_id, amount=None, order_date=None, contract_id=None, remark="", product_lines=()
):
    check(actor, "order.create")
    settings = require_orders()
    _check_order_form(
        settings,
        {
            "contract": bool(contract_id),
            "order_date": bool(order_date),
            "amount": bool(product_lines) or str(amount if amount is not None else "").strip() != "",
            "remark": bool((remark or "").strip()),
            "product_lines": bool(product_lines),
        },
    )
    lines = _lines(product_lines)
    with transaction.atomic():
        customer = _customer_for_work(actor, customer_id)
        total = (
            sum((line["subtotal"] for line in lines), ZERO)
            if lines
            else money(amount if amount is not None else 0)
        )
        contract = None
        if contract_id:
            contract = Contract.objects.filter(pk=contract_id, customer=customer).first()
            if contract is None:
                raise ValidationFailed({"contract_id": [_("合同不属于该客户")]})
            if contract.status == Contract.Status.VOID:
                raise ValidationFailed({"contract_id": [_("该合同已作废，不能再下订单")]})
        order = Order.objects.create(
            number=_next_number("order", "DD"),
            customer=customer,
            contract=contract,
            owner=customer.owner,
            order_date=order_date or clock.today(),
            amount=total,
            remark=(remark or "")[:500],
            created_by=actor,
        )
        _replace_lines("order", order, lines)
        timeline.record(actor=actor, verb="order.created", obj=order)
    return order


ORDER_FLOW = {
    "confirm": (Order.Status.PENDING, Order.Status.CONFIRMED),
    "reject": (Order.Status.PENDING, Order.Status.REJECTED),
    "ship": (Order.Status.CONFIRMED, Order.Status.SHIPPED),
    "complete": (Order.Status.SHIPPED, Order.Status.COMPLETED),
}
ORDER_VOIDABLE = (Order.Status.PENDING, Order.Status.CONFIRMED, Order.Status.SHIPPED)


def order_actions(order):
    """What may be done to an order in its status: the ORDER_FLOW steps, then "void"."""
    actions = [action for action, (source, _to) in ORDER_FLOW.items() if source == order.status]
    if order.status in ORDER_VOIDABLE:
        actions.append("void")
    return actions


def order_transition(*, actor, order_id, action):
    check(actor, "order.create")
    if action == "void":
        sources, target = ORDER_VOIDABLE, Order.Status.VOID
    elif action in ORDER_FLOW:
        source, target = ORDER_FLOW[action]
        sources = (source,)
    else:
        raise ValidationFailed(message=_("未知操作"))
    with transaction.atomic():
        _kind, order = _target(actor, order_id=order_id)
        if order.status not in sources:
            raise BusinessError(
                "invalid_transition", _("“%(s)s”的订单不能执行该操作") % {"s": order.get_status_display()}
            )
        order.status = target
        order.save(update_fields=["status"])
        timeline.record(actor=actor, verb=f"order.{action}", obj=order)
    return order
