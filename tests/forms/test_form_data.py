"""Embedded camunda:formData fields become the same rules and a viewer schema."""

from decimal import Decimal

import pytest

from engine.forms import (
    NOT_A_DATE,
    NOT_AN_INTEGER,
    NOT_AN_OPTION,
    UNKNOWN_FIELD,
    FieldError,
    FormSchemaError,
    form_from_form_data,
    validate_submission,
)

FORM_DATA = [
    {
        "id": "aanvrager",
        "label": "Aanvrager",
        "type": "string",
        "default_value": None,
        "validation": {"required": None, "minlength": "3", "maxlength": "50"},
    },
    {
        "id": "bedrag",
        "label": "Gevraagd bedrag",
        "type": "long",
        "default_value": "100",
        "validation": {"min": "0", "max": "5000"},
    },
    {"id": "dringend", "label": "Dringend", "type": "boolean", "default_value": "false", "validation": {}},
    {"id": "deadline", "label": "Deadline", "type": "date", "default_value": "${vandaag}", "validation": {}},
    {
        "id": "soort",
        "label": "Soort aanvraag",
        "type": "enum",
        "default_value": "subsidie",
        "options": [("subsidie", "Subsidie"), ("vergunning", "Vergunning")],
        "validation": {"required": None},
    },
    {
        "id": "referentie",
        "label": None,
        "type": "string",
        "default_value": None,
        "validation": {"readonly": None},
    },
]


def test_form_data_becomes_rules_and_viewer_schema():
    form = form_from_form_data(FORM_DATA, form_id="Activity_aanvraag")
    assert (form.form_id, form.source) == ("Activity_aanvraag", "form-data")
    rules = {rule.key: rule for rule in form.fields}
    aanvrager = rules["aanvrager"]
    assert (aanvrager.required, aanvrager.min_length, aanvrager.max_length) == (True, 3, 50)
    assert (rules["bedrag"].type, rules["bedrag"].decimal_digits) == ("number", 0)
    assert (rules["bedrag"].minimum, rules["bedrag"].maximum) == (Decimal(0), Decimal(5000))
    assert rules["dringend"].type == "boolean"
    assert rules["deadline"].type == "date"
    assert rules["soort"].options == ("subsidie", "vergunning")
    assert rules["referentie"].readonly and rules["referentie"].label == "referentie"
    components = {c["key"]: c for c in form.schema["components"]}
    assert components["soort"]["values"] == [
        {"label": "Subsidie", "value": "subsidie"},
        {"label": "Vergunning", "value": "vergunning"},
    ]
    assert components["bedrag"]["defaultValue"] == 100
    assert components["dringend"]["defaultValue"] is False
    assert "defaultValue" not in components["deadline"]  # a Camunda expression


def test_form_data_submission():
    form = form_from_form_data(FORM_DATA)
    data = {
        "aanvrager": "Gemeente Baarle-Hertog",
        "bedrag": "2500",
        "dringend": "on",
        "deadline": "2024-06-30",
        "soort": "vergunning",
        "referentie": "poging",
    }
    cleaned, errors = validate_submission(form, data)
    assert errors == []
    assert cleaned == {
        "aanvrager": "Gemeente Baarle-Hertog",
        "bedrag": 2500,
        "dringend": True,
        "deadline": "2024-06-30",
        "soort": "vergunning",
    }


def test_form_data_rules_fail_together():
    form = form_from_form_data(FORM_DATA)
    data = {"aanvrager": "AB", "bedrag": "12.5", "soort": "klacht", "deadline": "30-06-2024", "extra": 1}
    _, errors = validate_submission(form, data)
    assert errors == [
        FieldError("aanvrager", "Aanvrager", "Minstens 3 tekens."),
        FieldError("bedrag", "Gevraagd bedrag", NOT_AN_INTEGER),
        FieldError("deadline", "Deadline", NOT_A_DATE),
        FieldError("soort", "Soort aanvraag", NOT_AN_OPTION),
        FieldError("extra", "extra", UNKNOWN_FIELD),
    ]
    _, errors = validate_submission(form, {"aanvrager": "Gemeente", "bedrag": 6000, "soort": "subsidie"})
    assert errors == [FieldError("bedrag", "Gevraagd bedrag", "Hoogstens 5000.")]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            {"id": "x", "label": "X", "type": "custom", "validation": {}},
            "camunda:formData: veld 1 ('x') heeft type 'custom', en dat is niet een van",
        ),
        (
            {"id": "x", "label": "X", "type": "string", "validation": {"validator": "nl.gros.Check"}},
            "camunda:formData: veld 1 ('x') heeft beperking 'validator', die de server niet kan controleren",
        ),
        (
            {"id": "x", "label": "X", "type": "long", "validation": {"min": "veel"}},
            "camunda:formData: onderdeel 1 ('X') van type 'number': min 'veel' is geen getal",
        ),
        (
            {"id": "x", "label": "X", "type": "boolean", "validation": {"maxlength": "3"}},
            "camunda:formData: onderdeel 1 ('X') van type 'checkbox': validate.maxLength wordt daarvoor "
            "niet ondersteund",
        ),
    ],
)
def test_broken_form_data_is_refused(field, message):
    with pytest.raises(FormSchemaError) as caught:
        form_from_form_data([field])
    assert str(caught.value).startswith(message)
