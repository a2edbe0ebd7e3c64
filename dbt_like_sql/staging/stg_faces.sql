-- One row per cropped face (the 20k subset) with its box, centre, area and longer side in pixels.
with source as (
    select * from faces
),

renamed as (
    select
        face_id,
        cave_id,
        mural_id,
        cave_id || '/' || mural_id as mural_key,
        object_index,
        xmin,
        ymin,
        xmax,
        ymax,
        width,
        height,
        greatest(width, height) as longer_side,
        (xmin + xmax) / 2.0 as centre_x,
        (ymin + ymax) / 2.0 as centre_y,
        (xmax - xmin)::bigint * (ymax - ymin) as area,
        identity,
        orientation,
        crop_path
    from source
)

select * from renamed
