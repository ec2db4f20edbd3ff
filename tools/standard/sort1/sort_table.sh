#!/bin/sh
# Sort a tab-separated dataset on one or more columns, keeping header lines on top.
# usage: sort_table.sh INPUT OUTPUT HEADER_LINES KEY [KEY...]
#   KEY is COLUMN,STYLE,ORDER: COLUMN counts from 1; STYLE is num (numbers by value), gennum
#   (numbers in any notation, e.g. 1e3) or alpha (text, ignoring case); ORDER is ASC or DESC.
# Keys are applied in order; lines equal on every key keep their input order.
set -eu

fail() {
    echo "$1" >&2
    exit 1
}

[ "$#" -ge 4 ] || fail "usage: sort_table.sh INPUT OUTPUT HEADER_LINES KEY [KEY...]"
input=$1
output=$2
header_lines=$3
shift 3

case $header_lines in
    '' | *[!0-9]*) fail "The number of header lines must be a whole number of at least 0, not '$header_lines'." ;;
esac

# Each KEY becomes one `-k C,C<flags>` option. A key with its own flags does not inherit global
# ones, so case folding for text keys is given per key.
keys=''
for key in "$@"; do
    IFS=, read -r column style order <<KEY
$key
KEY
    case $column in
        '' | *[!0-9]* | 0) fail "Not a column number: '$column' (columns count from 1)." ;;
    esac
    case $style in
        num) flags=n ;;
        gennum) flags=g ;;
        alpha) flags=f ;;
        *) fail "Unknown sort style '$style': expected num, gennum or alpha." ;;
    esac
    case $order in
        ASC) ;;
        DESC) flags="${flags}r" ;;
        *) fail "Unknown sort order '$order': expected ASC or DESC." ;;
    esac
    keys="$keys -k $column,$column$flags"
done

tab=$(printf '\t')
# The byte order of the C locale is the same on every node, so results do not depend on where the
# job runs. $keys holds only digits, letters, commas and spaces: splitting it is safe.
# shellcheck disable=SC2086
{
    if [ "$header_lines" -gt 0 ]; then
        head -n "$header_lines" "$input"
    fi
    tail -n "+$((header_lines + 1))" "$input" | LC_ALL=C sort -s -t "$tab" $keys
} > "$output"
