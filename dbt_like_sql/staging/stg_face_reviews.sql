-- The expert decision in force per face (latest wins), with its subset and tags.
with source as (
    select * from face_reviews
),

renamed as (
    select
        face_id,
        cave_id,
        decision,
        subset,
        tags,
        reviewer,
        reviewed_at,
        crop_status,
        override
    from source
)

select * from renamed
