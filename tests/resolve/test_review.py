"""How the review page lines up two records' facts (pure functions: no store)."""

import pytest

from emco.model.types import Fact
from emco.resolve.review import Agreement, align


def fact(prop: str, value: str, prop_type: str = "string") -> Fact:
    return Fact(prop, prop.capitalize(), prop_type, value, value)


@pytest.mark.parametrize(("left", "right", "agreement"), [
    (["Mohamed AMRA"], ["AMRA Mohamed"], Agreement.SAME),  # word order and case
    (["Mohamed AMRA", "Momo"], ["AMRA Mohamed"], Agreement.PARTLY),
    (["Lucas MARTIN"], ["Lucas MARTINS"], Agreement.ALIKE),  # a typing error
    (["Lucas MARTIN"], ["Nadia CHERIF"], Agreement.DIFFERENT),
])
def test_names_agree_regardless_of_order_case_and_typing_errors(
        left: list[str], right: list[str], agreement: Agreement) -> None:
    [aligned] = align([fact("name", v, "name") for v in left],
                      [fact("name", v, "name") for v in right])
    assert aligned.agreement == agreement
    assert (aligned.left, aligned.right) == (left, right)


def test_properties_keep_the_left_records_order_then_the_rights() -> None:
    aligned = align([fact("name", "Karim BELKACEM", "name"), fact("birthDate", "1987-05-14")],
                    [fact("phone", "+33612345678"), fact("name", "BELKACEM Karim", "name")])
    assert [(a.prop, a.agreement) for a in aligned] == [
        ("name", Agreement.SAME), ("birthDate", Agreement.LEFT_ONLY),
        ("phone", Agreement.RIGHT_ONLY)]
    assert [a.label for a in aligned] == ["Name", "Birthdate", "Phone"]
