"""A plain `pip install .` carries the templates: `fitplug init` works outside the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

from fitplug.programme import load as programme


def test_wheel_carries_templates_and_type_marker(tmp_path: Path) -> None:
    # build from a copy, so the checkout gets no build/ or egg-info
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("fitplug", "templates"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("fitplug-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in programme.template_names():
        assert f"fitplug/templates/{template}.toml" in names
    assert "fitplug/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]
