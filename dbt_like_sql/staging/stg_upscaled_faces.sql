-- One row per standardized 512x512 image of a 3k face, with its tier, source size, backend and model provenance.
with source as (
    select * from upscaled_faces
),

renamed as (
    select
        face_id,
        cave_id,
        tier,
        source_width,
        source_height,
        greatest(source_width, source_height) as source_longer_side,
        square_method,
        backend,
        model_id,
        architecture,
        model_file,
        model_sha256,
        device,
        dtype,
        tile_size,
        tile_overlap,
        seconds,
        image_path
    from source
)

select * from renamed
