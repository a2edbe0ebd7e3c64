-- Tables 2 and 3 backend against backend: mean fidelity and low/high indicators per backend, model and resolution band, over the same faces.
with bands as (
    select * from (values ('~512', 1), ('512~', 2)) as b (band, band_order)
),

models as (
    select distinct backend, model_id, model_sha256
    from stg_backend_quality
),

measured as (
    -- means to 4 decimals, as the paper's Tables 2 and 3; LPIPS stays NULL where its weights are absent
    select
        backend,
        model_id,
        model_sha256,
        band,
        count(*) as images,
        count(*) filter (where tier != 'downsample') as model_images,
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
    from stg_backend_quality
    group by all
),

final as (
    select
        models.backend,
        models.model_id,
        models.model_sha256,
        bands.band,
        coalesce(measured.images, 0) as images,
        coalesce(measured.model_images, 0) as model_images,
        measured.* exclude (backend, model_id, model_sha256, band, images, model_images),
        bands.band_order
    from models
    cross join bands
    left join measured
        on measured.backend = models.backend
        and measured.model_id is not distinct from models.model_id
        and measured.model_sha256 is not distinct from models.model_sha256
        and measured.band = bands.band
)

select * exclude (band_order)
from final
order by backend, model_id, band_order
