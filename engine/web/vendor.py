"""Front-end files the app serves (and the tests inject), copied from node_modules at the versions
pinned in package-lock.json and committed, so the app never needs a CDN or Node at run time.

``gros vendor`` copies them again after ``npm ci``; the tests check the copies match node_modules."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"

# Copy in the repository → its source in node_modules.
VENDORED: dict[str, str] = {
    "engine/web/static/vendor/form-js/form-viewer.umd.js": "@bpmn-io/form-js/dist/form-viewer.umd.js",
    "engine/web/static/vendor/form-js/form-js.css": "@bpmn-io/form-js/dist/assets/form-js.css",
    "engine/web/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js":
        "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "engine/web/static/vendor/bpmn-js/diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "engine/web/static/vendor/bpmn-js/bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    "tests/vendor/axe.min.js": "axe-core/axe.min.js",
}


def stale(root: Path = ROOT, node_modules: Path = NODE_MODULES) -> list[str]:
    """Copies that are missing or differ from node_modules."""
    return [copy for copy, source in VENDORED.items()
            if not (root / copy).is_file() or (root / copy).read_bytes() != (node_modules / source).read_bytes()]


def refresh(root: Path = ROOT, node_modules: Path = NODE_MODULES) -> list[str]:
    """Copy every stale file from node_modules; returns what was copied."""
    copied = stale(root, node_modules)
    for copy in copied:
        (root / copy).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / VENDORED[copy], root / copy)
    return copied
