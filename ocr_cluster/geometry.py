"""Find the card in a phone photo and make it a flat, upright rectangle.

Warping the card's outline quadrilateral to a rectangle is what makes OCR work on
photos; when no outline is found the image is deskewed by the angle of its text lines.
Clean flat scans (the card fills the frame, straight) pass through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DETECT_LONG_SIDE = 640  # outline search runs on a small copy
MIN_CARD_FRACTION = 0.12  # of the photo's area
MAX_CARD_FRACTION = 0.97  # beyond this the "card" is the frame itself (a scan)
ONE_CARD_CONTOURS = 6  # contours looked at per mask for the one card
CARD_ASPECTS = (1.25, 2.3)  # long/short side of plausible cards (85x55 → 1.55, 90x50 → 1.8)
# Several cards on one photo: each this much of the photo at least, outlined this clearly
# (_edge_support), this far apart (of the long side) and within this factor of the largest
# one's area. Strict on purpose: one card read as several is worse than a card missed.
SEVERAL_MIN_FRACTION = 0.04
SEVERAL_CONTOURS = 12  # contours looked at per mask: several cards trace several
SEVERAL_MIN_SUPPORT = 0.8
SEVERAL_MIN_GAP = 0.015
SEVERAL_AREA_RATIO = 2.0
MAX_WARP_LONG_SIDE = 2000
MIN_WARP_LONG_SIDE = 1000


@dataclass(frozen=True)
class Rectified:
    image: np.ndarray  # RGB, card upright and flat
    quad: np.ndarray | None  # 4x2 corners in the input image, or None
    method: str  # "warp" | "deskew" | "none"
    angle: float  # degrees rotated when deskewing
    matrix: np.ndarray  # 3x3: input image coordinates → `image` coordinates

    def to_card(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float32).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.matrix.astype(np.float64)).reshape(-1, 2)


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def rectify(rgb: np.ndarray) -> Rectified:
    """Warp the card outline when one is found, else deskew by text lines."""
    quad = find_card_quad(rgb)
    return warped(rgb, quad) if quad is not None else deskew(rgb)


def warped(rgb: np.ndarray, quad: np.ndarray) -> Rectified:
    """The card outlined by `quad` warped flat and upright."""
    card, m = warp_quad(rgb, quad)
    return Rectified(card, quad, "warp", 0.0, m)


def deskew(rgb: np.ndarray) -> Rectified:
    """The whole image turned so its text lines are level."""
    angle = text_skew_angle(to_gray(rgb))
    if abs(angle) < 0.4:
        return Rectified(rgb, None, "none", 0.0, np.eye(3))
    turned, m = rotate(rgb, angle)
    return Rectified(turned, None, "deskew", angle, np.vstack([m, [0, 0, 1]]))


# --- outline ---------------------------------------------------------------------------


def find_card_quad(rgb: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of the card in `rgb` coordinates, or None."""
    small, scale = _detect_copy(rgb)
    best = _best_one(_outlines(_candidate_masks(small), _edge_map(small), several=False))
    return None if best is None else _refined(small, best, scale)


def find_card_quads(rgb: np.ndarray) -> list[np.ndarray]:
    """Corners (tl, tr, br, bl) of each card on `rgb`, in reading order: several cards only
    when their outlines are clear, far enough apart, alike in size and the card
    `find_card_quad` finds (if any) overlaps just one of them; otherwise that card alone,
    exactly as `find_card_quad` gives it (or none). One search of the masks serves both."""
    small, scale = _detect_copy(rgb)
    outlines = _outlines(_candidate_masks(small), _edge_map(small), several=True)
    best = _best_one(outlines)
    cards = _separate_cards(outlines, best, small.shape)
    if len(cards) < 2:
        return [] if best is None else [_refined(small, best, scale)]
    return [_refined(small, quad, scale) for quad in cards]


@dataclass(frozen=True)
class _Outline:
    score: float  # _score_quad weighted by the edge support squared
    quad: np.ndarray  # in the detection copy's coordinates
    support: float
    one_card: (
        bool  # within what the one-card search looks at (ONE_CARD_CONTOURS, MIN_CARD_FRACTION)
    )


def _best_one(outlines: list[_Outline]) -> np.ndarray | None:
    """The one-card search's choice: the best scoring outline it looks at."""
    mine = [o for o in outlines if o.one_card]
    return max(mine, key=lambda o: o.score).quad if mine else None


def _detect_copy(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The small copy the outline search runs on, and its scale."""
    h, w = rgb.shape[:2]
    scale = DETECT_LONG_SIDE / max(h, w)
    small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return small, scale


def _outlines(masks: list[np.ndarray], edges: np.ndarray, *, several: bool) -> list[_Outline]:
    """Every card-like quad the masks trace, in the order they were found: the one-card
    search's (the ONE_CARD_CONTOURS largest contours of each mask, MIN_CARD_FRACTION of the
    photo at least), and with `several` also the smaller ones a photo of several shows."""
    min_fraction = SEVERAL_MIN_FRACTION if several else MIN_CARD_FRACTION
    count = SEVERAL_CONTOURS if several else ONE_CARD_CONTOURS
    out = []
    for mask in masks:
        for quad, one_card_contour in _quads_from_mask(mask, min_fraction, count):
            score = _score_quad(quad, mask.shape, min_fraction)
            if score <= 0:
                continue
            support = _edge_support(quad, edges)
            score *= support**2
            if score > 0:
                frac = cv2.contourArea(quad) / (mask.shape[0] * mask.shape[1])
                big = frac >= MIN_CARD_FRACTION  # as _score_quad's gate for one card
                out.append(_Outline(score, quad, support, one_card_contour and big))
    return out


def _refined(small: np.ndarray, quad: np.ndarray, scale: float) -> np.ndarray:
    """The quad fitted to the card's edges, in the full photo's coordinates."""
    thin = cv2.Canny(cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (3, 3), 0), 20, 60)
    for band in (8.0, 3.0):
        quad = _refine_quad(quad, thin, band)
    corners: np.ndarray = (quad / scale).astype(np.float32)
    return corners


def _separate_cards(
    outlines: list[_Outline], best: np.ndarray | None, shape: tuple[int, ...]
) -> list[np.ndarray]:
    """The cards of a photo of several, or [] when it is not clearly one: strongly outlined
    quads taken best first, each apart from those taken; the smaller ones dropped. The one
    card `find_card_quad` would take (`best`) must overlap exactly one of them: one that
    spans several is a sheet or a card holding panels, and one card is the safe reading."""
    gap = SEVERAL_MIN_GAP * max(shape[:2])
    taken: list[np.ndarray] = []
    for outline in sorted(outlines, key=lambda o: -o.score):
        if outline.support < SEVERAL_MIN_SUPPORT:
            continue
        if all(_apart(outline.quad, other, gap) for other in taken):
            taken.append(outline.quad)
    largest = max((cv2.contourArea(q) for q in taken), default=0.0)
    cards = [q for q in taken if cv2.contourArea(q) * SEVERAL_AREA_RATIO >= largest]
    if len(cards) < 2:
        return []
    if best is not None and sum(cv2.intersectConvexConvex(best, q)[0] > 0 for q in cards) != 1:
        return []
    return _reading_order(cards)


def _reading_order(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Rows top to bottom, each left to right; a quad whose centre lies within the height
    of a row's first quad belongs to that row."""
    rows: list[list[np.ndarray]] = []
    for quad in sorted(quads, key=lambda q: float(q[:, 1].mean())):
        if rows and quad[:, 1].mean() <= rows[-1][0][:, 1].max():
            rows[-1].append(quad)
        else:
            rows.append([quad])
    return [q for row in rows for q in sorted(row, key=lambda q: float(q[:, 0].mean()))]


def _apart(a: np.ndarray, b: np.ndarray, gap: float) -> bool:
    """Whether two convex quads neither overlap nor come closer than `gap` pixels."""
    overlap, _ = cv2.intersectConvexConvex(a, b)
    if overlap > 0:
        return False
    distances = [
        -cv2.pointPolygonTest(poly, (float(x), float(y)), True)
        for poly, other in ((a, b), (b, a))
        for x, y in other
    ]
    return min(distances) >= gap


def _refine_quad(quad: np.ndarray, edges: np.ndarray, band: float) -> np.ndarray:
    """Fit each side as a line through the edge pixels near it; corners = intersections."""
    ys, xs = np.nonzero(edges)
    pts = np.stack([xs, ys], axis=1).astype(np.float32)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        length = float(np.linalg.norm(d))
        u = d / length
        rel = pts - a
        along = rel @ u
        across = rel[:, 0] * u[1] - rel[:, 1] * u[0]
        sel = (np.abs(across) < band) & (along > 0.1 * length) & (along < 0.9 * length)
        if sel.sum() < 0.3 * length:
            lines.append((a, u))
            continue
        vx, vy, x0, y0 = cv2.fitLine(pts[sel], cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0], np.float32), np.array([vx, vy], np.float32)))
    out = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([d1, -d2]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return quad
        t = np.linalg.solve(m, p2 - p1)
        out.append(p1 + t[0] * d1)
    new = np.array(out, dtype=np.float32)
    if np.abs(new - quad).max() > 4 * band:
        return quad
    return new


def _candidate_masks(small: np.ndarray) -> list[np.ndarray]:
    """Binary masks whose outer contours may trace the card: edges and colour regions."""
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    masks = []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    for lo, hi in ((30, 90), (60, 160)):
        edges = cv2.Canny(blur, lo, hi)
        masks.append(cv2.dilate(edges, kernel, iterations=2))
    # Card vs background by brightness (light card on dark desk, or the reverse).
    _, otsu = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    close = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    for m in (otsu, 255 - otsu):
        masks.append(cv2.morphologyEx(m, cv2.MORPH_CLOSE, close))
    # Card vs background by colour (white card on wood or fabric).
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB)
    chroma = cv2.GaussianBlur(
        np.hypot(lab[..., 1].astype(np.float32) - 128, lab[..., 2].astype(np.float32) - 128),
        (7, 7),
        0,
    )
    if float(chroma.max()) > 12:
        # OpenCV allocates `dst` when it is None; cv2's stubs only allow an array there.
        c8 = cv2.normalize(chroma, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)  # type: ignore[call-overload]
        _, cm = cv2.threshold(c8, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        masks.append(cv2.morphologyEx(cm, cv2.MORPH_CLOSE, close))
    return masks


def _edge_map(small: np.ndarray) -> np.ndarray:
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (3, 3), 0)
    edges = cv2.Canny(gray, 20, 60)
    return cv2.dilate(edges, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))


def _edge_support(quad: np.ndarray, edges: np.ndarray) -> float:
    """Fraction of the quad's outline that lies on an image edge (weakest side counts)."""
    h, w = edges.shape
    supports = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        t = np.linspace(0.05, 0.95, 40)[:, None]
        pts = np.rint(a + (b - a) * t).astype(int)
        pts[:, 0] = np.clip(pts[:, 0], 0, w - 1)
        pts[:, 1] = np.clip(pts[:, 1], 0, h - 1)
        supports.append(float((edges[pts[:, 1], pts[:, 0]] > 0).mean()))
    return 0.5 * min(supports) + 0.5 * float(np.mean(supports))


def _quads_from_mask(
    mask: np.ndarray, min_fraction: float, count: int
) -> list[tuple[np.ndarray, bool]]:
    """Quads traced by the `count` largest contours of at least `min_fraction` of the mask,
    each with whether its contour is one the one-card search looks at."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    area_min = min_fraction * mask.shape[0] * mask.shape[1]
    one_card_min = MIN_CARD_FRACTION * mask.shape[0] * mask.shape[1]
    quads = []
    for rank, c in enumerate(sorted(contours, key=cv2.contourArea, reverse=True)[:count]):
        contour_area = cv2.contourArea(c)
        if contour_area < area_min:
            break
        one_card = rank < ONE_CARD_CONTOURS and contour_area >= one_card_min
        hull = cv2.convexHull(c)
        peri = cv2.arcLength(hull, True)
        for shape in (c, hull):
            for eps in (0.01, 0.02, 0.04, 0.06):
                approx = cv2.approxPolyDP(shape, eps * peri, True)
                if len(approx) == 4:
                    quads.append((order_corners(approx.reshape(4, 2).astype(np.float32)), one_card))
                    break
        else:
            rect = cv2.minAreaRect(hull)
            if cv2.contourArea(hull) > 0.9 * rect[1][0] * rect[1][1]:
                quads.append((order_corners(cv2.boxPoints(rect).astype(np.float32)), one_card))
    return quads


def _score_quad(quad: np.ndarray, shape: tuple[int, ...], min_fraction: float) -> float:
    h, w = shape[:2]
    area = cv2.contourArea(quad)
    frac = area / (w * h)
    if not min_fraction <= frac <= MAX_CARD_FRACTION:
        return 0.0
    if not cv2.isContourConvex(quad.astype(np.int32)):
        return 0.0
    # A quad hugging the frame border is the frame (or a crop), not a card outline.
    margin = 3
    on_border = sum(
        1 for x, y in quad if x < margin or y < margin or x > w - margin or y > h - margin
    )
    if on_border >= 3:
        return 0.0
    sides = [np.linalg.norm(quad[i] - quad[(i + 1) % 4]) for i in range(4)]
    if min(sides) < 20:
        return 0.0
    # Opposite sides of a card seen in perspective stay within a modest ratio.
    if max(sides[0], sides[2]) / min(sides[0], sides[2]) > 1.6:
        return 0.0
    if max(sides[1], sides[3]) / min(sides[1], sides[3]) > 1.6:
        return 0.0
    long_side = max(sides[0] + sides[2], sides[1] + sides[3])
    short_side = min(sides[0] + sides[2], sides[1] + sides[3])
    aspect = long_side / short_side
    if not CARD_ASPECTS[0] <= aspect <= CARD_ASPECTS[1]:
        return 0.0
    angles = []
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        angles.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))
    if max(abs(a - 90) for a in angles) > 35:
        return 0.0
    squareness = 1.0 - max(abs(a - 90) for a in angles) / 90
    return frac * squareness - 0.1 * on_border


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left."""
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # clockwise in image coordinates, starting near left
    tl = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -tl, axis=0).astype(np.float32)


def warp_quad(rgb: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tl, tr, br, bl = quad
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    long_side = max(width, height)
    scale = 1.0
    if long_side > MAX_WARP_LONG_SIDE:
        scale = MAX_WARP_LONG_SIDE / long_side
    elif long_side < MIN_WARP_LONG_SIDE:
        scale = MIN_WARP_LONG_SIDE / long_side
    w, h = round(width * scale), round(height * scale)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    card = cv2.warpPerspective(
        rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return card, m


# --- deskew ----------------------------------------------------------------------------


def text_mask(gray: np.ndarray) -> np.ndarray:
    """Dark-on-light or light-on-dark strokes, as a binary mask."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, k)
    tophat = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, k)
    strokes = blackhat if float(blackhat.mean()) >= float(tophat.mean()) else tophat
    _, m = cv2.threshold(strokes, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return m


def text_skew_angle(gray: np.ndarray, limit: float = 25.0) -> float:
    """Angle (degrees, counter-clockwise positive) that makes text lines horizontal."""
    h, w = gray.shape
    scale = 800 / max(h, w)
    small = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    mask = text_mask(small)
    if cv2.countNonZero(mask) < 50:
        return 0.0
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 1)))

    def sharpness(angle: float) -> float:
        rot = _rotate_nearest(mask, angle)
        profile = rot.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-limit, limit + 0.1, 1.0), key=sharpness)
    fine = max(np.arange(best - 1.0, best + 1.01, 0.2), key=sharpness)
    return float(fine)


def _rotate_nearest(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_NEAREST)


def rotate(rgb: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by `angle` degrees (counter-clockwise), growing the canvas to keep corners."""
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    turned = cv2.warpAffine(
        rgb, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return turned, m


def rotate_quarter(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate by a multiple of 90° counter-clockwise."""
    k = (degrees // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb
