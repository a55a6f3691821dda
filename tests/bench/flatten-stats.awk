# flatten-stats.awk - turn one `vmm run --stats=json:FILE` file into lines
# "KEY VALUE", one per counter, for the benchmark harness (chapter 8):
#   exit.NAME COUNT          exits by reason (spaces in NAME become _)
#   engine_stats.A.B VALUE   the engine's own counters (soft TLB, shadow,
#                            walk model), every numeric leaf
#   instructions VALUE       and the other numbers at the top level
# A small JSON tokenizer: enough for the VMM's own output, not for any JSON.
function emit_number(v,    path, i) {
    path = ""
    for (i = 1; i <= depth; i++)
        if (keys[i] != "")
            path = path (path == "" ? "" : ".") keys[i]
    if (path ~ /^exits\.by_reason\.[0-9]+\.count$/) {
        split(path, p, ".")
        count[p[3]] = v
    } else if (path !~ /^exits\./ || path == "exits.exits") {
        print path, v
    }
}
{ text = text $0 "\n" }
END {
    depth = 0
    n = length(text)
    i = 1
    while (i <= n) {
        c = substr(text, i, 1)
        if (c == "{") {
            keys[++depth] = ""; inarray[depth] = 0; i++
        } else if (c == "[") {
            keys[++depth] = 0; inarray[depth] = 1; i++
        } else if (c == "}" || c == "]") {
            depth--; i++
        } else if (c == ",") {
            if (inarray[depth]) keys[depth]++
            i++
        } else if (c == "\"") {
            j = i + 1
            while (substr(text, j, 1) != "\"") j++
            s = substr(text, i + 1, j - i - 1)
            i = j + 1
            while (substr(text, i, 1) ~ /[ \n\t]/) i++
            if (substr(text, i, 1) == ":") {        # a key
                keys[depth] = s; i++
            } else if (keys[depth] == "name" && depth >= 3) {
                name[keys[depth - 1]] = s           # the name of an exit reason
            }
        } else if (c ~ /[-0-9]/) {
            j = i
            while (substr(text, j, 1) ~ /[-+0-9.eE]/) j++
            emit_number(substr(text, i, j - i))
            i = j
        } else {
            i++
        }
    }
    for (k in count) {
        s = name[k]
        gsub(/[^A-Za-z0-9]+/, "_", s)
        print "exit." s, count[k]
    }
}
