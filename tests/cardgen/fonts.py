"""The font families cards are printed in, each tied to the Debian package that ships it.

A missing font is an error that names the package (scripts/install.sh installs them all):
a silent fallback would print a different card than the truth's `meta.font` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

FONT_ROOT = Path("/usr/share/fonts/truetype")


class FontMissing(RuntimeError):
    """A font file the generator needs is not installed."""


@dataclass(frozen=True)
class Family:
    name: str
    package: str
    regular: str  # path under FONT_ROOT
    bold: str
    light: str | None = None


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("DejaVu Sans", "fonts-dejavu-core", "dejavu/DejaVuSans.ttf",
               "dejavu/DejaVuSans-Bold.ttf"),
        Family("DejaVu Serif", "fonts-dejavu-core", "dejavu/DejaVuSerif.ttf",
               "dejavu/DejaVuSerif-Bold.ttf"),
        Family("Liberation Sans", "fonts-liberation2", "liberation2/LiberationSans-Regular.ttf",
               "liberation2/LiberationSans-Bold.ttf"),
        Family("Liberation Serif", "fonts-liberation2", "liberation2/LiberationSerif-Regular.ttf",
               "liberation2/LiberationSerif-Bold.ttf"),
        Family("Liberation Mono", "fonts-liberation2", "liberation2/LiberationMono-Regular.ttf",
               "liberation2/LiberationMono-Bold.ttf"),
        Family("Open Sans", "fonts-open-sans", "open-sans/OpenSans-Regular.ttf",
               "open-sans/OpenSans-Bold.ttf", light="open-sans/OpenSans-Light.ttf"),
        Family("Carlito", "fonts-crosextra-carlito", "crosextra/Carlito-Regular.ttf",
               "crosextra/Carlito-Bold.ttf"),
        Family("WenQuanYi Micro Hei", "fonts-wqy-microhei", "wqy/wqy-microhei.ttc",
               "wqy/wqy-microhei.ttc"),
    )
}  # fmt: skip

# Latin, Cyrillic and Vietnamese body text; CJK lines always go to CJK_FAMILY.
TEXT_FAMILIES = tuple(n for n in FAMILIES if n != "WenQuanYi Micro Hei")
CJK_FAMILY = "WenQuanYi Micro Hei"


def font_file(family: str, weight: str = "regular") -> Path:
    fam = FAMILIES[family]
    rel = {"regular": fam.regular, "bold": fam.bold, "light": fam.light or fam.regular}[weight]
    path = FONT_ROOT / rel
    if not path.is_file():
        raise FontMissing(
            f"font {family!r} ({path}) is not installed: "
            f"apt-get install {fam.package} (or run scripts/install.sh)"
        )
    return path


@cache
def load(family: str, weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(family, weight)), size)


def is_cjk(text: str) -> bool:
    return any(
        0x2E80 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF or 0xFF00 <= ord(c) <= 0xFFEF
        for c in text
    )


# Font files the simple renderer (tests/ocr_cluster/card_images.py) is asked for by name.
PACKAGE_OF_FILE = {Path(f.regular).name: f.package for f in FAMILIES.values()} | {
    Path(f.bold).name: f.package for f in FAMILIES.values()
} | {"wqy-zenhei.ttc": "fonts-wqy-zenhei", "ipag.ttf": "fonts-ipafont-gothic"}  # fmt: skip


@cache
def find_file(name: str) -> Path | None:
    """An installed font file called `name`, anywhere under /usr/share/fonts."""
    root = FONT_ROOT.parent
    return next(iter(sorted(root.rglob(name))), None) if root.is_dir() else None


def file_for(*names: str) -> Path:
    """The first installed file among `names`; FontMissing, naming the packages, if none is."""
    for name in names:
        if path := find_file(name):
            return path
    packages = sorted({PACKAGE_OF_FILE[n] for n in names if n in PACKAGE_OF_FILE})
    hint = f"apt-get install {' '.join(packages)}" if packages else "install the package with it"
    raise FontMissing(f"none of the fonts {names} is installed under {FONT_ROOT.parent}: {hint}")


@cache
def _probe(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, 40)


@cache
def _notdef(path: str) -> bytes:
    mask = _probe(path).getmask("\U000f0000")  # a private-use code point: no glyph
    return bytes(mask) + repr(mask.size).encode()


@cache
def _has(path: str, char: str) -> bool:
    if char.isspace():
        return True
    mask = _probe(path).getmask(char)
    return bytes(mask) + repr(mask.size).encode() != _notdef(path)


def has_glyph(family: str, weight: str, char: str) -> bool:
    return _has(str(font_file(family, weight)), char)


def check_file_glyphs(path: Path | str, text: str) -> None:
    """Refuse text the font would print as empty boxes: the truth would not match the card."""
    missing = sorted({c for c in text if not _has(str(path), c)})
    if missing:
        raise FontMissing(
            f"font {Path(path).name} has no glyph for {''.join(missing)!r} in {text!r}"
        )


def check_glyphs(family: str, weight: str, text: str) -> None:
    check_file_glyphs(font_file(family, weight), text)
