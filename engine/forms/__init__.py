"""Server-side rules for user task forms.

Two kinds of form reach the engine: Camunda Forms (``camunda:formRef`` to a ``.form`` file with the
bpmn.io form-js schema) and embedded ``camunda:formData`` fields. Both become a ``FormDefinition``
whose ``FieldRule``s repeat the rules the form-js viewer enforces in the browser, so that
``validate_submission`` can refuse what the browser would refuse before the engine sees the data.
formData fields are first turned into a form-js schema, so one viewer renders both kinds and one
code path derives the rules.

Loading fails with ``FormSchemaError`` on anything the server could not enforce the same way the
browser does (unknown component types, custom validation, FEEL expressions in validation bounds),
rather than silently accepting more than the form allows.

Choices where the server cannot know what the browser knows:

* ``conditional.hide`` is evaluated for a small FEEL subset (comparisons, ``and``/``or``/``not()``,
  literals) over submitted values of unconditional form fields. A field found hidden is dropped, as
  form-js drops it. When a condition falls outside that subset or reads anything else (process
  variables, fields that are themselves conditional), the field is treated as optional: it is not
  required, but a submitted value still has to satisfy its other rules.
* Options from ``valuesKey``/``valuesExpression`` come from process data at run time, so any value is
  accepted for such fields.
* ``readonly`` and ``disabled`` fields are ignored in submissions, but ``readonly`` counts only when it
  is literally ``true``: a field with a FEEL ``readonly`` expression is accepted as editable.
* Submissions use the nested shape form-js submits: a field with key ``adres.straat`` (or inside a
  group with path ``adres``) is read from ``{"adres": {"straat": ...}}`` and returned the same way.

Modules: ``model`` (the rules), ``schema`` (reading form-js schemas), ``form_data`` (formData fields),
``validation`` (checking a submission), ``coercion`` (browser values to engine values),
``conditions`` (``conditional.hide``), ``messages`` (what a person reads).
"""

from .form_data import form_from_form_data
from .messages import (
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
)
from .model import FieldError, FieldRule, FormDefinition, FormSchemaError
from .schema import load_camunda_form
from .validation import validate_submission

__all__ = [
    "NO_PATTERN_MATCH",
    "NOT_A_DATE",
    "NOT_A_LIST",
    "NOT_A_NUMBER",
    "NOT_A_PHONE",
    "NOT_A_TIME",
    "NOT_AN_EMAIL",
    "NOT_AN_INTEGER",
    "NOT_AN_OPTION",
    "FIXED",
    "NOT_TEXT",
    "NOT_YES_NO",
    "PASSED_DATE",
    "REQUIRED",
    "UNKNOWN_FIELD",
    "FieldError",
    "FieldRule",
    "FormDefinition",
    "FormSchemaError",
    "form_from_form_data",
    "load_camunda_form",
    "validate_submission",
]
