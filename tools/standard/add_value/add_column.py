#!/usr/bin/env python3
"""Append a column with a fixed value (or a counter) to every line of a dataset.

usage: add_column.py INPUT OUTPUT VALUE ITERATE

ITERATE is "no" (every line gets VALUE) or "yes": then a whole-number VALUE is the first of a
counter (VALUE, VALUE+1, ...), and any other VALUE gets a counter from 0 appended, "VALUE-0",
"VALUE-1", ... as Galaxy's addValue does.
"""
import sys


def values(value, iterate):
    if not iterate:
        while True:
            yield value
    if value.isdigit():
        counter = int(value)
        while True:
            yield str(counter)
            counter += 1
    counter = 0
    while True:
        yield f"{value}-{counter}"
        counter += 1


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: add_column.py INPUT OUTPUT VALUE ITERATE")
    source, target, value, iterate = argv
    if iterate not in ("yes", "no"):
        sys.exit(f"Iterate must be 'yes' or 'no', not {iterate!r}.")
    column = values(value, iterate == "yes")
    with open(source, encoding="utf-8", errors="surrogateescape", newline="\n") as lines, \
            open(target, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        for line in lines:
            out.write(f"{line.rstrip(chr(10))}\t{next(column)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
