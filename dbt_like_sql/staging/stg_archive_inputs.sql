-- The hash of each cave's inputs as last scanned in the archive.
with source as (
    select * from archive_inputs
),

renamed as (
    select
        cave_id,
        inputs_hash,
        scanned_at
    from source
)

select * from renamed
