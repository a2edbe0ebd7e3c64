"""Files that ship inside the package: the SQL models and the Dagster instance template.

`dhf_assets/dbt_like_sql` and `dhf_assets/dagster.yaml` are links to the repository's own
`dbt_like_sql/` and `dagster.yaml`; a wheel carries their content (pyproject.toml's package-data),
so a checkout, an editable install and `pip install .` all find them here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_path(name: str) -> Path:
    """The shipped file or folder `name`; an install without it is broken, and this says so."""
    path = PACKAGE_DIR / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: this dhf installation is incomplete; reinstall it from a checkout (pip install .)"
        )
    return path
