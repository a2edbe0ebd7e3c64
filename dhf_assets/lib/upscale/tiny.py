"""A tiny, randomly initialised stable-diffusion-x4-upscaler pipeline built from configs, offline.

It has the real pipeline's classes and wiring (a UNet with 7 input channels, latents plus the noised
low-resolution image, and class embeddings for the noise level; a VAE with a x4 factor; a CLIP text
encoder and tokenizer; a DDPM low-res scheduler and a v-prediction DDIM scheduler), but channels of
32-64 so that tests and the bench's overhead ratio run on a CPU in seconds. Its pixels are noise.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

MAX_NOISE_LEVEL = 350
TOKENIZER_WORDS = ("a", "high", "quality", "detailed", "image", "face", "mural")

TINY_UNET: dict[str, Any] = {
    "sample_size": 32,
    "in_channels": 7,  # 4 latent channels + the 3 RGB channels of the low-resolution input
    "out_channels": 4,
    "layers_per_block": 1,
    "block_out_channels": (8, 16, 16),
    "norm_num_groups": 4,
    # Attention only at the coarsest level: CPU attention with 8-wide heads at 256x256 tokens
    # would dominate the tiny model's time, unlike the real model's on a GPU.
    "down_block_types": ("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
    "only_cross_attention": True,
    "attention_head_dim": 8,
    "cross_attention_dim": 32,
    "use_linear_projection": True,
    "num_class_embeds": 1000,  # the noise level is the class label, up to max_noise_level
}
TINY_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": (8, 8, 8),  # three levels: latents are 1/4 of the output side
    "down_block_types": ("DownEncoderBlock2D",) * 3,
    "up_block_types": ("UpDecoderBlock2D",) * 3,
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "latent_channels": 4,
    "mid_block_add_attention": False,  # same reason as the UNet's: keep CPU tests in seconds
    # Tiling splits at sample_size; the real model's 256 keeps the tiny one's tiles as coarse.
    "sample_size": 256,
    "scaling_factor": 0.08333,
}
TINY_TEXT: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "max_position_embeddings": 77,
    "hidden_act": "gelu",
    "projection_dim": 32,
}
# The schedulers carry no weights, so tests and the bench use the real model's settings.
SCHEDULER: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "beta_schedule": "scaled_linear",
}


def _bpe_files(folder: Path) -> None:
    """Write a byte-level BPE vocab (every byte, alone and word-final) and merges for a few words."""
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = sorted(ByteLevel.alphabet())
    tokens = alphabet + [symbol + "</w>" for symbol in alphabet]
    merges: list[str] = []
    for word in TOKENIZER_WORDS:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        joined = pieces[0]
        for piece in pieces[1:]:
            merges.append(f"{joined} {piece}")
            joined += piece
            if joined not in tokens:
                tokens.append(joined)
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")


def build_tokenizer() -> Any:
    """A CLIPTokenizer loaded from generated vocab and merges files (no download)."""
    ensure_torchvision()
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory(prefix="dhf_tokenizer_") as folder:
        _bpe_files(Path(folder))
        return CLIPTokenizer.from_pretrained(folder, model_max_length=77, local_files_only=True)


def build_text_encoder(tokenizer: Any, sizes: dict[str, Any]) -> Any:
    ensure_torchvision()
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        vocab_size=max(len(tokenizer), sizes.get("vocab_size", 0)),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **{key: value for key, value in sizes.items() if key != "vocab_size"},
    )
    return CLIPTextModel(config).eval()


def assemble_pipeline(unet: Any, vae: Any, text_encoder: Any, tokenizer: Any) -> Any:
    """A StableDiffusionUpscalePipeline from components, with the real model's schedulers."""
    ensure_torchvision()
    from diffusers import DDIMScheduler, DDPMScheduler, StableDiffusionUpscalePipeline

    scheduler = DDIMScheduler(
        **SCHEDULER, prediction_type="v_prediction", clip_sample=False, set_alpha_to_one=False, steps_offset=1
    )
    pipe = StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(**SCHEDULER),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        watermarker=None,
        max_noise_level=MAX_NOISE_LEVEL,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_pipeline(seed: int = 0) -> Any:
    """The tiny pipeline on the CPU in float32, with weights fixed by `seed`."""
    ensure_torchvision()
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel

    tokenizer = build_tokenizer()
    # Fork the global generator: building a test model must not change other code's random draws.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(**TINY_UNET).eval()
        vae = AutoencoderKL(**TINY_VAE).eval()
        text_encoder = build_text_encoder(tokenizer, TINY_TEXT)
    return assemble_pipeline(unet, vae, text_encoder, tokenizer)


def save_tiny_pipeline(folder: str | Path, seed: int = 0) -> Path:
    """Save the tiny pipeline in the real model's folder layout (model_index.json, unet/, ...)."""
    target = Path(folder)
    build_tiny_pipeline(seed).save_pretrained(target)
    return target
