-- Faces accepted into the 3k subset, one row per face.
with source as (
    select * from subset_3k
),

renamed as (
    select
        face_id,
        cave_id,
        reviewer
    from source
)

select * from renamed
