"""The tenancy rule (STYLE habit 3, API.md "Errors"): nothing of another enterprise is reachable.

* every tenant model's default manager refuses to query without a bound tenant;
* every API route with a record id in its path answers 404 ``not_found`` for another
  enterprise's record (generic: the routes come from the OpenAPI document, so a new route is
  covered, or listed as skipped, as soon as it exists);
* no list route ever shows another enterprise's rows.
"""

import io
import json
import re

import pytest
from django.apps import apps
from django.test import Client
from python_calamine import CalamineWorkbook

from tests import factories
from tidecrm.accounts.models import ApiToken
from tidecrm.api import api as ninja_api
from tidecrm.core import exports, imports
from tidecrm.core.models import ImportJob, TenantModel, TimelineEvent
from tidecrm.core.tenancy import TenantNotSet, tenant_context
from tidecrm.customers import config as customer_config
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import TagGroup
from tidecrm.leads import services as lead_services
from tidecrm.office.models import ApprovalRequest
from tidecrm.org.models import Department, Employee
from tidecrm.sales import services as sales_services
from tidecrm.signin.services import token_create

BASE = "/api/v1"
MARKER = "隔离标记"  # in every name of the other enterprise; must never show up in our answers
# Path parameters whose model is not simply ``<model name>_id``.
PARAMETER_MODELS = {
    "token_id": ApiToken,
    "job_id": ImportJob,
    "group_id": TagGroup,
    "approval_id": ApprovalRequest,
}


def _tenant_models():
    return [model for model in apps.get_models() if issubclass(model, TenantModel)]


def _model_for(parameter):
    if parameter in PARAMETER_MODELS:
        return PARAMETER_MODELS[parameter]
    if not parameter.endswith("_id"):
        return None
    wanted = parameter[: -len("_id")].replace("_", "")
    return next((model for model in _tenant_models() if model._meta.model_name == wanted), None)


SCHEMA = ninja_api.get_openapi_schema()


def _operations():
    """Return [(method, path, [parameter names])] of every API operation, path without the base."""
    operations = []
    for path, methods in SCHEMA["paths"].items():
        relative = path[len(BASE) :] if path.startswith(BASE) else path
        for method in methods:
            operations.append((method, relative, re.findall(r"{(\w+)}", relative)))
    return operations


OPERATIONS = _operations()
# Path parameters that name a record end in "_id"; others (e.g. an import template's kind) are
# not tenant data.
ID_OPERATIONS = [
    (method, path, params) for method, path, params in OPERATIONS if any(p.endswith("_id") for p in params)
]
LIST_OPERATIONS = [(method, path) for method, path, params in OPERATIONS if method == "get" and not params]


def _resolve(schema):
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _sample(schema, name, own_ids):
    """Return a plausible value for ``schema``: ids point at our own records, texts are plain."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        return _sample(options[0], name, own_ids) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            field: _sample(schema["properties"][field], field, own_ids)
            for field in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        model = _model_for(name) or next(
            (model for model in _tenant_models() if name.endswith(f"_{model._meta.model_name}_id")), None
        )
        return own_ids.get(model, 1) if model else 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00+08:00"
    if schema.get("format") == "date":
        return "2026-01-01"
    if "password" in name:
        return "Isolation2026"
    return "隔离测试"


def _body_for(path, method, own_ids):
    operation = SCHEMA["paths"][f"{BASE}{path}"][method]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return None if content is None else _sample(content["schema"], "body", own_ids)


# ---------------------------------------------------------------- the manager


def test_employee_query_without_a_tenant_raises(db):
    with pytest.raises(TenantNotSet):
        list(Employee.objects.all())


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda model: model._meta.label)
def test_every_tenant_model_refuses_to_query_without_a_tenant(db, model):
    with pytest.raises(TenantNotSet):
        list(model.objects.all())
    with pytest.raises(TenantNotSet):
        model.objects.filter(pk=1).exists()


def test_bound_queries_see_only_their_enterprise(enterprise, other_enterprise):
    with tenant_context(enterprise.tenant):
        assert set(Employee.objects.values_list("tenant_id", flat=True)) == {enterprise.tenant_id}
        assert not Employee.objects.filter(pk=other_enterprise.pk).exists()
    with tenant_context(other_enterprise.tenant):
        assert set(Employee.objects.values_list("tenant_id", flat=True)) == {other_enterprise.tenant_id}


def test_saving_without_a_tenant_raises(enterprise):
    with pytest.raises(TenantNotSet):
        Department.objects.create(name="无主部门")


# ---------------------------------------------------------------- fixtures: two populated enterprises


def _populate(owner, prefix):
    """Give an enterprise a department, an employee in it and a token, all named with ``prefix``."""
    with tenant_context(owner.tenant):
        department = Department.objects.create(name=f"{prefix}部门")
        department.path = f"/{department.pk}/"
        department.save(update_fields=["path"])
    person = factories.employee(
        owner, name=f"{prefix}员工", departments=[department], main_department=department
    )
    with tenant_context(owner.tenant):
        token_create(actor=owner, name=f"{prefix}令牌")
        lead_services.lead_create(
            actor=owner,
            owner_id=owner.pk,
            phone="13600000001" if prefix == "本企业" else "13600000002",
            name=f"{prefix}线索",
            company_name=f"{prefix}线索公司",
        )
        ImportJob.objects.create(
            kind="lead",  # reachable through both /imports/{id} and /leads/imports/{id}
            file_name=f"{prefix}.xlsx",
            file_path="",
            status=ImportJob.Status.DONE,
            total=1,
            failed=1,
            created_by=owner,
            failure_path=imports._write_failures(["姓名"], [([f"{prefix}行"], "请填写手机号")]),
        )
        # Customers: a customer with a contact (and a collaborator), a library, the default
        # stages, a tag group with a tag — the rows the customers' id routes name.
        customer = customer_services.customer_create(
            actor=owner,
            name=f"{prefix}客户",
            contacts=[
                {"name": f"{prefix}联系人", "mobile": "13600000011" if prefix == "本企业" else "13600000012"}
            ],
        )
        customer_services.collaborator_set(actor=owner, customer_id=customer.pk, employee_id=person.pk)
        customer_config.library_create(actor=owner, name=f"{prefix}客户库")
        customer_config.tag_group_create(actor=owner, name=f"{prefix}标签组", tags=[f"{prefix}标签"])
        # Sales: an opportunity, a product in a category, a contract in approval, an order.
        category = sales_services.category_create(actor=owner, name=f"{prefix}分类")
        sales_services.product_create(actor=owner, name=f"{prefix}产品", category_id=category.pk, price="10")
        opportunity = sales_services.opportunity_create(
            actor=owner, customer_id=customer.pk, name=f"{prefix}商机"
        )
        settings = sales_services.sales_settings()
        settings.approval_enabled, settings.level1_approver_ids, settings.orders_enabled = (
            True,
            [owner.pk],
            True,
        )
        settings.save()
        contract = sales_services.contract_create(
            actor=owner,
            customer_id=customer.pk,
            title=f"{prefix}合同",
            amount="100",
            opportunity_id=opportunity.pk,
        )
        sales_services.contract_submit(actor=owner, contract_id=contract.pk)
        sales_services.order_create(actor=owner, customer_id=customer.pk, amount="50")
    return person


@pytest.fixture
def ours(db):
    owner = factories.enterprise(name="本企业有限公司", admin_name="本企业老板")
    _populate(owner, "本企业")
    return owner


@pytest.fixture
def theirs(db):
    owner = factories.enterprise(name=f"{MARKER}有限公司", admin_name=f"{MARKER}老板")
    _populate(owner, MARKER)
    # A login, so the other enterprise's security log has rows with its people's names.
    Client(REMOTE_ADDR="10.5.0.1").post(
        f"{BASE}/auth/token",
        {"login": owner.phone, "password": factories.PASSWORD},
        content_type="application/json",
    )
    return owner


def _row_of(model, owner):
    return model.unscoped.filter(tenant_id=owner.tenant_id).order_by("pk").first()


def _call(client, method, path, body=None):
    if method in ("get", "delete"):
        return getattr(client, method)(f"{BASE}{path}", HTTP_AUTHORIZATION=client.authorization)
    return getattr(client, method)(
        f"{BASE}{path}",
        body if body is not None else {},
        content_type="application/json",
        HTTP_AUTHORIZATION=client.authorization,
    )


def _snapshot(owner, rows):
    """Return what a refused call must leave as it was: the rows and the enterprise's timeline."""
    with tenant_context(owner.tenant):
        timeline = TimelineEvent.objects.count()
    return timeline, [model.unscoped.filter(pk=pk).values().first() for model, pk in rows]


def _client_for(owner):
    client = Client()
    client.authorization = f"Bearer {factories.token_for(owner)}"
    return client


# ---------------------------------------------------------------- routes with an id


@pytest.mark.parametrize(
    "method, path, params", ID_OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _params in ID_OPERATIONS]
)
def test_another_enterprises_record_is_not_found(ours, theirs, method, path, params):
    unknown = [name for name in params if _model_for(name) is None]
    if unknown:
        pytest.skip(f"{method.upper()} {path}: no model known for {unknown}; add it to PARAMETER_MODELS")
    foreign, own, own_ids, rows = {}, {}, {}, []
    for name in params:
        model = _model_for(name)
        foreign_row, own_row = _row_of(model, theirs), _row_of(model, ours)
        if foreign_row is None or own_row is None:
            pytest.skip(f"{method.upper()} {path}: the fixture has no {model.__name__} row; populate it")
        foreign[name], own[name] = foreign_row.pk, own_row.pk
        own_ids[model] = own_row.pk
        rows.append((model, foreign_row.pk))
    for model in _tenant_models():
        own_row = _row_of(model, ours)
        if own_row is not None:
            own_ids.setdefault(model, own_row.pk)
    client = _client_for(ours)
    body = _body_for(path, method, own_ids)

    if method == "get":
        # Control: the same route answers for our own record, so the 404 below means something.
        control = _call(client, method, path.format(**own))
        assert control.status_code == 200, (path, control.content)

    before = _snapshot(theirs, rows)
    response = _call(client, method, path.format(**foreign), body)

    if response.status_code == 422 and response.json().get("code") == "validation_error":
        pytest.skip(
            f"{method.upper()} {path}: could not build a valid body generically "
            f"({response.json()['details'].get('fields')}); its app's tests must cover the 404"
        )
    assert response.status_code == 404, (path, response.content)
    assert response.json()["code"] == "not_found"
    assert _snapshot(theirs, rows) == before, f"{method.upper()} {path} changed another enterprise's data"


def test_the_generic_id_check_covers_the_known_routes():
    covered = {(method, path) for method, path, _params in ID_OPERATIONS}

    assert ("get", "/employees/{employee_id}") in covered
    assert ("get", "/departments/{department_id}") in covered
    assert ("delete", "/me/tokens/{token_id}") in covered


# ---------------------------------------------------------------- list routes


def _text(response):
    """Return the answer as text: the JSON, or every cell of an xlsx download (exports)."""
    if not hasattr(response, "as_text"):
        if response.get("Content-Type") == exports.XLSX:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
            body = workbook.get_sheet_by_index(0).to_python()
        else:
            body = response.json()
        response.as_text = json.dumps(body, ensure_ascii=False)
    return response.as_text


@pytest.mark.parametrize("method, path", LIST_OPERATIONS, ids=[p for _m, p in LIST_OPERATIONS])
def test_list_routes_never_show_another_enterprise(ours, theirs, method, path):
    client = _client_for(ours)

    response = client.get(f"{BASE}{path}", {"page_size": 100}, HTTP_AUTHORIZATION=client.authorization)

    assert response.status_code == 200, (path, response.content)
    assert MARKER not in _text(response)
    assert theirs.phone not in _text(response)


def test_employee_list_shows_exactly_our_employees(ours, theirs):
    client = _client_for(ours)

    response = client.get(f"{BASE}/employees", {"page_size": 100}, HTTP_AUTHORIZATION=client.authorization)

    body = response.json()
    with tenant_context(ours.tenant):
        expected = set(Employee.objects.values_list("pk", flat=True))
    with tenant_context(theirs.tenant):
        foreign = set(Employee.objects.values_list("pk", flat=True))
    assert {item["id"] for item in body["items"]} == expected
    assert body["total"] == len(expected)
    assert "本企业员工" in _text(response)
    assert not expected & foreign


def test_employee_list_filtered_by_another_enterprises_department_is_refused(ours, theirs):
    client = _client_for(ours)
    foreign_department = _row_of(Department, theirs)

    response = client.get(
        f"{BASE}/employees", {"department_id": foreign_department.pk}, HTTP_AUTHORIZATION=client.authorization
    )

    assert response.status_code == 404
    assert MARKER not in _text(response)


def test_a_token_works_only_in_its_own_enterprise(ours, theirs):
    client = _client_for(ours)

    me = client.get(f"{BASE}/me", HTTP_AUTHORIZATION=client.authorization).json()

    assert me["enterprise"]["id"] == ours.tenant_id
    assert [enterprise["id"] for enterprise in me["enterprises"]] == [ours.tenant_id]
