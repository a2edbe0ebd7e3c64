"""Paths and settings from the environment, with defaults for the bundled sample.

Relative defaults resolve against the working directory (the repository root for the
Makefile, `dhf` and `dagster dev`), so the UI, the CLI and the tests agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULTS: dict[str, str] = {
    "DHF_ARCHIVE_DIR": "data/sample_archive",
    "DHF_OUTPUT_DIR": "data/output",
    "DHF_DUCKDB_PATH": "data/dhf.duckdb",
    "DAGSTER_HOME": ".dagster_home",
    # Murals of 42 MP are normal (8447x4946); refuse anything above this many pixels.
    "DHF_MAX_MURAL_PIXELS": "250000000",
    "DHF_PNG_COMPRESS_LEVEL": "1",
    "DHF_DEVICE": "cpu",
    "DHF_DETECTORS": "mtcnn,retinaface",
    "DHF_RETINAFACE_BACKBONE": "resnet50",
    "DHF_RETINAFACE_WEIGHTS": "",
    # Crops per detector forward. On CPU 1 is fastest (RetinaFace pads a batch to its largest crop:
    # 91 crops/s at 1, 36 at 8, bench/detect.py); on a GPU use 16 or more.
    "DHF_DETECT_BATCH": "1",
    "DHF_CANDIDATE_THRESHOLD": "0.9",
    "DHF_CANDIDATE_RULE": "any",
    # "off" or a minimum best score: undecided candidates at or above it join 3k as reviewer "auto".
    "DHF_AUTO_ACCEPT": "off",
    # The paper's method; machines without a GPU or weights set "lanczos" (the sample does) or
    # "realesrgan" with DHF_SR_MODEL (a small learned x4 model that runs on a CPU).
    "DHF_UPSCALER": "sd_x4",
    "DHF_SD_UPSCALER_PATH": "",
    "DHF_SD_STEPS": "75",
    "DHF_SD_GUIDANCE": "9.0",
    "DHF_SD_NOISE_LEVEL": "20",
    "DHF_SD_SEED": "0",
    "DHF_SD_PROMPT": "A high-quality detailed image",
    "DHF_UPSCALE_BATCH": "4",
    # The `realesrgan` backend: a local x4 model file spandrel can load; tile side and overlap in
    # source pixels (the tiers feed at most 512x512, so 512 runs them whole; 0 never tiles).
    "DHF_SR_MODEL": "",
    "DHF_SR_TILE": "512",
    "DHF_SR_TILE_OVERLAP": "32",
    # backend_quality: "auto" (lanczos plus each learned backend whose weights are configured) or a
    # comma list; at most this many 3k faces per cave ("all", or a number: the first by face_id).
    "DHF_COMPARE_BACKENDS": "auto",
    "DHF_COMPARE_SAMPLE": "all",
    # "auto": CUDA when torch sees a GPU, else CPU (the upscaler's own, apart from DHF_DEVICE).
    "DHF_UPSCALE_DEVICE": "auto",
    "DHF_SCHEDULE_CRON": "0 2 * * *",
    # The job that archive_sensor and incremental_caves_schedule launch: cave_job, cave_job_celery, cave_job_k8s.
    "DHF_CAVE_JOB": "cave_job",
    # "running": archive_sensor, global_refresh_sensor and the schedule start on; "stopped": off until started.
    "DHF_AUTOMATION_DEFAULT": "running",
    # The sensor waits until a cave's review file has been quiet this long before rebuilding it.
    "DHF_REVIEW_QUIET_S": "180",
    # Faces per page of the workbench's grid.
    "DHF_REVIEW_PAGE_SIZE": "60",
    # Where `dhf review serve` is reached: review_queue links each cave's page there in the UI.
    "DHF_REVIEW_URL": "http://127.0.0.1:8765",
    # Largest Hamming distance (of 64 bits) between two crops' perceptual hashes that makes them near-duplicates.
    "DHF_NEAR_DUPLICATE_DISTANCE": "6",
    # A step waiting for a concurrency pool slot (gpu, duckdb) says who holds it every this many
    # seconds, and fails after the bound: long enough to wait behind two caves upscaling with SD on a
    # GPU, short enough that a slot held by a stuck run cannot stall builds silently for a day.
    "DHF_POOL_WAIT_LOG_S": "30",
    "DHF_POOL_WAIT_TIMEOUT_S": "7200",
    # face_proposals: which murals are searched ("unannotated": those without an XML; "all": every
    # readable scan, to find missed faces), by which detectors ("auto": YuNet when DHF_YUNET_MODEL is
    # set, else MTCNN; or a list of mtcnn, yunet), down to which face size (scan pixels), and the box
    # style ("head": the annotators' box around the head; "tight": the detectors' own).
    "DHF_PROPOSALS_SCOPE": "unannotated",
    "DHF_PROPOSAL_DETECTORS": "auto",
    "DHF_YUNET_MODEL": "",
    "DHF_PROPOSAL_MIN_FACE_PX": "40",
    "DHF_PROPOSAL_BOX_STYLE": "head",
}


PATH_SETTINGS = ("DHF_ARCHIVE_DIR", "DHF_OUTPUT_DIR", "DHF_DUCKDB_PATH", "DAGSTER_HOME")


def setting(name: str) -> str:
    """The value of an environment setting, or its default."""
    value = os.environ.get(name, "").strip()
    return value or DEFAULTS[name]


def path_or_empty(name: str) -> str:
    """An absolute path for a set path variable, or "" when it is unset."""
    value = setting(name)
    return str(Path(value).expanduser().resolve()) if value else ""


def path_setting(name: str) -> Path:
    """An absolute path from an environment setting, or its default."""
    return Path(setting(name)).expanduser().resolve()


def apply_defaults() -> None:
    """Export every setting (paths made absolute) so that `dg.EnvVar` resolves it in any process."""
    for name in DEFAULTS:
        os.environ[name] = str(path_setting(name)) if name in PATH_SETTINGS else setting(name)


@dataclass(frozen=True)
class Paths:
    archive: Path
    output: Path
    duckdb: Path
    dagster_home: Path

    @classmethod
    def from_env(cls) -> "Paths":
        return cls(
            archive=path_setting("DHF_ARCHIVE_DIR"),
            output=path_setting("DHF_OUTPUT_DIR"),
            duckdb=path_setting("DHF_DUCKDB_PATH"),
            dagster_home=path_setting("DAGSTER_HOME"),
        )

    def as_lines(self) -> list[str]:
        return [
            f"archive={self.archive}",
            f"output={self.output}",
            f"duckdb={self.duckdb}",
            f"dagster_home={self.dagster_home}",
        ]
