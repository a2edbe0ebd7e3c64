-- How the crops' longer side is distributed in 64 px bins (Figure 3), over all faces and over the 3k subset.
with crops as (
    select
        stg_faces.face_id,
        stg_faces.longer_side,
        stg_subset_3k.face_id is not null as in_3k
    from stg_faces
    left join stg_subset_3k on stg_subset_3k.face_id = stg_faces.face_id
),

binned as (
    select
        (longer_side // 64) * 64 as bin_start,
        count(*) as crops,
        count(*) filter (where in_3k) as crops_3k
    from crops
    group by all
),

-- Empty bins between the smallest and the largest crop are kept so the histogram has no gaps.
bins as (
    select unnest(generate_series(min(bin_start), max(bin_start), 64)) as bin_start
    from binned
),

final as (
    select
        bins.bin_start,
        bins.bin_start + 64 as bin_end,
        coalesce(binned.crops, 0) as crops,
        coalesce(binned.crops_3k, 0) as crops_3k
    from bins
    left join binned on binned.bin_start = bins.bin_start
)

select * from final
order by bin_start
