"""Fixtures of the form tests: the two sample Camunda Forms, loaded once per module."""

import pytest

from tests.forms.samples import load


@pytest.fixture(scope="module")
def melding():
    return load("grensbelemmering-melding.form")


@pytest.fixture(scope="module")
def beoordeling():
    return load("dossier-beoordeling.form")
