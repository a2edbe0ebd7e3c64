"""Export and report assets through Dagster: the check gate per cave, metadata, files, the dataset card."""

import dagster as dg
import pytest

from dhf_assets.defs.exports.assets import dataset_release, export_coco, export_imagefolder, export_paper_layout
from dhf_assets.defs.exports.gate import caves_left_out
from dhf_assets.defs.partitions import CAVES_PARTITION, caves_partitions
from dhf_assets.defs.reports.assets import attribute_distribution_charts, crop_resolution_chart, mural_symmetry_figures
from dhf_assets.lib.checks.table_checks import CHECKS
from dhf_assets.lib.exports.manifest import verify_manifest
from dhf_assets_tests.dataset_fixture import build_fixture

EXPORTS = [export_paper_layout, export_imagefolder, export_coco, dataset_release]
REPORTS = [attribute_distribution_charts, crop_resolution_chart, mural_symmetry_figures]


def stub_pipeline(failing: set[tuple[str, str]], with_checks: bool = True) -> list[dg.AssetsDefinition]:
    """Assets with the keys and check names of the per-cave pipeline; (check, cave) in `failing` fails."""

    def stub(check):
        specs = [dg.AssetCheckSpec(check.name, asset=check.asset,
                                   partitions_def=caves_partitions)] if with_checks else []

        @dg.asset(name=check.asset, partitions_def=caves_partitions, check_specs=specs)
        def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
            passed = (check.name, context.partition_key) not in failing
            results = [dg.AssetCheckResult(check_name=check.name, passed=passed,
                                           description="ok" if passed else "2 unknown identity codes")]
            return dg.MaterializeResult(check_results=results if with_checks else [])

        return _asset

    return [stub(check) for check in CHECKS]


def build_caves(instance, caves, failing=frozenset(), with_checks=True):
    instance.add_dynamic_partitions(CAVES_PARTITION, list(caves))
    for cave in caves:
        dg.materialize(stub_pipeline(set(failing), with_checks), partition_key=cave, instance=instance)


def metadata(result, asset):
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key == asset.key)
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_gate_names_failed_checks_and_caves_never_checked(instance):
    build_caves(instance, ["A1", "B2"], failing={("faces_valid", "B2")})
    left_out = caves_left_out(instance, ["A1", "B2", "C3"])
    assert "A1" not in left_out
    assert left_out["B2"] == "check faces_valid failed: 2 unknown identity codes"
    assert "check murals_valid has not run" in left_out["C3"]


def test_gate_leaves_out_a_cave_rebuilt_since_its_checks_passed(instance):
    build_caves(instance, ["A1"])
    faces_without_check = [a for a in stub_pipeline(set(), with_checks=False) if a.key.path == ["faces"]]
    dg.materialize(faces_without_check, partition_key="A1", instance=instance)
    assert caves_left_out(instance, ["A1"]) == {"A1": "check faces_valid has not run on the latest faces"}


@pytest.mark.slow
def test_exports_leave_out_the_cave_whose_check_failed_and_name_it(store, instance, tmp_path):
    build_fixture(tmp_path)
    build_caves(instance, ["A1", "B2"], failing={("standardized_images_512", "B2")})
    run_config = {"ops": {"dataset_release": {"config": {"version": "t1"}},
                          "export_imagefolder": {"config": {"train": 0.5, "validation": 0.25, "test": 0.25}}}}
    result = dg.materialize(EXPORTS, resources={"store": store}, instance=instance, run_config=run_config)
    reason = "check standardized_images_512 failed: 2 unknown identity codes"
    for asset in EXPORTS:
        assert metadata(result, asset)["caves"] == ["A1"]
        assert metadata(result, asset)["caves_left_out"] == {"B2": reason}
    exports = store.output / "exports"
    assert sorted(p.name for p in (exports / "paper_layout" / "Dunhuang_Faces-20k" / "murals").iterdir()) == ["A1"]
    assert metadata(result, export_paper_layout)["images_3k"] == 5
    release = exports / "releases" / "t1"
    assert verify_manifest(release) == []
    assert f"**B2**: {reason}" in (release / "README.md").read_text()
    assert metadata(result, dataset_release)["version"] == "t1"


@pytest.mark.slow
def test_report_assets_write_pngs_and_show_them_in_the_ui(store, instance, tmp_path):
    build_fixture(tmp_path)
    run_config = {"ops": {"mural_symmetry_figures": {"config": {"max_side": 200}}}}
    result = dg.materialize(REPORTS, resources={"store": store}, instance=instance, run_config=run_config)
    charts = metadata(result, attribute_distribution_charts)
    assert charts["chart_3k"].count("](data:image/png;base64,") == 1 and len(charts["chart_3k"]) < 270_000
    assert (store.output / "reports" / "attribute_distribution_500.png").is_file()
    assert (store.output / "reports" / "crop_resolution.png").is_file()
    figures = metadata(result, mural_symmetry_figures)
    assert figures["figures"] == 6 and figures["preview"].count("data:image/png") == 3
    assert (store.output / "reports" / "murals" / "B2" / "w.3.png").is_file()
    assert figures["drawn"] == 6
    again = dg.materialize(
        [mural_symmetry_figures], resources={"store": store}, instance=instance, run_config=run_config
    )
    assert metadata(again, mural_symmetry_figures)["drawn"] == 0  # unchanged murals keep their figures
    assert metadata(again, mural_symmetry_figures)["preview"] == figures["preview"]
