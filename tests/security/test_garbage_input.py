"""Finding 9 (issue 11): no input makes the server answer 500 (API.md "Conventions").

The reported cases (Bearer credentials that cannot be tokens, a lone surrogate in JSON, a
multipart without boundary, datetimes at the edge of the calendar, Unicode digits in page forms,
a Bearer POST to an unknown path) and a small matrix generated from the OpenAPI document, so a
new route is covered as soon as it exists:

* every GET list route × ``page=99999999999999999999`` / ``page=²`` / ids ``9223372036854775808``,
  ``true``, ``-1`` in each id filter;
* every route with a path id × ``9223372036854775808``, ``true``, ``-1`` (404 ``not_found``);
* every JSON body with integer fields × those same values in all of them (422 where an id).

Everything answers in the API.md error shape; on SQLite and on PostgreSQL (bigint overflow).
"""

import json
import re

import pytest
from django.test import Client

from tests import factories
from tests.conftest import mark_sudo
from tidecrm.api import api as ninja_api

BASE = "/api/v1"
BEYOND_BIGINT = 2**63  # 9223372036854775808
NOT_IDS = (BEYOND_BIGINT, True, -1)
NOT_IDS_IN_TEXT = ("9223372036854775808", "true", "-1")
UNIQUE_ID = 2**63 - 1  # the largest id there can be: no row has it, every check accepts it


@pytest.fixture
def caller(enterprise):
    """A client that never raises the view's exception (a 500 stays a 500) and the owner's token."""
    return Client(raise_request_exception=False), {
        "HTTP_AUTHORIZATION": f"Bearer {factories.token_for(enterprise)}"
    }


@pytest.fixture(scope="module")
def openapi():
    return ninja_api.get_openapi_schema(path_prefix=BASE)


def _error(response, status=None, code=None):
    """Assert ``response`` is an API.md error ``{code, message, details}``; return its body."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    if code is not None:
        assert body["code"] == code, body
    if response.status_code == 422:
        assert body["code"] == "validation_error" and body["details"]["fields"], body
    return body


def _answer(response):
    """No 500; an error answers the API.md shape."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        _error(response)


def _operations(openapi, method=None):
    for path, operations in openapi["paths"].items():
        for verb, operation in operations.items():
            if method is None or verb == method:
                yield path, verb, operation


def _schema_types(schema):
    return {part.get("type") for part in schema.get("anyOf", [schema])}


def _is_id(name):
    return name == "id" or name.endswith(("_id", "_ids")) or name == "ids"


# ---------------------------------------------------------------- the generated matrix


def test_list_routes_take_garbage_pages_and_ids(caller, openapi):
    client, auth = caller
    lists = [(path, op) for path, _verb, op in _operations(openapi, "get") if "{" not in path]
    assert len(lists) > 20
    for path, operation in lists:
        parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        if "page" in parameters:
            deep = client.get(path, {"page": "99999999999999999999"}, **auth)
            _answer(deep)
            if deep.status_code == 200:
                assert deep.json()["items"] == [], path
            _error(client.get(path, {"page": "²"}, **auth), 422)
            _answer(client.get(path, {"page": "٣", "page_size": "99999999999999999999"}, **auth))
        for name, parameter in parameters.items():
            types = _schema_types(parameter["schema"])
            if "integer" in types:
                for value in NOT_IDS_IN_TEXT:
                    response = client.get(path, {name: value}, **auth)
                    if _is_id(name):
                        body = _error(response, 422)
                        assert name in body["details"]["fields"], (path, name, value)
                    else:
                        _answer(response)
            elif name == "q":
                _answer(client.get(path, {name: "a\x00b%_"}, **auth))  # PostgreSQL text refuses NUL
            elif parameter["schema"].get("format") == "date" or name.endswith(("_from", "_to")):
                for value in ("9999-12-31", "0001-01-01", "²０２５-01-01"):
                    _answer(client.get(path, {name: value}, **auth))


def test_path_ids_out_of_range_are_not_found(caller, openapi):
    client, auth = caller
    routes = [(path, verb) for path, verb, _op in _operations(openapi) if "{" in path]
    assert len(routes) > 50
    for path, verb in routes:
        for value in NOT_IDS_IN_TEXT:
            url = re.sub(r"{[^}]+}", value, path)
            response = client.generic(verb.upper(), url, "{}", content_type="application/json", **auth)
            _error(response, 404, "not_found")


def _body(schema, components, value):
    """A body for ``schema`` with ``value`` in every integer field."""
    if "$ref" in schema:
        return _body(components[schema["$ref"].rsplit("/", 1)[1]], components, value)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _body(options[0], components, value)
    if "allOf" in schema:
        return _body(schema["allOf"][0], components, value)
    kind = schema.get("type")
    if kind == "object":
        return {name: _body(field, components, value) for name, field in schema.get("properties", {}).items()}
    if kind == "array":
        return [_body(schema.get("items", {}), components, value)]
    if kind == "integer":
        return value
    if kind == "boolean":
        return False
    if "enum" in schema:
        return schema["enum"][0]
    return {"date-time": "2030-01-01T09:00:00+08:00", "date": "2030-01-01"}.get(schema.get("format"), "1")


def _has_ids(schema, components, seen=()):
    """Whether ``schema`` has an id field (``*_id``, ``*_ids``, ``ids``) anywhere."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return name not in seen and _has_ids(components[name], components, (*seen, name))
    parts = schema.get("anyOf", []) + schema.get("allOf", [])
    if any(_has_ids(part, components, seen) for part in parts):
        return True
    if "items" in schema:
        return _has_ids(schema["items"], components, seen)
    for name, field in schema.get("properties", {}).items():
        if _is_id(name) and "integer" in json.dumps(field) or _has_ids(field, components, seen):
            return True
    return False


def test_json_bodies_refuse_ids_that_are_not_ids(caller, openapi):
    client, auth = caller
    components = openapi["components"]["schemas"]
    checked = 0
    for path, verb, operation in _operations(openapi):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        schema = content["application/json"]["schema"]
        if not _has_ids(schema, components):
            continue  # no ids (names, positions, limits): the bigint bound is tested below
        url = re.sub(r"{[^}]+}", str(UNIQUE_ID), path)
        for value in NOT_IDS:
            response = getattr(client, verb)(
                url, json.dumps(_body(schema, components, value)), content_type="application/json", **auth
            )
            _error(response, 422)
        checked += 1
    assert checked > 20


def test_no_json_integer_beyond_bigint_reaches_a_column(caller):
    """Non-id integers too (a holding limit): one bound for every JSON body."""
    client, auth = caller
    for limits in (
        {"lead": {"default_limit": BEYOND_BIGINT}},
        {"lead": {"rules": [{"name": "x", "limit": -(2**63) - 1, "employee_ids": []}]}},
    ):
        response = client.put(
            f"{BASE}/settings/holding-limits", limits, content_type="application/json", **auth
        )
        body = _error(response, 422)
        assert set(body["details"]["fields"]) & {"default_limit", "limit"}


# ---------------------------------------------------------------- credentials


MALFORMED_BEARERS = (
    "Bearer 9223372036854775808.x",
    "Bearer 99999999999999999999999999.x",
    "Bearer ².x",
    "Bearer ٣.x",
    "Bearer -1.x",
    "Bearer 0.x",
    "Bearer .x",
    "Bearer 1.",
    "Bearer 1.x.y",
    "Bearer 1\x00.x",
)


def test_a_malformed_bearer_is_no_credential(db):
    client = Client(raise_request_exception=False)
    for header in MALFORMED_BEARERS:
        _error(client.get(f"{BASE}/me", HTTP_AUTHORIZATION=header), 401, "not_authenticated")
        assert client.get("/login/", HTTP_AUTHORIZATION=header).status_code == 200, header
        assert client.get("/", HTTP_AUTHORIZATION=header).status_code == 302, header  # anonymous
    for header in MALFORMED_BEARERS[:3]:  # the document is public (and slow to build: just these)
        assert client.get(f"{BASE}/openapi.json", HTTP_AUTHORIZATION=header).status_code == 200, header


def test_a_failing_token_lookup_is_a_wrong_token(db, monkeypatch):
    """Whatever the token parse raises on a credential, the caller is not authenticated."""
    from django.db import DataError

    from tidecrm.signin import middleware

    def broken(raw):
        raise DataError("bigint out of range")

    monkeypatch.setattr(middleware, "token_authenticate", broken)
    client = Client(raise_request_exception=False)

    _error(client.get(f"{BASE}/me", HTTP_AUTHORIZATION="Bearer 5.x"), 401, "not_authenticated")
    assert client.get("/login/", HTTP_AUTHORIZATION="Bearer 5.x").status_code == 200


def test_a_bearer_post_to_an_unknown_path_is_the_json_404(caller):
    _client, auth = caller
    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF cookie, no token
    for path in ("/no-such-thing", "/customers/1/no-such-thing", "/a/b/c"):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(f"{BASE}{path}", {}, content_type="application/json", **auth)
            _error(response, 404, "not_found")


# ---------------------------------------------------------------- JSON text no column can hold


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"login": "\\ud800", "password": "x"}', "login"),
        ('{"login": "x", "password": "ab\\udfffcd"}', "password"),
        ('{"login": "a\\u0000b", "password": "x"}', "login"),
        ('{"login": "x", "password": "x", "\\ud800": 1}', "__all__"),
        ('{"login": "x", "password": "x", "enterprise_id": 9223372036854775808}', "enterprise_id"),
    ],
)
def test_unstorable_json_text_is_a_validation_error(db, raw, field):
    response = Client(raise_request_exception=False).post(
        f"{BASE}/auth/token", raw, content_type="application/json"
    )

    body = _error(response, 422)
    assert field in body["details"]["fields"], body


def test_a_lone_surrogate_is_refused_in_every_body_however_deep(caller):
    client, auth = caller
    rules = {"lead": {"rules": [{"name": "\ud800", "limit": 1}]}}

    response = client.put(
        f"{BASE}/settings/holding-limits",
        json.dumps(rules),  # ensure_ascii: the surrogate travels as \\ud800
        content_type="application/json",
        **auth,
    )

    assert list(_error(response, 422)["details"]["fields"]) == ["name"]
    pair = json.dumps({"name": "a\U0001f600b"})  # "a\\ud83d\\ude00b": a surrogate pair is fine
    created = client.post(f"{BASE}/me/tokens", pair, content_type="application/json", **auth)
    assert created.status_code == 201 and created.json()["name"] == "a\U0001f600b"


@pytest.mark.parametrize("raw", ['{"login": NaN, "password": "x"}', '{"login": "x", "password": Infinity}'])
def test_nan_and_infinity_are_not_json(db, raw):
    response = Client(raise_request_exception=False).post(
        f"{BASE}/auth/token", raw, content_type="application/json"
    )

    _error(response, 422)


# ---------------------------------------------------------------- uploads without a boundary


def test_a_multipart_without_boundary_is_a_400_on_every_upload(caller, bound):
    from tidecrm.customers.models import Customer

    client, auth = caller
    customer = Customer.objects.order_by("pk").first()
    uploads = [
        "/customers/imports",
        "/customers/pool-imports",
        "/leads/imports",
        "/employees/imports",
        "/products/imports",
        f"/customers/{customer.pk if customer else 1}/followups/upload",
    ]
    for path in uploads:
        for content_type in (
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\x00",
        ):
            response = client.post(f"{BASE}{path}", b"--x\r\n\r\n--x--", content_type=content_type, **auth)
            _error(response, 400, "malformed_multipart")


# ---------------------------------------------------------------- the edge of the calendar


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
)
def test_a_datetime_at_the_edge_of_the_calendar_is_a_validation_error(caller, moment):
    client, auth = caller

    response = client.post(
        f"{BASE}/me/tokens", {"name": "edge", "expires_at": moment}, content_type="application/json", **auth
    )

    assert "expires_at" in _error(response, 422)["details"]["fields"]


# ---------------------------------------------------------------- pages


PAGE_LISTS = (
    "/customers/",
    "/leads/",
    "/leads/pool/",
    "/org/",
    "/org/recycle-bin/",
    "/sales/opportunities/",
    "/sales/contracts/",
    "/sales/products/",
    "/customers/followups/",
)


@pytest.fixture
def web(enterprise):
    from tidecrm.accounts.sessions import SESSION_ACCOUNT, SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash

    client = Client(raise_request_exception=False)
    session = client.session
    session[SESSION_ACCOUNT] = enterprise.account_id
    session[SESSION_EMPLOYEE] = enterprise.pk
    session[SESSION_AUTH_HASH] = auth_hash(enterprise.account)
    session.save()
    return mark_sudo(client)  # the org pages among PAGE_LISTS are enterprise settings


def test_page_lists_take_any_page_number(web):
    for path in PAGE_LISTS:
        for page in ("²", "٣", "99999999999999999999", "-1", "1.5", "", "1e9"):
            response = web.get(path, {"page": page, "page_size": "²"})
            assert response.status_code == 200, (path, page, response.status_code)
        assert web.get(path, {"q": "a\x00b"}).status_code < 500, path


def _page_routes(patterns, prefix=""):
    """Every page route (``customers/<int:customer_id>/``, ...) outside the API."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            if not route.startswith("api/"):
                yield from _page_routes(pattern.url_patterns, route)
        else:
            yield route


def test_page_path_ids_out_of_range_are_not_found(web):
    from django.urls import get_resolver

    routes = [route for route in _page_routes(get_resolver().url_patterns) if "<int:" in route]
    assert len(routes) > 30
    for route in routes:
        path = "/" + re.sub(r"<(\w+):\w+>", lambda m: "9223372036854775808" if m[1] == "int" else "x", route)
        assert web.get(path).status_code == 404, path
        assert web.post(path).status_code == 404, path


def test_form_numbers_are_ascii_digits_below_bigint():
    from tidecrm.core.web import parse_ids, parse_int

    assert [
        parse_int(v) for v in ("12", " 7 ", "0", "²", "٣", "-1", "1.5", "", None, "9223372036854775808")
    ] == [
        12,
        7,
        0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert parse_int("9223372036854775807") == 2**63 - 1
    assert parse_ids(["1", "²", "٣", "x", "9223372036854775808", "0", "3"]) == [1, 3]


@pytest.mark.parametrize(
    "path",
    [
        "/org/?department=²",
        "/org/?department=99999999999999999999",
        "/settings/security-log/?employee_id=²",
        "/settings/security-log/?employee_id=٣",
    ],
)
def test_unicode_digits_in_page_queries_are_no_500(enterprise, path):
    """Page queries read numbers with core.web.parse_int (ASCII digits, within a bigint)."""
    from django.test import Client

    from tidecrm.accounts.sessions import SESSION_SUDO
    from tidecrm.core import clock

    client = Client()
    client.post("/login/", {"login": enterprise.phone, "password": factories.PASSWORD, "agree": "1"})
    session = client.session
    session[SESSION_SUDO] = clock.now().isoformat()  # past the sudo page, onto the log itself
    session.save()

    assert client.get(path).status_code < 500
