"""conditional.hide: hidden fields dropped, shown ones required, what cannot be evaluated optional."""

import json

import pytest

from engine.forms import REQUIRED, FieldError, load_camunda_form, validate_submission
from tests.forms.samples import beoordeling_data, valid_melding, without


def test_field_hidden_by_condition_is_dropped(melding):
    data = valid_melding() | {"kosten": 500, "toelichtingKosten": ""}
    cleaned, errors = validate_submission(melding, data)
    assert errors == []
    assert "toelichtingKosten" not in cleaned


def test_field_shown_by_condition_is_required(melding):
    _, errors = validate_submission(melding, without(valid_melding(), "toelichtingKosten"))
    assert errors == [FieldError("toelichtingKosten", "Toelichting bij de kosten", REQUIRED)]


def test_condition_on_empty_number_uses_null(melding):
    cleaned, errors = validate_submission(melding, valid_melding() | {"kosten": "", "toelichtingKosten": "x"})
    assert errors == []
    assert "toelichtingKosten" not in cleaned


def test_condition_on_unsent_field_makes_field_optional(melding):
    data = without(valid_melding(), "kosten") | {"toelichtingKosten": "Offerte van vertaalbureau"}
    cleaned, errors = validate_submission(melding, data)
    assert errors == []
    assert cleaned["toelichtingKosten"] == "Offerte van vertaalbureau"


def test_group_condition_hides_its_children(beoordeling):
    cleaned, errors = validate_submission(beoordeling, beoordeling_data(weigeringsreden="nvt"))
    assert errors == []
    assert "weigeringsreden" not in cleaned


def test_group_condition_shows_its_children(beoordeling):
    _, errors = validate_submission(beoordeling, beoordeling_data(besluit="niet_ontvankelijk"))
    assert errors == [FieldError("weigeringsreden", "Reden van weigering", REQUIRED)]


def test_unevaluable_condition_keeps_other_rules(beoordeling):
    data = beoordeling_data(opmerking="x" * 501)
    _, errors = validate_submission(beoordeling, data)
    assert errors == [FieldError("opmerking", "Opmerking voor de melder", "Hoogstens 500 tekens.")]
    _, errors = validate_submission(beoordeling, beoordeling_data(opmerking=""))
    assert errors == []


def condition_form(hide: str):
    schema = {
        "type": "default",
        "id": "voorwaarden",
        "components": [
            {"type": "number", "key": "a", "label": "A"},
            {"type": "textfield", "key": "b", "label": "B"},
            {"type": "checkbox", "key": "c", "label": "C"},
            {
                "type": "textfield",
                "key": "d",
                "label": "D",
                "validate": {"required": True},
                "conditional": {"hide": hide},
            },
        ],
    }
    return load_camunda_form(json.dumps(schema), "voorwaarden.form")


def classify(hide: str, data: dict) -> str:
    """hidden: a sent value is dropped; shown: required is enforced; optional: kept but not required."""
    form = condition_form(hide)
    cleaned, _ = validate_submission(form, data | {"d": "waarde"})
    if "d" not in cleaned:
        return "hidden"
    _, errors = validate_submission(form, data)
    return "shown" if errors else "optional"


@pytest.mark.parametrize(
    ("hide", "data", "expected"),
    [
        ("=a > 5", {"a": 6}, "hidden"),
        ("=a > 5", {"a": 5}, "shown"),
        ("=a >= -1.5", {"a": "-1,5"}, "hidden"),
        ('=b = "ja"', {"b": "ja"}, "hidden"),
        ('=b != "ja"', {"b": "ja"}, "shown"),
        ("=c", {"c": True}, "hidden"),
        ("=c = false", {"c": False}, "hidden"),
        ("=not(c)", {"c": True}, "shown"),
        ("=not(c)", {"c": False}, "hidden"),
        ('=(a < 0 or a > 10) and b != "y"', {"a": 11, "b": "x"}, "hidden"),
        ('=(a < 0 or a > 10) and b != "y"', {"a": 11, "b": "y"}, "shown"),
        ("=a = null", {"a": ""}, "hidden"),
        ("=a > 5 or c", {"a": "", "c": True}, "hidden"),  # null or true is true
        ('=a > "x"', {"a": 3}, "shown"),  # comparing a number with a string gives null
        ("=not(b)", {"b": "tekst"}, "shown"),  # not of a non-boolean gives null
        ("=b", {"b": "tekst"}, "optional"),  # a non-boolean result is not mirrored
        ("=a > 5", {}, "optional"),  # a not sent
        ("=procesVariabele = 1", {"a": 1}, "optional"),
        ("=a + 1 > 3", {"a": 1}, "optional"),
        ("=count(b) > 0", {"b": "x"}, "optional"),
        ("a > 5", {"a": 6}, "optional"),  # not an expression
        ("=a >", {"a": 6}, "optional"),
        ('=b = "\\d"', {"b": "x"}, "optional"),  # not a valid string escape
    ],
)
def test_condition_subset(hide, data, expected):
    assert classify(hide, data) == expected


def test_conditions_only_read_unconditional_fields():
    schema = {
        "type": "default",
        "id": "keten",
        "components": [
            {"type": "checkbox", "key": "a", "label": "A"},
            {"type": "checkbox", "key": "b", "label": "B", "conditional": {"hide": "=a"}},
            {"type": "textfield", "key": "c", "validate": {"required": True}, "conditional": {"hide": "=b"}},
        ],
    }
    form = load_camunda_form(json.dumps(schema), "keten.form")
    cleaned, errors = validate_submission(form, {"a": False, "b": True})
    assert errors == []  # b may itself be hidden, so c is optional rather than hidden
    assert cleaned == {"a": False, "b": True}
