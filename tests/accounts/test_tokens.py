"""Per-employee API tokens (BEYOND-08): create, list, revoke, expiry, who may hold them."""

from datetime import timedelta

import pytest

from tests import factories
from tidecrm.accounts.models import ApiToken, SecurityEvent
from tidecrm.core import clock
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee


def _tokens_of(employee):
    with tenant_context(employee.tenant):
        return list(ApiToken.objects.filter(employee_id=employee.pk))


def test_create_list_and_revoke(enterprise, api, client_from):
    client = api(enterprise)

    created = client.post("/me/tokens", {"name": "脚本"})

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "脚本"
    assert body["employee_id"] == enterprise.pk
    assert body["revoked_at"] is None
    tenant_part, _dot, secret = body["token"].partition(".")
    assert tenant_part == str(enterprise.tenant_id)
    assert body["prefix"] == secret[:8]
    new_client = client_from(token=body["token"])
    assert new_client.get("/me").json()["employee"]["id"] == enterprise.pk
    # Only a hash is stored, never the secret.
    stored = ApiToken.unscoped.get(pk=body["id"])
    assert secret not in stored.key_hash and stored.key_hash != secret

    listed = client.get("/me/tokens")
    assert listed.status_code == 200
    assert body["id"] in [token["id"] for token in listed.json()]
    assert all("token" not in token for token in listed.json())

    revoked = client.delete(f"/me/tokens/{body['id']}")
    assert revoked.status_code == 204
    response = new_client.get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert ApiToken.unscoped.get(pk=body["id"]).revoked_at is not None
    with tenant_context(enterprise.tenant):
        assert SecurityEvent.objects.filter(kind="token_created").exists()
        assert SecurityEvent.objects.filter(kind="token_revoked").count() == 1
    # Revoking twice: the token is gone.
    assert client.delete(f"/me/tokens/{body['id']}").status_code == 404


def test_login_answers_a_working_token_with_the_tenant_prefix(enterprise, client_from):
    response = client_from().post("/auth/token", {"login": enterprise.phone, "password": factories.PASSWORD})

    token = response.json()["token"]
    assert token.startswith(f"{enterprise.tenant_id}.")
    assert client_from(token=token).get("/me").status_code == 200


def test_token_with_another_tenant_prefix_is_refused(enterprise, other_enterprise, client_from):
    raw = factories.token_for(enterprise)
    _tenant, _dot, secret = raw.partition(".")

    response = client_from(token=f"{other_enterprise.tenant_id}.{secret}").get("/me")

    assert response.status_code == 401


def test_expired_token_is_refused(enterprise, api, client_from):
    expires_at = clock.now() + timedelta(days=1)
    created = api(enterprise).post("/me/tokens", {"name": "临时", "expires_at": expires_at.isoformat()})
    assert created.status_code == 201, created.content
    client = client_from(token=created.json()["token"])
    assert client.get("/me").status_code == 200

    with clock.shifted(timedelta(days=1, minutes=1)):
        response = client.get("/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "status", [Employee.Status.DISABLED, Employee.Status.RESIGNED, Employee.Status.INACTIVE]
)
def test_token_of_an_employee_who_may_not_log_in_is_refused(enterprise, api, status):
    person = factories.employee(enterprise)
    client = api(person)
    assert client.get("/me").status_code == 200
    with tenant_context(enterprise.tenant):
        Employee.objects.filter(pk=person.pk).update(status=status)

    assert client.get("/me").status_code == 401


def test_token_of_a_frozen_enterprise_is_refused(enterprise, api):
    client = api(enterprise)
    Tenant.objects.filter(pk=enterprise.tenant_id).update(status=Tenant.Status.FROZEN)

    assert client.get("/me").status_code == 401


def test_employee_cannot_create_a_token_for_someone_else(enterprise, api):
    person = factories.employee(enterprise, name="销售甲")
    colleague = factories.employee(enterprise, name="销售乙")
    before = len(_tokens_of(colleague))

    response = api(person).post("/me/tokens", {"name": "冒名", "employee_id": colleague.pk})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert len(_tokens_of(colleague)) == before


def test_super_admin_can_create_a_token_for_an_employee(enterprise, api, client_from):
    person = factories.employee(enterprise, name="销售甲")

    response = api(enterprise).post("/me/tokens", {"name": "代建", "employee_id": person.pk})

    assert response.status_code == 201, response.content
    assert response.json()["employee_id"] == person.pk
    me = client_from(token=response.json()["token"]).get("/me")
    assert me.json()["employee"]["id"] == person.pk


def test_token_for_an_employee_of_another_enterprise_is_not_found(enterprise, other_enterprise, api):
    response = api(enterprise).post("/me/tokens", {"name": "越界", "employee_id": other_enterprise.pk})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _tokens_of(other_enterprise) == []


def test_employee_cannot_revoke_someone_elses_token(enterprise, api, client_from):
    person = factories.employee(enterprise, name="销售甲")
    owner_token = api(enterprise).post("/me/tokens", {"name": "老板的"}).json()

    response = api(person).delete(f"/me/tokens/{owner_token['id']}")

    assert response.status_code == 404
    assert client_from(token=owner_token["token"]).get("/me").status_code == 200


def test_super_admin_can_revoke_an_employees_token(enterprise, api, client_from):
    person = factories.employee(enterprise, name="销售甲")
    person_token = api(person).post("/me/tokens", {"name": "我的"}).json()

    assert api(enterprise).delete(f"/me/tokens/{person_token['id']}").status_code == 204
    assert client_from(token=person_token["token"]).get("/me").status_code == 401


def test_listing_everyones_tokens_needs_the_permission(enterprise, api):
    person = factories.employee(enterprise, name="销售甲")
    person_client = api(person)
    person_token_id = person_client.post("/me/tokens", {"name": "我的"}).json()["id"]

    own = person_client.get("/me/tokens").json()
    assert {token["employee_id"] for token in own} == {person.pk}
    refused = person_client.get("/me/tokens", {"all": "true"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"

    everyone = api(enterprise).get("/me/tokens", {"all": "true"})
    assert everyone.status_code == 200
    assert person_token_id in [token["id"] for token in everyone.json()]
    owners_own = api(enterprise).get("/me/tokens").json()
    assert person_token_id not in [token["id"] for token in owners_own]
