#!/bin/bash
# check-install-order.sh - on a fresh machine, does every documented target
# install the Debian packages before it runs a compiler or a tool they bring?
# (README "The two commands"; the Makefile's DEPS_STAMP.)
#
# Asks make what it would do (`make -n`) for each target with an empty build
# folder, and checks that scripts/install-deps comes before the first line
# that runs gcc, cc, clang, ld, ar, as, qemu-system-*, npm or node. .ci/run
# calls it on its clean checkout before `make test`; it changes nothing.
set -u
cd "$(dirname "$0")/.."
TARGETS=${*:-run test all bench-quick grade}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in $TARGETS; do
    make -n BUILD="$scratch/build" LAB=1 "$target" >"$scratch/plan" 2>&1
    install=$(grep -n -m1 'scripts/install-deps' "$scratch/plan" | cut -d: -f1)
    tool=$(grep -n -m1 -E '^[[:space:]]*(gcc|cc|clang|ld|ar|as|qemu-system-[a-z0-9_]+|npm|node)([[:space:]]|$)' \
           "$scratch/plan" | cut -d: -f1)
    if [ -z "$tool" ]; then
        echo "check-install-order: make $target: runs no compiler (nothing to check)"
    elif [ -z "$install" ] || [ "$install" -gt "$tool" ]; then
        echo "check-install-order: make $target: line $tool runs a tool before scripts/install-deps" \
             "(${install:-never}): $(sed -n "${tool}p" "$scratch/plan" | cut -c1-100)" >&2
        status=1
    else
        echo "check-install-order: make $target: install step first (line $install), first tool at line $tool"
    fi
done
exit $status
