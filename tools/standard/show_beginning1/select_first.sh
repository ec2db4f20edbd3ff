#!/bin/sh
# Select the first N lines of a dataset.
# usage: select_first.sh INPUT N HEADER OUTPUT
#   HEADER is "true" when the first line is a header: it is kept and not counted in N.
set -eu

if [ "$#" -ne 4 ]; then
    echo "usage: select_first.sh INPUT N HEADER OUTPUT" >&2
    exit 2
fi
input=$1
lines=$2
header=$3
output=$4

case $lines in
    '' | *[!0-9]*)
        echo "The number of lines to select must be a whole number of at least 0, not '$lines'." >&2
        exit 1
        ;;
esac

if [ "$header" = true ]; then
    # The header line, then N lines of what follows it. head may stop reading before tail has
    # written everything; the pipeline's status is head's, so that is not an error.
    { head -n 1 "$input"; tail -n +2 "$input" | head -n "$lines"; } > "$output"
else
    head -n "$lines" "$input" > "$output"
fi
