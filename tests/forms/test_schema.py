"""Reading Camunda Form schemas: rules that follow the components, refusals that name them."""

import json
from decimal import Decimal

import pytest

from engine.forms import FormSchemaError, load_camunda_form
from tests.forms.samples import component, load, read


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
