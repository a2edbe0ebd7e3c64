-- The paper's attribute codes with their full names, one row per attribute and code.
with source as (
    select * from vocabulary
),

renamed as (
    select
        attribute,
        code,
        name
    from source
)

select * from renamed
