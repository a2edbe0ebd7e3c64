-- Fidelity (PSNR, SSIM, LPIPS) and Table 3 indicators per standardized face, with its band.
with source as (
    select * from face_quality
),

renamed as (
    select
        face_id,
        cave_id,
        band,
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
