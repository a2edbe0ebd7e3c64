import pytest

from dhf_assets.lib.ingest.voc import MAX_VOC_BYTES, VocError, parse_voc_bytes, render_voc
from dhf_assets_tests.archive_factory import BILLION_LAUGHS, voc_box

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<annotation><object><name>&xxe;</name></object></annotation>"""


def test_parses_objects_and_declared_size():
    text = render_voc("m.jpg", 640, 480, [voc_box(1, 2, 30, 40, "BS", "Left"), voc_box(5, 6, 7, 8, "face")])
    annotation = parse_voc_bytes(text.encode())
    assert annotation.size == (640, 480)
    assert [(o.index, o.name, o.pose, o.xmin, o.ymax) for o in annotation.objects] == [
        (1, "BS", "Left", "1", "40"), (2, "face", "Frontal", "5", "8"),
    ]


def test_filename_folder_and_path_are_never_returned():
    text = render_voc("../../etc/passwd", 10, 10, [], folder="/tmp").replace(
        "</annotation>", "<path>/root/secret.jpg</path></annotation>"
    )
    annotation = parse_voc_bytes(text.encode())
    assert not hasattr(annotation, "filename") and not hasattr(annotation, "path")


@pytest.mark.parametrize(
    "data, reason",
    [
        (BILLION_LAUGHS, "hostile XML refused"),
        (EXTERNAL_ENTITY, "hostile XML refused"),
        (b"<annotation><object>", "malformed XML"),
        (b"\x89PNG\r\n\x1a\n binary", "malformed XML"),
        (b"<svg></svg>", "not a Pascal VOC file"),
        (b"<a>" + b" " * (MAX_VOC_BYTES + 1) + b"</a>", "larger than"),
    ],
)
def test_bad_annotations_raise_a_plain_reason(data, reason):
    with pytest.raises(VocError, match=reason):
        parse_voc_bytes(data)


def test_missing_bndbox_gives_empty_coordinates():
    annotation = parse_voc_bytes(b"<annotation><object><name>B</name></object></annotation>")
    assert annotation.objects[0].xmin == "" and annotation.size is None
