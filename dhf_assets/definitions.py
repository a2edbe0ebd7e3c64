"""Dagster entry point: load everything in the defs folder."""

import warnings
from pathlib import Path

import dagster as dg

import dhf_assets.defs


@dg.definitions
def defs() -> dg.Definitions:
    # The tree `load_from_defs_folder` builds, without its search for pyproject.toml: an installed wheel
    # has none beside the package. Name and modules as in pyproject.toml's [tool.dg.project].
    tree = dg.ComponentTree(
        defs_module=dhf_assets.defs, project_root=Path(__file__).resolve().parents[1], code_location_name="dhf"
    )
    with warnings.catch_warnings():
        # load_from_defs_folder silences the same preview and beta notices of its own machinery.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        warnings.simplefilter("ignore", dg.BetaWarning)
        return tree.build_defs()
