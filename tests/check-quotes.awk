# check-quotes.awk - every code quote in the book must still match its source
# (chapters/*.md). A quote is a fenced block right after a line
#     From `path`:
# (blank lines between are allowed). The block must appear, line for line,
# in that file, and must not lie inside a lab's solution region (a handout
# would not have it). Prints one "FAIL: ..." line per bad quote and a
# summary; exit status 1 if any failed.
#
# Usage: awk -f tests/check-quotes.awk chapters/*.md

function slurp(path,    line, text, n) {
    if (path in cache) return cache[path]
    text = ""; n = 0
    while ((getline line < path) > 0) { text = text line "\n"; n++ }
    close(path)
    cache[path] = (n > 0) ? text : "\001missing"
    return cache[path]
}

# The solution regions of a file, as [start, end) byte offsets in its text.
function in_solution(text, pos,    rest, off, b, e) {
    rest = text; off = 0
    while ((b = index(rest, "BEGIN SOLUTION(lab=")) > 0) {
        e = index(substr(rest, b), "END SOLUTION")
        if (e == 0) return 0
        if (pos >= off + b && pos <= off + b + e) return 1
        off += b + e; rest = substr(rest, b + e + 1)
    }
    return 0
}

function check(    text, pos) {
    total++
    text = slurp(path)
    if (text == "\001missing") {
        printf "FAIL: %s:%d: quotes %s, which does not exist\n", FILENAME, start, path
        bad++
        return
    }
    pos = index(text, quote)
    if (pos == 0) {
        printf "FAIL: %s:%d: the quote of %s no longer matches the source\n", FILENAME, start, path
        bad++
    } else if (in_solution(text, pos)) {
        printf "FAIL: %s:%d: the quote of %s shows a lab's solution\n", FILENAME, start, path
        bad++
    }
}

FNR == 1 { want = 0; inblock = 0 }
inblock && /^```/ { inblock = 0; check(); next }
inblock { quote = quote $0 "\n"; next }
want && /^```/ { inblock = 1; quote = ""; start = FNR; want = 0; next }
want && /^[ \t]*$/ { next }
{ want = 0 }
match($0, /^From `[^`]+`:/) {
    path = substr($0, 7, RLENGTH - 8)
    want = 1
}
END {
    printf "%d quotes checked, %d out of date\n", total, bad
    exit bad > 0
}
