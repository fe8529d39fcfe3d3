"""API.md "Errors": every refusal answers ``{code, message, details}`` with the documented status."""

import pytest
from django.test import Client


def _post_raw(path, body, content_type="application/json"):
    return Client().post(f"/api/v1{path}", body, content_type=content_type)


def _assert_error_shape(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


@pytest.mark.parametrize("raw", ['{"login": "x", "password": ', "not json at all", "{'login': 'x'}"])
def test_malformed_json_is_a_validation_error(db, raw):
    body = _assert_error_shape(_post_raw("/auth/token", raw), 422, "validation_error")

    assert body["details"]["fields"]
    assert all(isinstance(messages, list) and messages for messages in body["details"]["fields"].values())


def test_wrong_field_types_name_the_fields(db):
    response = _post_raw("/auth/token", {"login": 5, "password": "x", "enterprise_id": "abc"})

    body = _assert_error_shape(response, 422, "validation_error")
    assert set(body["details"]["fields"]) == {"login", "enterprise_id"}


def test_missing_fields_name_the_fields(db):
    body = _assert_error_shape(_post_raw("/auth/token", {}), 422, "validation_error")

    assert set(body["details"]["fields"]) == {"login", "password"}


def test_body_that_is_not_an_object_is_a_validation_error(db):
    body = _assert_error_shape(_post_raw("/auth/token", [1, 2]), 422, "validation_error")

    assert body["details"]["fields"]


def test_wrong_query_parameter_type_is_a_validation_error(enterprise, api):
    response = api(enterprise).get("/employees", {"page": "first"})

    body = _assert_error_shape(response, 422, "validation_error")
    assert "page" in body["details"]["fields"]


def test_invalid_token_is_not_authenticated(db):
    for header in ("Bearer nonsense", "Bearer 1.nonsense", "Bearer ", "Basic abc"):
        response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
        _assert_error_shape(response, 401, "not_authenticated")


def test_unknown_record_is_not_found(enterprise, api):
    _assert_error_shape(api(enterprise).get("/employees/999999999"), 404, "not_found")


def test_wrong_method_is_refused(enterprise, api):
    response = api(enterprise).delete("/me")

    assert response.status_code == 405


def test_unknown_api_path_is_404(enterprise, api):
    for client in (api(), api(enterprise)):
        _assert_error_shape(client.get("/no-such-thing"), 404, "not_found")
        _assert_error_shape(client.post("/no/such/thing", {}), 404, "not_found")


def test_session_callers_need_the_csrf_token_on_writes(enterprise):
    """The browser session may call the API, but a write without the CSRF token is refused."""
    from tidecrm.signin.sessions import session_login

    client = Client(enforce_csrf_checks=True)
    login = client.get("/login/")  # sets the csrftoken cookie
    assert login.status_code == 200
    request = type("R", (), {"session": client.session})()
    session_login(request, enterprise)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    assert client.get("/api/v1/me").status_code == 200
    refused = client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")
    _assert_error_shape(refused, 403, "csrf_failed")
    token = client.cookies["csrftoken"].value
    allowed = client.post(
        "/api/v1/me/tokens", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert allowed.status_code == 201


# ---------------------------------------------------------------- the last line (finding 9)


@pytest.mark.parametrize("exception", [OverflowError("date value out of range"), "data_error"])
def test_an_out_of_range_value_the_edge_let_through_is_a_validation_error(
    enterprise, api, monkeypatch, exception
):
    """Validation at the edge should refuse it; if it did not, the database's refusal is a 422."""
    from django.db import DataError

    from tidecrm.org import selectors

    error = DataError("bigint out of range") if exception == "data_error" else exception

    def overflowing(**kwargs):
        raise error

    monkeypatch.setattr(selectors, "department_list", overflowing)

    body = _assert_error_shape(api(enterprise).get("/departments"), 422, "validation_error")
    assert list(body["details"]["fields"]) == ["__all__"]


def test_an_out_of_range_value_on_a_page_is_the_error_page(enterprise, monkeypatch):
    from django.db import DataError

    from tests.conftest import mark_sudo
    from tidecrm.accounts.sessions import SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash
    from tidecrm.org import selectors

    def overflowing(**kwargs):
        raise DataError("integer out of range")

    monkeypatch.setattr(selectors, "employee_list", overflowing)
    client = Client()
    session = client.session
    session.update({SESSION_EMPLOYEE: enterprise.pk, SESSION_AUTH_HASH: auth_hash(enterprise.account)})
    session.save()
    mark_sudo(client)  # /org/ is an enterprise-settings page

    page = client.get("/org/")
    assert page.status_code == 422
    assert b'data-code="validation_error"' in page.content
    toast = client.get("/org/", HTTP_HX_REQUEST="true")
    assert toast.status_code == 422 and toast["HX-Retarget"] == "#toasts"


def test_a_request_django_cannot_read_is_a_json_400(enterprise, api, settings):
    token = api(enterprise).token
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    no_boundary = client.post("/api/v1/leads/imports", b"--x--", content_type="multipart/form-data")
    _assert_error_shape(no_boundary, 400, "malformed_multipart")

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    too_many = client.post("/api/v1/leads/imports", {f"field{i}": "x" for i in range(5)})  # multipart
    _assert_error_shape(too_many, 400, "bad_request")
