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
    from tidecrm.accounts.sessions import session_login

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
