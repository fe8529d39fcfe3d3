"""Shared builders for the sales rule tests (customers, products, contracts, snapshots)."""

import itertools
from decimal import Decimal

import pytest

from tests import factories
from tidecrm.core.errors import BusinessError
from tidecrm.core.models import TimelineEvent
from tidecrm.customers import config
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import Customer
from tidecrm.office.models import ApprovalAction, ApprovalRequest
from tidecrm.sales import services
from tidecrm.sales.models import (
    Contract,
    ContractSettings,
    Invoice,
    LineItem,
    Opportunity,
    OpportunityStage,
    Order,
    Payment,
    PaymentPlan,
    ProductCategory,
    StageHistory,
)

_mobiles = itertools.count(13700000000)
_names = itertools.count(1)

SNAPSHOT_MODELS = (
    Opportunity,
    OpportunityStage,
    StageHistory,
    LineItem,
    Contract,
    ContractSettings,
    PaymentPlan,
    Payment,
    Invoice,
    Order,
    ApprovalRequest,
    ApprovalAction,
    Customer,
)


def D(value):
    return Decimal(str(value))


def snapshot():
    rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}
    rows["timeline"] = TimelineEvent.objects.count()
    return rows


def refused(code, func, status=409, **kwargs):
    """Call ``func`` expecting the refusal ``code`` with ``status``; nothing may have changed."""
    before = snapshot()
    with pytest.raises(BusinessError) as caught:
        func(**kwargs)
    assert (caught.value.code, caught.value.status) == (code, status), caught.value
    assert snapshot() == before, f"{func.__name__} refused with {code} but left changes behind"
    return caught.value


def make_people(admin):
    """The admin (super admin) and two salespeople with the default 销售顾问 role (self scope)."""
    config.default_library(), config.stages(), config.customer_settings()
    services.stages(), services.sales_settings()
    return {
        "admin": admin,
        "rep": factories.employee(admin, name="销售甲", role_keys=("sales",)),
        "rep2": factories.employee(admin, name="销售乙", role_keys=("sales",)),
    }


def customer(actor, name=None, **values):
    name = name or f"客户{next(_names)}有限公司"
    contacts = [{"name": "张三", "mobile": str(next(_mobiles))}]
    return customer_services.customer_create(actor=actor, name=name, contacts=contacts, **values)


def opportunity(actor, customer_obj, name="商机", **values):
    return services.opportunity_create(actor=actor, customer_id=customer_obj.pk, name=name, **values)


def product(admin, name="产品", price="100.00", **values):
    category = ProductCategory.objects.first() or services.category_create(actor=admin, name="默认分类")
    return services.product_create(actor=admin, name=name, category_id=category.pk, price=price, **values)


def contract(actor, customer_obj, amount="10000", title="合同", **values):
    return services.contract_create(
        actor=actor, customer_id=customer_obj.pk, title=title, amount=amount, **values
    )


def effective_contract(actor, customer_obj, amount="10000", **values):
    made = contract(actor, customer_obj, amount=amount, **values)
    return services.contract_submit(actor=actor, contract_id=made.pk)


def configure_approval(admin, level1=(), level2=(), cc=()):
    settings = services.sales_settings()
    settings.approval_enabled = bool(level1)
    settings.level1_approver_ids = [e.pk for e in level1]
    settings.level2_approver_ids = [e.pk for e in level2]
    settings.cc_ids = [e.pk for e in cc]
    settings.save()
    return settings


def fresh(obj):
    obj.refresh_from_db()
    return obj
