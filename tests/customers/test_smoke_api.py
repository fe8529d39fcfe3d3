"""First pass through the customers API: create, list, release, claim, timeline."""

from tests import factories


def test_create_list_release_claim_timeline(enterprise, api):
    owner = enterprise
    colleague = factories.employee(owner, name="同事", role_keys=("sales",))
    client = api(owner)
    response = client.post(
        "/customers",
        {
            "name": "康师傅食品有限公司",
            "contacts": [
                {"name": "张三", "mobile": "139 0000 1111"},
                {"name": "李四", "mobile": "13900002222"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    customer = response.json()
    assert customer["primary_contact"]["name"] == "张三" and customer["contacts_count"] == 2
    again = client.post(
        "/customers",
        {"name": "康师傅 食品(有限公司)", "contacts": [{"name": "王五", "mobile": "13900003333"}]},
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate_customer"
    assert again.json()["details"]["owner"] == owner.name
    listed = client.get("/customers?scope=mine").json()
    assert listed["total"] == 1
    assert client.post("/customers/release", {"ids": [customer["id"]], "reason": "无意向"}).json()[
        "succeeded"
    ] == [customer["id"]]
    pool = api(colleague).get("/customers?state=pool").json()
    assert pool["items"][0]["primary_contact"]["mobile"] == "139****1111"
    claimed = api(colleague).post("/customers/claim", {"ids": [customer["id"]]}).json()
    assert claimed["succeeded"] == [customer["id"]], claimed
    timeline = client.get(f"/customers/{customer['id']}/timeline").json()  # the super admin sees all
    assert [item["detail"]["flow"] for item in timeline if item["kind"] == "flow"] == [
        "claim",
        "release",
        "create",
    ]
