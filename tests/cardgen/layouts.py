"""Card designs: where each group of lines goes, in which colours, with which decoration."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tests.cardgen import fonts, glyphs, qr
from tests.cardgen.content import Content, Line
from tests.cardgen.paint import MIN_SIZE, RGB, Block, Canvas, Item

LAYOUTS = ("left", "center", "right", "twocol", "dark", "band", "panel", "icons", "minimal",
           "small", "vertical")  # fmt: skip

_PAPERS = [(252, 252, 250), (247, 244, 236), (240, 242, 245), (255, 255, 255), (244, 239, 230)]
_INKS = [(25, 25, 30), (40, 44, 52), (22, 34, 66), (58, 40, 30)]
_ACCENTS = [(0, 84, 147), (170, 30, 40), (0, 105, 90), (90, 50, 130), (186, 84, 16),
            (30, 110, 55), (28, 28, 28), (120, 80, 40), (176, 32, 96)]  # fmt: skip
_DARKS = [  # (card, ink, accent)
    ((22, 28, 45), (238, 238, 232), (214, 176, 92)),
    ((18, 18, 20), (240, 240, 240), (120, 190, 230)),
    ((42, 46, 52), (236, 236, 230), (244, 160, 60)),
    ((16, 58, 44), (236, 232, 218), (220, 200, 140)),
    ((78, 18, 30), (244, 236, 226), (230, 190, 120)),
]
_SIZES = {"company": 40, "company_other": 28, "slogan": 24, "name": 52, "name_other": 34,
          "title": 30, "title_other": 26, "dept": 26, "phone": 28, "fax": 28, "email": 28,
          "web": 28, "address": 26, "extra": 22}  # fmt: skip
_BREAKS = ("company", "company_other", "slogan", "title", "title_other", "dept", "extra", "name")
_MIN = {
    "extra": 12,
    "slogan": 13,
    "dept": 14,
    "company_other": 14,
    "title_other": 14,
}  # px: fine print may be tiny, fields may not
_QUIET = ("title", "title_other", "dept", "slogan", "extra", "company_other")
_CARD = {"JP": (1075, 650), "US": (1050, 600)}  # others: 85 x 55 mm


@dataclass(frozen=True)
class Style:
    layout: str
    family: str
    paper: RGB
    ink: RGB
    accent: RGB
    on_accent: RGB
    scale: float
    name_upper: bool
    company_upper: bool
    logo: str | None
    name_pos: str  # top | bottom
    icons: bool
    icon_disc: bool
    join: bool  # two contacts on one line, separated by a dot
    variant: str = ""

    @property
    def muted(self) -> RGB:
        return tuple(round(i * 0.72 + p * 0.28) for i, p in zip(self.ink, self.paper, strict=True))  # type: ignore[return-value]

    def meta(self) -> dict:
        return {"layout": self.layout, "variant": self.variant, "font": self.family,
                "logo": self.logo, "name_pos": self.name_pos, "icons": self.icons,
                "text_scale": round(self.scale, 3),
                "case": "upper" if self.name_upper else "as",
                "paper": list(self.paper), "accent": list(self.accent)}  # fmt: skip


def sample_style(layout: str, r: random.Random) -> Style:
    family = r.choice(fonts.TEXT_FAMILIES)
    paper, ink, accent = r.choice(_PAPERS), r.choice(_INKS), r.choice(_ACCENTS)
    if layout == "dark":
        paper, ink, accent = r.choice(_DARKS)
    if layout == "minimal":
        family = r.choice(["Open Sans", "DejaVu Sans", "Liberation Sans", "Carlito"])
    variant = {
        "band": r.choice(["top", "bottom"]),
        "panel": r.choice(["left", "right"]),
        "dark": r.choice(["left", "center"]),
        "minimal": r.choice(["center", "left"]),
    }.get(layout, "")
    return Style(
        layout=layout,
        family=family,
        paper=paper,
        ink=ink,
        accent=accent,
        on_accent=(255, 255, 255) if layout != "dark" else paper,
        scale=0.78 if layout == "small" else r.uniform(0.88, 1.12),
        name_upper=layout == "minimal" or r.random() < 0.15,
        company_upper=r.random() < 0.2,
        logo=r.choice(glyphs.LOGOS) if r.random() < 0.55 or layout in ("right", "panel") else None,
        name_pos="bottom" if r.random() < 0.3 else "top",
        icons=layout == "icons"
        or (layout in ("panel", "twocol", "dark", "band") and r.random() < 0.3),
        icon_disc=r.random() < 0.35,
        join=layout in ("center", "minimal", "vertical") and r.random() < 0.4,
        variant=variant,
    )


def card_size(country: str, layout: str) -> tuple[int, int]:
    w, h = _CARD.get(country, (1004, 650))
    return (h, w) if layout == "vertical" else (w, h)


def render(content: Content, style: Style) -> np.ndarray:
    """The printed card as RGB pixels; a card with a QR code prints its text beside it."""
    size = card_size(content.country, style.layout)
    canvas = Canvas(qr.text_area(size) if content.qr else size, style.paper, style.family)
    _LAYOUT[style.layout](canvas, content, style)
    canvas.check()
    if content.qr:
        return qr.attach(canvas.pixels(), content.qr, size, style.paper)
    return canvas.pixels()


# --- turning lines into items -----------------------------------------------------------------
def _item(line: Line, s: Style, color: RGB | None = None, size: float | None = None) -> Item:
    role = line.role
    base = (size or _SIZES[role]) * s.scale
    weight = "bold" if role in ("company", "name") else "regular"
    if s.layout == "minimal" and role != "name":
        weight = "light"
    if color is None:
        color = s.accent if role == "company" else s.muted if role in _QUIET else s.ink
    tracking = 0.18 if s.layout == "minimal" and role in ("name", "company") else 0.0
    upper = (role == "name" and s.name_upper) or (role == "company" and s.company_upper)
    wrap = "comma" if role == "address" else "space" if role in _BREAKS else None
    return Item(line.text, base, color, weight, line.icon, tracking, upper, wrap,
                _MIN.get(role, MIN_SIZE), 0.6 if role == "name" else 0.8)  # fmt: skip


def _group(lines: list[Line], s: Style, color: RGB | None = None, big: float = 1.0) -> list[Item]:
    out = []
    for line in lines:
        size = _SIZES[line.role] * (big if line.role in ("company", "name") else 1.0)
        out.append(_item(line, s, color, size))
    return out


def _contacts(c: Content, s: Style) -> list[Line]:
    lines = list(c.contacts)
    if not s.join or s.icons or len(lines) < 2:
        return lines
    joined = []
    for i in range(0, len(lines) - 1, 2):
        joined.append(Line(f"{lines[i].text}  ·  {lines[i + 1].text}", lines[i].role))
    if len(lines) % 2:
        joined.append(lines[-1])
    return joined


def _groups(c: Content, s: Style, color: RGB | None = None) -> dict[str, list[Item]]:
    big = 1.25 if not c.person else 1.0  # company-only cards print the company large
    return {
        "head": _group(c.company, s, color, big),
        "person": _group(c.person, s, color),
        "contacts": _group(_contacts(c, s), s, color),
        "address": _group(c.address, s, color),
        "extras": _group(c.extras, s, color),
    }


def _order(g: dict[str, list[Item]], s: Style, *names: str) -> list[list[Item]]:
    names_ = list(names)
    if s.name_pos == "bottom" and "person" in names_:
        names_.remove("person")
        names_.append("person")
    return [g[n] for n in names_ if g[n]]


def _split(
    canvas: Canvas,
    left: list[list[Item]],
    right: list[list[Item]],
    x0: float,
    x1: float,
    lo: float = 0.32,
    hi: float = 0.6,
) -> float:
    """Where two columns between x0 and x1 meet, in proportion to their widest lines."""
    a, b = canvas.natural_width(left), canvas.natural_width(right)
    share = min(hi, max(lo, a / max(a + b, 1)))
    return x0 + (x1 - x0) * share


def _margin(canvas: Canvas) -> float:
    return min(canvas.size) * 0.1


# --- the designs ------------------------------------------------------------------------------
def _left(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    right = w - m
    if s.logo:
        side = h * 0.2
        canvas.logo((w - m - side, m, w - m, m + side), s.logo, c.initials, s.accent, s.on_accent)
        right -= side + m * 0.5
    g = _groups(c, s)
    order = ("person", "head", "contacts", "address", "extras")
    if s.name_pos == "bottom":
        order = ("head", "contacts", "address", "extras", "person")
    canvas.place(Block((m, m, right, h - m), [g[n] for n in order], "left", "spread"))


def _center(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    top = m
    if s.logo:
        side = h * 0.17
        canvas.logo((w / 2 - side / 2, m * 0.8, w / 2 + side / 2, m * 0.8 + side), s.logo,
                    c.initials, s.accent, s.on_accent)  # fmt: skip
        top = m * 0.8 + side + m * 0.4
    g = _groups(c, s)
    groups = _order(g, s, "head", "person", "contacts", "address", "extras")
    canvas.place(Block((m, top, w - m, h - m * 0.8), groups, "center", "spread"))


def _right(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    split = w * 0.38
    g = _groups(c, s)
    side = h * 0.3
    cx = (m + split) / 2
    canvas.logo((cx - side / 2, m, cx + side / 2, m + side), s.logo or "circle", c.initials,
                s.accent, s.on_accent)  # fmt: skip
    canvas.place(Block((m * 0.7, m + side + m * 0.4, split, h - m), [g["head"]], "center", "top"))
    groups = _order(g, s, "person", "contacts", "address", "extras")
    canvas.place(Block((split + m * 0.6, m, w - m, h - m), groups, "right", "spread"))


def _twocol(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    g = _groups(c, s)
    left = _order(g, s, "person", "head")
    right = [g["contacts"], g["address"], g["extras"]]
    split = _split(canvas, left, right, m, w - m, 0.36, 0.55)
    canvas.line((split, m), (split, h - m), s.accent, 3)
    top = m
    if s.logo:
        side = h * 0.16
        canvas.logo((m, m, m + side, m + side), s.logo, c.initials, s.accent, s.on_accent)
        top = m + side + m * 0.4
    canvas.place(Block((m, top, split - m * 0.6, h - m), left, "left", "center"))
    canvas.place(Block((split + m * 0.6, m, w - m, h - m), right, "left", "center",
                       s.accent, s.paper if s.icon_disc else None))  # fmt: skip


def _dark(canvas: Canvas, c: Content, s: Style) -> None:
    (_center if s.variant == "center" else _left)(canvas, c, s)


def _band(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    g = _groups(c, s)
    on = _groups(c, s, s.on_accent)
    disc = s.paper if s.icon_disc else None
    if s.variant == "top":
        band = h * 0.34
        canvas.rect((0, 0, w, band), s.accent)
        right = w - m
        if s.logo:
            side = band * 0.62
            y = (band - side) / 2
            canvas.logo(
                (w - m - side, y, w - m, y + side), s.logo, c.initials, s.on_accent, s.accent
            )
            right -= side + m * 0.5
        canvas.place(Block((m, m * 0.5, right, band - m * 0.5), [on["head"]], "left", "center"))
        if c.person:
            rest = [g["contacts"], g["address"], g["extras"]]
            split = _split(canvas, [g["person"]], rest, m, w - m, 0.3, 0.55)
            canvas.place(Block((m, band + m * 0.6, split - m * 0.3, h - m), [g["person"]], "left",
                               "center"))  # fmt: skip
            canvas.place(Block((split + m * 0.3, band + m * 0.6, w - m, h - m), rest, "left",
                               "center", s.accent, disc))  # fmt: skip
        else:
            rest = [g["contacts"], g["address"], g["extras"]]
            canvas.place(
                Block((m, band + m * 0.6, w - m, h - m), rest, "left", "spread", s.accent, disc)
            )
        return
    band = h * 0.42
    canvas.rect((0, h - band, w, h), s.accent)
    top = _order(g, s, "head", "person")
    canvas.place(Block((m, m, w - m, h - band - m * 0.5), top, "left", "center"))
    contacts = on["contacts"]
    box_l = (m, h - band + m * 0.45, w * 0.56, h - m * 0.45)
    box_r = (w * 0.6, h - band + m * 0.45, w - m, h - m * 0.45)
    on_disc = s.accent if s.icon_disc else None
    if on["address"] or on["extras"]:
        canvas.place(Block(box_l, [contacts], "left", "center", s.on_accent, on_disc))
        canvas.place(Block(box_r, [on["address"], on["extras"]], "left", "center"))
    else:
        canvas.place(Block((m, box_l[1], w - m, box_l[3]), [contacts], "left", "center",
                           s.on_accent, on_disc))  # fmt: skip


def _panel(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    pw = w * 0.38
    x0 = 0 if s.variant == "left" else w - pw
    canvas.rect((x0, 0, x0 + pw, h), s.accent)
    side = h * 0.26
    cx = x0 + pw / 2
    canvas.logo((cx - side / 2, m, cx + side / 2, m + side), s.logo or "ring", c.initials,
                s.on_accent, s.accent)  # fmt: skip
    on = _groups(c, s, s.on_accent)
    canvas.place(Block((x0 + m * 0.6, m + side + m * 0.5, x0 + pw - m * 0.6, h - m), [on["head"]],
                       "center", "center"))  # fmt: skip
    g = _groups(c, s)
    tx0 = pw + m * 0.7 if s.variant == "left" else m
    tx1 = w - m if s.variant == "left" else w - pw - m * 0.7
    groups = _order(g, s, "person", "contacts", "address", "extras")
    canvas.place(Block((tx0, m, tx1, h - m), groups, "left", "spread", s.accent,
                       s.paper if s.icon_disc else None))  # fmt: skip


def _icons(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    g = _groups(c, s)
    disc = s.paper if s.icon_disc else None
    split = w * 0.6
    head_right = w - m
    if s.logo:
        side = h * 0.18
        canvas.logo((w - m - side, m, w - m, m + side), s.logo, c.initials, s.accent, s.on_accent)
        head_right -= side + m * 0.4
    if c.person:
        canvas.place(Block((m, m, split - m * 0.3, h * 0.42), [g["person"]], "left", "top"))
        canvas.place(Block((split, m, head_right, h * 0.42), [g["head"]], "right", "top"))
    else:
        canvas.place(Block((m, m, head_right, h * 0.42), [g["head"]], "left", "top"))
    main = [g["contacts"], g["address"]]
    right = _split(canvas, main, [g["extras"]], m, w - m, 0.58, 0.75) if g["extras"] else w - m
    canvas.place(Block((m, h * 0.45, right, h - m), main, "left", "bottom", s.accent, disc))
    if g["extras"]:
        canvas.place(Block((right + m * 0.5, h * 0.5, w - m, h - m), [g["extras"]], "right",
                           "bottom"))  # fmt: skip


def _minimal(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas) * 1.3
    g = _groups(c, s)
    align = "center" if s.variant == "center" else "left"
    gs = _groups(c, replace(s, scale=s.scale * 0.85))
    if c.person:
        canvas.place(Block((m, m * 0.8, w - m, h * 0.26), [gs["head"]], align, "top"))
    main = g["person"] or g["head"]
    canvas.place(Block((m, h * 0.26, w - m, h * 0.5), [main], align, "center"))
    rule_x = (w / 2 - 40, w / 2 + 40) if align == "center" else (m, m + 80)
    canvas.line((rule_x[0], h * 0.54), (rule_x[1], h * 0.54), s.accent, 2)
    rest = [gs["contacts"], gs["address"], gs["extras"]]
    canvas.place(Block((m, h * 0.58, w - m, h - m * 0.55), rest, align, "top"))


def _small(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas) * 0.8
    g = _groups(c, s)
    left = _order(g, s, "head", "person")
    split = _split(canvas, left, [g["contacts"], g["address"]], m, w - m, 0.34, 0.55)
    canvas.place(Block((m, m, split - m * 0.4, h - m), left, "left", "spread"))
    right = [g["contacts"], g["address"], g["extras"]]
    canvas.place(Block((split + m * 0.4, m, w - m, h - m), right, "left", "bottom"))


def _vertical(canvas: Canvas, c: Content, s: Style) -> None:
    w, h = canvas.size
    m = _margin(canvas)
    top = m
    if s.logo:
        side = w * 0.26
        canvas.logo((w / 2 - side / 2, m, w / 2 + side / 2, m + side), s.logo, c.initials,
                    s.accent, s.on_accent)  # fmt: skip
        top = m + side + m * 0.5
    g = _groups(c, s)
    groups = _order(g, s, "head", "person", "contacts", "address", "extras")
    canvas.place(Block((m, top, w - m, h - m), groups, "center", "spread"))


_LAYOUT: dict[str, Callable[[Canvas, Content, Style], None]] = {
    "left": _left, "center": _center, "right": _right, "twocol": _twocol, "dark": _dark,
    "band": _band, "panel": _panel, "icons": _icons, "minimal": _minimal, "small": _small,
    "vertical": _vertical,
}  # fmt: skip
