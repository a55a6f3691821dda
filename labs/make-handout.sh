#!/bin/bash
# make-handout.sh - `make handout LAB=n`: the tree students get for lab n
# (labs/README.md), in build/handout-labN/.
#
# A copy of every file of the project (what git tracks, plus new files it
# does not ignore), in which the solution regions of labs n and later are
# replaced by their stubs, and those of earlier labs are kept (a student who
# struggled with lab 1 can still do lab 3). The stripper refuses nested or
# unterminated markers, naming the file and line.
set -euo pipefail
LAB=${1:?usage: make-handout.sh LAB}
BUILD=${BUILD:-build}
case "$LAB" in ''|*[!0-9]*) echo "make-handout: LAB must be a number" >&2; exit 2 ;; esac
ls labs/lab"$LAB"-*/ >/dev/null 2>&1 || { echo "make-handout: there is no lab $LAB" >&2; exit 2; }
OUT=$BUILD/handout-lab$LAB
STRIP=$BUILD/labs/handout-strip

mkdir -p "$(dirname "$STRIP")"
gcc -std=gnu11 -O2 -Wall -Wextra -I. -o "$STRIP" labs/tools/handout-strip.c labs/tools/strip.c

rm -rf "$OUT"
mkdir -p "$OUT"
git ls-files --cached --others --exclude-standard | grep -v "^$BUILD/" |
while read -r f; do
    [ -e "$f" ] || continue             # deleted in the working tree
    mkdir -p "$OUT/$(dirname "$f")"
    cp -p "$f" "$OUT/$f"
done
(cd "$OUT" && find . \( -name '*.[chS]' -o -name '*.md' \) -print0 | xargs -0 "../../$STRIP" "$LAB")
echo "$LAB" >"$OUT/labs/HANDOUT"
# A repository of its own: inside the clone's build/, `git status` and
# `git diff` would otherwise report on the parent repository, not on the
# student's work. The first commit is the handout as given.
(cd "$OUT" && git init -q && git add -A &&
 git -c user.name="lab handout" -c user.email="handout@localhost" \
     commit -q -m "Lab $LAB handout, as given")
echo "make-handout: $OUT is the handout of lab $LAB (labs $LAB and later stubbed)"
