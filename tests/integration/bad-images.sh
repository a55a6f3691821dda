# bad-images.sh - every malformed kernel from the generator gets exactly one
# clear error line and status 121, never a crash (chapter 9, "Reliability";
# the generator is tests/tools/bad-images.c, the loader chapter 2's).
source "$(dirname "$0")/lib.sh"
GEN=$BUILD/tests/bad-images

mkdir -p "$WORK/images"
if ! "$GEN" "$WORK/images"; then
    plan 1
    fail "bad images: generator" "$GEN failed"
    exit 0
fi

plan "$(ls "$WORK/images" | wc -l)"     # one check per image

# The two good images prove the generator builds kernels the loader takes.
for f in "$WORK"/images/good-*; do
    timeout $((20 * TIMEOUT_SCALE)) "$VMM" run --engine interp --disk none "$f" \
        </dev/null >"$WORK/out" 2>"$WORK/err"
    status=$?
    if [ "$status" = 42 ]; then pass "bad images: $(basename "$f") boots (status 42)"
    else fail "bad images: $(basename "$f") boots" "status $status: $(head -2 "$WORK/err")"; fi
done

for f in "$WORK"/images/bad-*; do
    name="bad images: $(basename "$f")"
    timeout $((20 * TIMEOUT_SCALE)) "$VMM" run --engine interp --disk none "$f" \
        </dev/null >"$WORK/out" 2>"$WORK/err"
    status=$?
    lines=$(wc -l <"$WORK/err")
    if [ "$status" != 121 ]; then
        fail "$name" "status $status, expected 121 ($(head -2 "$WORK/err" | tr '\n' '|'))"
    elif [ "$lines" != 1 ] || ! grep -q "^vmm: $f: ." "$WORK/err"; then
        fail "$name" "expected one line 'vmm: $f: ...' on stderr, got $lines: $(head -3 "$WORK/err" | tr '\n' '|')"
    elif [ -s "$WORK/out" ]; then
        fail "$name" "printed on stdout: $(head -2 "$WORK/out")"
    else
        pass "$name"
    fi
done
