-- How many faces each subset (20k, 3k, 500) holds, over all caves and per cave.
with subsets as (
    select * from (values ('20k', 1), ('3k', 2), ('500', 3)) as s (subset, subset_order)
),

members as (
    select cave_id, '20k' as subset from stg_faces
    union all
    select cave_id, '3k' as subset from stg_subset_3k
    union all
    select cave_id, '500' as subset from stg_subset_500
),

cave_ids as (
    select cave_id from stg_caves
    union
    select cave_id from members
),

per_cave as (
    select
        'cave' as scope,
        cave_ids.cave_id,
        subsets.subset,
        subsets.subset_order,
        count(members.cave_id) as faces
    from cave_ids
    cross join subsets
    left join members
        on members.cave_id = cave_ids.cave_id
        and members.subset = subsets.subset
    group by all
),

overall as (
    select
        'all' as scope,
        null::varchar as cave_id,
        subsets.subset,
        subsets.subset_order,
        count(members.subset) as faces
    from subsets
    left join members on members.subset = subsets.subset
    group by all
),

final as (
    select * from overall
    union all
    select * from per_cave
)

select scope, cave_id, subset, faces
from final
order by scope = 'cave', cave_id, subset_order
