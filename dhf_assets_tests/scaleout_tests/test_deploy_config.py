"""The deploy/ files parse, and the Celery instance file loads as a Dagster instance on PostgreSQL."""

from __future__ import annotations

import shutil

import pytest
import yaml

from dhf_assets_tests.scaleout_tests.conftest import DEPLOY, require_packages

YAML_FILES = sorted(DEPLOY.rglob("*.yaml"))


def test_deploy_folder_holds_the_documented_files():
    names = {path.relative_to(DEPLOY).as_posix() for path in DEPLOY.rglob("*") if path.is_file()}
    assert {"README.md", "celery/README.md", "celery/dagster.yaml", "celery/celery.yaml",
            "k8s/README.md", "k8s/values.yaml", "k8s/pvcs.yaml", "k8s/run_config.yaml"} <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_yaml_file_parses(path):
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    assert documents and all(isinstance(doc, dict) for doc in documents)


def test_celery_instance_yaml_loads_on_postgres(tmp_path, monkeypatch, postgres_url):
    import dagster as dg
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    monkeypatch.setenv("DHF_POSTGRES_URL", postgres_url)
    shutil.copyfile(DEPLOY / "celery" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.get_runs() == []  # the tables exist and answer


def test_helm_values_postgres_scheme_connects_as_the_chart_configures_it(tmp_path, postgres_server, postgres_url):
    """The chart writes `postgres_db` (host, port, user, database, scheme) into dagster.yaml."""
    import dagster as dg
    from sqlalchemy.engine import make_url

    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    url = make_url(postgres_url)
    chart_config = {"postgres_db": {
        "username": url.username, "password": "unused-with-trust", "hostname": url.host, "port": url.port,
        "db_name": url.database, "scheme": values["postgresql"]["postgresqlScheme"],
    }}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"storage": {"postgres": chart_config}}))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_runs() == []


def test_celery_worker_yaml_matches_the_executor_schema(monkeypatch):
    require_packages()
    from dagster_celery.cli import get_validated_config

    monkeypatch.setenv("DHF_CELERY_BROKER", "redis://broker.example:6379/0")
    monkeypatch.setenv("DHF_CELERY_BACKEND", "redis://broker.example:6379/1")
    config = get_validated_config(str(DEPLOY / "celery" / "celery.yaml"))
    assert (config["broker"], config["backend"]) == ("redis://broker.example:6379/0", "redis://broker.example:6379/1")


def test_celery_executor_reads_the_broker_from_the_environment_at_run_start(monkeypatch):
    require_packages()
    from dhf_assets.defs.scaleout.jobs import DEFAULT_BROKER, dhf_celery_executor

    def resolved(config: dict) -> dict:  # as `execution: {config: ...}` in run config
        return dhf_celery_executor.config_schema.resolve_config({"config": config}).value["config"]

    monkeypatch.delenv("DHF_CELERY_BROKER", raising=False)
    monkeypatch.delenv("DHF_CELERY_BACKEND", raising=False)
    assert resolved({}) == {"broker": DEFAULT_BROKER, "backend": DEFAULT_BROKER, "retries": {"enabled": {}}}
    monkeypatch.setenv("DHF_CELERY_BROKER", "redis://10.0.0.5:6379/0")
    assert resolved({})["broker"] == resolved({})["backend"] == "redis://10.0.0.5:6379/0"
    assert resolved({"backend": "redis://10.0.0.5:6379/1"})["backend"] == "redis://10.0.0.5:6379/1"
