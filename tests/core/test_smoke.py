def test_me_answers_the_caller(enterprise, api):
    response = api(enterprise).get("/me")
    assert response.status_code == 200
    body = response.json()
    assert body["employee"]["id"] == enterprise.pk
    assert body["employee"]["is_super_admin"] is True
    assert "settings.transfer_owner" in body["permissions"]


def test_anonymous_is_refused(db, api):
    response = api().get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_postgresql_connections_plan_for_data_in_memory(db):
    """settings: random_page_cost 1.1 on every PostgreSQL connection (bench/customer_list.py)."""
    import pytest
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
