-- Symmetry of each mural with faces (section 4.1): its axis, mirror pairs and mean and maximum H, V and area errors.
with murals_with_faces as (
    select
        cave_id,
        mural_id,
        mural_key,
        avg(centre_x) as axis_x
    from stg_faces
    group by all
),

pair_errors as (
    select
        mural_key,
        count(*) as pairs,
        avg(h_err) as h_err_mean,
        max(h_err) as h_err_max,
        avg(v_err) as v_err_mean,
        max(v_err) as v_err_max,
        avg(area_err) as area_err_mean,
        max(area_err) as area_err_max
    from stg_symmetry_pairs
    group by all
),

final as (
    -- errors in pixels (area: square pixels), rounded to 2 decimals as the paper reports them
    select
        murals_with_faces.cave_id,
        murals_with_faces.mural_id,
        round(murals_with_faces.axis_x, 2) as axis_x,
        coalesce(pair_errors.pairs, 0) as pairs,
        round(pair_errors.h_err_mean, 2) as h_err_mean,
        round(pair_errors.h_err_max, 2) as h_err_max,
        round(pair_errors.v_err_mean, 2) as v_err_mean,
        round(pair_errors.v_err_max, 2) as v_err_max,
        round(pair_errors.area_err_mean, 2) as area_err_mean,
        round(pair_errors.area_err_max, 2) as area_err_max
    from murals_with_faces
    left join pair_errors on pair_errors.mural_key = murals_with_faces.mural_key
)

select * from final
order by cave_id, mural_id
