-- Detector verdict per face: candidate or dropped, with the best score and the reason.
with source as (
    select * from face_candidates
),

renamed as (
    select
        face_id,
        cave_id,
        status,
        status = 'candidate' as is_candidate,
        reason,
        best_score,
        best_detector,
        threshold,
        rule,
        detectors
    from source
)

select * from renamed
