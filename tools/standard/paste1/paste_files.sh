#!/bin/sh
# Merge two datasets side by side, line by line.
# usage: paste_files.sh FIRST SECOND DELIMITER OUTPUT
#   DELIMITER is one of Galaxy's codes: T (tab), C (comma), D (dash), U (underscore),
#   P (pipe), Dt (dot), Sp (space).
set -eu

if [ "$#" -ne 4 ]; then
    echo "usage: paste_files.sh FIRST SECOND DELIMITER OUTPUT" >&2
    exit 2
fi

case $3 in
    T) separator='\t' ;; # paste reads \t in its delimiter list as a tab
    C) separator=',' ;;
    D) separator='-' ;;
    U) separator='_' ;;
    P) separator='|' ;;
    Dt) separator='.' ;;
    Sp) separator=' ' ;;
    *)
        echo "Unknown delimiter '$3': expected one of T, C, D, U, P, Dt, Sp." >&2
        exit 1
        ;;
esac

paste -d "$separator" "$1" "$2" > "$4"
