"""Checking submissions: every error at once, browser values coerced, unknown keys refused."""

import json
from datetime import date, timedelta

import pytest

from engine.forms import (
    FIXED,
    NO_PATTERN_MATCH,
    NOT_A_DATE,
    NOT_A_LIST,
    NOT_A_NUMBER,
    NOT_A_PHONE,
    NOT_A_TIME,
    NOT_AN_EMAIL,
    NOT_AN_INTEGER,
    NOT_AN_OPTION,
    NOT_TEXT,
    NOT_YES_NO,
    PASSED_DATE,
    REQUIRED,
    UNKNOWN_FIELD,
    FieldError,
    load_camunda_form,
    validate_submission,
)
from tests.forms.samples import beoordeling_data, valid_melding, with_value, without


def test_valid_submission_passes(melding):
    cleaned, errors = validate_submission(melding, valid_melding())
    assert errors == []
    assert cleaned == valid_melding()


def test_all_missing_fields_reported_at_once(melding):
    cleaned, errors = validate_submission(melding, {})
    assert cleaned == {}
    assert [(error.key, error.message) for error in errors] == [
        ("naamMelder", REQUIRED),
        ("email", REQUIRED),
        ("adres.land", REQUIRED),
        ("domein", REQUIRED),
        ("overheden", REQUIRED),
        ("datumVaststelling", REQUIRED),
        ("omschrijving", REQUIRED),
        ("akkoord", REQUIRED),
    ]
    assert errors[2] == FieldError("adres.land", "Land", REQUIRED)


def test_errors_of_different_fields_come_together(melding):
    data = valid_melding() | {"naamMelder": "A", "email": "an@", "kosten": -3, "onbekend": 1}
    _, errors = validate_submission(melding, data)
    assert errors == [
        FieldError("naamMelder", "Naam melder", "Minstens 2 tekens."),
        FieldError("email", "E-mailadres", NOT_AN_EMAIL),
        FieldError("kosten", "Geschatte kosten (EUR)", "Minstens 0."),
        FieldError("onbekend", "onbekend", UNKNOWN_FIELD),
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("naamMelder", "A", "Minstens 2 tekens."),
        ("naamMelder", "  A  ", "Minstens 2 tekens."),  # form-js counts trimmed text
        ("naamMelder", "x" * 81, "Hoogstens 80 tekens."),
        ("naamMelder", "", REQUIRED),
        ("naamMelder", None, REQUIRED),
        ("naamMelder", 12, NOT_TEXT),
        ("email", "an.peeters@", NOT_AN_EMAIL),
        ("email", "an peeters@example.be", NOT_AN_EMAIL),
        ("telefoon", "0470123456", NOT_A_PHONE),
        ("telefoon", "+32 470", NOT_A_PHONE),
        ("adres.postcode", "12345", NO_PATTERN_MATCH),
        ("adres.postcode", "1234ab", NO_PATTERN_MATCH),
        ("adres.land", "DE", NOT_AN_OPTION),
        ("adres.land", "", REQUIRED),
        ("domein", "cultuur", NOT_AN_OPTION),
        ("overheden", ["vlaanderen", "mars"], NOT_AN_OPTION),
        ("overheden", "vlaanderen", NOT_AN_OPTION),
        ("overheden", [], REQUIRED),
        ("trefwoorden", ["belasting"], NOT_AN_OPTION),
        ("kosten", -1, "Minstens 0."),
        ("kosten", "1000000.01", "Hoogstens 1000000."),
        ("kosten", "12,345", "Hoogstens 2 cijfers na de komma."),
        ("kosten", "twaalf", NOT_A_NUMBER),
        ("kosten", "NaN", NOT_A_NUMBER),
        ("kosten", True, NOT_A_NUMBER),
        ("aantalPersonen", 7, "Moet een veelvoud zijn van 5."),
        ("aantalPersonen", "2.5", NOT_AN_INTEGER),
        ("aantalPersonen", 0, "Minstens 5."),
        ("datumVaststelling", "2024-02-30", NOT_A_DATE),
        ("datumVaststelling", "14/03/2024", NOT_A_DATE),
        ("datumVaststelling", "20240314", NOT_A_DATE),
        ("omschrijving", "Te kort", "Minstens 20 tekens."),
        ("omschrijving", "x" * 2001, "Hoogstens 2000 tekens."),
        ("akkoord", False, REQUIRED),
        ("akkoord", "ja", NOT_YES_NO),
    ],
)
def test_rule_fails(melding, key, value, message):
    _, errors = validate_submission(melding, with_value(valid_melding(), key, value))
    assert [(error.key, error.message) for error in errors] == [(key, message)]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("naamMelder", "An"),
        ("naamMelder", "x" * 80),
        ("telefoon", "0032470123456"),
        ("adres.postcode", "1234 AB"),
        ("adres.postcode", "1234AB"),
        ("adres.land", "NL"),
        ("kosten", 0),
        ("kosten", "1000000"),
        ("kosten", "19.99"),
        ("aantalPersonen", 5),
        ("datumVaststelling", "2024-02-29"),
        ("omschrijving", "x" * 2000),
        ("overheden", ["lokaal"]),
    ],
)
def test_rule_passes(melding, key, value):
    _, errors = validate_submission(melding, with_value(valid_melding(), key, value))
    assert errors == []


@pytest.mark.parametrize("key", ["telefoon", "adres.straat", "adres.postcode", "kosten", "trefwoorden"])
def test_optional_fields_may_be_left_out(melding, key):
    cleaned, errors = validate_submission(melding, without(valid_melding(), key))
    assert errors == []
    assert cleaned == without(valid_melding(), key)


@pytest.mark.parametrize(
    ("key", "sent", "cleaned"),
    [
        ("kosten", "1234,50", 1234.5),
        ("kosten", " 42 ", 42),
        ("kosten", "42.0", 42),
        ("kosten", "", None),
        ("aantalPersonen", "10", 10),
        ("akkoord", "on", True),
        ("akkoord", "true", True),
        ("trefwoorden", None, []),
    ],
)
def test_browser_values_are_coerced(melding, key, sent, cleaned):
    values, errors = validate_submission(melding, with_value(valid_melding(), key, sent))
    assert errors == []
    assert values[key] == cleaned
    assert type(values[key]) is type(cleaned)


def test_unchecked_checkbox_string_is_false_and_required(melding):
    values, errors = validate_submission(melding, with_value(valid_melding(), "akkoord", "off"))
    assert errors == [FieldError("akkoord", "Ik bevestig dat deze gegevens correct zijn", REQUIRED)]


def test_unknown_keys_are_refused_also_inside_groups(melding):
    data = valid_melding() | {"isBeheerder": True}
    data["adres"]["gemeente"] = "Turnhout"
    cleaned, errors = validate_submission(melding, data)
    assert errors == [
        FieldError("adres.gemeente", "adres.gemeente", UNKNOWN_FIELD),
        FieldError("isBeheerder", "isBeheerder", UNKNOWN_FIELD),
    ]
    assert "isBeheerder" not in cleaned


def test_group_path_must_hold_an_object(melding):
    _, errors = validate_submission(melding, valid_melding() | {"adres": "Grote Markt 1"})
    assert FieldError("adres", "adres", UNKNOWN_FIELD) in errors
    assert FieldError("adres.land", "Land", REQUIRED) in errors


def test_readonly_values_are_ignored(melding):
    cleaned, errors = validate_submission(melding, valid_melding() | {"dossiernummer": "GROS-2024-001"})
    assert errors == []
    assert "dossiernummer" not in cleaned



def test_a_readonly_value_other_than_shown_is_refused_when_the_shown_values_are_known(melding):
    """The engine passes the task's values: a readonly field shows what the process decided (§ 5.2.4)."""
    shown = {"dossiernummer": "GROS-2024-001"}
    _, errors = validate_submission(melding, valid_melding() | {"dossiernummer": "GROS-2024-001"}, current=shown)
    assert errors == []
    _, errors = validate_submission(melding, valid_melding() | {"dossiernummer": "GROS-2099-999"}, current=shown)
    assert [(e.key, e.message) for e in errors] == [("dossiernummer", FIXED)]

@pytest.mark.parametrize(
    ("flags", "kept"),
    [({"readonly": True}, False), ({"disabled": True}, False), ({"readonly": '=status = "gesloten"'}, True)],
)
def test_only_literal_readonly_or_disabled_drops_values(flags, kept):
    schema = {"type": "default", "id": "ro", "components": [{"type": "textfield", "key": "x", **flags}]}
    cleaned, errors = validate_submission(load_camunda_form(json.dumps(schema), "ro.form"), {"x": "nieuw"})
    assert errors == []
    assert ("x" in cleaned) is kept


def test_values_from_process_data_accept_any_option(beoordeling):
    cleaned, errors = validate_submission(beoordeling, beoordeling_data(behandelaar="wie-dan-ook"))
    assert errors == []
    assert cleaned["behandelaar"] == "wie-dan-ook"


def test_values_from_process_data_still_refuse_structured_data(beoordeling):
    _, errors = validate_submission(beoordeling, beoordeling_data(behandelaar={"rol": "admin"}))
    assert errors == [FieldError("behandelaar", "Behandelaar", NOT_AN_OPTION)]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("overlegOp", "2020-01-06T10:00+01:00", PASSED_DATE),
        ("overlegOp", "2030-01-06", NOT_A_DATE),
        ("overlegOp", "2030-13-06T10:00Z", NOT_A_DATE),
        ("antwoordUur", "25:00", NOT_A_TIME),
        ("antwoordUur", "9:30", NOT_A_TIME),
        ("antwoordUur", 930, NOT_A_TIME),
    ],
)
def test_date_and_time_rules(beoordeling, key, value, message):
    _, errors = validate_submission(beoordeling, beoordeling_data(**{key: value}))
    assert [(error.key, error.message) for error in errors] == [(key, message)]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("overlegOp", f"{date.today().isoformat()}T23:45+02:00"),
        ("overlegOp", f"{(date.today() + timedelta(days=30)).isoformat()}T09:00Z"),
        ("antwoordUur", "09:30"),
        ("antwoordUur", "16:00+01:00"),
    ],
)
def test_valid_dates_and_times(beoordeling, key, value):
    cleaned, errors = validate_submission(beoordeling, beoordeling_data(**{key: value}))
    assert errors == []
    assert cleaned[key] == value


def test_dynamic_list_rows_are_validated_and_coerced(beoordeling):
    rows = [
        {"omschrijving": "Vertaling", "bedrag": "120,50"},
        {"bedrag": -1, "btw": 21},
    ]
    cleaned, errors = validate_submission(beoordeling, beoordeling_data(kostenposten=rows))
    assert errors == [
        FieldError("kostenposten.1.omschrijving", "Omschrijving", REQUIRED),
        FieldError("kostenposten.1.bedrag", "Bedrag", "Minstens 0."),
        FieldError("kostenposten.1.btw", "kostenposten.1.btw", UNKNOWN_FIELD),
    ]
    assert cleaned["kostenposten"][0] == {"omschrijving": "Vertaling", "bedrag": 120.5}


@pytest.mark.parametrize("rows", ["Vertaling", {"omschrijving": "x"}, ["x"]])
def test_dynamic_list_must_be_a_list_of_rows(beoordeling, rows):
    _, errors = validate_submission(beoordeling, beoordeling_data(kostenposten=rows))
    assert errors == [FieldError("kostenposten", "Kostenposten", NOT_A_LIST)]
