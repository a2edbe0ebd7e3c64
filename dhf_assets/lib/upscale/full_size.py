"""The real stable-diffusion-x4-upscaler's architecture with random weights, for timing only.

The configs are those of stabilityai/stable-diffusion-x4-upscaler (unet/, vae/ and text_encoder/
config.json), written out so that the bench measures the real model's cost without its 3.5 GB of
weights. Random weights give the same FLOPs and memory; their pixels are meaningless.
"""

from __future__ import annotations

from typing import Any

from dhf_assets.lib.runtime.torch_compat import ensure_torchvision
from dhf_assets.lib.upscale.tiny import assemble_pipeline, build_text_encoder, build_tokenizer

FULL_UNET: dict[str, Any] = {
    "sample_size": 128,
    "in_channels": 7,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (256, 512, 512, 1024),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "only_cross_attention": (True, True, True, False),
    "attention_head_dim": 8,
    "cross_attention_dim": 1024,
    "use_linear_projection": True,
    "num_class_embeds": 1000,
    "act_fn": "silu",
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
}
FULL_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": (128, 256, 512),
    "down_block_types": ("DownEncoderBlock2D",) * 3,
    "up_block_types": ("UpDecoderBlock2D",) * 3,
    "layers_per_block": 2,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 256,
    "scaling_factor": 0.08333,
}
FULL_TEXT: dict[str, Any] = {  # OpenCLIP ViT-H/14's text tower, penultimate layer (23 of 24)
    "vocab_size": 49408,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 23,
    "num_attention_heads": 16,
    "max_position_embeddings": 77,
    "hidden_act": "gelu",
    "projection_dim": 512,
}


def build_full_size_unet_vae(device: str = "cpu", dtype: Any = None, seed: int = 0) -> tuple[Any, Any]:
    """(UNet, VAE) of the real model's sizes with random weights, in eval mode."""
    ensure_torchvision()
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel

    # Initialising 530 M parameters takes ~15 s on a CPU and well under one on a GPU: build in place.
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(**FULL_UNET).eval()
        vae = AutoencoderKL(**FULL_VAE).eval()
    if dtype is not None and dtype != torch.float32:
        unet, vae = unet.to(dtype=dtype), vae.to(dtype=dtype)
    return unet, vae


def build_full_size_pipeline(device: str = "cpu", dtype: Any = None, seed: int = 0) -> Any:
    """A StableDiffusionUpscalePipeline of the real model's sizes with random weights."""
    import torch

    tokenizer = build_tokenizer()  # a small vocabulary: only token ids, not the encoder's cost, differ
    unet, vae = build_full_size_unet_vae(device, dtype, seed)
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(seed + 1)
        text_encoder = build_text_encoder(tokenizer, FULL_TEXT)
    if dtype is not None:
        text_encoder = text_encoder.to(dtype=dtype)
    return assemble_pipeline(unet, vae, text_encoder, tokenizer)
