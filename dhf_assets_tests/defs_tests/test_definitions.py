import dagster as dg

from dhf_assets.definitions import defs


def test_all_definitions_load():
    definitions = defs()
    keys = {k.to_user_string() for k in definitions.resolve_asset_graph().get_all_asset_keys()}
    assert {"vocabulary", "caves", "murals", "faces", "quarantine"} <= keys
    assert definitions.resolve_job_def("cave_job").partitions_def.name == "caves"
    assert definitions.resolve_job_def("catalog_job") is not None
    assert definitions.resolve_sensor_def("archive_sensor") is not None


def test_every_asset_has_a_one_sentence_description():
    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        description = graph.get(key).description or ""
        assert description.strip().endswith(".") and description.count(". ") == 0, key


def test_the_dev_instance_queues_runs_and_gives_the_gpu_pool_one_slot(tmp_path, monkeypatch):
    import shutil

    from dhf_assets_tests.conftest import REPO_ROOT

    shutil.copyfile(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = dg.DagsterInstance.get()
    config = instance.get_concurrency_config()
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert config.run_queue_config.max_concurrent_runs == 3
    assert config.pool_config.default_pool_limit == 1
    assert not instance.is_ephemeral and instance.telemetry_enabled is False
    # A killed run worker is noticed by the daemon (run monitoring through dhf's launcher).
    assert type(instance.run_launcher).__name__ == "LocalRunLauncher"
    assert instance.run_launcher.supports_check_run_worker_health and instance.run_monitoring_enabled
    assert instance.run_monitoring_max_resume_run_attempts == 0
    assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0


def test_schedule_and_sensor_are_defined():
    definitions = defs()
    assert definitions.resolve_schedule_def("incremental_caves_schedule").job_name == "cave_job"
    assert definitions.resolve_job_def("cave_checks_job") is not None


def test_upscaler_settings_change_only_the_upscale_code_version(monkeypatch):
    from dhf_assets.defs.candidates.resources import candidates_code_version
    from dhf_assets.defs.upscale.resources import upscale_code_version

    monkeypatch.setenv("DHF_UPSCALER", "sd_x4")
    before = (upscale_code_version(), candidates_code_version())
    monkeypatch.setenv("DHF_UPSCALER", "lanczos")
    monkeypatch.setenv("DHF_SD_STEPS", "20")
    after = (upscale_code_version(), candidates_code_version())
    assert after[0] != before[0] and after[1] == before[1]
    monkeypatch.setenv("DHF_CANDIDATE_THRESHOLD", "0.95")
    assert candidates_code_version() != before[1]


def test_loading_the_definitions_leaves_torchvision_to_the_first_detection():
    """torchvision (with torch._dynamo, about 1 s) is imported by the first step that detects, not at load:
    a build whose steps all skip never pays it. The first NMS, here the proposals' merge, then imports it."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys\n"
        "from dhf_assets.definitions import defs\n"
        "defs()\n"
        "assert 'torchvision' not in sys.modules, 'torchvision imported while loading the definitions'\n"
        "from dhf_assets.lib.proposals.detect import Found\n"
        "from dhf_assets.lib.proposals.merge import merge\n"
        "found = [Found((10, 10, 50, 50), 0.9, 'mtcnn'), Found((12, 11, 51, 52), 0.8, 'mtcnn'),\n"
        "         Found((100, 100, 140, 140), 0.95, 'mtcnn')]\n"
        "print(len(merge(found, 200, 200, {})), 'torchvision' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "True"]
