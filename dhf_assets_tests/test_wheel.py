"""`pip install .` as a user gets it: the wheel, installed alone, builds the sample from any folder.

The wheel is built from a copy of the package's sources and installed with --no-deps into a new
virtual environment that sees .venv's packages through a .pth line (nothing is downloaded, and
.venv's editable dhf is not seen: .pth files of a folder named that way are not processed).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml

from dhf_assets_tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "dagster.yaml", "dbt_like_sql", "dhf_assets")
# What `make demo` sets for the sample; one cave and one detector keep the run short.
BUILD_SETTINGS = {"DHF_UPSCALER": "lanczos", "DHF_DETECTORS": "mtcnn", "DHF_AUTOMATION_DEFAULT": "stopped"}
CAVE = "MG045"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, source / name)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp / "dist"), str(source)], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("dhf-*.whl")
    return wheel


def user_env(tmp: Path) -> dict[str, str]:
    """The caller's environment without dhf's paths or the checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DHF_") and k not in ("DAGSTER_HOME", "PYTHONPATH")}
    return {**env, **BUILD_SETTINGS, "TORCHINDUCTOR_CACHE_DIR": str(tmp / "cache"),
            "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1", "GX_ANALYTICS_ENABLED": "false"}


def test_installed_wheel_builds_every_sql_model_with_the_full_instance(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("dhf_assets_tests")]
    models = {p.stem: p.parent.name for p in (REPO_ROOT / "dbt_like_sql").glob("*/*.sql")}
    assert {f"dhf_assets/dbt_like_sql/{layer}/{name}.sql" for name, layer in models.items()} <= set(names)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    (purelib,) = venv.glob("lib/python*/site-packages")
    (purelib / "dev_env.pth").write_text(site.getsitepackages()[0] + "\n")
    env = user_env(tmp_path)
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps",
         str(wheel)], tmp_path, env)

    work = tmp_path / "work"  # outside the checkout: relative default paths resolve here
    work.mkdir()
    imported = run([str(venv / "bin" / "python"), "-c", "import dhf_assets; print(dhf_assets.__file__)"], work, env)
    assert Path(imported.strip()).is_relative_to(purelib)
    run([str(venv / "bin" / "dhf"), "sample"], work, env)
    out = run([str(venv / "bin" / "dhf"), "build", "--cave", CAVE], work, env)
    assert f"cave {CAVE}: ok" in out

    with duckdb.connect(str(work / "data" / "dhf.duckdb"), read_only=True) as con:
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables").fetchall())
    expected = {name: "VIEW" if layer == "staging" else "BASE TABLE" for name, layer in models.items()}
    assert {name: kinds.get(name) for name in expected} == expected

    config = work / ".dagster_home" / "dagster.yaml"
    assert config.read_text() == (REPO_ROOT / "dagster.yaml").read_text()
    instance = yaml.safe_load(config.read_text())
    assert instance["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert instance["concurrency"]["pools"]["default_limit"] == 1
    assert instance["run_launcher"]["class"] == "LocalRunLauncher"
