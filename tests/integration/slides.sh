# slides.sh - the lecture slides (slides/NN-*.md, one deck per chapter):
# their code quotes still match the source (tests/check-quotes.awk, as for the
# book), `make slides` renders every deck to build/slides/NAME.html, and each
# page, loaded in headless Chromium, shows a title slide (a screenshot that is
# not blank, build/slides/NAME-title.png), has as many slides as the deck has
# `---` separators plus one, carries the deck's title, and has no slide whose
# content runs off the page. The rendering checks are SKIPped, with the
# reason, where npm or Chromium is missing (scripts/install-deps installs
# Chromium; Node.js and npm come with the machine).
source "$(dirname "$0")/lib.sh"

DECKS="00-introduction 01-the-guest-machine 02-interpreter 03-trap-and-emulate
04-shadow-paging 05-kvm-and-ept 06-devices-and-io 07-the-monitor 08-shadow-vs-ept"
OUTDIR=$BUILD/slides
plan $(( 3 * $(echo $DECKS | wc -w) ))     # quotes, renders, fits: per deck

present=""
for name in $DECKS; do
    if [ -f "slides/$name.md" ]; then
        present="$present $name"
    else
        fail "slides: $name" "slides/$name.md is missing"
    fi
done

# The code quotes: every "From `path`:" block appears in that file.
for name in $present; do
    if out=$(awk -f tests/check-quotes.awk "slides/$name.md"); then
        pass "slides: $name: $(echo "$out" | tail -1)"
    else
        fail "slides: $name: code quotes" "$(echo "$out" | grep '^FAIL: ' | head -3 | sed 's/^FAIL: //' | tr '\n' '|')"
    fi
done

skip_all() {
    for name in $present; do
        skip "slides: $name renders" "$1"
        skip "slides: $name: every slide fits 1280x720" "$1"
    done
    exit 0
}

command -v npm >/dev/null 2>&1 || skip_all "npm is not installed (make slides needs Node.js and npm)"
if ! make -s slides >"$WORK/make.log" 2>&1; then
    for name in $present; do
        fail "slides: $name renders" "make slides failed: $(tail -3 "$WORK/make.log" | tr '\n' '|')"
    done
    exit 0
fi

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip_all "chromium is not installed (scripts/install-deps installs it)"

chromium_run() {    # chromium_run ARGS... URL: headless, no network, a fresh profile
    local profile
    profile=$(mktemp -d "$WORK/chromium.XXXXXX")
    timeout $((60 * TIMEOUT_SCALE)) "$CHROMIUM" --headless --no-sandbox --disable-gpu \
        --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$profile" "$@" 2>/dev/null
}

# The slides Marp makes of a deck: its `---` lines outside code blocks and
# outside the front matter, plus one.
expected_slides() {
    awk 'NR == 1 && /^---$/ { front = 1; next }
         front { if (/^---$/) front = 0; next }
         /^```/ { fence = !fence; next }
         !fence && /^---$/ { n++ }
         END { print n + 1 }' "$1"
}

deck_title() {
    awk 'NR == 1 && /^---$/ { front = 1; next }
         front && /^---$/ { exit }
         front && sub(/^title: */, "") { gsub(/^["'\'']|["'\'']$/, ""); print; exit }' "$1"
}

for name in $present; do
    html=$OUTDIR/$name.html
    png=$OUTDIR/$name-title.png
    what="slides: $name renders"
    title=$(deck_title "slides/$name.md")
    want=$(expected_slides "slides/$name.md")
    if [ ! -s "$html" ]; then
        fail "$what" "make slides wrote no $html"
        continue
    fi
    if [ -z "$title" ] || ! grep -qF "<title>$title</title>" "$html"; then
        fail "$what" "the page does not carry the deck's title '${title:-(no title: in the front matter)}'"
        continue
    fi
    rm -f "$png"
    chromium_run --screenshot="$png" --window-size=1280,720 "file://$PWD/$html" >/dev/null
    size=$(stat -c %s "$png" 2>/dev/null || echo 0)
    distinct=$(od -An -tu1 -v "$png" 2>/dev/null | tr -s ' ' '\n' | sort -u | wc -l)
    # A blank 1280x720 page is a PNG of about 4 KB that uses few byte values.
    if [ "$size" -lt 8000 ] || [ "$distinct" -lt 200 ]; then
        fail "$what" "the screenshot $png looks blank ($size bytes, $distinct distinct byte values)"
        continue
    fi
    got=$(chromium_run --dump-dom "file://$PWD/$html" | grep -o '<section' | wc -l)
    if [ "$got" != "$want" ]; then
        fail "$what" "$got slides in the page, the deck has $want"
        continue
    fi
    pass "$what: $want slides, title '$title', screenshot $size bytes"
done

# Every slide fits its page: nothing runs off the bottom, no code is cut off.
if [ -f slides/node_modules/puppeteer-core/package.json ]; then
    htmls=""
    for name in $present; do htmls="$htmls $OUTDIR/$name.html"; done
    # shellcheck disable=SC2086
    timeout $((120 * TIMEOUT_SCALE)) node slides/check-fit.js "$CHROMIUM" $htmls >"$WORK/fit" 2>&1
    for name in $present; do
        if grep -q "^$name: [0-9]* slides fit$" "$WORK/fit"; then
            pass "slides: $name: every slide fits 1280x720"
        else
            fail "slides: $name: every slide fits 1280x720" \
                 "$(grep "^$name: \|^check-fit" "$WORK/fit" | head -3 | tr '\n' '|')"
        fi
    done
else
    for name in $present; do
        skip "slides: $name: every slide fits 1280x720" "puppeteer-core is not in slides/node_modules"
    done
fi
