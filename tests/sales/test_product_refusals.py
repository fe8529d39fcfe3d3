"""The refusals of the product catalogue (PROD-01/02) and of starting a second approval on one
record (OFF-08): each names its code and leaves nothing behind."""

import pytest

from tidecrm.office import approvals
from tidecrm.office.models import ApprovalRequest
from tidecrm.sales import services
from tidecrm.sales.models import Product, ProductCategory

from . import support
from .support import refused


def catalogue():
    return (
        list(ProductCategory.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
    )


def refused_in_catalogue(code, func, **kwargs):
    before = catalogue()
    error = refused(code, func, **kwargs)
    assert catalogue() == before, f"{func.__name__} refused with {code} but changed the catalogue"
    return error


@pytest.fixture
def tree(bound):
    top = services.category_create(actor=bound, name="硬件")
    middle = services.category_create(actor=bound, name="外设", parent_id=top.pk)
    bottom = services.category_create(actor=bound, name="扫码枪", parent_id=middle.pk)
    return {"top": top, "middle": middle, "bottom": bottom}


def test_a_fourth_category_level_is_refused(bound, tree):
    assert tree["bottom"].depth == ProductCategory.MAX_DEPTH
    refused_in_catalogue(
        "category_too_deep", services.category_create, actor=bound, name="无线", parent_id=tree["bottom"].pk
    )


def test_a_sibling_with_the_same_name_is_refused_but_a_cousin_may_share_it(bound, tree):
    refused_in_catalogue("duplicate_category", services.category_create, actor=bound, name="硬件")
    refused_in_catalogue(
        "duplicate_category", services.category_create, actor=bound, name="外设", parent_id=tree["top"].pk
    )
    # The same name under another parent is another category.
    assert services.category_create(actor=bound, name="外设", parent_id=tree["middle"].pk).depth == 3


def test_a_category_with_sub_categories_or_products_is_not_deleted(bound, tree):
    refused_in_catalogue(
        "category_not_empty", services.category_delete, actor=bound, category_id=tree["top"].pk
    )
    services.product_create(actor=bound, name="扫码枪 A1", category_id=tree["bottom"].pk, price="250")
    refused_in_catalogue(
        "category_not_empty", services.category_delete, actor=bound, category_id=tree["bottom"].pk
    )


def test_a_product_code_is_unique_on_create_and_on_update(bound, tree):
    category_id = tree["bottom"].pk
    services.product_create(actor=bound, name="扫码枪 A1", category_id=category_id, sku="SCAN-1")
    other = services.product_create(actor=bound, name="扫码枪 B2", category_id=category_id, sku="SCAN-2")
    refused_in_catalogue(
        "duplicate_sku",
        services.product_create,
        actor=bound,
        name="扫码枪 C3",
        category_id=category_id,
        sku="SCAN-1",
    )
    refused_in_catalogue(
        "duplicate_sku", services.product_update, actor=bound, product_id=other.pk, sku="SCAN-1"
    )
    # No code at all is not a duplicate.
    services.product_create(actor=bound, name="无编码产品", category_id=category_id)
    services.product_create(actor=bound, name="无编码产品二", category_id=category_id)


def test_a_record_already_in_approval_cannot_start_another(bound):
    people = support.make_people(bound)
    rep = people["rep"]
    made = support.contract(rep, support.customer(rep))
    approvals.start(
        actor=rep, object_type="contract", object_id=made.pk, title=made.title, levels=[[bound.pk]]
    )
    refused(
        "approval_pending",
        approvals.start,
        actor=rep,
        object_type="contract",
        object_id=made.pk,
        title=made.title,
        levels=[[bound.pk]],
    )
    assert ApprovalRequest.objects.filter(object_id=made.pk).count() == 1
