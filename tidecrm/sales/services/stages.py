"""Opportunity stages (SPEC OPP-04/05): the enterprise's ordered stages, seeded with the
defaults on first use, between OpportunityStage.MIN and MAX of them, the last one being the won
stage that stays last and cannot be deleted; a deleted stage's opportunities move to another.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check

from .. import verbs
from ..defaults import stages, won_stage  # noqa: F401 - re-exported to the package
from ..models import Opportunity, OpportunityStage, StageHistory


def _probability(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({"win_probability": [_("成交概率应为0到100之间的整数")]}) from None
    if not 0 <= value <= 100:
        raise ValidationFailed({"win_probability": [_("成交概率应为0到100之间的整数")]})
    return value


def _stage_name(name):
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise ValidationFailed({"name": [_("请填写阶段名称（不超过20个字）")]})
    return name


def stage_create(*, actor, name, win_probability=0):
    """Add an opportunity stage (OPP-04) just before the won stage, at most OpportunityStage.MAX.
    Needs ``opportunity.settings``; refusals: 422 on a bad name or probability,
    ``stage_limit_reached``, ``duplicate_stage``."""
    check(actor, "opportunity.settings")
    name, probability = _stage_name(name), _probability(win_probability)
    stages()
    with transaction.atomic():
        list(OpportunityStage.objects.select_for_update())
        if OpportunityStage.objects.count() >= OpportunityStage.MAX:
            raise BusinessError(
                codes.STAGE_LIMIT_REACHED, _("商机阶段最多%(n)s个") % {"n": OpportunityStage.MAX}
            )
        if OpportunityStage.objects.filter(name=name).exists():
            raise BusinessError(codes.DUPLICATE_STAGE, _("已有同名阶段"))
        # A new stage goes before the last (won) stage.
        ordered = list(OpportunityStage.objects.order_by("position", "id"))
        last = ordered[-1]
        stage = OpportunityStage.objects.create(
            name=name, win_probability=probability, position=last.position
        )
        last.position += 1
        last.save(update_fields=["position"])
        timeline.record(actor=actor, verb=verbs.OPPORTUNITY_STAGE_CREATED, obj=stage)
    return stage


def stage_update(*, actor, stage_id, name=None, win_probability=None, position=None):
    """Rename a stage, set its win probability or move it (OPP-04); the won stage stays last
    (``last_stage``). Needs ``opportunity.settings``; refusals: 404, 422, ``duplicate_stage``."""
    check(actor, "opportunity.settings")
    with transaction.atomic():
        ordered = list(OpportunityStage.objects.select_for_update().order_by("position", "id"))
        stage = next((s for s in ordered if s.pk == stage_id), None)
        if stage is None:
            raise NotFound()
        changes = {}
        if name is not None:
            name = _stage_name(name)
            if OpportunityStage.objects.filter(name=name).exclude(pk=stage.pk).exists():
                raise BusinessError(codes.DUPLICATE_STAGE, _("已有同名阶段"))
            if name != stage.name:
                changes["name"], stage.name = [stage.name, name], name
        if win_probability is not None:
            probability = _probability(win_probability)
            if probability != stage.win_probability:
                changes["win_probability"], stage.win_probability = (
                    [stage.win_probability, probability],
                    probability,
                )
        stage.save()
        if position is not None:
            # The last stage is the won stage (OPP-04/05): it stays last, nothing moves past it.
            if stage.pk == ordered[-1].pk:
                raise BusinessError(codes.LAST_STAGE, _("最后一个阶段（成交）固定在最后"))
            ordered.remove(stage)
            ordered.insert(max(0, min(int(position), len(ordered) - 1)), stage)
            moved = False
            for index, item in enumerate(ordered):
                if item.position != index:
                    OpportunityStage.objects.filter(pk=item.pk).update(position=index)
                    moved = True
            if moved:
                changes["position"] = [None, int(position)]
        if changes:  # an edit that changes nothing leaves no event
            timeline.record(actor=actor, verb=verbs.OPPORTUNITY_STAGE_UPDATED, obj=stage, changes=changes)
    return stage


def stage_delete(*, actor, stage_id, move_to_id=None):
    """Delete a stage: never the last (won) one, never below two stages; its opportunities move
    to ``move_to_id`` (``stage_in_use`` without one)."""
    check(actor, "opportunity.settings")
    with transaction.atomic():
        ordered = list(OpportunityStage.objects.select_for_update().order_by("position", "id"))
        stage = next((s for s in ordered if s.pk == stage_id), None)
        if stage is None:
            raise NotFound()
        if stage.pk == ordered[-1].pk:
            raise BusinessError(codes.LAST_STAGE, _("最后一个阶段（成交）不能删除"))
        if len(ordered) <= OpportunityStage.MIN:
            raise BusinessError(
                codes.STAGE_LIMIT_REACHED, _("至少保留%(n)s个阶段") % {"n": OpportunityStage.MIN}
            )
        in_use = Opportunity.objects.filter(stage=stage).exists()
        target = next((s for s in ordered if s.pk == move_to_id and s.pk != stage.pk), None)
        if move_to_id and target is None:
            raise ValidationFailed({"move_to_id": [_("请选择商机要迁移到的阶段")]})
        if in_use and target is None:
            raise BusinessError(codes.STAGE_IN_USE, _("该阶段下还有商机，请选择迁移到的阶段"))
        moved = Opportunity.objects.filter(stage=stage).update(stage=target) if target else 0
        StageHistory.objects.filter(stage=stage).update(stage=None)
        timeline.record(actor=actor, verb=verbs.OPPORTUNITY_STAGE_DELETED, obj=stage, data={"moved": moved})
        stage.delete()
    return moved
