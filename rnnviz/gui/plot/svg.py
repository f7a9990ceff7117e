"""SVG that every renderer draws alike: geometry in page coordinates, a font that exists.

Qt's QSvgGenerator writes each plot item as a group with the item's transform (for a curve, the
data-to-pixel scaling, e.g. ``matrix(2.6,0,0,-245.9,...)``) and marks cosmetic strokes with
``vector-effect="non-scaling-stroke"``. Browsers honour that; librsvg (GNOME's viewers,
``rsvg-convert``) does not, and scales the 1 px stroke by 245: curves become filled bars, a
circle a disc. ``page_coordinates`` multiplies every transform into the coordinates of the
shapes themselves, so that no stroke is ever drawn inside a scaling transform; text and
images keep a transform of their own (they have no stroke to distort). Qt names its default
font "Sans Serif", a fontconfig alias that browsers do not know (they fall back to a serif
face): every ``font-family`` gets real families and the generic ``sans-serif`` after it.
Heatmaps are embedded at their drawn size (``svg_images``), or librsvg blurs their cells.
The export asks Qt for SVG 1.1, whose clip paths (in page coordinates) end each curve at its
plot box as the screen does; Tiny 1.2 drops them, and a spike ran over the title.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT_FAMILIES = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
GENERIC_FONTS = ("sans-serif", "serif", "monospace")
IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)  # SVG's matrix(a, b, c, d, e, f)
KAPPA = 0.5522847498  # control-point distance of a cubic quarter circle, per unit radius

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"[A-Za-z]|{_NUMBER}")
_ARITY = {"M": 2, "L": 2, "C": 6, "Q": 4, "S": 4, "T": 2, "Z": 0, "H": 1, "V": 1}


class Unsupported(ValueError):
    """A shape whose coordinates cannot be rewritten here (relative path commands, arcs)."""


def page_coordinates(svg_text: str) -> str:
    """The same picture with every shape in page coordinates and sans-serif fonts."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg_text)
    _walk(root, IDENTITY, 1.0)
    _drop_stale_clips(root)
    from rnnviz.gui.plot.svg_images import crisp_images  # Qt: a file of its own

    crisp_images(root, lambda element: parse_transform(element.get("transform", "")))
    view_box = _numbers(root.get("viewBox", ""))
    if len(view_box) == 4:  # CSS pixels (1/96 in): the size Qt wrote in mm, in the unit every renderer reads
        root.set("width", _fmt(view_box[2]))
        root.set("height", _fmt(view_box[3]))
    for element in root.iter():
        if "font-family" in element.attrib:
            element.set("font-family", _font_families(element.get("font-family")))
    return '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + ET.tostring(root, encoding="unicode")


def _font_families(value: str) -> str:
    names = [name.strip().strip("'\"") for name in value.split(",") if name.strip()]
    if any(name.lower() in GENERIC_FONTS for name in names):
        return value
    real = [name for name in names if name.lower() not in ("sans serif", "sans")]
    return ", ".join(real + [FONT_FAMILIES]) if real else FONT_FAMILIES


# --------------------------------------------------------------------- the tree
def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _walk(parent, matrix, stroke_width: float) -> None:
    """Push ``matrix`` (the product of the ancestors' transforms) into ``parent``'s children."""
    for child in list(parent):
        own = parse_transform(child.attrib.pop("transform", ""))
        total = multiply(matrix, own)
        width = _stroke_width(child, stroke_width)
        tag = _tag(child)
        if tag == "g":
            _walk(child, total, width)
            continue
        if tag in ("path", "polyline", "polygon", "rect", "line", "circle", "ellipse"):
            try:
                _to_page(child, tag, total, width)
                continue
            except Unsupported:
                pass  # keep this one shape as Qt wrote it, with its transform
        if total != IDENTITY:
            child.set("transform", format_matrix(total))


def _stroke_width(element, inherited: float) -> float:
    try:
        return float(element.get("stroke-width", inherited))
    except ValueError:
        return inherited


def _to_page(element, tag: str, matrix, stroke_width: float) -> None:
    scaling = element.attrib.pop("vector-effect", "none") != "non-scaling-stroke"
    if tag == "path":
        element.set("d", transform_path(element.get("d", ""), matrix))
    elif tag in ("polyline", "polygon"):
        element.set("points", _format_points(_apply(matrix, _numbers(element.get("points", "")))))
    elif tag == "line":
        pts = _apply(matrix, [float(element.get(k, 0)) for k in ("x1", "y1", "x2", "y2")])
        for key, value in zip(("x1", "y1", "x2", "y2"), pts):
            element.set(key, _fmt(value))
    else:  # rect, circle, ellipse -> a path, so that any matrix (a flip, a shear) applies exactly
        d = _shape_path(element, tag)
        for key in ("x", "y", "width", "height", "rx", "ry", "cx", "cy", "r"):
            element.attrib.pop(key, None)
        element.tag = element.tag[: -len(tag)] + "path"
        element.set("d", transform_path(d, matrix))
    if scaling and matrix != IDENTITY:  # a stroke that was meant to scale with its shape
        factor = math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
        element.set("stroke-width", _fmt(stroke_width * factor))
        dashes = element.get("stroke-dasharray")
        if dashes and dashes != "none":
            element.set("stroke-dasharray", ",".join(_fmt(v * factor) for v in _numbers(dashes)))


def _shape_path(element, tag: str) -> str:
    if tag == "rect":
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
        w, h = float(element.get("width", 0)), float(element.get("height", 0))
        return f"M{x},{y} L{x + w},{y} L{x + w},{y + h} L{x},{y + h} Z"
    cx, cy = float(element.get("cx", 0)), float(element.get("cy", 0))
    rx = float(element.get("r", element.get("rx", 0)))
    ry = float(element.get("r", element.get("ry", rx)))
    kx, ky = KAPPA * rx, KAPPA * ry
    return (f"M{cx + rx},{cy} C{cx + rx},{cy + ky} {cx + kx},{cy + ry} {cx},{cy + ry} "
            f"C{cx - kx},{cy + ry} {cx - rx},{cy + ky} {cx - rx},{cy} "
            f"C{cx - rx},{cy - ky} {cx - kx},{cy - ry} {cx},{cy - ry} "
            f"C{cx + kx},{cy - ry} {cx + rx},{cy - ky} {cx + rx},{cy} Z")


# --------------------------------------------------------------------- clips
def _drop_stale_clips(root) -> None:
    """Keep each plot's clip (curves end at the plot box, as on screen), drop the stale ones.

    Qt's SVG 1.1 engine writes clip paths in page coordinates, but leaves the previous item's
    clip on an item painted without one: a legend's line sample came out clipped to the plot
    title's box, the singular values clipped to the "σ = 1" label's, and so invisible. A clip
    is such a leftover when the group's shapes lie wholly outside it, or when none of their
    points lies in it and it is a small part of their extent (a label's box under a curve);
    a plot's own clip holds its curves' points, or is as large as a line across it. A leftover
    clip on shapes that start inside a plot whose clip was used before is that plot's again."""
    boxes = {}
    for clip in root.iter(f"{{{SVG_NS}}}clipPath"):
        for shape in clip.iter():  # an outline, never stroked: no stroke effect to keep
            shape.attrib.pop("vector-effect", None)
        box = _bounding_box(clip)
        if box is not None:
            boxes[clip.get("id")] = box
    used: list[str] = []  # the clips kept so far, the latest last
    for element in root.iter():
        found = re.fullmatch(r"\s*url\(#([^)]+)\)\s*", element.get("clip-path", ""))
        if not found or found.group(1) not in boxes:
            continue
        xs, ys = _points(element)
        if not xs or not _stale(boxes[found.group(1)], xs, ys):
            used.append(found.group(1))
            continue
        clip = _clip_before(used, boxes, xs, ys)
        if clip is None:
            del element.attrib["clip-path"]
        else:
            element.set("clip-path", f"url(#{clip})")


def _clip_before(used: list, boxes: dict, xs: list, ys: list):
    """The latest clip kept before a leftover one that holds the shapes' first point and fits
    them: the plot's own clip, which Qt did not write again for a curve painted after a label
    in its plot (an off-scale bound ran over the title); None for shapes outside any (a legend
    sample below its plot)."""
    for clip in reversed(used):
        x0, y0, x1, y1 = boxes[clip]
        if x0 <= xs[0] <= x1 and y0 <= ys[0] <= y1 and not _stale(boxes[clip], xs, ys):
            return clip
    return None


def _stale(clip, xs: list, ys: list) -> bool:
    """Is ``clip`` (x0, y0, x1, y1) left over from another item, for shapes with these points?"""
    box = min(xs), min(ys), max(xs), max(ys)
    if box[2] < clip[0] or box[0] > clip[2] or box[3] < clip[1] or box[1] > clip[3]:
        return True  # wholly outside: drawn on screen, so not clipped there
    inside = any(clip[0] - 1 <= x <= clip[2] + 1 and clip[1] - 1 <= y <= clip[3] + 1 for x, y in zip(xs, ys))
    clip_area = (clip[2] - clip[0]) * (clip[3] - clip[1])
    extent = (box[2] - box[0]) * (box[3] - box[1])
    return not inside and clip_area < STALE_CLIP_SHARE * extent


STALE_CLIP_SHARE = 0.25  # a clip holding none of a group's points and under a quarter of its extent


def _points(element) -> tuple[list, list]:
    """The x and y coordinates of the shapes' points under ``element``, in page coordinates."""
    xs, ys = [], []
    for shape in element.iter():
        tag = _tag(shape)
        if tag == "path":
            flat = _numbers(re.sub(r"[HVhv][^A-Za-z]*", " ", shape.get("d", "")))
        elif tag in ("polyline", "polygon"):
            flat = _numbers(shape.get("points", ""))
        elif tag == "line":
            flat = [float(shape.get(k, 0)) for k in ("x1", "y1", "x2", "y2")]
        else:
            continue
        pairs = min(len(flat[0::2]), len(flat[1::2]))
        xs += flat[0::2][:pairs]
        ys += flat[1::2][:pairs]
    return xs, ys


def _bounding_box(element):
    """(x0, y0, x1, y1) of the shapes under ``element`` in page coordinates, or None."""
    xs, ys = _points(element)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


# --------------------------------------------------------------------- numbers
def parse_transform(text: str):
    """The matrix of a transform attribute (matrix, translate, scale; nested in that order)."""
    result = IDENTITY
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text or ""):
        values = _numbers(args)
        if name == "matrix" and len(values) == 6:
            m = tuple(values)
        elif name == "translate" and values:
            m = (1.0, 0.0, 0.0, 1.0, values[0], values[1] if len(values) > 1 else 0.0)
        elif name == "scale" and values:
            m = (values[0], 0.0, 0.0, values[1] if len(values) > 1 else values[0], 0.0, 0.0)
        else:
            raise Unsupported(f"transform {name}")
        result = multiply(result, m)
    return result


def multiply(outer, inner):
    """outer ∘ inner: apply ``inner`` first, as nested SVG transforms do."""
    a, b, c, d, e, f = outer
    A, B, C, D, E, F = inner
    return (a * A + c * B, b * A + d * B, a * C + c * D, b * C + d * D, a * E + c * F + e, b * E + d * F + f)


def format_matrix(m) -> str:
    return "matrix(" + ",".join(_fmt(v) for v in m) + ")"


def transform_path(d: str, matrix) -> str:
    """A path's ``d`` with every point mapped by ``matrix``; absolute commands only."""
    tokens = _TOKEN.findall(d)
    out, i, command, x, y = [], 0, None, 0.0, 0.0
    while i < len(tokens):
        token = tokens[i]
        if token.isalpha():
            command = token
            i += 1
            if command not in _ARITY:
                raise Unsupported(f"path command {command}")
            if command == "Z":
                out.append("Z")
                continue
        elif command is None or command == "Z":
            raise Unsupported("path without a command")
        n = _ARITY[command]
        args = [float(v) for v in tokens[i:i + n]]
        if len(args) < n:
            raise Unsupported("truncated path")
        i += n
        if command == "H":
            command_out, args = "L", [args[0], y]
        elif command == "V":
            command_out, args = "L", [x, args[0]]
        else:
            command_out = command
        x, y = args[-2], args[-1]
        out.append(command_out + " ".join(_format_points(_apply(matrix, args)).split()))
        if command == "M":
            command = "L"  # further pairs after a moveto are linetos
    return " ".join(out)


def _apply(matrix, flat):
    a, b, c, d, e, f = matrix
    out = []
    for px, py in zip(flat[0::2], flat[1::2]):
        out += [a * px + c * py + e, b * px + d * py + f]
    return out


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(_NUMBER, text or "")]


def _format_points(flat) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in zip(flat[0::2], flat[1::2]))


def _fmt(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
