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
        "buisleiding.form: onderdeel 3 ('Kosten') van type 'number': min 'abc' is geen getal"
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
        (lambda s: s.pop("id"), "het formulier heeft geen 'id'"),
        (lambda s: s.update(components={}), "'components' is geen lijst"),
        (
            set_in(2, {"type": "expression"}),
            "onderdeel 2 ('Naam melder') van type 'expression': dat type wordt niet ondersteund",
        ),
        (
            set_in(5, 2, {"validate": {"pattern": "[0-9"}}),
            "onderdeel 5.2 ('Postcode') van type 'textfield': pattern '[0-9' is geen geldige reguliere expressie",
        ),
        (
            set_in(2, {"validate": {"minLength": -1}}),
            "onderdeel 2 ('Naam melder') van type 'textfield': minLength -1 is geen geheel getal",
        ),
        (
            set_in(2, {"validate": {"maxLength": "=maxLengte"}}),
            "onderdeel 2 ('Naam melder') van type 'textfield': maxLength '=maxLengte' is een expressie "
            "die de server niet kan uitrekenen",
        ),
        (
            set_in(13, {"validate": {"pattern": "^[A-Z]"}}),
            "onderdeel 13 ('Omschrijving') van type 'textarea': validate.pattern wordt daarvoor niet ondersteund",
        ),
        (
            set_in(2, {"validate": {"custom": [{"condition": "=true", "message": "nee"}]}}),
            "onderdeel 2 ('Naam melder') van type 'textfield': validate.custom wordt daarvoor niet ondersteund",
        ),
        (
            set_in(3, {"validate": {"validationType": "iban"}}),
            "onderdeel 3 ('E-mailadres') van type 'textfield': validationType 'iban' is niet email, phone of custom",
        ),
        (set_in(3, {"key": "naamMelder"}), "sleutel 'naamMelder' botst met sleutel 'naamMelder' van onderdeel 2"),
        (
            set_in(3, {"key": "adres"}),
            "5.1 ('Straat en huisnummer') van type 'textfield': sleutel 'adres.straat' botst",
        ),
        (set_in(2, {"key": None}), "onderdeel 2 ('Naam melder') van type 'textfield': key None is geen"),
        (
            lambda s: component(s, 6).pop("values"),
            "onderdeel 6 ('Domein') van type 'radio': er zijn geen values, valuesKey of valuesExpression",
        ),
        (
            set_in(12, {"subtype": "week"}),
            "onderdeel 12 ('Datum vaststelling') van type 'datetime': subtype 'week' is niet een van",
        ),
        (
            set_in(11, {"increment": 0}),
            "onderdeel 11 ('Aantal getroffen personen') van type 'number': increment 0 is niet groter dan 0",
        ),
        (set_in(16, {"conditional": {"hide": True}}), "conditional.hide True is geen expressie"),
        (lambda s: s["components"].append("tekst"), "onderdeel 18 is geen JSON-object"),
    ],
)
def test_broken_schema_is_refused(change, message):
    with pytest.raises(FormSchemaError) as caught:
        load_camunda_form(broken(change), "melding.form")
    assert str(caught.value).startswith("melding.form: ")
    assert message in str(caught.value)


def test_invalid_json_is_refused():
    expected = (r"^kapot\.form: geen geldige JSON \(een sleutel staat niet tussen dubbele aanhalingstekens, "
                r"regel 1, kolom 2\)$")
    with pytest.raises(FormSchemaError, match=expected):
        load_camunda_form("{components: []", "kapot.form")


GROUPED = """{"id": "adres", "components": [
  {"id": "Field_naam", "key": "naam", "type": "textfield"},
  {"id": "Group_adres", "type": "group", "path": "adres", "components": [
    {"id": "Field_straat", "key": "straat", "type": "textfield"},
    {"id": "Field_kaart", "key": "kaart",
     "type": "raket"}
  ]}
]}"""


def test_a_refusal_inside_a_group_names_the_line_where_the_component_starts():
    with pytest.raises(FormSchemaError) as caught:
        load_camunda_form(GROUPED, "adres.form")
    assert (caught.value.line, caught.value.element) == (5, "Field_kaart")
    assert str(caught.value) == "adres.form: onderdeel 2.2 ('kaart') van type 'raket': dat type wordt niet ondersteund"
