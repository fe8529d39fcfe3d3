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
