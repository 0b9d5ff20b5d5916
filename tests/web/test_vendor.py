"""The front-end files the app serves are the pinned npm packages' own files, unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.web import vendor


def test_vendored_copies_match_node_modules():
    if not vendor.NODE_MODULES.is_dir():
        pytest.skip("needs Node: run npm ci to check the vendored front-end files")
    assert vendor.stale() == [], "run: gros vendor"



def test_installing_the_front_end_runs_no_install_scripts():
    """Packages in package-lock.json (@carbon/grid and @carbon/layout, through form-js) have install
    scripts; one of them pulls in @ibm/telemetry-js, which lists the repository's files and sends them
    out. Every way in installs with scripts off (and IBM's telemetry off should one run anyway)."""
    lock = json.loads((vendor.ROOT / "package-lock.json").read_text(encoding="utf-8"))
    with_scripts = [name for name, package in lock["packages"].items() if package.get("hasInstallScript")]
    npmrc = (vendor.ROOT / ".npmrc").read_text(encoding="utf-8").split()
    assert "ignore-scripts=true" in npmrc, f"{with_scripts} would run their install scripts"
    installs = {path: [line for line in _commands(vendor.ROOT / path) if re.search(r"\bnpm (ci|install|i)\b", line)]
                for path in ("dev", ".ci/run", "Dockerfile")}
    assert installs["dev"], "./dev installs the front-end tools"
    unchecked = [line.strip() for lines in installs.values() for line in lines if "--ignore-scripts" not in line]
    assert unchecked == []
    assert all("IBM_TELEMETRY_DISABLED=true" in line for line in installs["dev"])


def _commands(script: Path) -> list[str]:
    """The script's lines, with continued lines joined."""
    return script.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
