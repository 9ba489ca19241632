"""Grouping digits into numbers: lines of digits side by side, long components cut apart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rotkeras.reading._ink import box_of, elongated

#: Digits at most this many digit sizes apart (the median longer side of the digits'
#: boxes) may belong to one number.
LINE_REACH = 2.0
#: A component longer than this many times the line's digit height holds several digits.
SPLIT_RATIO = 1.15
#: A component longer than this many times the line's digit height is never one digit
#: (the widest MNIST digits are 1.67 times as wide as high).
FORCE_SPLIT_RATIO = 1.75
#: A lone component (no neighbour) wider than this many times its height holds several digits.
LONE_SPLIT_RATIO = 1.5
#: A long component is read as several digits when the mean log-probability of the pieces'
#: digits exceeds the whole's by this much.
SPLIT_MARGIN = 0.0
#: Two neighbours are read as one digit when the log-probability of the union's digit
#: exceeds the mean of theirs by this much.
JOIN_MARGIN = 0.0
#: Components with less than this fraction of the line's height inside the line's band
#: are dashes, dots or fragments; a fragment this close (in line heights) above or below a
#: digit joins it.
FLAT = 0.6
FRAGMENT_GAP = 0.3
#: Two pieces off the band, one above the other, overlapping along the line by this share
#: of the shorter and together at most `STACK_LENGTH` line heights long (a slanted 8), are
#: joined when together they fill the band.
STACK_OVERLAP = 0.3
STACK_LENGTH = 1.25
#: A component off every line is a speck when smaller than this many line heights.
LONE = 0.75
#: Thin strokes taller than this many line heights are the sides of boxes, not ones.
TALL = 1.5
#: Neighbours on a line closer than this many line heights (or overlapping along it) whose
#: union is at most `JOIN_LENGTH` line heights long may be one digit broken in two (an
#: open 0, a 4 whose stem was written apart); the reading decides.
JOIN_GAP = 0.1
JOIN_LENGTH = 1.0
#: Expected width of one digit, as a fraction of the line's digit height (MNIST's median).
DIGIT_ASPECT = 0.8


def _sides(axis: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The box sides `(lo, hi)` along a line running along `axis` (0: across the photo,
    1: up and down), and across it."""
    return ((0, 2), (1, 3)) if axis == 0 else ((1, 3), (0, 2))


def _neighbours(a: tuple[int, ...], b: tuple[int, ...], axis: int, reach: float) -> bool:
    """Whether boxes `a` and `b` lie side by side along `axis` (0: across, 1: up and down)."""
    along, across = _sides(axis)
    overlap = min(a[across[1]], b[across[1]]) - max(a[across[0]], b[across[0]])
    extent = min(a[across[1]] - a[across[0]], b[across[1]] - b[across[0]])
    gap = max(a[along[0]], b[along[0]]) - min(a[along[1]], b[along[1]])
    return overlap >= 0.4 * extent and gap <= reach


def choose_splits(members: list[int], options: dict[int, list[list[int]]],
                  log_best: np.ndarray,
                  joins: list[tuple[int, int, int]] = ()) -> list[int]:
    """Replaces each pair of neighbours that may be one digit (`joins`: `(i, j, whole)`)
    by their union when the reader is surer of the union's digit than of the two apart,
    then each component that may hold several digits by the candidate (itself, or its
    pieces in one of a few counts) whose digits the reader is surest of: the largest
    mean log-probability of their best digits."""
    kept = list(members)
    gains = sorted(((float(log_best[whole] - 0.5 * (log_best[i] + log_best[j])), i, j, whole)
                    for i, j, whole in joins if i in kept and j in kept), reverse=True)
    for gain, i, j, whole in gains:
        if gain > JOIN_MARGIN and i in kept and j in kept:
            kept[kept.index(i)] = whole
            kept.remove(j)
    out = []
    for i in kept:
        candidates = options.get(i)
        if not candidates:
            out.append(i)
            continue
        scores = [float(np.mean(log_best[c])) + (0.0 if c == [i] else -SPLIT_MARGIN)
                  for c in candidates]
        out.extend(candidates[int(np.argmax(scores))])
    return out


def group_lines(
    masks: list[np.ndarray],
) -> tuple[list[tuple[list[int], str | None]], dict[int, list[list[int]]],
           list[tuple[int, int, int]]]:
    """Groups the digit masks into lines; returns `(members, direction)` per line (direction
    `"across"`, `"down"`, or None for a lone digit), for each component too long for
    one digit the indices of its pieces, and `(i, j, whole)` for each pair of neighbours
    that may be one digit (pieces and unions appended to `masks`)."""
    boxes = [box_of(m) for m in masks]
    alive = list(range(len(boxes)))
    pairs, axis = _pairs(boxes, alive)
    if pairs[axis]:
        alive = _tidy_lines(masks, boxes, _groups(alive, pairs[axis]), axis)
        if not alive:
            return [], {}, []
        pairs, _ = _pairs(boxes, alive, axis)
    groups = _groups(alive, pairs[axis])
    lines = []
    options: dict[int, list[list[int]]] = {}
    joins: list[tuple[int, int, int]] = []
    # A lone component is cut along the photo's lines (across when it has none).
    lone_axis = axis if any(len(g) > 1 for g in groups) else 0
    for members in groups:
        line_axis: int | None = axis if len(members) > 1 else None
        if line_axis is None:
            b = boxes[members[0]]
            long, short = (b[2] - b[0], b[3] - b[1])[:: 1 if lone_axis == 0 else -1]
            if long > LONE_SPLIT_RATIO * short and not elongated(b):
                line_axis = lone_axis
        if line_axis is not None:
            # A lone component may be one digit lying on its side (a turned 1 or 7): it
            # stays among the candidates, however long, and the reading decides.
            options.update(_split_wide(masks, boxes, members, line_axis,
                                       force=len(members) > 1))
            joins += _joins(masks, boxes, [i for i in members if i not in options], line_axis)
        many = len(members) > 1 or any(i in options for i in members)
        direction = None if line_axis is None or not many else (
            "across" if line_axis == 0 else "down")
        lines.append((members, direction))
    return lines, options, joins


def _joins(masks: list[np.ndarray], boxes: list[tuple[int, ...]], members: list[int],
           axis: int) -> list[tuple[int, int, int]]:
    """Neighbours along the line that may be one digit broken in two: `(i, j, whole)`,
    their union appended to `masks`."""
    if len(members) < 2:
        return []
    along, across = _sides(axis)
    height = float(np.median([boxes[i][across[1]] - boxes[i][across[0]] for i in members]))
    order = sorted(members, key=lambda i: boxes[i][along[0]] + boxes[i][along[1]])
    found = []
    for i, j in zip(order[:-1], order[1:], strict=True):
        a, b = boxes[i], boxes[j]
        gap = b[along[0]] - a[along[1]]
        length = max(a[along[1]], b[along[1]]) - min(a[along[0]], b[along[0]])
        if gap <= JOIN_GAP * height and length <= JOIN_LENGTH * height:
            masks.append(masks[i] | masks[j])
            boxes.append(box_of(masks[-1]))
            found.append((i, j, len(masks) - 1))
    return found


def _pairs(boxes: list[tuple[int, ...]], alive: list[int], axis: int | None = None,
           ) -> tuple[dict[int, list[tuple[int, int]]], int]:
    """Pairs of neighbouring boxes along each axis, and the axis more pairs agree on (or
    `axis` when given)."""
    sizes = [max(boxes[i][2] - boxes[i][0], boxes[i][3] - boxes[i][1]) for i in alive]
    reach = LINE_REACH * float(np.median(sizes))
    pairs: dict[int, list[tuple[int, int]]] = {0: [], 1: []}
    for n, i in enumerate(alive):
        for j in alive[n + 1 :]:
            for a in (0, 1):
                if _neighbours(boxes[i], boxes[j], a, reach):
                    pairs[a].append((i, j))
    if axis is None:
        axis = 0 if len(pairs[0]) >= len(pairs[1]) else 1
    return pairs, axis


def _groups(alive: list[int], pairs: list[tuple[int, int]]) -> list[list[int]]:
    """The connected groups of `alive` under `pairs` (union-find), in index order."""
    parent = {i: i for i in alive}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        if i in parent and j in parent:
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in alive:
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _tidy_lines(masks: list[np.ndarray], boxes: list[tuple[int, ...]],
                groups: list[list[int]], axis: int) -> list[int]:
    """Drops what lies off its line of digits, against the line's height: flat components
    and those that lie mostly above or below the line (dashes, dots, specks, bits of ruled
    lines and form boxes) are joined to the digit just above or below them when there is
    one (the flag of a 5, the bar of a 7) and dropped otherwise; thin strokes much taller
    than the line (the sides of form boxes) are dropped. The line's band follows its
    direction, so a tilted line keeps its digits. Returns the indices kept."""
    along, across = _sides(axis)

    def extent(i: int) -> int:
        return boxes[i][across[1]] - boxes[i][across[0]]

    def tall(i: int, line_height: float) -> bool:  # a thin stroke much taller than the line
        b = boxes[i]
        return extent(i) > TALL * line_height and b[along[1]] - b[along[0]] <= 0.2 * extent(i)

    lines = [g for g in groups if len(g) > 1]
    height = float(np.median([extent(i) for g in lines for i in g]))
    flat, kept = [], []
    for group in groups:
        if len(group) == 1:  # off every line: kept only when about as large as a digit
            b = boxes[group[0]]
            small = max(extent(group[0]), b[along[1]] - b[along[0]]) < LONE * height
            if tall(group[0], height):
                continue
            (flat if extent(group[0]) < FLAT * height or small else kept).append(group[0])
            continue
        line_height = float(np.median([extent(i) for i in group]))
        if line_height < FLAT * height:  # a row of dashes or dots
            flat.extend(group)
            continue
        body = [i for i in group if extent(i) >= FLAT * line_height] or group
        line_height = float(np.median([extent(i) for i in body]))
        inside = _band(boxes, body, axis, line_height)
        off = []
        for i in group:
            if tall(i, line_height):
                continue
            (off if inside(i) < FLAT * line_height else kept).append(i)
        kept += _stacked_pieces(masks, boxes, off, axis, line_height, inside)
        flat += off
    _join_fragments(masks, boxes, flat, kept, axis, FRAGMENT_GAP * height)
    return sorted(i for i in kept if not tall(i, height))


def _band(boxes: list[tuple[int, ...]], body: list[int], axis: int,
          line_height: float) -> Callable[[int], float]:
    """The band of a line through the centres of its digits (`body`), `line_height` wide
    and as tilted as the line: returns how much of the band a box covers, across it."""
    along, across = _sides(axis)

    def centre(i: int, sides: tuple[int, int]) -> float:
        return 0.5 * (boxes[i][sides[0]] + boxes[i][sides[1]])

    xs = np.array([centre(i, along) for i in body])
    ys = np.array([centre(i, across) for i in body])
    slopes = [(ys[n] - ys[m]) / (xs[n] - xs[m]) for m in range(len(body))
              for n in range(m + 1, len(body)) if xs[n] != xs[m]]
    slope = float(np.clip(np.median(slopes), -1.0, 1.0)) if slopes else 0.0
    offset = float(np.median(ys - slope * xs))

    def inside(i: int) -> float:
        b, middle = boxes[i], offset + slope * centre(i, along)
        return min(b[across[1]], middle + line_height / 2) - max(
            b[across[0]], middle - line_height / 2)

    return inside


def _join_fragments(masks: list[np.ndarray], boxes: list[tuple[int, ...]], flat: list[int],
                    kept: list[int], axis: int, reach: float) -> None:
    """Joins each piece of `flat` to the digit of `kept` just above or below it (within
    `reach`, overlapping half its length along the line)."""
    along, across = _sides(axis)
    for i in flat:
        b = boxes[i]
        best, best_gap = None, reach
        for j in kept:
            c = boxes[j]
            overlap = min(b[along[1]], c[along[1]]) - max(b[along[0]], c[along[0]])
            gap = max(b[across[0]], c[across[0]]) - min(b[across[1]], c[across[1]])
            if overlap >= 0.5 * (b[along[1]] - b[along[0]]) and gap <= best_gap:
                best, best_gap = j, gap
        if best is not None:
            masks[best] = masks[best] | masks[i]
            boxes[best] = box_of(masks[best])


def _stacked_pieces(masks: list[np.ndarray], boxes: list[tuple[int, ...]], off: list[int],
                    axis: int, line_height: float,
                    inside: Callable[[int], float]) -> list[int]:
    """Joins pairs of pieces off the line's band that lie one above the other (across the
    line) and together fill the band (an 8 or a 0 written in two strokes that do not
    meet); returns the joined pieces (each joined into the first of its pair, the second
    taken out of `off`)."""
    along, across = _sides(axis)
    joined = []
    for i in list(off):
        for j in list(off):
            if i == j or i not in off or j not in off:
                continue
            a, b = boxes[i], boxes[j]
            overlap = min(a[along[1]], b[along[1]]) - max(a[along[0]], b[along[0]])
            shorter = min(a[along[1]] - a[along[0]], b[along[1]] - b[along[0]])
            gap = max(a[across[0]], b[across[0]]) - min(a[across[1]], b[across[1]])
            length = max(a[along[1]], b[along[1]]) - min(a[along[0]], b[along[0]])
            if (overlap < STACK_OVERLAP * shorter or gap > FRAGMENT_GAP * line_height
                    or length > STACK_LENGTH * line_height):
                continue
            saved = masks[i], boxes[i]
            masks[i] = masks[i] | masks[j]
            boxes[i] = box_of(masks[i])
            if inside(i) >= FLAT * line_height:
                off.remove(i)
                off.remove(j)
                joined.append(i)
            else:
                masks[i], boxes[i] = saved
    return joined


def _split_wide(masks: list[np.ndarray], boxes: list[tuple[int, ...]], members: list[int],
                axis: int, force: bool = True) -> dict[int, list[list[int]]]:
    """Cuts the line's components that are too long for one digit into pieces (appended to
    `masks`), in a few candidate counts; returns the candidates by component, the
    component itself (unsplit, as `[i]`) among them when one digit could be that long
    (always, when not `force`)."""
    along, across = _sides(axis)
    heights = [boxes[i][across[1]] - boxes[i][across[0]] for i in members]
    height = float(np.median(heights))
    lengths = {i: boxes[i][along[1]] - boxes[i][along[0]] for i in members}
    limits = {i: max(height, boxes[i][across[1]] - boxes[i][across[0]]) for i in members}
    single = [lengths[i] for i in members if lengths[i] <= SPLIT_RATIO * limits[i]]
    width = DIGIT_ASPECT * height
    if single:  # the width of this writer's digits, within reason
        width = float(np.clip(np.median(single), 0.55 * height, 0.95 * height))
    out: dict[int, list[list[int]]] = {}
    for i in members:
        length = lengths[i]
        if length <= SPLIT_RATIO * limits[i] or length < 8:
            continue
        guess = max(2, int(round(length / width)))
        candidates = [] if force and length > FORCE_SPLIT_RATIO * limits[i] else [[i]]
        for count in sorted({max(2, guess - 1), guess, guess + 1}):
            pieces = _cut(masks, boxes, i, axis, count)
            # a flat piece is a stroke's tail (the foot of a 2), not a digit of its own
            if len(pieces) > 1 and all(boxes[p][across[1]] - boxes[p][across[0]]
                                       >= FLAT * height for p in pieces):
                candidates.append(pieces)
        if candidates and candidates != [[i]]:
            out[i] = candidates
    return out


def _cut(masks: list[np.ndarray], boxes: list[tuple[int, ...]], i: int, axis: int,
         count: int) -> list[int]:
    """Cuts component `i` into `count` pieces along `axis` at the thinnest points of its ink
    near the even cuts; appends them to `masks` and returns their indices."""
    b = boxes[i]
    lo_edge = b[0] if axis == 0 else b[1]
    length = (b[2] - b[0]) if axis == 0 else (b[3] - b[1])
    region = masks[i]
    profile = region.sum(axis=0 if axis == 0 else 1)[lo_edge : lo_edge + length]
    cuts = []
    step = length / count
    for k in range(1, count):
        lo, hi = int(k * step - 0.3 * step), int(k * step + 0.3 * step) + 1
        window = profile[max(1, lo) : min(length - 1, hi)]
        cuts.append(max(1, lo) + int(np.argmin(window)) if len(window) else int(k * step))
    bounds = [0, *cuts, length]
    found = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        piece = np.zeros_like(region)
        if axis == 0:
            piece[:, lo_edge + start : lo_edge + end] = region[:, lo_edge + start : lo_edge + end]
        else:
            piece[lo_edge + start : lo_edge + end] = region[lo_edge + start : lo_edge + end]
        if piece.sum() >= 4:
            masks.append(piece)
            boxes.append(box_of(piece))
            found.append(len(masks) - 1)
    return found


def reading_direction(turn: int) -> tuple[int, int]:
    """The photo's `(x, y)` direction in which an upright line, turned by `90 * turn` degrees
    counter-clockwise, is read (image rows grow downwards)."""
    return ((1, 0), (0, -1), (-1, 0), (0, 1))[turn % 4]
