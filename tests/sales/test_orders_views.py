"""Order pages (ORD-01, ORD-04): they render when the enterprise turned orders on and answer the
``feature_disabled`` refusal when it did not, the status actions follow the order's status, a
payment on an order updates its received amount, and the list stays at a constant number of
queries with the number of rows."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services as customer_services
from tidecrm.sales import services
from tidecrm.sales.models import Order

HTMX = {"HTTP_HX_REQUEST": "true"}
_mobiles = itertools.count(13500000000)


def _customer(actor, name):
    return customer_services.customer_create(
        actor=actor, name=name, contacts=[{"name": "联系人", "mobile": str(next(_mobiles))}]
    )


def _switch_orders(on):
    settings = services.sales_settings()
    settings.orders_enabled = on
    settings.save(update_fields=["orders_enabled"])


@pytest.fixture
def shop(enterprise):
    owner = enterprise
    with tenant_context(owner.tenant):
        _switch_orders(True)
        customer = _customer(owner, "远洋商贸有限公司")
        category = services.category_create(actor=owner, name="硬件")
        product = services.product_create(
            actor=owner, name="扫码枪", category_id=category.pk, price="250.00", unit="台"
        )
        contract = services.contract_create(
            actor=owner, customer_id=customer.pk, title="年度采购合同", amount="10000"
        )
        order = services.order_create(
            actor=owner,
            customer_id=customer.pk,
            contract_id=contract.pk,
            product_lines=[{"product_id": product.pk, "quantity": 4}],
        )
    return {"owner": owner, "customer": customer, "product": product, "contract": contract, "order": order}


def test_order_pages_render_when_enabled(shop):
    client = logged_in(shop["owner"])
    order = shop["order"]
    paths = [
        "/sales/orders/",
        "/sales/orders/?status=pending&q=DD&ordered_from=2020-01-01&ordered_to=2099-01-01",
        "/sales/orders/new/",
        f"/sales/orders/new/?customer_id={shop['customer'].pk}",
        f"/sales/orders/contract-options/?customer_id={shop['customer'].pk}",
        f"/sales/orders/{order.pk}/",
        f"/sales/orders/{order.pk}/drawer/",
        f"/sales/orders/{order.pk}/plans/new/",
        f"/sales/orders/{order.pk}/payments/new/",
        f"/sales/orders/{order.pk}/invoices/new/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
    listing = client.get("/sales/orders/").content.decode()
    assert order.number in listing and "远洋商贸有限公司" in listing and shop["contract"].number in listing
    assert 'data-testid="nav-orders"' in listing
    detail = client.get(f"/sales/orders/{order.pk}/drawer/").content.decode()
    assert "扫码枪" in detail and "¥1,000.00" in detail
    options = client.get(f"/sales/orders/contract-options/?customer_id={shop['customer'].pk}").content
    assert shop["contract"].number in options.decode()


def test_order_pages_refused_when_disabled(shop):
    owner, order = shop["owner"], shop["order"]
    with tenant_context(owner.tenant):
        _switch_orders(False)
    client = logged_in(owner)
    for path in [
        "/sales/orders/",
        "/sales/orders/new/",
        f"/sales/orders/{order.pk}/",
        f"/sales/orders/{order.pk}/drawer/",
        f"/sales/orders/{order.pk}/payments/new/",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "企业未开启订单功能" in response.content.decode()
    response = client.post(f"/sales/orders/{order.pk}/confirm/", **HTMX)
    assert response.status_code == 403 and response["HX-Retarget"] == "#toasts"
    assert 'data-testid="nav-orders"' not in client.get("/sales/contracts/").content.decode()
    with tenant_context(owner.tenant):
        assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_create_an_order_from_the_modal(shop):
    client = logged_in(shop["owner"])
    customer = shop["customer"]
    response = client.post(
        "/sales/orders/new/",
        {"customer_id": customer.pk, "order_date": "2025-03-01", "amount": "880", "remark": "加急"},
        **HTMX,
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#drawer-slot"
    assert "¥880.00" in response.content.decode() and "已创建" in response.content.decode()
    response = client.post(
        "/sales/orders/new/",
        {
            "customer_id": customer.pk,
            "lines-0-product_id": shop["product"].pk,
            "lines-0-quantity": "2",
            "lines-0-discount": "50",
        },
        **HTMX,
    )
    assert response.status_code == 200 and "¥250.00" in response.content.decode()
    missing = client.post("/sales/orders/new/", {"amount": "100"}, **HTMX)
    assert missing.status_code == 422 and "请选择客户" in missing.content.decode()
    zero = client.post("/sales/orders/new/", {"customer_id": customer.pk, "amount": "0"}, **HTMX)
    assert zero.status_code == 422 and "金额必须大于0" in zero.content.decode()
    with tenant_context(shop["owner"].tenant):
        assert Order.objects.count() == 3


def _actions(client, order_id):
    html = client.get(f"/sales/orders/{order_id}/drawer/").content.decode()
    return {
        action
        for action in ("confirm", "reject", "ship", "complete", "void", "payment")
        if f'data-testid="order-action-{action}"' in html
    }


def test_transitions_follow_the_status(shop):
    client = logged_in(shop["owner"])
    order_id = shop["order"].pk
    assert _actions(client, order_id) == {"confirm", "reject", "void", "payment"}
    refused = client.post(f"/sales/orders/{order_id}/ship/", **HTMX)
    assert refused.status_code == 409 and "待审核" in refused.content.decode()
    for action, status, shown in [
        ("confirm", Order.Status.CONFIRMED, {"ship", "void", "payment"}),
        ("ship", Order.Status.SHIPPED, {"complete", "void", "payment"}),
        ("complete", Order.Status.COMPLETED, {"payment"}),
    ]:
        response = client.post(f"/sales/orders/{order_id}/{action}/", **HTMX)
        assert response.status_code == 200 and "orders-changed" in response["HX-Trigger"]
        with tenant_context(shop["owner"].tenant):
            assert Order.objects.get(pk=order_id).status == status
        assert _actions(client, order_id) == shown
    assert client.post(f"/sales/orders/{order_id}/void/", **HTMX).status_code == 409
    assert client.post(f"/sales/orders/{order_id}/explode/", **HTMX).status_code == 404


def test_reject_and_void_close_the_money_tabs(shop):
    owner = shop["owner"]
    client = logged_in(owner)
    with tenant_context(owner.tenant):
        other = services.order_create(actor=owner, customer_id=shop["customer"].pk, amount="100")
    assert "订单已驳回" in client.post(f"/sales/orders/{shop['order'].pk}/reject/", **HTMX).content.decode()
    assert "订单已作废" in client.post(f"/sales/orders/{other.pk}/void/", **HTMX).content.decode()
    for order_id in (shop["order"].pk, other.pk):
        assert _actions(client, order_id) == set()
        html = client.get(f"/sales/orders/{order_id}/drawer/").content.decode()
        assert "已驳回或作废的订单不能登记回款" in html and 'data-testid="add-plan"' not in html
        response = client.post(
            f"/sales/orders/{order_id}/payments/new/", {"amount": "10", "received_on": "2025-01-02"}, **HTMX
        )
        assert response.status_code == 422


def test_payment_and_invoice_on_an_order(shop):
    owner, order = shop["owner"], shop["order"]
    client = logged_in(owner)
    modal = client.get(f"/sales/orders/{order.pk}/payments/new/", **HTMX).content.decode()
    assert f'hx-post="/sales/orders/{order.pk}/payments/new/"' in modal and "订单金额" in modal
    response = client.post(
        f"/sales/orders/{order.pk}/payments/new/",
        {"amount": "600", "received_on": "2025-01-02", "method": "现金"},
        **HTMX,
    )
    assert "已登记回款" in response.content.decode() and "order-changed" in response["HX-Trigger"]
    over = client.post(
        f"/sales/orders/{order.pk}/payments/new/", {"amount": "500", "received_on": "2025-01-03"}, **HTMX
    )
    assert over.status_code == 422 and "确认超额登记" in over.content.decode()
    response = client.post(
        f"/sales/orders/{order.pk}/invoices/new/",
        {"amount": "1000", "type": "normal", "title": "远洋"},
        **HTMX,
    )
    assert "已添加开票记录" in response.content.decode()
    with tenant_context(owner.tenant):
        order.refresh_from_db()
        assert str(order.received_amount) == "600.00" and str(order.invoiced_amount) == "1000.00"
    detail = client.get(f"/sales/orders/{order.pk}/?tab=money").content.decode()
    assert 'data-testid="payment-row"' in detail and "¥600.00" in detail and "¥400.00" in detail
    listing = client.get("/sales/orders/").content.decode()
    assert "¥600.00" in listing


def test_orders_out_of_scope_are_not_found(shop):
    from tests import factories

    rep = factories.employee(shop["owner"], name="销售丙", role_keys=("sales",))
    client = logged_in(rep)
    assert client.get(f"/sales/orders/{shop['order'].pk}/drawer/").status_code == 404
    assert shop["order"].number not in client.get("/sales/orders/").content.decode()


def test_list_queries_do_not_grow_with_rows(shop):
    owner = shop["owner"]
    client = logged_in(owner)

    def more(count):
        with tenant_context(owner.tenant):
            for index in range(count):
                services.order_create(
                    actor=owner,
                    customer_id=shop["customer"].pk,
                    contract_id=shop["contract"].pk if index % 2 else None,
                    amount=str(100 + index),
                )

    more(2)  # 3 with the shop's one
    client.get("/sales/orders/")
    with CaptureQueriesContext(connection) as few:
        response = client.get("/sales/orders/")
    assert response.content.decode().count('data-testid="order-row"') == 3
    more(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/sales/orders/?page_size=50")
    assert response.content.decode().count('data-testid="order-row"') == 30
    assert len(many) == len(few)
