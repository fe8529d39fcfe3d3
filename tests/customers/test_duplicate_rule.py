"""The one definition of a library's duplicate rule (CUST-13, LEAD-27) that both the form's SQL
check and the import's in-memory index apply."""

from types import SimpleNamespace

import pytest

from tidecrm.customers.models import Library
from tidecrm.customers.services import duplicate_rule

ANY, ALL = Library.Match.ANY, Library.Match.ALL
KEYS = {"customer_name": "北京星河", "contact_name": "张三", "contact_mobile": "13800000001"}


def library(fields, match):
    return SimpleNamespace(duplicate_fields=fields, duplicate_match=match)


@pytest.mark.parametrize(
    ("fields", "match", "keys", "together", "each", "mobile_after"),
    [
        (["customer_name"], ANY, KEYS, (), ("customer_name",), True),
        (["customer_name", "contact_mobile"], ANY, KEYS, (), ("customer_name", "contact_mobile"), False),
        (["contact_mobile", "customer_name"], ANY, KEYS, (), ("customer_name", "contact_mobile"), False),
        (["customer_name", "contact_name"], ALL, KEYS, ("customer_name", "contact_name"), (), True),
        # all mode without a key for every field compares nothing together; the mobile still counts
        (["customer_name", "contact_name"], ALL, {**KEYS, "contact_name": ""}, (), (), True),
        ([], ANY, {**KEYS, "contact_mobile": ""}, (), ("customer_name",), False),
        (["contact_mobile"], ANY, {**KEYS, "contact_mobile": []}, (), (), False),
    ],
)
def test_the_rule_names_what_is_compared(fields, match, keys, together, each, mobile_after):
    rule = duplicate_rule(library(fields, match), keys)
    assert (rule.together, rule.each, rule.mobile_after) == (together, each, mobile_after)
