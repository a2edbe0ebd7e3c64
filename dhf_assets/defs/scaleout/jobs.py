"""The per-cave pipeline on an existing distributed engine: Celery workers, or one Kubernetes pod per step.

Both jobs select exactly what `cave_job` selects; only where the steps run changes. Nothing here
contacts Redis or Kubernetes while definitions load: the Celery executor reaches its broker when a run
starts, the Kubernetes executor loads its cluster config when a run starts.
"""


import dagster as dg

from dhf_assets.defs.jobs import per_cave_job
from dhf_assets.lib.runtime.settings import current_settings

# The scale-out packages are optional: without them these jobs do not exist, and DHF_CAVE_JOB naming
# one of them is refused at load with this reason (defs/automation/choices.py).
SCALEOUT_IMPORT_ERROR: str | None = None
try:
    from dagster_celery import celery_executor
    from dagster_k8s import k8s_job_executor
except ImportError as exc:
    SCALEOUT_IMPORT_ERROR = str(exc)

BROKER_ENV = "DHF_CELERY_BROKER"
BACKEND_ENV = "DHF_CELERY_BACKEND"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


if SCALEOUT_IMPORT_ERROR is None:

    @dg.configured(
        celery_executor,
        config_schema={
            "broker": dg.Field(str, is_required=False,
                               description=f"Broker URL; default ${BROKER_ENV}, else {DEFAULT_BROKER}."),
            "backend": dg.Field(str, is_required=False,
                                description=f"Result backend URL; default ${BACKEND_ENV}, else the broker."),
        },
    )
    def dhf_celery_executor(config: dict) -> dict:
        """Celery with a Redis broker; read when a run starts, so the UI, workers and tests agree on the URL."""
        # Read at run start, not import: the same definitions serve every machine and every test.
        settings = current_settings()
        broker = config.get("broker") or settings.celery_broker or DEFAULT_BROKER
        backend = config.get("backend") or settings.celery_backend or broker
        return {"broker": broker, "backend": backend}


    cave_job_celery = per_cave_job(
        "cave_job_celery",
        "Build one cave with every step as a Celery task; upscaled_faces goes to the `gpu` queue.",
        dhf_celery_executor,
    )

    # Image, namespace, PVCs and DHF_* variables come from the code location's container context
    # (deploy/k8s/values.yaml); the GPU request comes from upscaled_faces' `dagster-k8s/config` op tag.
    cave_job_k8s = per_cave_job(
        "cave_job_k8s",
        "Build one cave with every step in its own Kubernetes pod; upscaled_faces asks for one GPU.",
        k8s_job_executor,
    )
