#!/usr/bin/env python3
"""Writes the digits of chosen writers of a UNIPEN file (plain or .gz) as a UNIPEN file of their
own, for writer-disjoint folds: stroke numbers are renumbered, everything else is kept.

  tools/unipen-writers.py data/pen/pendigits-orig.tra.gz 1-20 > data/pen/fold-a-train.tra
  tools/unipen-writers.py data/pen/pendigits-orig.tra.gz 21-30 > data/pen/fold-a-val.tra

Writers come from UCI's `.COMMENT LABEL WRITER SAMPLE` line after each `.SEGMENT`; the segment
must come before its strokes, as in UCI's files (digits/unipen.h reads more layouts than this).
"""
import gzip
import sys


def writers(spec):
    out = set()
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, keep = sys.argv[1], writers(sys.argv[2])
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="latin-1") as f:
        lines = f.read().splitlines()
    header, digits, current = [], [], None
    for line in lines:
        if line.startswith(".SEGMENT"):
            current = {"segment": line.split(), "comment": None, "body": []}
            digits.append(current)
        elif current is None:
            header.append(line)
        elif line.startswith(".COMMENT") and current["comment"] is None:
            current["comment"] = line
        else:
            current["body"].append(line)
    out, stroke = header, 0
    for d in digits:
        if d["comment"] is None or int(d["comment"].split()[2]) not in keep:
            continue
        n = sum(1 for line in d["body"] if line.startswith(".PEN_DOWN"))
        seg = d["segment"]
        seg[2] = str(stroke) if n == 1 else "%d-%d" % (stroke, stroke + n - 1)
        stroke += n
        out += [" ".join(seg), d["comment"]] + d["body"]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
