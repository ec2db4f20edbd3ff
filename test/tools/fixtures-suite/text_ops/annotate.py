#!/usr/bin/env python3
"""Numbers the lines of a table and appends the given tags (a fixture for Nebula's tool tests)."""
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("input")
parser.add_argument("output")
parser.add_argument("--tag", action="append", default=[])
args = parser.parse_args()
with open(args.input) as src, open(args.output, "w") as dst:
    for number, line in enumerate(src, start=1):
        dst.write("%d\t%s\t%s\n" % (number, line.rstrip("\n"), ",".join(args.tag) or "-"))
