import copy
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

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
    FormSchemaError,
    form_from_form_data,
    load_camunda_form,
    validate_submission,
)

FORMS = Path(__file__).parent / "data" / "forms"


def read(name: str) -> str:
    return (FORMS / name).read_text(encoding="utf-8")


def load(name: str):
    return load_camunda_form(read(name), name)


@pytest.fixture(scope="module")
def melding():
    return load("grensbelemmering-melding.form")


@pytest.fixture(scope="module")
def beoordeling():
    return load("dossier-beoordeling.form")


def valid_melding() -> dict:
    return {
        "naamMelder": "An Peeters",
        "email": "an.peeters@example.be",
        "telefoon": "+32470123456",
        "adres": {"straat": "Grote Markt 1", "postcode": "2300", "land": "BE"},
        "domein": "arbeid",
        "overheden": ["vlaanderen", "nederland"],
        "trefwoorden": ["grensarbeider"],
        "kosten": 25000,
        "toelichtingKosten": "Offerte van een beëdigd vertaalbureau",
        "aantalPersonen": 25,
        "datumVaststelling": "2024-03-14",
        "omschrijving": "Grensarbeiders krijgen hun pensioenopbouw niet erkend.",
        "akkoord": True,
    }


def with_value(data: dict, key: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, last = key.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[last] = value
    return data


def without(data: dict, key: str) -> dict:
    data = copy.deepcopy(data)
    *parents, last = key.split(".")
    target = data
    for part in parents:
        target = target[part]
    del target[last]
    return data


# --- loading ---------------------------------------------------------------------------------------


def test_loads_modeler_form(melding):
    assert melding.form_id == "grensbelemmering-melding"
    assert melding.source == "camunda-form"
    assert melding.schema == json.loads(read("grensbelemmering-melding.form"))
    assert [rule.key for rule in melding.fields] == [
        "naamMelder",
        "email",
        "telefoon",
        "adres.straat",
        "adres.postcode",
        "adres.land",
        "domein",
        "overheden",
        "trefwoorden",
        "kosten",
        "toelichtingKosten",
        "aantalPersonen",
        "datumVaststelling",
        "omschrijving",
        "dossiernummer",
        "akkoord",
    ]


def test_rules_follow_components(melding):
    rules = {rule.key: rule for rule in melding.fields}
    naam = rules["naamMelder"]
    assert (naam.type, naam.required, naam.min_length, naam.max_length) == ("string", True, 2, 80)
    assert rules["email"].validation_type == "email"
    assert rules["adres.postcode"].pattern == "^[0-9]{4}( ?[A-Z]{2})?$"
    assert rules["adres.land"].options == ("BE", "NL")
    assert rules["domein"].type == "enum" and not rules["domein"].multiple
    assert rules["overheden"].type == "list" and rules["overheden"].multiple
    assert rules["kosten"].type == "number"
    assert (rules["kosten"].minimum, rules["kosten"].maximum) == (Decimal(0), Decimal(1000000))
    assert rules["kosten"].decimal_digits == 2
    assert rules["aantalPersonen"].increment == Decimal(5)
    assert rules["datumVaststelling"].type == "date"
    assert rules["datumVaststelling"].label == "Datum vaststelling"
    assert rules["dossiernummer"].readonly
    assert rules["akkoord"].type == "boolean"
    assert rules["toelichtingKosten"].hidden_when == ("=kosten = null or kosten < 10000",)


def test_loads_dynamic_parts(beoordeling):
    rules = {rule.key: rule for rule in beoordeling.fields}
    assert rules["behandelaar"].options is None  # valuesKey: options come from process data
    assert rules["weigeringsreden"].hidden_when == ('=besluit != "niet_ontvankelijk"',)
    assert (rules["overlegOp"].type, rules["overlegOp"].no_past_dates) == ("datetime", True)
    assert rules["antwoordUur"].type == "time"
    rows = rules["kostenposten"]
    assert rows.type == "rows"
    assert [item.key for item in rows.item_fields] == ["omschrijving", "bedrag"]


def test_broken_file_names_file_and_component():
    with pytest.raises(FormSchemaError) as caught:
        load("buisleiding.form")
    assert str(caught.value) == (
        "buisleiding.form: component 3 ('Kosten') has type 'number' but min 'abc' is not a number"
    )


def test_feel_literal_bounds_are_read():
    schema = json.loads(read("buisleiding.form"))
    schema["components"][2]["validate"] = {"min": "=10", "max": " 20.5 "}
    rule = load_camunda_form(json.dumps(schema), "buisleiding.form").fields[2]
    assert (rule.minimum, rule.maximum) == (Decimal(10), Decimal("20.5"))


def broken(change) -> str:
    schema = json.loads(read("grensbelemmering-melding.form"))
    change(schema)
    return json.dumps(schema)


def component(schema: dict, *path: int) -> dict:
    node = schema
    for index in path:
        node = node["components"][index - 1]
    return node


def set_in(*path_and_changes):
    *path, changes = path_and_changes
    return lambda schema: component(schema, *path).update(changes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("id"), "the form has no 'id'"),
        (lambda s: s.update(components={}), "'components' is not a list"),
        (
            set_in(2, {"type": "expression"}),
            "component 2 ('Naam melder') has type 'expression' but that type is not supported",
        ),
        (
            set_in(5, 2, {"validate": {"pattern": "[0-9"}}),
            "component 5.2 ('Postcode') has type 'textfield' but pattern '[0-9' is not a valid regular expression",
        ),
        (
            set_in(2, {"validate": {"minLength": -1}}),
            "component 2 ('Naam melder') has type 'textfield' but minLength -1 is not a whole number",
        ),
        (
            set_in(2, {"validate": {"maxLength": "=maxLengte"}}),
            "component 2 ('Naam melder') has type 'textfield' but maxLength '=maxLengte' is an expression "
            "the server cannot evaluate",
        ),
        (
            set_in(13, {"validate": {"pattern": "^[A-Z]"}}),
            "component 13 ('Omschrijving') has type 'textarea' but validate.pattern is not supported for it",
        ),
        (
            set_in(2, {"validate": {"custom": [{"condition": "=true", "message": "nee"}]}}),
            "component 2 ('Naam melder') has type 'textfield' but validate.custom is not supported for it",
        ),
        (
            set_in(3, {"validate": {"validationType": "iban"}}),
            "component 3 ('E-mailadres') has type 'textfield' but validationType 'iban' is not email, phone or custom",
        ),
        (set_in(3, {"key": "naamMelder"}), "key 'naamMelder' clashes with key 'naamMelder' of component 2"),
        (
            set_in(3, {"key": "adres"}),
            "5.1 ('Straat en huisnummer') has type 'textfield' but key 'adres.straat' clashes",
        ),
        (set_in(2, {"key": None}), "component 2 ('Naam melder') has type 'textfield' but key None is not"),
        (
            lambda s: component(s, 6).pop("values"),
            "component 6 ('Domein') has type 'radio' but it has no values, valuesKey or valuesExpression",
        ),
        (
            set_in(12, {"subtype": "week"}),
            "component 12 ('Datum vaststelling') has type 'datetime' but subtype 'week' is not one of",
        ),
        (
            set_in(11, {"increment": 0}),
            "component 11 ('Aantal getroffen personen') has type 'number' but increment 0 is not above 0",
        ),
        (set_in(16, {"conditional": {"hide": True}}), "conditional.hide True is not an expression"),
        (lambda s: s["components"].append("tekst"), "component 18 is not a JSON object"),
    ],
)
def test_broken_schema_is_refused(change, message):
    with pytest.raises(FormSchemaError) as caught:
        load_camunda_form(broken(change), "melding.form")
    assert str(caught.value).startswith("melding.form: ")
    assert message in str(caught.value)


def test_invalid_json_is_refused():
    with pytest.raises(FormSchemaError, match=r"^kapot\.form: not valid JSON \(.*line 1\)$"):
        load_camunda_form("{components: []", "kapot.form")


# --- validation ------------------------------------------------------------------------------------


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


# --- conditional.hide --------------------------------------------------------------------------------


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


def beoordeling_data(**changes) -> dict:
    return {
        "behandelaar": "jan.claes",
        "besluit": "ontvankelijk",
        "opmerking": "Dank voor uw melding.",
    } | changes


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


# --- dynamic values, dates, dynamic lists -----------------------------------------------------------


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


# --- camunda:formData ------------------------------------------------------------------------------

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
            "camunda:formData: field 1 ('x') has type 'custom', which is not one of",
        ),
        (
            {"id": "x", "label": "X", "type": "string", "validation": {"validator": "nl.gros.Check"}},
            "camunda:formData: field 1 ('x') has constraint 'validator', which the server cannot check",
        ),
        (
            {"id": "x", "label": "X", "type": "long", "validation": {"min": "veel"}},
            "camunda:formData: component 1 ('X') has type 'number' but min 'veel' is not a number",
        ),
        (
            {"id": "x", "label": "X", "type": "boolean", "validation": {"maxlength": "3"}},
            "camunda:formData: component 1 ('X') has type 'checkbox' but validate.maxLength is not supported",
        ),
    ],
)
def test_broken_form_data_is_refused(field, message):
    with pytest.raises(FormSchemaError) as caught:
        form_from_form_data([field])
    assert str(caught.value).startswith(message)
