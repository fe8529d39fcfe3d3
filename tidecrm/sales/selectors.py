"""Sales reads: the opportunity, contract and order lists (restricted by the sales access policy,
:mod:`tidecrm.sales.access`), their lines, stage history, money tabs, the kanban and products."""

from django.db import connection
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from tidecrm.core import clock
from tidecrm.core.access import restrict
from tidecrm.core.dates import filter_dates
from tidecrm.core.errors import NotFound

from . import defaults
from .models import (
    ZERO,
    Contract,
    Invoice,
    LineItem,
    Opportunity,
    OpportunityStage,
    Order,
    Payment,
    PaymentPlan,
    Product,
    ProductCategory,
    StageHistory,
)


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


def opportunity_list(
    *,
    actor,
    q=None,
    status=None,
    stage_id=None,
    owner_id=None,
    customer_id=None,
    created_from=None,
    created_to=None,
    mine=False,
):
    """Return the opportunities the caller sees (the sales access policy; deleted ones never),
    filtered by text (name, customer), status, stage, owner, customer and creation dates; ``mine``
    keeps the caller's own. Newest first, customer, owner, stage and closer joined."""
    opportunities = restrict(Opportunity.objects.all(), actor)
    if mine:
        opportunities = opportunities.filter(owner=actor)
    if q:
        opportunities = opportunities.filter(
            Q(name__icontains=q.strip()) | Q(customer__name__icontains=q.strip())
        )
    if status:
        opportunities = opportunities.filter(status=status)
    if stage_id:
        opportunities = opportunities.filter(stage_id=stage_id)
    if owner_id:
        opportunities = opportunities.filter(owner_id=owner_id)
    if customer_id:
        opportunities = opportunities.filter(customer_id=customer_id)
    opportunities = filter_dates(opportunities, "created_at", created_from, created_to)
    return opportunities.select_related("customer", "owner", "stage", "closed_by").order_by(
        "-created_at", "-id"
    )


def kanban(*, actor, mine=False, per_stage=50):
    """Open opportunities by stage (for the board): [(stage, count, amount, [opportunities])]."""

    stages = defaults.stages()
    base = restrict(Opportunity.objects.filter(status=Opportunity.Status.OPEN), actor)
    if mine:
        base = base.filter(owner=actor)
    totals = {
        row["stage_id"]: (row["n"], row["s"])
        for row in base.values("stage_id").annotate(n=Count("pk"), s=Sum("amount"))
    }
    if connection.vendor == "postgresql":
        newest = _newest_by_stage(base, stages, per_stage)
    else:
        # The newest ``per_stage`` of every stage in one query (a row number per stage), not one
        # query per column. Fine for small enterprises; it numbers every open opportunity.
        newest = (
            base.annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("stage_id")],
                    order_by=[F("updated_at").desc(), F("id").desc()],
                )
            )
            .filter(rank__lte=per_stage)
            .select_related("customer", "owner")
            .order_by("-updated_at", "-id")
        )
    items = {}
    for opportunity in newest:
        items.setdefault(opportunity.stage_id, []).append(opportunity)
    columns = []
    for stage in stages:
        count, amount = totals.get(stage.pk, (0, 0))
        columns.append(
            {"stage": stage, "count": count, "amount": amount or 0, "items": items.get(stage.pk, [])}
        )
    return columns


def _newest_by_stage(base, stages, per_stage):
    """The newest ``per_stage`` open opportunities of every stage, in two queries: the ids as one
    array per stage, each read from the (tenant, stage, status, updated_at, id) index with its
    LIMIT (a correlated subquery, run once per stage like a LATERAL join), then those rows. The
    window function over every open opportunity took 7 s at 300,000 (bench/over_http.py)."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef

    ids_by_stage = (
        OpportunityStage.objects.filter(pk__in=[stage.pk for stage in stages])
        .annotate(
            newest=ArraySubquery(
                base.filter(stage_id=OuterRef("pk")).order_by("-updated_at", "-id").values("pk")[:per_stage]
            )
        )
        .values_list("newest", flat=True)
    )
    ids = [pk for newest in ids_by_stage for pk in newest or ()]
    return (
        Opportunity.objects.filter(pk__in=ids)
        .select_related("customer", "owner")
        .order_by("-updated_at", "-id")
    )


def lines_of(**owner):
    """Return the product lines of one opportunity, contract or order (``opportunity=``,
    ``contract=`` or ``order=``), in the order added; the caller read the owner through its access
    policy."""
    return list(LineItem.objects.filter(**owner).order_by("id"))


def history_of(opportunity):
    """Return an opportunity's stage history (BEYOND-06), oldest first, with who entered each
    stage."""
    return list(
        StageHistory.objects.filter(opportunity=opportunity)
        .select_related("entered_by")
        .order_by("entered_at", "id")
    )


def contract_list(
    *,
    actor,
    q=None,
    status=None,
    owner_id=None,
    customer_id=None,
    signed_from=None,
    signed_to=None,
    mine=False,
):
    """Return the contracts the caller sees (the sales access policy), filtered by text (number,
    title, customer), status, owner, customer and signing dates; ``mine`` keeps the caller's own.
    Newest first, customer, owner and opportunity joined."""
    contracts = restrict(Contract.objects.all(), actor)
    if mine:
        contracts = contracts.filter(owner=actor)
    if q:
        contracts = contracts.filter(
            Q(number__icontains=q.strip())
            | Q(title__icontains=q.strip())
            | Q(customer__name__icontains=q.strip())
        )
    if status:
        contracts = contracts.filter(status=status)
    if owner_id:
        contracts = contracts.filter(owner_id=owner_id)
    if customer_id:
        contracts = contracts.filter(customer_id=customer_id)
    contracts = filter_dates(contracts, "signed_on", signed_from, signed_to)
    return contracts.select_related("customer", "owner", "opportunity").order_by("-created_at", "-id")


def money_of(**target):
    """Plans (with their derived status), payments and invoices of a contract or order."""
    payments = list(Payment.objects.filter(**target).select_related("created_by", "plan"))
    plans = plan_statuses(list(PaymentPlan.objects.filter(**target)), payments)
    invoices = list(Invoice.objects.filter(**target).select_related("created_by"))
    return {"plans": plans, "payments": payments, "invoices": invoices}


def order_list(
    *, actor, q=None, status=None, owner_id=None, customer_id=None, ordered_from=None, ordered_to=None
):
    """Return the orders the caller sees (the sales access policy), filtered by text (number,
    customer, contract), status, owner, customer and order dates, newest first. Behind the orders
    switch (ORD-04): 403 ``feature_disabled`` while it is off."""
    defaults.require_orders()
    orders = restrict(Order.objects.all(), actor)
    if q:
        orders = orders.filter(
            Q(number__icontains=q.strip())
            | Q(customer__name__icontains=q.strip())
            | Q(contract__number__icontains=q.strip())
        )
    if status:
        orders = orders.filter(status=status)
    if owner_id:
        orders = orders.filter(owner_id=owner_id)
    if customer_id:
        orders = orders.filter(customer_id=customer_id)
    orders = filter_dates(orders, "order_date", ordered_from, ordered_to)
    return orders.select_related("customer", "owner", "contract").order_by("-created_at", "-id")


def product_list(*, q=None, category_id=None, on_sale=None):
    """Return the products (PROD-01; everyone in the enterprise reads them) filtered by text
    (name, SKU), category (with its sub-categories; 404 for an unknown one) and on-sale flag, by
    category path, then name."""
    products = Product.objects.all()
    if q:
        products = products.filter(Q(name__icontains=q.strip()) | Q(sku__icontains=q.strip()))
    if category_id:
        category = ProductCategory.objects.filter(pk=category_id).first()
        if category is None:
            raise NotFound()
        products = products.filter(category__path__startswith=category.path)
    if on_sale is not None:
        products = products.filter(on_sale=on_sale)
    return products.select_related("category").order_by("category__path", "name", "id")


def categories():
    """Return every product category (PROD-01) in tree order (by path)."""
    return list(ProductCategory.objects.order_by("path"))


def product_get(*, product_id):
    """Return one product with its category; 404 when there is none."""
    product = Product.objects.filter(pk=product_id).select_related("category").first()
    if product is None:
        raise NotFound()
    return product


def stage_usage():
    """{stage id: number of (not deleted) opportunities in it} for the stage settings."""
    return dict(
        Opportunity.objects.filter(deleted_at__isnull=True)
        .values("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    )


def contract_of_opportunity(opportunity):
    """The (non-void) contract made from an opportunity, if any (one per opportunity, CON-01)."""
    return (
        Contract.objects.filter(opportunity=opportunity)
        .exclude(status=Contract.Status.VOID)
        .order_by("-created_at")
        .first()
    )


def followups_of_opportunity(opportunity, *, limit=50):
    """The follow-ups written on an opportunity (they live on its customer, FUP-02)."""
    from tidecrm.customers.models import Followup

    return list(
        Followup.objects.filter(customer_id=opportunity.customer_id, opportunity_pk=opportunity.pk)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def contract_opportunity_options(*, actor, customer_id):
    """A customer's opportunities the caller sees that have no (non-void) contract yet."""
    taken = Contract.objects.filter(opportunity__isnull=False).exclude(status=Contract.Status.VOID)
    return list(
        opportunity_list(actor=actor, customer_id=customer_id).exclude(pk__in=taken.values("opportunity_id"))
    )


def followups_of_contract(contract, *, limit=50):
    """The follow-ups written on a contract (CON-04; they live on its customer, FUP-02)."""
    from tidecrm.customers.models import Followup

    return list(
        Followup.objects.filter(customer_id=contract.customer_id, contract_pk=contract.pk)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def order_contract_options(*, actor, customer_id):
    """A customer's contracts the caller sees that an order may name (not void)."""
    return list(contract_list(actor=actor, customer_id=customer_id).exclude(status=Contract.Status.VOID))
