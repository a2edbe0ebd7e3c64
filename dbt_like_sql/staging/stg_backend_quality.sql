-- Fidelity and Table 3 indicators per 3k face and compared backend (backend_quality), with the model that made the image.
with source as (
    select * from backend_quality
),

renamed as (
    select
        face_id,
        cave_id,
        backend,
        model_id,
        model_sha256,
        tier,
        band,
        reused,
        psnr,
        ssim,
        lpips,
        esi_low,
        esi_high,
        snr_low,
        snr_high,
        ed_low,
        ed_high,
        entropy_low,
        entropy_high,
        hfc_low,
        hfc_high,
        null_reasons
    from source
)

select * from renamed
