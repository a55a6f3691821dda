# book.sh - the book's code quotes still match the code (chapters/*.md):
# tests/check-quotes.awk checks every "From `path`:" block, and that none
# shows a lab's solution. One PASS line per chapter whose quotes all match.
source "$(dirname "$0")/lib.sh"
plan $(ls chapters/*.md | wc -l)

for ch in chapters/*.md; do
    if out=$(awk -f tests/check-quotes.awk "$ch"); then
        pass "book: $(basename "$ch"): $(echo "$out" | tail -1)"
    else
        echo "$out" | grep '^FAIL: '
    fi
done
