-- One row per completed cave build with the hash of the inputs it was built from.
with source as (
    select * from cave_builds
),

renamed as (
    select
        cave_id,
        inputs_hash,
        built_at
    from source
)

select * from renamed
