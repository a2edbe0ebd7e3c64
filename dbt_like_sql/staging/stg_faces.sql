-- One row per cropped face (the 20k subset) with its box, centre, area, longer side in pixels and its labels in force.
with source as (
    select * from faces
),

labels as (
    select
        face_id,
        identity as label_identity,
        orientation as label_orientation,
        identity_source,
        orientation_source
    from face_labels
),

renamed as (
    select
        face_id,
        cave_id,
        mural_id,
        cave_id || '/' || mural_id as mural_key,
        object_index,
        xmin,
        ymin,
        xmax,
        ymax,
        width,
        height,
        greatest(width, height) as longer_side,
        (xmin + xmax) / 2.0 as centre_x,
        (ymin + ymax) / 2.0 as centre_y,
        (xmax - xmin)::bigint * (ymax - ymin) as area,
        coalesce(label_identity, identity) as identity,
        coalesce(label_orientation, orientation) as orientation,
        coalesce(identity_source, 'voc') as identity_source,
        coalesce(orientation_source, 'voc') as orientation_source,
        crop_path
    from source
    left join labels using (face_id)
)

select * from renamed
