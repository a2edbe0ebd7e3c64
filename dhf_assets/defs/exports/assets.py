"""Dataset exports under $DHF_OUTPUT_DIR/exports/: paper layout, imagefolder, COCO, versioned release.

Only caves whose per-cave checks passed on their latest materialization are exported; every other
cave is named with its reason in the metadata (and in the release's dataset card).
"""


import dagster as dg

from dhf_assets.defs.exports.gate import caves_left_out
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.exports.coco import coco_json
from dhf_assets.lib.exports.data import load_export_data
from dhf_assets.lib.exports.folders import staged_folder, write_text
from dhf_assets.lib.exports.imagefolder import write_imagefolder
from dhf_assets.lib.exports.paper_layout import write_paper_layout
from dhf_assets.lib.exports.release import build_release
from dhf_assets.lib.runtime.settings import current_settings

MARTS = ["subset_sizes", "attribute_distribution", "crop_resolution", "upscale_tiers", "quality_summary"]


class ImageFolderConfig(dg.Config):
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1
    subset: str = "3k"  # "3k" or "500"


class ReleaseConfig(dg.Config):
    version: str = ""  # empty: $DHF_RELEASE_VERSION, else <UTC date>-<content hash>
    train: float = 0.8  # split ratios of the release's imagefolder
    validation: float = 0.1
    test: float = 0.1


def export_scope(context: dg.AssetExecutionContext, store: DhfStore) -> tuple[list[str], dict[str, str]]:
    """(caves to export, caves left out with their reason), logged."""
    known = sorted({c for (c,) in store.query("select cave_id from caves union select cave_id from murals")})
    left_out = caves_left_out(context.instance, known)
    for cave_id, reason in left_out.items():
        context.log.warning(f"cave {cave_id} is not exported: {reason}")
    return [c for c in known if c not in left_out], left_out


def scope_metadata(caves: list[str], left_out: dict[str, str]) -> dict[str, object]:
    return {"caves": dg.MetadataValue.json(caves), "caves_left_out": dg.MetadataValue.json(left_out)}


@dg.asset(deps=["faces", "face_labels", "upscaled_faces", "subset_500"], group_name="exports", kinds={"python"})
def export_paper_layout(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """The paper's three subsets: 20k murals + crops + VOC XML, 3k 512x512 images + JSON, 500 images + JSON + TXT."""
    caves, left_out = export_scope(context, store)
    data = load_export_data(store.database, caves)
    target = store.output / "exports" / "paper_layout"
    with staged_folder(target) as folder:
        summary = write_paper_layout(data, store.archive, store.output, folder)
    return dg.MaterializeResult(metadata={
        **scope_metadata(caves, left_out), "murals": summary.murals, "crops": summary.crops,
        "images_3k": summary.images_3k, "images_500": summary.images_500,
        "unannotated_murals": summary.unannotated_murals, "missing_standardized": len(data.missing_images),
        "path": dg.MetadataValue.path(str(target)),
    })


@dg.asset(deps=["face_labels", "upscaled_faces", "subset_500"], group_name="exports", kinds={"python"})
def export_imagefolder(context: dg.AssetExecutionContext, config: ImageFolderConfig,
                       store: DhfStore) -> dg.MaterializeResult:
    """The standardized faces in train/validation/test folders, split by mural, for datasets' imagefolder loader."""
    caves, left_out = export_scope(context, store)
    data = load_export_data(store.database, caves)
    target = store.output / "exports" / "imagefolder"
    with staged_folder(target) as folder:
        summary = write_imagefolder(data, store.output, folder, (config.train, config.validation, config.test),
                                    config.subset)
    return dg.MaterializeResult(metadata={
        **scope_metadata(caves, left_out), "dagster/row_count": sum(summary.images.values()),
        "images": dg.MetadataValue.json(summary.images), "murals": dg.MetadataValue.json(summary.murals),
        "path": dg.MetadataValue.path(str(target)),
    })


@dg.asset(deps=["faces", "face_labels", "murals"], group_name="exports", kinds={"python"})
def export_coco(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """COCO detection JSON of the 20k boxes: murals as images, faces as annotations, identities as categories."""
    caves, left_out = export_scope(context, store)
    data = load_export_data(store.database, caves)
    target = store.output / "exports" / "coco"
    with staged_folder(target) as folder:
        write_text(folder / "instances_20k.json", coco_json(data))
    return dg.MaterializeResult(metadata={
        **scope_metadata(caves, left_out), "dagster/row_count": len(data.faces),
        "images": sum(1 for m in data.murals if m.annotated),
        "path": dg.MetadataValue.path(str(target / "instances_20k.json")),
    })


@dg.asset(deps=["export_paper_layout", "export_imagefolder", "export_coco", *MARTS], group_name="exports",
          kinds={"python"})
def dataset_release(context: dg.AssetExecutionContext, config: ReleaseConfig, store: DhfStore) -> dg.MaterializeResult:
    """A versioned release folder: the three subsets, COCO, the imagefolder, a dataset card and a sha256 manifest."""
    caves, left_out = export_scope(context, store)
    version = config.version or current_settings().release_version or None
    summary = build_release(store.database, store.archive, store.output, store.output / "exports" / "releases",
                            caves, left_out, version, (config.train, config.validation, config.test))
    card = (summary.folder / "README.md").read_text(encoding="utf-8")
    return dg.MaterializeResult(metadata={
        **scope_metadata(caves, left_out), "version": summary.version, "files": summary.files,
        "bytes": summary.bytes, "contents": dg.MetadataValue.json(summary.contents),
        "path": dg.MetadataValue.path(str(summary.folder)),
        "dataset_card": dg.MetadataValue.md(card[:60_000]),
    })
