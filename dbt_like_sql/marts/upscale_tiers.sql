-- How many crops fall in each upscaling tier by their longer side, in the 20k and 3k subsets, and how many were upscaled.
with tiers as (
    select * from (values ('two_stage', 1), ('one_stage', 2), ('downsample', 3)) as t (tier, tier_order)
),

crops as (
    select
        stg_faces.face_id,
        case
            when stg_faces.longer_side < 256 then 'two_stage'
            when stg_faces.longer_side <= 512 then 'one_stage'
            else 'downsample'
        end as tier,
        stg_subset_3k.face_id is not null as in_3k
    from stg_faces
    left join stg_subset_3k on stg_subset_3k.face_id = stg_faces.face_id
),

crop_counts as (
    select
        tier,
        count(*) as crops_20k,
        count(*) filter (where in_3k) as crops_3k
    from crops
    group by all
),

upscaled_counts as (
    select tier, count(*) as upscaled
    from stg_upscaled_faces
    group by all
),

final as (
    select
        tiers.tier,
        coalesce(crop_counts.crops_20k, 0) as crops_20k,
        coalesce(crop_counts.crops_3k, 0) as crops_3k,
        coalesce(upscaled_counts.upscaled, 0) as upscaled,
        tiers.tier_order
    from tiers
    left join crop_counts on crop_counts.tier = tiers.tier
    left join upscaled_counts on upscaled_counts.tier = tiers.tier
)

select tier, crops_20k, crops_3k, upscaled
from final
order by tier_order
