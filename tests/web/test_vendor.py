"""The front-end files the app serves are the pinned npm packages' own files, unchanged."""

from __future__ import annotations

import pytest

from engine.web import vendor


def test_vendored_copies_match_node_modules():
    if not vendor.NODE_MODULES.is_dir():
        pytest.skip("needs Node: run npm ci to check the vendored front-end files")
    assert vendor.stale() == [], "run: gros vendor"

