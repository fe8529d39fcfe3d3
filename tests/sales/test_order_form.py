"""Order form customisation (ORD-02): the enterprise lays out the 新建订单 form — which optional
fields show, in which order, which are required — on the contract settings page; the modal
follows it and ``order_create`` (service and API) refuses an order missing a required field."""

import itertools

import pytest

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.errors import BusinessError, PermissionDenied
from tidecrm.core.models import TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services as customer_services
from tidecrm.sales import config, services
from tidecrm.sales.models import ORDER_FORM_FIELDS, ContractSettings, Order

_mobiles = itertools.count(13600000000)
DEFAULT = ["contract", "order_date", "amount", "remark", "product_lines"]
MARKERS = {
    "customer": 'name="customer_id"',
    "contract": 'data-testid="order-field-contract"',
    "order_date": 'data-testid="order-field-order_date"',
    "amount": 'data-testid="order-field-amount"',
    "remark": 'data-testid="order-field-remark"',
    "product_lines": 'data-testid="order-field-product_lines"',
}


def _layout(order, hidden=(), required=()):
    return [{"field": f, "visible": f not in hidden, "required": f in required} for f in order]


@pytest.fixture
def shop(enterprise):
    owner = enterprise
    with tenant_context(owner.tenant):
        settings = services.sales_settings()
        settings.orders_enabled = True
        settings.save(update_fields=["orders_enabled"])
        customer = customer_services.customer_create(
            actor=owner, name="潮汐贸易有限公司", contacts=[{"name": "联系人", "mobile": str(next(_mobiles))}]
        )
        category = services.category_create(actor=owner, name="耗材")
        product = services.product_create(
            actor=owner, name="打印纸", category_id=category.pk, price="30.00", unit="箱"
        )
    return {"owner": owner, "customer": customer, "product": product}


def _modal(owner):
    response = logged_in(owner).get("/sales/orders/new/")
    assert response.status_code == 200
    return response.content.decode()


def _positions(html):
    return {field: html.find(marker) for field, marker in MARKERS.items()}


def test_default_layout_is_every_field_visible_in_the_current_order(shop):
    owner = shop["owner"]
    with tenant_context(owner.tenant):
        settings = services.sales_settings()
        assert [item["field"] for item in settings.order_form] == DEFAULT == list(ORDER_FORM_FIELDS)
        assert services.order_form() == _layout(DEFAULT)
    html = _modal(owner)
    positions = _positions(html)
    assert all(position > 0 for position in positions.values())
    assert sorted(positions, key=positions.get) == ["customer", *DEFAULT]


def test_a_stored_layout_is_cleaned_when_read(shop):
    owner = shop["owner"]
    with tenant_context(owner.tenant):
        ContractSettings.objects.update(
            order_form=[
                {"field": "remark", "visible": False, "required": True},
                {"field": "gone"},
                {"field": ["x"]},
                {"field": "remark"},
                "junk",
            ]
        )
        layout = services.order_form()
    assert layout[0] == {"field": "remark", "visible": False, "required": False}
    assert [item["field"] for item in layout] == [
        "remark",
        "contract",
        "order_date",
        "amount",
        "product_lines",
    ]


def test_hide_and_reorder_show_in_the_modal(shop):
    owner = shop["owner"]
    order = ["product_lines", "remark", "contract", "order_date", "amount"]
    with tenant_context(owner.tenant):
        config.order_form_update(
            actor=owner, order_form=_layout(order, hidden=("order_date",), required=("remark", "contract"))
        )
        event = TimelineEvent.objects.get(verb="order.form_settings")
        assert event.object_type == "contract_settings"
        assert event.changes["order_form"][1][0]["field"] == "product_lines"
    html = _modal(owner)
    positions = _positions(html)
    assert positions["order_date"] == -1 and 'name="order_date"' not in html
    assert 'hx-target="#order-contract"' in html
    shown = [field for field in ["customer", *order] if positions[field] >= 0]
    assert sorted(shown, key=positions.get) == ["customer", "product_lines", "remark", "contract", "amount"]
    remark = html[positions["remark"] : html.find("</div>", positions["remark"])]
    assert 'class="form-label required"' in remark and " required" in remark
    amount = html[positions["amount"] : html.find("</div>", positions["amount"])]
    assert "form-label required" not in amount
    contract = html[positions["contract"] : html.find("</select>", positions["contract"])]
    assert "form-label required" in contract


def test_required_fields_are_enforced_by_the_service(shop):
    owner, customer, product = shop["owner"], shop["customer"], shop["product"]
    with tenant_context(owner.tenant):
        config.order_form_update(
            actor=owner, order_form=_layout(DEFAULT, required=("order_date", "remark", "product_lines"))
        )
        with pytest.raises(BusinessError) as refusal:
            services.order_create(actor=owner, customer_id=customer.pk, amount="100", remark="  ")
        assert refusal.value.status == 422
        assert set(refusal.value.fields) == {"order_date", "remark", "product_lines"}
        assert not Order.objects.exists()
        order = services.order_create(
            actor=owner,
            customer_id=customer.pk,
            order_date="2025-03-01",
            remark="加急",
            product_lines=[{"product_id": product.pk, "quantity": 2}],
        )
        assert order.amount == 60 and order.remark == "加急"


def test_required_amount_is_met_by_product_lines(shop):
    owner, customer, product = shop["owner"], shop["customer"], shop["product"]
    with tenant_context(owner.tenant):
        config.order_form_update(actor=owner, order_form=_layout(DEFAULT, required=("amount", "contract")))
        with pytest.raises(BusinessError) as refusal:
            services.order_create(actor=owner, customer_id=customer.pk)
        assert set(refusal.value.fields) == {"amount", "contract_id"}
        contract = services.contract_create(
            actor=owner, customer_id=customer.pk, title="供货合同", amount="500"
        )
        order = services.order_create(
            actor=owner,
            customer_id=customer.pk,
            contract_id=contract.pk,
            product_lines=[{"product_id": product.pk, "quantity": 1}],
        )
        assert order.amount == 30


def test_required_fields_are_enforced_on_the_api(shop, api):
    owner, customer = shop["owner"], shop["customer"]
    with tenant_context(owner.tenant):
        config.order_form_update(actor=owner, order_form=_layout(DEFAULT, required=("remark",)))
    client = api(owner)
    refused = client.post("/orders", {"customer_id": customer.pk, "amount": "100"})
    assert refused.status_code == 422, refused.content
    assert "remark" in refused.json()["details"]["fields"]
    created = client.post("/orders", {"customer_id": customer.pk, "amount": "100", "remark": "电话下单"})
    assert created.status_code == 201, created.content


def test_the_modal_shows_a_required_field_error(shop):
    owner, customer = shop["owner"], shop["customer"]
    with tenant_context(owner.tenant):
        config.order_form_update(actor=owner, order_form=_layout(DEFAULT, required=("remark",)))
    response = logged_in(owner).post(
        "/sales/orders/new/", {"customer_id": customer.pk, "amount": "100"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "请填写备注" in response.content.decode()


def test_a_hidden_field_is_ignored_by_the_modal(shop):
    owner, customer = shop["owner"], shop["customer"]
    with tenant_context(owner.tenant):
        config.order_form_update(actor=owner, order_form=_layout(DEFAULT, hidden=("remark", "contract")))
    html = _modal(owner)
    assert 'name="remark"' not in html and 'name="contract_id"' not in html
    assert 'hx-target="#order-contract"' not in html
    response = logged_in(owner).post(
        "/sales/orders/new/",
        {"customer_id": customer.pk, "amount": "100", "remark": "不应保存"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    with tenant_context(owner.tenant):
        assert Order.objects.get().remark == ""


@pytest.mark.parametrize(
    "layout, message",
    [
        ([{"field": "discount", "visible": True, "required": False}], "未知的订单字段"),
        ([{"field": "remark", "visible": False, "required": True}], "隐藏的字段不能设为必填"),
        (_layout(["remark", "remark"]), "订单字段重复"),
        (_layout(DEFAULT, hidden=("amount", "product_lines")), "订单金额和产品明细至少显示一项"),
    ],
)
def test_bad_layouts_are_refused(shop, layout, message):
    owner = shop["owner"]
    with tenant_context(owner.tenant):
        with pytest.raises(BusinessError) as refusal:
            config.order_form_update(actor=owner, order_form=layout)
        assert refusal.value.status == 422 and message in refusal.value.message
        assert "order_form" in refusal.value.fields
        assert services.order_form() == _layout(DEFAULT)
        assert not TimelineEvent.objects.filter(verb="order.form_settings").exists()


def test_left_out_fields_are_appended_visible(shop):
    owner = shop["owner"]
    with tenant_context(owner.tenant):
        config.order_form_update(
            actor=owner, order_form=[{"field": "remark", "visible": True, "required": True}]
        )
        assert [item["field"] for item in services.order_form()] == [
            "remark",
            "contract",
            "order_date",
            "amount",
            "product_lines",
        ]
        assert services.order_form()[0]["required"] is True


def test_settings_page_saves_moves_and_refuses(shop):
    owner = shop["owner"]
    client = mark_sudo(logged_in(owner))
    page = client.get("/sales/settings/contracts/").content.decode()
    assert 'data-testid="order-form-settings"' in page and page.count('data-testid="order-form-row"') == 5
    form = {"action": "order_form", "field": DEFAULT, "visible": [f for f in DEFAULT if f != "contract"]}
    response = client.post(
        "/sales/settings/contracts/", {**form, "required": ["remark"], "move": "remark:up"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#order-form")
    with tenant_context(owner.tenant):
        assert services.order_form() == _layout(
            ["contract", "order_date", "remark", "amount", "product_lines"],
            hidden=("contract",),
            required=("remark",),
        )
    refused = client.post("/sales/settings/contracts/", {**form, "required": ["contract"]}, follow=True)
    assert "隐藏的字段不能设为必填" in refused.content.decode()
    with tenant_context(owner.tenant):
        assert services.order_form()[2] == {"field": "remark", "visible": True, "required": True}
        # The contract settings form still saves without touching the layout.
        settings = services.sales_settings()
        before = settings.order_form
    client.post("/sales/settings/contracts/", {"number_prefix": "SO"})
    with tenant_context(owner.tenant):
        settings.refresh_from_db()
        assert settings.number_prefix == "SO" and settings.order_form == before


def test_only_contract_settings_holders_configure_the_form(shop):
    owner = shop["owner"]
    member = factories.employee(owner, name="普通销售")
    with tenant_context(owner.tenant):
        with pytest.raises(PermissionDenied):
            config.order_form_update(actor=member, order_form=_layout(DEFAULT, hidden=("remark",)))
    client = logged_in(member)
    assert client.get("/sales/settings/contracts/").status_code == 403
    response = client.post(
        "/sales/settings/contracts/", {"action": "order_form", "field": DEFAULT, "visible": ["amount"]}
    )
    assert response.status_code == 403
    with tenant_context(owner.tenant):
        assert services.order_form() == _layout(DEFAULT)
