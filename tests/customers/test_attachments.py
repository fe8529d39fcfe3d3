"""Follow-up attachments (FUP-01): checked by content, stored privately, served only to callers
who may see the customer; a refused file leaves no follow-up behind."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.org.test_import_views import logged_in
from tidecrm.core import uploads
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services
from tidecrm.customers.models import Followup, FollowupAttachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(enterprise):
    owner = enterprise
    stranger = factories.employee(owner, name="别部门销售", role_keys=("sales",))
    with tenant_context(owner.tenant):
        customer = services.customer_create(
            actor=owner, name="附件客户", contacts=[{"name": "甲", "mobile": "13911110000"}]
        )
    return {"owner": owner, "stranger": stranger, "customer": customer}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"<html><script>alert(1)</script>"),  # an HTML page named .png
        ("report.pdf", PNG),  # content and extension disagree
        ("run.exe", b"MZ\x90\x00"),
        ("empty.pdf", b""),
        ("big.pdf", b"%PDF-" + b"0" * (uploads.MAX_BYTES + 1)),
    ],
)
def test_files_are_checked_by_content(name, content):
    with pytest.raises(ValidationFailed) as caught:
        uploads.check(name, content)
    assert caught.value.code == "invalid_file"


def test_allowed_kinds_pass():
    assert uploads.check("a.PNG", PNG).image
    assert uploads.check("b.pdf", PDF).content_type == "application/pdf"
    assert uploads.check("c.docx", b"PK\x03\x04rest").key == "docx"


def test_a_refused_file_leaves_no_followup(world, bound):
    before = Followup.objects.count()
    with pytest.raises(ValidationFailed):
        services.customer_followup_add(
            actor=world["owner"],
            customer_id=world["customer"].pk,
            content="看图",
            files=[("x.png", b"GIF89a...")],
        )
    assert Followup.objects.count() == before and not FollowupAttachment.objects.exists()


def test_attachment_only_followup_and_private_download(world):
    owner, customer = world["owner"], world["customer"]
    client = logged_in(owner)
    response = client.post(
        f"/customers/{customer.pk}/followups/",
        {
            "content": "",
            "method": "visit",
            "files": [SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("方案.pdf", PDF)],
        },
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="drawer-slot",
    )
    assert response.status_code == 200, response.content[:300]
    with tenant_context(owner.tenant):
        files = {a.name: a for a in FollowupAttachment.objects.all()}
    assert set(files) == {"现场.png", "方案.pdf"}
    image = client.get(f"/customers/attachments/{files['现场.png'].pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff" and b"".join(image.streaming_content) == PNG
    pdf = client.get(f"/customers/attachments/{files['方案.pdf'].pk}/")
    assert pdf["Content-Disposition"].startswith("attachment")
    # Someone who cannot see the customer gets 404, as for the customer itself.
    assert (
        logged_in(world["stranger"]).get(f"/customers/attachments/{files['现场.png'].pk}/").status_code == 404
    )


def test_api_upload(world, api):
    owner, customer = world["owner"], world["customer"]
    client = api(owner)
    response = client.client.post(
        f"/api/v1/customers/{customer.pk}/followups/upload",
        {"content": "报价单见附件", "method": "email", "files": [io.BytesIO(PDF)]},
        **client._headers(),
    )
    # io.BytesIO has no name: refused as an unknown kind, with the API's error shape.
    assert response.status_code == 422 and response.json()["code"] == "invalid_file"
    response = client.client.post(
        f"/api/v1/customers/{customer.pk}/followups/upload",
        {"content": "报价单见附件", "method": "email", "files": [SimpleUploadedFile("报价.pdf", PDF)]},
        **client._headers(),
    )
    assert response.status_code == 201, response.content
    assert response.json()["attachments"][0]["name"] == "报价.pdf"
