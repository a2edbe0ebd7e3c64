"""cave_job_k8s without a cluster: the job loads, its executor is k8s_job_executor, and the step pods
built from deploy/k8s carry the shared volumes, the DHF_* variables and, for upscaled_faces only,
the GPU request that comes from the step's op tags."""

from __future__ import annotations

import pytest
import yaml

from dhf_assets_tests.scaleout_tests.conftest import DEPLOY, require_packages

IMAGE = "registry.example.org/dhf:0.1.0"


@pytest.fixture(scope="module")
def definitions():
    require_packages()
    from dhf_assets.definitions import defs
    return defs()


def node_names(job) -> set[str]:
    return {node.name for node in job.graph.node_defs}


def code_location_context():
    """What includeConfigInLaunchedRuns hands to run and step pods: deploy/k8s/values.yaml's deployment."""
    from dagster_k8s.container_context import K8sContainerContext

    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    deployment = values["dagster-user-deployments"]["deployments"][0]
    return K8sContainerContext.create_from_config({"k8s": {
        "env": deployment["env"], "volumes": deployment["volumes"], "volume_mounts": deployment["volumeMounts"],
        "image_pull_policy": deployment["image"]["pullPolicy"],
    }})


def step_pod(job, step_key: str, run_config: dict):
    """The Kubernetes Job the executor would create for one step, merged as K8sStepHandler merges it:
    code location, then the step's `dagster-k8s/config` tag, then per_step_k8s_config."""
    from dagster._core.execution.api import create_execution_plan
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import (
        DagsterK8sJobConfig,
        UserDefinedDagsterK8sConfig,
        construct_dagster_k8s_job,
        get_user_defined_k8s_config,
    )

    step = create_execution_plan(job, run_config=run_config).get_step_by_key(step_key)
    per_step = run_config.get("execution", {}).get("config", {}).get("per_step_k8s_config", {})
    context = code_location_context().merge(
        K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(step.tags))
    ).merge(K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(per_step.get(step_key, {}))))
    job_config = DagsterK8sJobConfig(job_image=IMAGE, dagster_home="/opt/dagster/dagster_home",
                                     instance_config_map="dhf-dagster-instance")
    manifest = construct_dagster_k8s_job(job_config, ["dagster", "api", "execute_step"], f"dagster-step-{step_key}",
                                         user_defined_k8s_config=context.run_k8s_config, component="step_worker")
    return step, manifest.spec.template.spec


def test_cave_job_k8s_loads_with_the_k8s_executor_and_cave_jobs_steps(definitions):
    from dagster_k8s import k8s_job_executor

    job = definitions.resolve_job_def("cave_job_k8s")
    assert job.executor_def is k8s_job_executor
    assert job.partitions_def.name == "caves"
    assert node_names(job) == node_names(definitions.resolve_job_def("cave_job"))
    celery_job = definitions.resolve_job_def("cave_job_celery")
    assert node_names(celery_job) == node_names(job) and celery_job.partitions_def.name == "caves"


def test_the_upscale_step_pod_asks_for_one_gpu_and_the_others_for_none(definitions):
    import dagster as dg

    job = definitions.resolve_job_def("cave_job_k8s")
    run_config = yaml.safe_load((DEPLOY / "k8s" / "run_config.yaml").read_text())
    assert dg.validate_run_config(job, run_config)  # the documented run config fits the executor

    step, pod = step_pod(job, "upscaled_faces", run_config)
    assert step.tags["dagster-celery/queue"] == "gpu"
    container = pod.containers[0]
    assert container.image == IMAGE
    assert container.resources.limits == {"nvidia.com/gpu": "1"}
    assert [(t.key, t.operator, t.effect) for t in pod.tolerations] == [("nvidia.com/gpu", "Exists", "NoSchedule")]
    assert [e.value for e in container.env if e.name == "DHF_DEVICE"] == ["cuda"]

    _, cpu_pod = step_pod(job, "face_candidates", run_config)
    limits = cpu_pod.containers[0].resources.limits if cpu_pod.containers[0].resources else None
    assert "nvidia.com/gpu" not in (limits or {})
    assert not cpu_pod.tolerations
    assert "DHF_DEVICE" not in {e.name for e in cpu_pod.containers[0].env}  # the default: cpu


def test_every_step_pod_mounts_the_shared_archive_outputs_and_tables(definitions):
    job = definitions.resolve_job_def("cave_job_k8s")
    pvcs = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / "pvcs.yaml").read_text())}
    for step_key in ("murals", "face_candidates", "upscaled_faces", "face_quality"):
        _, pod = step_pod(job, step_key, {})
        claims = {v.name: v.persistent_volume_claim.claim_name for v in pod.volumes}
        assert set(claims.values()) <= set(pvcs) and {"dhf-archive", "dhf-output", "dhf-tables"} <= set(claims.values())
        assert all(pvcs[c]["spec"]["accessModes"] == ["ReadWriteMany"] for c in claims.values())
        container = pod.containers[0]
        mounts = {m.mount_path: m.name for m in container.volume_mounts}
        env = {e.name: e.value for e in container.env}
        for variable in ("DHF_ARCHIVE_DIR", "DHF_OUTPUT_DIR"):
            assert mounts[env[variable]] in claims
        tables_dir = env["DHF_DUCKDB_PATH"].rsplit("/", 1)[0]
        assert claims[mounts[tables_dir]] == "dhf-tables"
