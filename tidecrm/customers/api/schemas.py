"""The Schema classes of the customer API: request bodies (``*In``, ``*Patch``), query strings
(``*Query``, ``CustomerFilters``) and responses (``*Out``) of customers, bulk actions,
collaborators, contacts, follow-ups and the journey, and of the customer settings -- libraries,
pool and duplicate rules, stages, tag groups (CUST-01..22, POOL-02..05, POOL-12, POOL-13,
FUP-01..05). A class name is its OpenAPI component name: rename one only on purpose."""

from datetime import date, datetime

from ninja import Field, Schema

from tidecrm.core.api import DatetimeIn, Id, IdsIn, enum_of

from ..models import Collaborator, Contact, Customer, Followup, Library

SCOPES = ("mine", "team", "all", "collaborating")  # the ``scope`` of a list of owned customers


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    mobile: str
    gender: str = enum_of(Contact.Gender.choices)
    title: str
    email: str
    qq: str
    wechat: str
    remark: str
    is_primary: bool
    masked: bool
    created_at: datetime


class PrimaryContactOut(Schema):
    id: int
    name: str
    mobile: str


class CustomerOut(Schema):
    id: int
    name: str
    kind: str = enum_of(Customer.Kind.choices)
    library_id: int
    owner_id: int | None
    owner_name: str | None
    state: str = enum_of(Customer.State.choices)
    deal_status: str = enum_of(Customer.DealStatus.choices)
    has_won: bool
    stage_id: int | None
    stage_name: str | None
    tag_ids: list[int]
    source: str
    remark: str
    primary_contact: PrimaryContactOut | None
    contacts_count: int
    collaborator_ids: list[int]
    masked: bool
    created_at: datetime
    updated_at: datetime
    acquired_at: datetime | None
    last_followup_at: datetime | None
    released_at: datetime | None
    previous_owner_id: int | None
    target_department_ids: list[int]  # 定向公海 (POOL-05): [] = the whole library's pool
    custom: dict


class PoolTargetIn(Schema):
    ids: list[Id] = Field(..., min_length=1, max_length=500)
    department_ids: list[Id] = Field(default_factory=list, max_length=50)


class ContactIn(Schema):
    name: str = Field(..., max_length=40)
    mobile: str = Field("", max_length=20)
    gender: str = enum_of(Contact.Gender.choices, Contact.Gender.UNKNOWN)
    title: str = Field("", max_length=40)
    email: str = Field("", max_length=100)
    qq: str = Field("", max_length=20)
    wechat: str = Field("", max_length=40)
    remark: str = Field("", max_length=150)
    is_primary: bool = False


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=40)
    mobile: str | None = Field(None, max_length=20)
    gender: str | None = enum_of(Contact.Gender.choices, None)
    title: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=100)
    qq: str | None = Field(None, max_length=20)
    wechat: str | None = Field(None, max_length=40)
    remark: str | None = Field(None, max_length=150)
    is_primary: bool | None = None


class CustomerIn(Schema):
    name: str = Field(..., max_length=100)
    kind: str = enum_of(Customer.Kind.choices, Customer.Kind.ENTERPRISE)
    source: str = Field("", max_length=40)
    remark: str = Field("", max_length=500)
    stage_id: Id | None = None
    tag_ids: list[Id] = []
    owner_id: Id | None = None
    to_pool: bool = False
    library_id: Id | None = None
    contacts: list[ContactIn] = Field(..., max_length=20)


class CustomerPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: str | None = enum_of(Customer.Kind.choices, None)
    source: str | None = Field(None, max_length=40)
    remark: str | None = Field(None, max_length=500)
    stage_id: Id | None = None


class CustomerQuery(Schema):
    scope: str = enum_of(SCOPES, "mine")
    state: str = enum_of(Customer.State.choices, Customer.State.OWNED)
    library_id: Id | None = None
    q: str | None = None
    tag_id: Id | None = None
    stage_id: Id | None = None
    owner_id: Id | None = None
    deal_status: str | None = enum_of(Customer.DealStatus.choices, None)
    source: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    no_followup_days: int | None = Field(None, ge=1, le=3650)
    sort: str = "created"


class CustomerFilters(CustomerQuery):
    page: int = 1
    page_size: int = 20


class ReasonIdsIn(IdsIn):
    reason: str = Field("", max_length=200)


class EmployeeIdsIn(ReasonIdsIn):
    employee_id: Id


class TagIdsIn(IdsIn):
    tag_ids: list[Id]


class TagsIn(Schema):
    tag_ids: list[Id]


class CollaboratorIn(Schema):
    employee_id: Id
    access: str = enum_of(Collaborator.Access.choices, Collaborator.Access.READ)


class FollowupIn(Schema):
    content: str = Field(..., max_length=2000)
    method: str = enum_of(Followup.Method.choices, Followup.Method.CALL)
    contact_id: Id | None = None
    next_followup_at: DatetimeIn | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class FollowupOut(Schema):
    id: int
    attachments: list[AttachmentOut]
    customer_id: int | None
    customer_name: str | None
    contact_id: int | None
    content: str
    method: str = enum_of(Followup.Method.choices)
    next_followup_at: datetime | None
    created_by_id: int | None
    created_by_name: str | None
    created_at: datetime


class TimelineItemOut(Schema):
    kind: str
    at: datetime
    actor: str
    detail: dict


class FollowupQuery(Schema):
    employee_id: Id | None = None
    customer_id: Id | None = None
    method: str | None = enum_of(Followup.Method.choices, None)
    created_from: date | None = None
    created_to: date | None = None
    page: int = 1
    page_size: int = 20


class LibraryOut(Schema):
    id: int
    name: str
    is_default: bool
    department_ids: list[int]
    customer_count: int
    duplicate_fields: list[str]
    duplicate_match: str = enum_of(Library.Match.choices)
    daily_claim_limit: int | None
    reclaim_cooldown_days: int | None


class LibraryIn(Schema):
    name: str = Field(..., max_length=40)
    department_ids: list[Id] = []


class LibraryPatch(Schema):
    name: str | None = Field(None, max_length=40)
    department_ids: list[Id] | None = None


class PoolRulesIO(Schema):
    daily_claim_limit: int | None = None
    reclaim_cooldown_days: int | None = None


class DuplicateRulesIO(Schema):
    fields: list[str]
    match: str = enum_of(Library.Match.choices, Library.Match.ANY)


class StageOut(Schema):
    id: int
    name: str
    position: int
    is_terminal: bool


class StageIn(Schema):
    name: str = Field(..., max_length=20)


class StagePatch(Schema):
    name: str | None = Field(None, max_length=20)
    position: int | None = Field(None, ge=0, le=20)


class TagOut(Schema):
    id: int
    name: str


class TagGroupOut(Schema):
    id: int
    name: str
    color: str
    multiple: bool
    tags: list[TagOut]


class TagGroupIn(Schema):
    name: str = Field(..., max_length=20)
    color: str = "blue"
    multiple: bool = True
    tags: list[str] = Field([], max_length=50)


class TagGroupPatch(Schema):
    name: str | None = Field(None, max_length=20)
    color: str | None = None
    multiple: bool | None = None


class TagIn(Schema):
    name: str = Field(..., max_length=20)


class CustomerSettingsIO(Schema):
    cross_library_duplicates: bool = False
    masked_employee_ids: list[Id] = []
    forbid_delete: bool = False
