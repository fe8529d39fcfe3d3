"""Enums in the OpenAPI document (API.md "Enums appear in the OpenAPI document"): every
enum-valued field lists exactly its model's values, and listing them changes no validation -- a
value outside the list still gets the service's own refusal, not pydantic's."""

import pytest

from tests import factories
from tidecrm.api import api as ninja_api
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers.models import Collaborator, Customer, Followup
from tidecrm.leads import services as lead_services
from tidecrm.leads.models import Lead
from tidecrm.sales.models import Opportunity


@pytest.fixture(scope="module")
def document():
    return ninja_api.get_openapi_schema()


def _enum(document, component, field):
    schema = document["components"]["schemas"][component]["properties"][field]
    strings = [branch for branch in schema.get("anyOf", [schema]) if branch.get("type") == "string"]
    return strings[0]["enum"]


def _values(choices):
    return [value for value, _label in choices]


@pytest.mark.parametrize(
    ("component", "field", "choices"),
    [
        ("FollowupOut", "method", Followup.Method.choices),
        ("FollowupQuery", "method", Followup.Method.choices),
        ("CollaboratorIn", "access", Collaborator.Access.choices),
        ("LeadOut", "status", Lead.Status.choices),
        ("LeadOut", "state", Lead.State.choices),
        ("StatusIn", "status", Lead.Status.choices),
        ("LeadQuery", "state", Lead.State.choices),
        ("CustomerOut", "state", Customer.State.choices),
        ("CustomerQuery", "state", Customer.State.choices),
        ("CustomerOut", "deal_status", Customer.DealStatus.choices),
        ("OpportunityOut", "status", Opportunity.Status.choices),
        ("OpportunityQuery", "status", Opportunity.Status.choices),
    ],
)
def test_enum_fields_list_the_models_values(document, component, field, choices):
    assert _enum(document, component, field) == _values(choices)


def test_an_optional_enum_still_allows_null(document):
    schema = document["components"]["schemas"]["LeadOut"]["properties"]["status"]
    assert {"type": "null"} in schema["anyOf"]
    query = document["components"]["schemas"]["OpportunityQuery"]["properties"]["status"]
    assert {"type": "null"} in query["anyOf"]


def test_query_parameters_carry_the_enum(document):
    parameters = document["paths"]["/api/v1/customers"]["get"]["parameters"]
    by_name = {parameter["name"]: parameter["schema"] for parameter in parameters}
    assert by_name["scope"]["enum"] == ["mine", "team", "all", "collaborating"]
    assert by_name["state"]["enum"] == _values(Customer.State.choices)


def test_a_value_outside_the_enum_keeps_the_services_refusal(enterprise, api):
    # Mirrors tests/leads/test_api.py: a status the service refuses answers its validation_error
    # with the service's Chinese message, not pydantic's literal_error.
    client = api(enterprise)
    rep = factories.employee(enterprise, name="销售")
    with tenant_context(enterprise.tenant):
        lead = lead_services.lead_create(actor=rep, phone="13900005555")
    refused = client.post(f"/leads/{lead.pk}/status", {"status": "pigeon"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "validation_error"
    assert refused.json()["details"]["fields"]["status"] == ["只能设为待回访或无效"]
