"""Upscaling throughput per tier and backend, and sd_x4's cost against bare UNet + VAE calls.

Workload: `--per-tier` random crops per tier (two_stage 48x56, one_stage 300x280, downsample
700x650) through `standardize` with each backend (the pipeline loaded and the prompt encoded first).
Lower bound for sd_x4: for every pipeline call the run made (batch, side), the same number of UNet
forwards on the same shapes (doubled batch under guidance) plus one VAE decode with the same tiling,
on the same modules, with no tokenizing, scheduling, image conversion, padding or resizing.
ratio = sd_x4 seconds of the model tiers / lower bound, each call's pipeline and bare time the best
of `--repeats` interleaved runs (a shared host's noise exceeds the overhead measured). On a CPU the tiny
pipeline gives the ratio
and one full-size UNet step is timed as an absolute figure; `--device cuda --full` runs the real
architecture with random weights in float16 (20 and 75 steps, batches 1 and 8) with peak memory.

`--realesrgan MODEL`: the learned backend instead. Workload: `--per-tier` crops of each model tier
written as PNG files, through `standardize_cave` (what `upscaled_faces` runs: decode, pad, tiers,
model, Lanczos, PNG encode and sha256). Lower bound: the model's bare forward (`descriptor.model`)
on the same tensors, one call per batch the run made. ratio = (time outside the backend's calls in
the pass + each call's best of `--repeats`) / each bare forward's best, interleaved call by call.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from dhf_assets.lib.upscale import Crop, LanczosUpscaler, SdX4Upscaler, SpandrelX4Upscaler, Upscaler, standardize  # noqa: E402
from dhf_assets.lib.upscale.standardized import Source, standardize_cave  # noqa: E402

TIER_SIZES = {"two_stage": (48, 56), "one_stage": (300, 280), "downsample": (700, 650)}
MODEL_TIERS = ("two_stage", "one_stage")


class Recording:
    """Delegates to an upscaler and records each call's inputs and seconds, to replay it."""

    def __init__(self, inner: Upscaler) -> None:
        self.inner, self.backend, self.model_id = inner, inner.backend, inner.model_id
        self.calls: list[tuple[list[Image.Image], Sequence[str] | None, float]] = []

    def upscale_x4(self, images: list[Image.Image], keys: Sequence[str] | None = None) -> list[Image.Image]:
        started = time.perf_counter()
        result = self.inner.upscale_x4(images, keys)
        self.calls.append((images, keys, time.perf_counter() - started))
        return result

    def seed_for(self, key: str) -> int | None:
        return self.inner.seed_for(key)

    def settings(self) -> dict[str, Any]:
        return self.inner.settings()


def crops(tier: str, count: int) -> list[Crop]:
    width, height = TIER_SIZES[tier]
    rng = np.random.default_rng(len(tier))
    arrays = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(count)]
    return [Crop(f"{tier}-{i}", Image.fromarray(pixels)) for i, pixels in enumerate(arrays)]


def run_tiers(upscaler: Upscaler, tiers: Sequence[str], count: int, batch: int) -> dict[str, float]:
    seconds = {}
    for tier in tiers:
        started = time.perf_counter()
        standardize(crops(tier, count), upscaler, batch_size=batch)
        seconds[tier] = time.perf_counter() - started
    return seconds


def bare_seconds(upscaler: SdX4Upscaler, batch: int, side: int) -> float:
    """The lower bound for one pipeline call: UNet forwards and one VAE decode, nothing else."""
    pipe, device, dtype = upscaler.pipeline, upscaler.device, upscaler.dtype
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    negative, positive = upscaler.prompt_embeddings()
    embeds = positive.repeat(batch, 1, 1)
    if upscaler.guidance > 1.0:  # the pipeline runs the unconditional and the prompted rows in one UNet batch
        embeds = torch.cat([negative.repeat(batch, 1, 1), embeds])
    rows = embeds.shape[0]
    sample = torch.randn(rows, 7, side, side, device=device, dtype=dtype)
    labels = torch.full((rows,), upscaler.noise_level, device=device, dtype=torch.long)
    pipe.scheduler.set_timesteps(upscaler.steps, device=device)
    # The pipeline decodes in float32 when the VAE asks for it; cast outside the timed part.
    upcast = dtype == torch.float16 and pipe.vae.config.force_upcast
    vae_dtype = torch.float32 if upcast else dtype
    latents = torch.randn(batch, 4, side, side, device=device, dtype=vae_dtype)
    if upcast:
        pipe.vae.to(dtype=vae_dtype)
    with torch.inference_mode():
        sync()
        started = time.perf_counter()
        for step in pipe.scheduler.timesteps:
            pipe.unet(sample, step, encoder_hidden_states=embeds, class_labels=labels, return_dict=False)
        pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)
        sync()
        elapsed = time.perf_counter() - started
    if upcast:
        pipe.vae.to(dtype=dtype)
    return elapsed


def compare(
    upscaler: SdX4Upscaler, tiers: Sequence[str], count: int, batch: int, label: str, repeats: int
) -> tuple[float, float]:
    """(sd_x4 seconds, lower-bound seconds) for the model tiers."""
    upscaler.prompt_embeddings()  # load the pipeline and encode the prompt outside the timing
    if upscaler.device.type == "cuda":  # kernel selection per shape, with one cheap step
        warm = SdX4Upscaler(device=str(upscaler.device), steps=1, pipeline=upscaler.pipeline,
                            attention_slicing=upscaler.attention_slicing)
        run_tiers(warm, tiers, count, batch)
    recording = Recording(upscaler)
    seconds = run_tiers(recording, tiers, count, batch)
    total = sum(seconds[t] for t in tiers if t in MODEL_TIERS)
    for tier, elapsed in seconds.items():
        print(f"  sd_x4 {label} {tier:<10} {count / elapsed:8.3f} img/s  {elapsed / count:8.3f} s/img")
    piped = [call_seconds for _, _, call_seconds in recording.calls]
    outside = total - sum(piped)  # padding, Lanczos resizes, grouping: ours, not the pipeline's
    bare = [float("inf")] * len(piped)
    for repeat in range(repeats):  # interleaved, so a busy spell on the host hits both sides
        for index, (images, keys, _) in enumerate(recording.calls):
            bare[index] = min(bare[index], bare_seconds(upscaler, len(images), images[0].width))
            if repeat > 0:  # the standardize pass above was the pipeline's first run
                started = time.perf_counter()
                upscaler.upscale_x4(images, keys)
                piped[index] = min(piped[index], time.perf_counter() - started)
    shapes = [(len(images), images[0].width) for images, _, _ in recording.calls]
    print(f"  sd_x4 {label}: model tiers {total:.2f} s in one pass; best of {repeats}: pipeline calls "
          f"{sum(piped):.2f} s + outside them {outside:.2f} s, lower bound {sum(bare):.2f} s; "
          f"calls (batch, side) {shapes}")
    return sum(piped) + outside, sum(bare)


def full_step_cpu() -> None:
    from dhf_assets.lib.upscale.full_size import build_full_size_unet_vae

    unet, _ = build_full_size_unet_vae("cpu")
    sample, embeds = torch.randn(2, 7, 128, 128), torch.randn(2, 77, 1024)
    with torch.inference_mode():
        started = time.perf_counter()
        unet(sample, 500, encoder_hidden_states=embeds, class_labels=torch.tensor([20, 20]), return_dict=False)
        step = time.perf_counter() - started
    print(f"full-size UNet, one step, 128x128 latent (a 128->512 upscale), guided batch 2, float32 CPU, "
          f"{torch.get_num_threads()} thread(s): {step:.2f} s (75 steps: {75 * step / 60:.1f} min, before the VAE)")


def realesrgan(model: str, device: str, count: int, batch: int, repeats: int) -> tuple[float, float]:
    """(seconds through standardize_cave, seconds of the bare forwards), per call the best of `repeats`."""
    upscaler = SpandrelX4Upscaler(model, device=device)
    sync = torch.cuda.synchronize if upscaler.device.type == "cuda" else (lambda: None)
    recording = Recording(upscaler)
    print(f"realesrgan: {upscaler.model_id}, {upscaler.device} {upscaler.dtype}, tile {upscaler.tile}")
    with tempfile.TemporaryDirectory(prefix="dhf_bench_sr_") as folder:
        sources = []
        for tier in MODEL_TIERS:
            for crop in crops(tier, count):
                crop.image.save(Path(folder) / f"{crop.image_id}.png")
                sources.append(Source(crop.image_id, Path(folder) / f"{crop.image_id}.png"))
        upscaler.upscale_x4([crops("two_stage", 1)[0].image])  # first-call allocations outside the timing
        sync()
        started = time.perf_counter()
        for _rows in standardize_cave("BENCH", sources, recording, Path(folder) / "out", batch):
            pass
        sync()
        one_pass = time.perf_counter() - started
        outside = one_pass - sum(seconds for _, _, seconds in recording.calls)  # decode, pad, Lanczos, PNG
        called, bare = [], []
        for images, keys, first in recording.calls:  # per call, interleaved: host noise hits both sides
            tensor = upscaler.to_tensor(images)
            times_call, times_bare = [first], []
            for _ in range(repeats):
                with torch.inference_mode():
                    sync()
                    started = time.perf_counter()
                    upscaler.descriptor.model(tensor)
                    sync()
                    times_bare.append(time.perf_counter() - started)
                started = time.perf_counter()
                upscaler.upscale_x4(images, keys)
                sync()
                times_call.append(time.perf_counter() - started)
            called.append(min(times_call))
            bare.append(min(times_bare))
        through = sum(called) + outside
        bare_total = sum(bare)
    images = len(sources)
    shapes = [(len(images_), images_[0].width) for images_, _, _ in recording.calls]
    print(f"  realesrgan one pass through standardize_cave {one_pass:.2f} s; best per call: {images / through:.3f} "
          "img/s "
          f"({through:.2f} s for {images} crops); bare forwards {images / bare_total:.3f} img/s ({bare_total:.2f} s); "
          f"outside the backend's calls (decode, pad, Lanczos, PNG) {outside:.2f} s; calls (batch, side) {shapes}")
    return through, bare_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--full", action="store_true", help="real architecture, random weights")
    parser.add_argument("--per-tier", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=4, help="tiny pipeline's steps")
    parser.add_argument("--no-slicing", action="store_true", help="disable attention slicing")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs per call")
    parser.add_argument("--skip-full-step", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads; one is steady on a shared host")
    parser.add_argument("--realesrgan", metavar="MODEL", help="bench the realesrgan backend with this model file")
    args = parser.parse_args()
    if args.device == "cpu" and args.threads > 0:
        torch.set_num_threads(args.threads)  # two threads on a busy 2-core host stall each other
    if args.realesrgan:
        print(f"workload: {args.per_tier} crops per model tier {[TIER_SIZES[t] for t in MODEL_TIERS]}, "
              f"batch {args.batch_size}, device {args.device}")
        print("lower bound: the model's bare forward on the same tensors, one call per batch of the run")
        through, bare = realesrgan(args.realesrgan, args.device, args.per_tier, args.batch_size, args.repeats)
        print(f"realesrgan {through:.2f} s against the bare forward lower bound {bare:.2f} s")
        print(f"ratio={through / bare:.3f} goal=1.15")
        return
    tiers = list(TIER_SIZES)
    print(f"workload: {args.per_tier} crops per tier {TIER_SIZES}, batch {args.batch_size}, device {args.device}")
    print("lower bound: the same UNet forwards and one VAE decode per pipeline call, same shapes and modules")
    for tier, elapsed in run_tiers(LanczosUpscaler(), tiers, args.per_tier, args.batch_size).items():
        print(f"  lanczos {tier:<10} {args.per_tier / elapsed:8.1f} img/s")
    slicing, totals = not args.no_slicing, [0.0, 0.0]
    if args.full:
        from dhf_assets.lib.upscale.full_size import build_full_size_pipeline

        dtype = torch.float16 if args.device == "cuda" else torch.float32
        pipe = build_full_size_pipeline(args.device, dtype)
        for steps in (20, 75):
            for batch in (1, 8):
                upscaler = SdX4Upscaler(device=args.device, steps=steps, pipeline=pipe, attention_slicing=slicing)
                if args.device == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                label = f"full steps={steps} batch={batch}"
                pipeline_s, bare_s = compare(upscaler, ["one_stage"], batch, batch, label, args.repeats)
                peak = torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else float("nan")
                print(f"    ratio {pipeline_s / bare_s:.3f}, peak GPU memory {peak:.1f} GiB")
                totals = [totals[0] + pipeline_s, totals[1] + bare_s]
    else:
        from dhf_assets.lib.upscale.tiny import save_tiny_pipeline

        with tempfile.TemporaryDirectory(prefix="dhf_tiny_x4_") as folder:
            weights = save_tiny_pipeline(Path(folder) / "tiny")
            upscaler = SdX4Upscaler(weights, device=args.device, steps=args.steps, attention_slicing=slicing)
            label = f"tiny steps={args.steps}"
            totals = list(compare(upscaler, tiers, args.per_tier, args.batch_size, label, args.repeats))
        if args.device == "cpu" and not args.skip_full_step:
            full_step_cpu()
    print(f"sd_x4 {totals[0]:.2f} s against the bare UNet + VAE lower bound {totals[1]:.2f} s")
    print(f"ratio={totals[0] / totals[1]:.3f} goal=1.15")


if __name__ == "__main__":
    main()
