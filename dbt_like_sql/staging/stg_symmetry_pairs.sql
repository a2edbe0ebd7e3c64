-- Mirror-symmetric face pairs per mural with their horizontal, vertical and area errors.
with source as (
    select * from symmetry_pairs
),

renamed as (
    select
        cave_id,
        mural_id,
        cave_id || '/' || mural_id as mural_key,
        axis_x,
        left_face_id,
        right_face_id,
        h_err,
        v_err,
        area_err
    from source
)

select * from renamed
