"""The real ``gros`` command of this virtualenv, run against a database of a test's choosing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GROS = str(Path(sys.executable).with_name("gros"))


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"GROS_DATABASE_URL": url}
    return subprocess.run([GROS, *args], capture_output=True, text=True, env=env, timeout=120)
