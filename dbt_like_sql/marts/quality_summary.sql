-- Mean fidelity (Table 2) and mean quality indicators before and after standardization (Table 3) per resolution band.
with bands as (
    select * from (values ('~512', 1), ('512~', 2)) as b (band, band_order)
),

measured as (
    select
        band,
        count(*) as images,
        avg(psnr) as psnr,
        avg(ssim) as ssim,
        avg(lpips) as lpips,
        avg(esi_low) as esi_low,
        avg(esi_high) as esi_high,
        avg(snr_low) as snr_low,
        avg(snr_high) as snr_high,
        avg(ed_low) as ed_low,
        avg(ed_high) as ed_high,
        avg(entropy_low) as entropy_low,
        avg(entropy_high) as entropy_high,
        avg(hfc_low) as hfc_low,
        avg(hfc_high) as hfc_high
    from stg_face_quality
    group by all
),

final as (
    select
        bands.band,
        coalesce(measured.images, 0) as images,
        measured.* exclude (band, images),
        bands.band_order
    from bands
    left join measured on measured.band = bands.band
)

select * exclude (band_order)
from final
order by band_order
