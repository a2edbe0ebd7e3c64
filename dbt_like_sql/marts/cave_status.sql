-- Where each cave of the catalog stands: murals, faces, candidates, subsets, quarantined items and whether its inputs changed since its last build.
with mural_counts as (
    select cave_id, count(*) as murals from stg_murals group by all
),

face_counts as (
    select cave_id, count(*) as faces from stg_faces group by all
),

candidate_counts as (
    select cave_id, count(*) as candidates from stg_face_candidates where is_candidate group by all
),

accepted_counts as (
    select cave_id, count(*) as accepted from stg_subset_3k group by all
),

counts_500 as (
    select cave_id, count(*) as in_500 from stg_subset_500 group by all
),

quarantine_counts as (
    select cave_id, count(*) as quarantined from stg_quarantine where severity = 'error' group by all
),

latest_builds as (
    select
        cave_id,
        max(built_at) as last_build,
        arg_max(inputs_hash, built_at) as built_inputs_hash
    from stg_cave_builds
    group by all
),

latest_scans as (
    select
        cave_id,
        arg_max(inputs_hash, scanned_at) as current_inputs_hash
    from stg_archive_inputs
    group by all
),

final as (
    select
        stg_caves.cave_id,
        coalesce(mural_counts.murals, 0) as murals,
        coalesce(face_counts.faces, 0) as faces,
        coalesce(candidate_counts.candidates, 0) as candidates,
        coalesce(accepted_counts.accepted, 0) as accepted,
        coalesce(counts_500.in_500, 0) as in_500,
        coalesce(quarantine_counts.quarantined, 0) as quarantined,
        latest_builds.last_build,
        -- NULL when either side is unknown (never built, or not scanned yet).
        latest_scans.current_inputs_hash <> latest_builds.built_inputs_hash as inputs_changed
    from stg_caves
    left join mural_counts on mural_counts.cave_id = stg_caves.cave_id
    left join face_counts on face_counts.cave_id = stg_caves.cave_id
    left join candidate_counts on candidate_counts.cave_id = stg_caves.cave_id
    left join accepted_counts on accepted_counts.cave_id = stg_caves.cave_id
    left join counts_500 on counts_500.cave_id = stg_caves.cave_id
    left join quarantine_counts on quarantine_counts.cave_id = stg_caves.cave_id
    left join latest_builds on latest_builds.cave_id = stg_caves.cave_id
    left join latest_scans on latest_scans.cave_id = stg_caves.cave_id
)

select * from final
order by cave_id
