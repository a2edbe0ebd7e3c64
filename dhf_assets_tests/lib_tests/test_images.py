import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from dhf_assets.lib.ingest.images import ImageError, decode_rgb, encode_png, probe_image, write_png_atomic
from dhf_assets_tests.archive_factory import mural_image


def test_probe_reads_header_and_exif_orientation(tmp_path):
    path = tmp_path / "m.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    mural_image(64, 32, 0).save(path, exif=exif)
    info = probe_image(path, max_pixels=10_000)
    assert (info.width, info.height, info.format, info.exif_orientation) == (64, 32, "JPEG", 6)


def test_pixel_limit_refuses_a_decompression_bomb(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (3000, 3000)).save(path)
    with pytest.raises(ImageError, match="decompression bomb refused: 3000x3000"):
        probe_image(path, max_pixels=1_000_000)
    with pytest.raises(ImageError, match="decompression bomb"):
        decode_rgb(path, max_pixels=1_000_000)


def test_truncated_and_non_images(tmp_path):
    good = tmp_path / "good.jpg"
    mural_image(400, 300, 1).save(good, quality=90)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(good.read_bytes()[:2000])
    assert probe_image(truncated, 10**7).width == 400  # the header is intact...
    with pytest.raises(ImageError, match="truncated"):
        decode_rgb(truncated, 10**7)  # ...the data is not
    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image at all")
    with pytest.raises(ImageError, match="not an image"):
        probe_image(fake, 10**7)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_decode_gives_rgb(tmp_path, mode):
    path = tmp_path / "m.png"
    Image.new(mode, (8, 4)).save(path)
    assert decode_rgb(path, 10**6).mode == "RGB"


def test_atomic_png_write_returns_sha_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a" / "b.png"
    digest = write_png_atomic(mural_image(20, 10, 2), target, compress_level=1)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    assert [p.name for p in target.parent.iterdir()] == ["b.png"]


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "I;16", "1"])
@pytest.mark.parametrize("level", [0, 1, 9])
def test_png_encoding_is_lossless_in_every_mode(mode, level):
    image = mural_image(37, 23, 3).convert("RGBA" if mode == "LA" else mode)
    image = image.convert("LA") if mode == "LA" else image
    with Image.open(io.BytesIO(encode_png(image, level))) as back:
        back.load()
        assert back.mode == image.mode
        assert back.tobytes() == image.tobytes()


def test_rgb_png_rows_use_the_sub_filter():
    """The fast path's filter (lib/ingest/images.encode_png): every row of an RGB crop is Sub-filtered."""
    data = encode_png(mural_image(50, 20, 4), 1)
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        if data[position + 4 : position + 8] == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    assert {raw[row * (50 * 3 + 1)] for row in range(20)} == {1}
