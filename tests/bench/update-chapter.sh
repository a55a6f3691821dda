#!/bin/bash
# update-chapter.sh TABLE CHAPTER [NAME] - put a generated table into the
# chapter between its markers <!-- BEGIN NAME --> and <!-- END NAME -->
# (NAME is RESULTS unless given), so that the book always shows the last
# run: `make bench` fills chapter 08-shadow-vs-ept.md's RESULTS, `make
# bench-trap` chapter 03-trap-and-emulate.md's BENCH-TRAP. Everything
# outside the markers is kept.
set -euo pipefail
table=$1 chapter=$2 name=${3:-RESULTS}
if ! grep -q "^<!-- BEGIN $name -->\$" "$chapter" || ! grep -q "^<!-- END $name -->\$" "$chapter"; then
    echo "update-chapter: $chapter has no $name markers; left alone" >&2
    exit 1
fi
awk -v table="$table" -v begin="<!-- BEGIN $name -->" -v end="<!-- END $name -->" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skip = 1; next }
    $0 == end   { skip = 0 }
    !skip' "$chapter" >"$chapter.tmp"
mv "$chapter.tmp" "$chapter"
echo "update-chapter: the $name tables of $chapter now show $table"
