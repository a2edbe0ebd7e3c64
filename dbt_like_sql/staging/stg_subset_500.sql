-- Faces accepted into the 500 subset with their tags, one row per face.
with source as (
    select * from subset_500
),

renamed as (
    select
        face_id,
        cave_id,
        tags,
        len(tags) as n_tags,
        reviewer
    from source
)

select * from renamed
