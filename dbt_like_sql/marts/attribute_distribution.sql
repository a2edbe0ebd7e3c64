-- How the 3k and 500 subsets spread over period, cave style, site and identity (Figures 6 and 7), with full names.
with members as (
    select face_id, '3k' as subset from stg_subset_3k
    union all
    select face_id, '500' as subset from stg_subset_500
),

labelled as (
    select
        members.subset,
        members.face_id,
        stg_murals.period,
        stg_caves.cave_style,
        stg_caves.site,
        stg_faces.identity
    from members
    inner join stg_faces on stg_faces.face_id = members.face_id
    left join stg_murals on stg_murals.mural_key = stg_faces.mural_key
    left join stg_caves on stg_caves.cave_id = stg_faces.cave_id
),

attributes as (
    select * from (values ('period', 1), ('cave_style', 2), ('site', 3), ('identity', 4)) as a (attribute, attribute_order)
),

long as (
    select subset, 'period' as attribute, period as code from labelled
    union all
    select subset, 'cave_style' as attribute, cave_style as code from labelled
    union all
    select subset, 'site' as attribute, site as code from labelled
    union all
    select subset, 'identity' as attribute, identity as code from labelled
),

counted as (
    select subset, attribute, code, count(*) as faces
    from long
    group by all
),

-- Every code of the vocabulary appears, with 0 faces when none has it.
known_codes as (
    select subsets.subset, stg_vocabulary.attribute, stg_vocabulary.code
    from (values ('3k'), ('500')) as subsets (subset)
    cross join stg_vocabulary
    where stg_vocabulary.attribute in (select attribute from attributes)
),

codes as (
    select subset, attribute, code from known_codes
    union
    select subset, attribute, code from counted
),

totals as (
    select subset, count(*) as total
    from labelled
    group by all
),

final as (
    select
        codes.subset,
        codes.attribute,
        codes.code,
        coalesce(stg_vocabulary.name, case when codes.code is null then 'unlabelled' end) as name,
        coalesce(counted.faces, 0) as faces,
        coalesce(counted.faces, 0) / nullif(totals.total, 0) as share,
        attributes.attribute_order
    from codes
    inner join attributes on attributes.attribute = codes.attribute
    left join counted
        on counted.subset = codes.subset
        and counted.attribute = codes.attribute
        and counted.code is not distinct from codes.code
    left join stg_vocabulary
        on stg_vocabulary.attribute = codes.attribute
        and stg_vocabulary.code = codes.code
    left join totals on totals.subset = codes.subset
)

select subset, attribute, code, name, faces, share
from final
order by subset = '500', attribute_order, faces desc, code nulls last
