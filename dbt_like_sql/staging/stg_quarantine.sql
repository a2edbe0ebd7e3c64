-- Everything that could not be used (error), was corrected (warning) or is noted (info), with its reason.
with source as (
    select * from quarantine
),

renamed as (
    select
        cave_id,
        stage,
        file,
        item,
        reason,
        severity
    from source
)

select * from renamed
