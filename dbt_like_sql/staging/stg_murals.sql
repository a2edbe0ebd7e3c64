-- One row per usable mural scan with its size, period and a cave-qualified mural key.
with source as (
    select * from murals
),

renamed as (
    select
        cave_id || '/' || mural_id as mural_key,
        cave_id,
        mural_id,
        path,
        sha256,
        width,
        height,
        format,
        exif_orientation,
        period,
        period_source
    from source
)

select * from renamed
