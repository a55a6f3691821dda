#!/bin/bash
# update-chapter.sh TABLE CHAPTER - put the generated tables (results.md)
# into the chapter between its markers <!-- BEGIN RESULTS --> and
# <!-- END RESULTS -->, so that the book always shows the last `make bench`
# (chapter 08-shadow-vs-ept.md). Everything outside the markers is kept.
set -euo pipefail
table=$1 chapter=$2
if ! grep -q '^<!-- BEGIN RESULTS -->$' "$chapter" || ! grep -q '^<!-- END RESULTS -->$' "$chapter"; then
    echo "update-chapter: $chapter has no RESULTS markers; left alone" >&2
    exit 1
fi
awk -v table="$table" '
    /^<!-- BEGIN RESULTS -->$/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /^<!-- END RESULTS -->$/   { skip = 0 }
    !skip' "$chapter" >"$chapter.tmp"
mv "$chapter.tmp" "$chapter"
echo "update-chapter: the tables of $chapter now show $table"
