#!/usr/bin/env python3
"""Cut columns out of a dataset, in any order, into a tab-separated table.

usage: cut_columns.py INPUT COLUMNS DELIMITER OUTPUT

COLUMNS lists columns as c1,c4,c2 and ranges as c2-c5 (spaces ignored, case ignored).
DELIMITER is one of Galaxy's codes: T (tab), Sp (any run of whitespace), Dt (dot), C (comma),
D (dash), U (underscore), P (pipe). A column a line does not have is written as ".".
Lines starting with "#" are comments and are left out.
"""
import re
import sys

SEPARATORS = {
    "T": re.compile("\t"),
    "Sp": re.compile(r"\s+"),
    "Dt": re.compile(r"\."),
    "C": re.compile(","),
    "D": re.compile("-"),
    "U": re.compile("_"),
    "P": re.compile(r"\|"),
}

SINGLE = re.compile(r"^c(\d+)$", re.IGNORECASE)
RANGE = re.compile(r"^c(\d+)-c(\d+)$", re.IGNORECASE)


def parse_columns(spec):
    """1-based column numbers, in the order given; items that are not columns are skipped."""
    columns = []
    for item in re.sub(r"\s+", "", spec).split(","):
        single, span = SINGLE.match(item), RANGE.match(item)
        if single:
            columns.append(int(single.group(1)))
        elif span:
            columns.extend(range(int(span.group(1)), int(span.group(2)) + 1))
    if 0 in columns:
        sys.exit(f"Columns count from 1; c0 is not a column: {spec}")
    if not columns:
        sys.exit(
            "No columns specified, columns are not preceded with 'c', "
            f"or commas are not used to separate column numbers: {spec}"
        )
    return columns


def split_fields(line, separator):
    fields = separator.split(line)
    # Empty fields at the end of a line do not count as columns (a line "a,b,," has 2).
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: cut_columns.py INPUT COLUMNS DELIMITER OUTPUT")
    source, spec, delimiter, target = argv
    if delimiter not in SEPARATORS:
        sys.exit(f"Unknown delimiter {delimiter!r}: expected one of {', '.join(SEPARATORS)}.")
    separator = SEPARATORS[delimiter]
    columns = parse_columns(spec)
    with open(source, encoding="utf-8", errors="surrogateescape", newline="\n") as lines, \
            open(target, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        for line in lines:
            if line.startswith("#"):
                continue
            fields = split_fields(line.rstrip("\n"), separator)
            picked = [fields[c - 1] if c <= len(fields) else "." for c in columns]
            out.write("\t".join(picked) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
