"""Settings: one typed, frozen object read from the environment, with defaults for the bundled sample.

Relative paths resolve against the project folder, not the working directory: $DHF_PROJECT_DIR, else
the checkout dhf runs from (a source tree with workspace.yaml), else the working directory (an
installed wheel). So a run that the daemon launches from another folder, a Celery worker, the UI,
the CLI and the tests all resolve the same files. Nothing here writes `os.environ` at import.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

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
    # Torch intra-op threads while a stage scores or measures crops (`dhf build --jobs N` sets it per process).
    "DHF_TORCH_THREADS": "1",
    # symmetry_pairs: the paper's pairing tolerance in pixels.
    "DHF_SYMMETRY_TOLERANCE_PX": "200",
    # The dataset card: licence id ("" = the card's default note) and citation ("" = the paper).
    "DHF_LICENSE": "",
    "DHF_CITATION": "",
    # dataset_release: the release version ("" = derived from the content and the date).
    "DHF_RELEASE_VERSION": "",
    # cave_job_celery: the broker ("" = redis://127.0.0.1:6379/0) and the result backend ("" = the broker).
    "DHF_CELERY_BROKER": "",
    "DHF_CELERY_BACKEND": "",
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


PROJECT_DIR_ENV = "DHF_PROJECT_DIR"
PATH_SETTINGS = ("DHF_ARCHIVE_DIR", "DHF_OUTPUT_DIR", "DHF_DUCKDB_PATH", "DAGSTER_HOME")
# Model files and folders: "" (unset) or an absolute path.
OPTIONAL_PATH_SETTINGS = ("DHF_RETINAFACE_WEIGHTS", "DHF_SD_UPSCALER_PATH", "DHF_SR_MODEL", "DHF_YUNET_MODEL")


class SettingError(ValueError):
    """A DHF_* variable whose value cannot be used; the message names it and the expected form."""


@dataclass(frozen=True)
class Paths:
    archive: Path
    output: Path
    duckdb: Path
    dagster_home: Path

    @classmethod
    def from_env(cls) -> "Paths":
        return current_settings().paths

    def as_lines(self) -> list[str]:
        return [
            f"archive={self.archive}",
            f"output={self.output}",
            f"duckdb={self.duckdb}",
            f"dagster_home={self.dagster_home}",
        ]


@dataclass(frozen=True)
class Settings:
    """Every DHF_* setting, typed; field `x` is variable DHF_X (`dagster_home` is DAGSTER_HOME)."""

    archive_dir: Path
    output_dir: Path
    duckdb_path: Path
    dagster_home: Path
    max_mural_pixels: int
    png_compress_level: int
    device: str
    detectors: str
    retinaface_backbone: str
    retinaface_weights: str
    detect_batch: int
    candidate_threshold: float
    candidate_rule: str
    auto_accept: str
    upscaler: str
    sd_upscaler_path: str
    sd_steps: int
    sd_guidance: float
    sd_noise_level: int
    sd_seed: int
    sd_prompt: str
    upscale_batch: int
    sr_model: str
    sr_tile: int
    sr_tile_overlap: int
    compare_backends: str
    compare_sample: str
    upscale_device: str
    schedule_cron: str
    cave_job: str
    automation_default: str
    review_quiet_s: float
    review_page_size: int
    review_url: str
    near_duplicate_distance: int
    pool_wait_log_s: float
    pool_wait_timeout_s: float
    torch_threads: int
    symmetry_tolerance_px: float
    license: str
    citation: str
    release_version: str
    celery_broker: str
    celery_backend: str
    proposals_scope: str
    proposal_detectors: str
    yunet_model: str
    proposal_min_face_px: int
    proposal_box_style: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Parse the settings from `environ` (default: this process's environment); defaults fill the gaps."""
        env = os.environ if environ is None else environ
        base = project_dir(env)
        values = {}
        for field in dataclasses.fields(cls):
            name = variable(field.name)
            values[field.name] = _parse(name, env.get(name, "").strip() or DEFAULTS[name], field.type, base)
        return cls(**values)

    @property
    def paths(self) -> Paths:
        return Paths(self.archive_dir, self.output_dir, self.duckdb_path, self.dagster_home)

    def value(self, name: str) -> str:
        """The setting named by its variable (e.g. "DHF_SD_STEPS") as text, paths absolute."""
        return str(getattr(self, name.removeprefix("DHF_").lower()))

    def environment(self) -> dict[str, str]:
        """Every setting as a variable (paths absolute), for the environment of a child process."""
        return {variable(f.name): str(getattr(self, f.name)) for f in dataclasses.fields(self)}


def variable(field_name: str) -> str:
    return "DAGSTER_HOME" if field_name == "dagster_home" else f"DHF_{field_name.upper()}"


def project_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where relative paths resolve: $DHF_PROJECT_DIR, else the source checkout dhf runs from, else the cwd."""
    env = os.environ if environ is None else environ
    explicit = env.get(PROJECT_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    import dhf_assets

    checkout = Path(dhf_assets.__file__).resolve().parents[1]
    if (checkout / "workspace.yaml").is_file() and (checkout / "pyproject.toml").is_file():
        return checkout
    return Path.cwd()


def _parse(name: str, raw: str, kind: str, base: Path) -> object:
    if name in PATH_SETTINGS:
        return (base / Path(raw).expanduser()).resolve()
    if name in OPTIONAL_PATH_SETTINGS:
        return str((base / Path(raw).expanduser()).resolve()) if raw else ""
    try:
        return int(raw) if kind == "int" else float(raw) if kind == "float" else raw
    except ValueError:
        expected = "a whole number" if kind == "int" else "a number"
        raise SettingError(f"{name}={raw!r} is not {expected}") from None


def current_settings() -> Settings:
    """The settings of this process's environment, parsed once per distinct environment and folder."""
    names = (*DEFAULTS, PROJECT_DIR_ENV)
    return _parsed(tuple(os.environ.get(n) for n in names), os.getcwd())


@functools.lru_cache(maxsize=8)
def _parsed(values: tuple[str | None, ...], cwd: str) -> Settings:
    names = (*DEFAULTS, PROJECT_DIR_ENV)
    return Settings.from_env({n: v for n, v in zip(names, values) if v is not None})


def export_environment(settings: Settings | None = None) -> None:
    """Put every setting (paths absolute) into os.environ for child processes (run workers, `dhf build --jobs`).

    Called at run time by the entry points (`dhf`, the runner), never at import.
    """
    os.environ.update((settings or current_settings()).environment())
