#!/usr/bin/env python3
"""Letters and digits of the Hershey stroke fonts (Debian's hershey-fonts-data, public domain) as
InkML ink, for measuring how often the number reader says "no number" to letters.

Hershey glyphs are pen strokes, not outlines, so a glyph is ink as a pen would leave it; but they
are typeset shapes, not handwriting: a proxy until a corpus of handwritten letters is at hand.
Each glyph is written `--variants` times, each with its own slant, width, size, small rotation
and a wobble of its points, seeded. Truth annotations: the character, so `digit-predict --ink`
prints `truth=a` beside each reading and scores the digits (a check that the glyphs read as ink
should).

  tools/hershey-letters.py --out letters.inkml     # ./setup.sh bench installs the fonts
  build/release/apps/predict/digit-predict --ink letters.inkml

The same glyphs teach a network what is not a digit (`digit-train --not-digits`): the shipped
model learnt from letters of other fonts than the one its letters are measured on
(docs/numbers.md), without the letters that are drawn as digits are (O, o, I, l):

  tools/hershey-letters.py --font futural --font scripts --font greek --letters-only \
      --skip OolI --variants 8 --seed 2 --out data/not-digits.inkml

With --parts it writes, instead of whole glyphs, the pieces a number reader may cut a glyph of
several strokes into: each run of neighbouring strokes (in the order of their horizontal
centres, as the reader forms candidate digits) short of the whole glyph, such as the arch of an
n or the bowl of a P, leaving out single straight strokes (a 1 or a bar of a digit).
"""
import argparse
import math
import os
import random
import string
from xml.sax.saxutils import escape

# The single-stroke fonts: each glyph one pen line, as a hand writes it, and their digits read
# right (the others draw a glyph with parallel strokes: their digits did not; 2026-12-07).
FONTS = ["futural", "rowmans", "cursive"]
# Single-stroke fonts too, whose letters are other shapes: script letters, Greek (at the ASCII
# letters' places), for learning what is not a digit.
TRAIN_FONTS = ["scripts", "greek"]


def glyphs(path):
    """The glyphs of a .jhf file in order: lists of strokes of (x, y) points, y down."""
    text = open(path, encoding="latin-1").read()
    out, i = [], 0
    while i < len(text):
        if text[i] in "\r\n":
            i += 1
            continue
        count = int(text[i + 5 : i + 8])
        i += 8
        chars = []
        while len(chars) < 2 * count:
            if text[i] not in "\r\n":
                chars.append(text[i])
            i += 1
        pairs = [(chars[k], chars[k + 1]) for k in range(0, len(chars), 2)][1:]  # [0]: margins
        strokes, stroke = [], []
        for a, b in pairs:
            if (a, b) == (" ", "R"):  # pen up
                if stroke:
                    strokes.append(stroke)
                stroke = []
            else:
                stroke.append((ord(a) - ord("R"), ord(b) - ord("R")))
        if stroke:
            strokes.append(stroke)
        out.append(strokes)
    return out


def variant(strokes, rng):
    slant = rng.gauss(0, 0.15)
    widen = rng.uniform(0.85, 1.15)
    size = rng.uniform(0.8, 1.25)
    turn = rng.gauss(0, 0.05)
    c, s = math.cos(turn), math.sin(turn)
    out = []
    for stroke in strokes:
        pts = []
        for x, y in stroke:
            x = (x * widen - y * slant) * size + rng.gauss(0, 0.25)
            y = y * size + rng.gauss(0, 0.25)
            pts.append((c * x - s * y, s * x + c * y))
        out.append(pts)
    return out


def straight(stroke):
    """Whether a stroke runs nearly straight: its ink at most 5% longer than its chord."""
    ink = sum(math.dist(stroke[k - 1], stroke[k]) for k in range(1, len(stroke)))
    return ink <= 1.05 * math.dist(stroke[0], stroke[-1])


def parts(strokes):
    """The runs of neighbouring strokes (by horizontal centre) short of the whole glyph, each in
    writing order, without single straight strokes."""
    centre = lambda k: (min(x for x, _ in strokes[k]) + max(x for x, _ in strokes[k])) / 2
    order = sorted(range(len(strokes)), key=centre)
    out = []
    for count in range(1, len(strokes)):
        for first in range(len(strokes) - count + 1):
            run = sorted(order[first : first + count])
            if count == 1 and straight(strokes[run[0]]):
                continue
            out.append([strokes[k] for k in run])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fonts", default="/usr/share/hershey-fonts")
    p.add_argument("--out", required=True)
    p.add_argument("--variants", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--font", action="append", choices=sorted(set(FONTS + TRAIN_FONTS)),
                   help=f"a font to write (repeat; default {' '.join(FONTS)})")
    p.add_argument("--letters-only", action="store_true", help="leave the digits out")
    p.add_argument("--skip", default="", help="characters to leave out, e.g. OolI")
    p.add_argument("--parts", action="store_true",
                   help="write the pieces of glyphs of several strokes instead of whole glyphs")
    a = p.parse_args()
    rng = random.Random(a.seed)
    fonts = a.font or FONTS
    chars = string.ascii_letters + ("" if a.letters_only else string.digits)
    chars = "".join(ch for ch in chars if ch not in a.skip)
    traces, groups = [], []
    for font in fonts:
        path = os.path.join(a.fonts, font + ".jhf")
        if not os.path.exists(path):
            raise SystemExit(f"{path}: no such file (apt-get install hershey-fonts-data)")
        g = glyphs(path)
        for ch in chars:
            index = ord(ch) - 32  # the fonts hold ASCII 32..126 in order
            if index >= len(g) or not g[index]:
                continue
            for _ in range(a.variants):
                glyph = variant(g[index], rng)
                for piece in parts(glyph) if a.parts else [glyph]:
                    ids = []
                    for stroke in piece:
                        ids.append(f"t{len(traces)}")
                        pts = ", ".join(f"{x:.2f} {y:.2f}" for x, y in stroke)
                        traces.append(f'  <trace xml:id="{ids[-1]}">{pts}</trace>')
                    views = "".join(f'<traceView traceDataRef="#{t}"/>' for t in ids)
                    truth = escape(ch) + (" (part)" if a.parts else "")
                    groups.append(
                        f'  <traceGroup><annotation type="truth">{truth}</annotation>'
                        f'<annotation type="writer">{font}</annotation>{views}</traceGroup>')
    with open(a.out, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<ink xmlns="http://www.w3.org/2003/InkML">\n')
        f.write("\n".join(traces + groups) + "\n</ink>\n")
    what = "pieces of glyphs" if a.parts else "glyphs"
    print(f"{a.out}: {len(groups)} {what} of {len(fonts)} fonts")


if __name__ == "__main__":
    main()
