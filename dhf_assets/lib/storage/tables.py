"""DDL of the tables the Python assets write. Each asset's table has the asset's name."""

from __future__ import annotations

TABLES: dict[str, str] = {
    "vocabulary": """
        create table if not exists vocabulary (
            attribute varchar not null, code varchar not null, name varchar not null
        )""",
    "caves": """
        create table if not exists caves (
            cave_id varchar not null, site varchar not null, period varchar not null,
            cave_style varchar not null
        )""",
    "murals": """
        create table if not exists murals (
            cave_id varchar not null, mural_id varchar not null, path varchar not null,
            voc_path varchar, sha256 varchar not null, voc_sha256 varchar,
            width integer not null, height integer not null, format varchar not null,
            exif_orientation integer not null, period varchar not null, period_source varchar not null
        )""",
    "faces": """
        create table if not exists faces (
            face_id varchar not null, cave_id varchar not null, mural_id varchar not null,
            object_index integer not null, xmin integer not null, ymin integer not null,
            xmax integer not null, ymax integer not null, width integer not null,
            height integer not null, identity varchar, orientation varchar not null,
            crop_path varchar not null, sha256 varchar not null
        )""",
    "quarantine": """
        create table if not exists quarantine (
            cave_id varchar not null, stage varchar not null, file varchar not null,
            item varchar not null, reason varchar not null, severity varchar not null
        )""",
    "face_candidates": """
        create table if not exists face_candidates (
            face_id varchar not null, cave_id varchar not null, status varchar not null,
            reason varchar, best_score double, best_detector varchar, threshold double not null,
            rule varchar not null, detectors varchar not null
        )""",
    "face_detections": """
        create table if not exists face_detections (
            face_id varchar not null, cave_id varchar not null, detector varchar not null,
            weights_id varchar, n_faces integer, score double, box double[], landmarks double[]
        )""",
    "review_history": """
        create table if not exists review_history (
            face_id varchar not null, cave_id varchar not null, decision varchar not null,
            subset varchar, tags varchar[], reviewer varchar not null,
            reviewed_at timestamptz not null, source_row integer, source_sha256 varchar,
            recorded_at timestamptz not null, identity varchar, orientation varchar
        )""",
    # The labels in force: the VOC's unless a reviewer's correction overrides it (source says which).
    "face_labels": """
        create table if not exists face_labels (
            face_id varchar not null, cave_id varchar not null, identity varchar, orientation varchar not null,
            identity_source varchar not null, orientation_source varchar not null,
            voc_identity varchar, voc_orientation varchar not null
        )""",
    "face_reviews": """
        create table if not exists face_reviews (
            face_id varchar not null, cave_id varchar not null, decision varchar not null,
            subset varchar, tags varchar[], reviewer varchar not null, reviewed_at timestamptz,
            crop_status varchar not null, override boolean not null
        )""",
    "review_queue": """
        create table if not exists review_queue (
            face_id varchar not null, cave_id varchar not null, rank integer not null,
            best_score double, best_detector varchar
        )""",
    "subset_3k": """
        create table if not exists subset_3k (
            face_id varchar not null, cave_id varchar not null, reviewer varchar not null
        )""",
    "subset_500": """
        create table if not exists subset_500 (
            face_id varchar not null, cave_id varchar not null, tags varchar[] not null,
            reviewer varchar not null
        )""",
    "upscaled_faces": """
        create table if not exists upscaled_faces (
            face_id varchar not null, cave_id varchar not null, tier varchar not null,
            source_width integer not null, source_height integer not null, square_method varchar not null,
            padding integer[] not null, content_box double[] not null, backend varchar not null,
            model_id varchar, device varchar, dtype varchar, steps integer, guidance double,
            noise_level integer, seed bigint, stage_seeds bigint[], prompt varchar,
            seconds double not null, image_path varchar not null, sha256 varchar not null,
            architecture varchar, model_file varchar, model_sha256 varchar, tile_size integer, tile_overlap integer
        )""",
    "face_quality": """
        create table if not exists face_quality (
            face_id varchar not null, cave_id varchar not null, band varchar not null,
            psnr double, ssim double, lpips double,
            esi_low double, esi_high double, snr_low double, snr_high double, ed_low double, ed_high double,
            entropy_low double, entropy_high double, hfc_low double, hfc_high double,
            null_reasons varchar
        )""",
    # Tables 2 and 3 per backend: each configured backend's metrics per 3k face (or a sample of them).
    "backend_quality": """
        create table if not exists backend_quality (
            face_id varchar not null, cave_id varchar not null, backend varchar not null,
            model_id varchar, model_sha256 varchar, tier varchar not null, band varchar not null,
            reused boolean not null,
            psnr double, ssim double, lpips double,
            esi_low double, esi_high double, snr_low double, snr_high double, ed_low double, ed_high double,
            entropy_low double, entropy_high double, hfc_low double, hfc_high double,
            null_reasons varchar
        )""",
    # Face boxes proposed on whole murals (lib/proposals/): same 0-based half-open pixels as `faces`;
    # status `open` (no annotated box overlaps it) or `annotated` (IoU >= 0.5 with one; reason names it).
    "face_proposals": """
        create table if not exists face_proposals (
            proposal_id varchar not null, cave_id varchar not null, mural_id varchar not null,
            xmin integer not null, ymin integer not null, xmax integer not null, ymax integer not null,
            score double not null, detectors varchar not null, status varchar not null, reason varchar
        )""",
    "symmetry_pairs": """
        create table if not exists symmetry_pairs (
            cave_id varchar not null, mural_id varchar not null, axis_x double not null,
            left_face_id varchar not null, right_face_id varchar not null,
            h_err double not null, v_err double not null, area_err double not null
        )""",
    # What each cave's inputs were when it was last built, and what they are in the archive now.
    "cave_builds": """
        create table if not exists cave_builds (
            cave_id varchar not null, inputs_hash varchar not null, built_at timestamptz not null
        )""",
    "archive_inputs": """
        create table if not exists archive_inputs (
            cave_id varchar not null, inputs_hash varchar not null, scanned_at timestamptz not null
        )""",
    # The inputs each per-cave asset was last computed from: a re-run with the same fingerprint skips.
    "asset_fingerprints": """
        create table if not exists asset_fingerprints (
            cave_id varchar not null, asset varchar not null, fingerprint varchar not null,
            built_at timestamptz not null
        )""",
    # Per face, what its row of a per-face stage was computed from (lib/storage/incremental.py): unchanged faces
    # are reused.
    "face_stage_inputs": """
        create table if not exists face_stage_inputs (
            cave_id varchar not null, asset varchar not null, face_id varchar not null, inputs varchar not null
        )""",
    # Perceptual hash of each crop (cached by crop sha256) and the near-duplicate groups they form.
    "crop_phashes": """
        create table if not exists crop_phashes (
            face_id varchar not null, cave_id varchar not null, crop_sha256 varchar not null, phash varchar not null
        )""",
    "near_duplicates": """
        create table if not exists near_duplicates (
            group_id varchar not null, face_id varchar not null, cave_id varchar not null, distance integer not null
        )""",
}

# Columns added after a table was first released: an existing DuckDB file gains them (NULL in old rows).
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {
    "upscaled_faces": ("architecture varchar", "model_file varchar", "model_sha256 varchar", "tile_size integer",
                       "tile_overlap integer"),
    "review_history": ("identity varchar", "orientation varchar"),
}


def migrations() -> list[str]:
    """`alter table ... add column if not exists` for every added column."""
    return [f"alter table {table} add column if not exists {column}"
            for table, columns in ADDED_COLUMNS.items() for column in columns]
