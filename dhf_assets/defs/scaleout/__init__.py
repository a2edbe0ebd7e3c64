"""Scale-out: the per-cave pipeline on Celery workers or as Kubernetes step pods (see deploy/README.md)."""
