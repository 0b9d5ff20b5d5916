"""bpmnlint over processen/*.bpmn, as Camunda Modeler lints (recommended rules + camunda-compat C7).

Needs the Node tooling pinned in package.json / package-lock.json (`npm ci`). Where node, npx or
node_modules are missing the test skips with a reason that starts with "needs Node"; CI installs the
tooling and treats such a skip as a failure.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BPMN_FILES = sorted((ROOT / "processen").glob("*.bpmn"))


def _lint(files):
    node, npx = shutil.which("node"), shutil.which("npx")
    if not node or not npx:
        pytest.skip("needs Node.js: node/npx not found on PATH (install Node 20+, then `npm ci`)")
    if not (ROOT / "node_modules" / ".bin" / "bpmnlint").exists():
        pytest.skip("needs Node tooling: node_modules/.bin/bpmnlint missing (run `npm ci` in the repo root)")
    return subprocess.run(
        [npx, "--no", "bpmnlint", *[str(f) for f in files]], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_there_are_models():
    assert len(BPMN_FILES) >= 7, BPMN_FILES


def test_bpmnlint_reports_no_problems():
    result = _lint(BPMN_FILES)
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, report
    # no errors and no warnings either
    assert report == "", report


def test_bpmnlint_catches_a_broken_model(tmp_path):
    """Guard against a lint run that silently checks nothing: a task nothing leads to or from, added to a
    real model (whatever its labels are called today), must be reported."""
    model = (ROOT / "processen" / "gros-selectie.bpmn").read_text(encoding="utf-8")
    opening = re.search(r"<bpmn:process\b[^>]*>", model)
    assert opening, "gros-selectie.bpmn has no bpmn:process"
    broken = model[:opening.end()] + '<bpmn:task id="Zelftest_Los" name="Los" />' + model[opening.end():]
    target = tmp_path / "zelftest.bpmn"
    target.write_text(broken, encoding="utf-8")
    result = _lint([target])  # cwd is the repo root, so its .bpmnlintrc applies
    assert result.returncode != 0
    assert "Zelftest_Los" in result.stdout and "no-disconnected" in result.stdout


def test_lintrc_and_pinned_tooling():
    rc = json.loads((ROOT / ".bpmnlintrc").read_text())
    assert rc == {"extends": ["bpmnlint:recommended", "plugin:camunda-compat/camunda-platform-7-24"]}
    pkg = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    deps = pkg["devDependencies"]
    for name in ("bpmnlint", "bpmnlint-plugin-camunda-compat", "bpmn-js", "@bpmn-io/form-js", "axe-core"):
        version = deps[name]
        assert version[0].isdigit(), f"{name} must be pinned exactly, not {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert deps["bpmnlint"].startswith("11.")
    assert deps["bpmn-js"] == "18.31.1"
    assert deps["@bpmn-io/form-js"] == "1.23.0"
