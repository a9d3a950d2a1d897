"""Page images are decoded once, by OpenCV where it gives Pillow's pixels faster: the same pixels,
the same resolution, no EXIF turn applied, and damaged files still fail with our message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.errors import CorruptFile
from pipeline.samples import make_scan
from pipeline.stages import ingest
from pipeline.stages.ingest import InputKind, load_page


@pytest.fixture(scope="module")
def scan() -> Image.Image:
    return make_scan(9002, doc_type="to_khai", colour=True, dpi=150).image.convert("RGB")


def pillow_pixels(path: Path) -> np.ndarray:
    """What the loader gave before OpenCV: Pillow's decoding, converted as `_to_array` does."""
    with Image.open(path) as image:
        image.load()
        return ingest._to_array(image)


@pytest.mark.parametrize(
    "name, mode, options",
    [
        ("colour.png", "RGB", {}),
        ("grey.png", "L", {}),
        ("colour.jpg", "RGB", {"quality": 85}),
        ("colour-444.jpg", "RGB", {"quality": 90, "subsampling": 0}),
        ("progressive.jpg", "RGB", {"quality": 80, "progressive": True}),
        ("grey.jpg", "L", {"quality": 85}),
        ("palette.png", "P", {}),
        ("alpha.png", "RGBA", {}),
    ],
)
def test_a_page_decodes_to_the_pixels_pillow_gives(tmp_path, scan, name, mode, options):
    """GIVEN a scanned page saved as PNG or JPEG, grey, colour, with a palette or an alpha channel
    WHEN it is loaded
    THEN its pixels are exactly Pillow's, and its resolution is the one recorded in the file"""
    path = tmp_path / name
    image = scan.convert(mode) if mode != "P" else scan.convert("P", palette=Image.ADAPTIVE)
    image.save(path, dpi=(150, 150), **options)

    loaded = load_page(path, InputKind.IMAGE, 0, max_image_pixels=200_000_000)

    assert np.array_equal(loaded.pixels, pillow_pixels(path))
    assert loaded.dpi == pytest.approx(150, abs=0.05)  # PNG records pixels per metre


def test_an_exif_turn_is_not_applied(tmp_path, scan):
    """GIVEN a JPEG whose EXIF says "rotate 90°" (orientation 6)
    WHEN it is loaded
    THEN the pixels are as stored, not turned (orientation is preprocessing's decision, by content)"""
    path = tmp_path / "exif.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    scan.save(path, quality=85, exif=exif, dpi=(150, 150))

    loaded = load_page(path, InputKind.IMAGE, 0, max_image_pixels=200_000_000)

    assert loaded.pixels.shape[:2] == (scan.height, scan.width)
    assert np.array_equal(loaded.pixels, pillow_pixels(path))


def test_a_truncated_png_still_fails_as_damaged(tmp_path, scan):
    """GIVEN a PNG cut off half way through its pixel data
    WHEN it is loaded
    THEN CorruptFile says the image is damaged"""
    whole = tmp_path / "whole.png"
    scan.save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    with pytest.raises(CorruptFile, match="damaged image"):
        load_page(cut, InputKind.IMAGE, 0, max_image_pixels=200_000_000)
