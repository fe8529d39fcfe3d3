"""Opportunity stage settings (SPEC OPP-04): defaults, add before the won stage, probability
range, 2–20 stages, the last stage stays, deleting a used stage migrates its opportunities."""

import pytest

from tidecrm.core.errors import ValidationFailed
from tidecrm.sales import selectors, services
from tidecrm.sales.models import Opportunity, OpportunityStage

from . import support
from .support import fresh, refused


@pytest.fixture
def people(bound):
    return support.make_people(bound)


def names():
    return [(s.name, s.win_probability) for s in services.stages()]


def test_defaults(people):
    assert names() == [("初步沟通", 10), ("需求确定", 30), ("方案/报价", 50), ("谈判审核", 70), ("成交", 100)]
    assert services.won_stage().name == "成交"


def test_defaults_are_per_enterprise_and_created_once(people, other_enterprise):
    from tidecrm.core.tenancy import tenant_context

    services.stages()
    assert OpportunityStage.objects.count() == 5
    with tenant_context(other_enterprise.tenant):
        assert len(services.stages()) == 5
        services.stage_create(actor=other_enterprise, name="别家阶段", win_probability=5)
    assert "别家阶段" not in [name for name, _p in names()]


def test_a_new_stage_goes_before_the_last(people):
    admin = people["admin"]
    services.stage_create(actor=admin, name="试用", win_probability=80)
    services.stage_create(actor=admin, name="签约", win_probability=90)
    assert [n for n, _p in names()] == [
        "初步沟通",
        "需求确定",
        "方案/报价",
        "谈判审核",
        "试用",
        "签约",
        "成交",
    ]
    assert services.won_stage().name == "成交"


@pytest.mark.parametrize("probability", [-1, 101, "abc", None])
def test_probability_outside_0_to_100_is_422(people, probability):
    admin = people["admin"]
    refused(
        "validation_error",
        services.stage_create,
        422,
        actor=admin,
        name="新阶段",
        win_probability=probability,
    )
    first = services.stages()[0]
    refused(
        "validation_error",
        services.stage_update,
        422,
        actor=admin,
        stage_id=first.pk,
        win_probability=probability if probability is not None else "x",
    )


@pytest.mark.parametrize("probability", [0, 100])
def test_probability_bounds_are_allowed(people, probability):
    stage = services.stage_create(actor=people["admin"], name="边界", win_probability=probability)
    assert stage.win_probability == probability


@pytest.mark.parametrize("name", ["", "   ", "阶" * 21])
def test_stage_name_is_required_and_short(people, name):
    refused("validation_error", services.stage_create, 422, actor=people["admin"], name=name)


def test_duplicate_stage_name_is_refused(people):
    refused("duplicate_stage", services.stage_create, actor=people["admin"], name="需求确定")


def test_at_most_20_stages(people):
    admin = people["admin"]
    for index in range(OpportunityStage.MAX - 5):
        services.stage_create(actor=admin, name=f"阶段{index}", win_probability=50)
    assert len(services.stages()) == 20
    refused("stage_limit_reached", services.stage_create, actor=admin, name="第21个")


def test_at_least_2_stages_and_the_last_cannot_be_deleted(people):
    admin = people["admin"]
    ordered = services.stages()
    refused("last_stage", services.stage_delete, actor=admin, stage_id=ordered[-1].pk)
    for stage in ordered[1:-1]:
        services.stage_delete(actor=admin, stage_id=stage.pk)
    assert [n for n, _p in names()] == ["初步沟通", "成交"]
    refused("stage_limit_reached", services.stage_delete, actor=admin, stage_id=ordered[0].pk)
    refused("last_stage", services.stage_delete, actor=admin, stage_id=ordered[-1].pk)


def test_the_last_stage_stays_last_when_reordering_others(people):
    admin = people["admin"]
    ordered = services.stages()
    services.stage_update(actor=admin, stage_id=ordered[0].pk, position=2)
    assert [n for n, _p in names()] == ["需求确定", "方案/报价", "初步沟通", "谈判审核", "成交"]
    services.stage_update(actor=admin, stage_id=ordered[1].pk, position=99)  # clamped before 成交
    assert [n for n, _p in names()] == ["方案/报价", "初步沟通", "谈判审核", "需求确定", "成交"]
    refused("last_stage", services.stage_update, actor=admin, stage_id=ordered[-1].pk, position=0)
    assert services.won_stage().name == "成交"


def test_rename_and_probability_change_keep_the_order(people):
    admin = people["admin"]
    ordered = services.stages()
    services.stage_update(actor=admin, stage_id=ordered[-1].pk, name="赢单", win_probability=100)
    services.stage_update(actor=admin, stage_id=ordered[0].pk, win_probability=5)
    assert names() == [("初步沟通", 5), ("需求确定", 30), ("方案/报价", 50), ("谈判审核", 70), ("赢单", 100)]


def test_deleting_a_used_stage_needs_move_to_and_migrates(people):
    admin, rep = people["admin"], people["rep"]
    ordered = services.stages()
    used, target = ordered[1], ordered[2]
    deals = [
        support.opportunity(rep, support.customer(rep), stage_id=used.pk, name=f"商机{i}") for i in range(3)
    ]
    services.opportunity_lose(actor=rep, opportunity_id=deals[1].pk)  # closed ones move too
    services.opportunity_delete(actor=admin, opportunity_id=deals[2].pk)  # so do deleted ones
    refused("stage_in_use", services.stage_delete, actor=admin, stage_id=used.pk)
    refused("validation_error", services.stage_delete, 422, actor=admin, stage_id=used.pk, move_to_id=used.pk)
    refused("validation_error", services.stage_delete, 422, actor=admin, stage_id=used.pk, move_to_id=999999)
    moved = services.stage_delete(actor=admin, stage_id=used.pk, move_to_id=target.pk)
    assert moved == 3
    assert {fresh(d).stage_id for d in deals} == {target.pk}
    assert not OpportunityStage.objects.filter(pk=used.pk).exists()
    # The history keeps the name of the deleted stage.
    assert [h.stage_name for h in selectors.history_of(deals[0])] == ["需求确定"]


def test_deleting_an_unused_stage_needs_no_target(people):
    admin = people["admin"]
    ordered = services.stages()
    assert services.stage_delete(actor=admin, stage_id=ordered[1].pk) == 0
    assert len(services.stages()) == 4


def test_a_salesperson_cannot_change_stages(people):
    refused("permission_denied", services.stage_create, 403, actor=people["rep"], name="偷加")
    refused(
        "permission_denied", services.stage_delete, 403, actor=people["rep"], stage_id=services.stages()[0].pk
    )


def test_an_opportunity_cannot_use_a_stage_of_nowhere(people):
    rep = people["rep"]
    with pytest.raises(ValidationFailed):
        support.opportunity(rep, support.customer(rep), stage_id=999999)
    assert not Opportunity.objects.exists()
