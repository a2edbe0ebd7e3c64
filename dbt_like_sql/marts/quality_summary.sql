-- Mean fidelity (Table 2) and mean quality indicators before and after standardization (Table 3) per resolution band.
with bands as (
    select * from (values ('~512', 1), ('512~', 2)) as b (band, band_order)
),

measured as (
    -- means to 4 decimals, as the paper's Tables 2 and 3
    select
        band,
        count(*) as images,
        round(avg(psnr), 4) as psnr,
        round(avg(ssim), 4) as ssim,
        round(avg(lpips), 4) as lpips,
        round(avg(esi_low), 4) as esi_low,
        round(avg(esi_high), 4) as esi_high,
        round(avg(snr_low), 4) as snr_low,
        round(avg(snr_high), 4) as snr_high,
        round(avg(ed_low), 4) as ed_low,
        round(avg(ed_high), 4) as ed_high,
        round(avg(entropy_low), 4) as entropy_low,
        round(avg(entropy_high), 4) as entropy_high,
        round(avg(hfc_low), 4) as hfc_low,
        round(avg(hfc_high), 4) as hfc_high
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
