-- The cave catalog: one row per cave with its site, period and cave style codes.
with source as (
    select * from caves
),

renamed as (
    select
        cave_id,
        site,
        period,
        cave_style
    from source
)

select * from renamed
