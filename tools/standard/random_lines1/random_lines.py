#!/usr/bin/env python3
"""Select N random lines of a file, keeping their original order.

usage: random_lines.py INPUT OUTPUT NUM_LINES [--seed SEED]

Two passes over the input: the first records where each line starts, the second copies the
chosen lines. Memory grows with the number of lines (one offset each), not with their size.
With a seed, the same input always gives the same lines (a rerun reproduces its output).
"""
import argparse
import random
import sys


def line_offsets(handle):
    offsets = []
    position = 0
    for line in handle:
        offsets.append(position)
        position += len(line)
    return offsets


def choose(offsets, wanted, rng):
    # Drop random lines until `wanted` remain; what is left keeps the file's order.
    kept = list(offsets)
    while len(kept) > wanted:
        kept.pop(rng.randint(0, len(kept) - 1))
    return kept


def main(argv):
    parser = argparse.ArgumentParser(description="Select random lines from a file")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("num_lines")
    parser.add_argument("--seed", default=None)
    args = parser.parse_args(argv)

    try:
        wanted = int(args.num_lines)
    except ValueError:
        sys.exit(f"The number of lines must be a whole number, not {args.num_lines!r}.")
    if wanted < 1:
        sys.exit(f"You must select at least one line (asked for {wanted}).")

    with open(args.input, "rb") as source:
        offsets = line_offsets(source)
        total = len(offsets)
        if wanted > total:
            sys.exit(f"Asked to select more lines ({wanted}) than there are in the dataset ({total}).")
        rng = random.Random(args.seed) if args.seed is not None else random.Random()
        with open(args.output, "wb") as target:
            for offset in choose(offsets, wanted, rng):
                source.seek(offset)
                target.write(source.readline())

    print(f"Kept {wanted} of {total} total lines.")
    if args.seed is not None:
        print(f'Used random seed of "{args.seed}".')


if __name__ == "__main__":
    main(sys.argv[1:])
