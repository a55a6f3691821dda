/*
 * strip.c - the marker stripper behind `make handout` (labs/README.md).
 * See strip.h for the marker format. Works line by line; every marker must
 * stand alone on its line, so the rules stay simple enough to trust.
 */
#include "labs/tools/strip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char  *p;
    size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

/* The text of a line after its indentation; *indent gets the indentation length. */
static const char *skip_indent(const char *line, const char *end, size_t *indent)
{
    const char *p = line;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    *indent = (size_t)(p - line);
    return p;
}

static int starts(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/* Does [p, end) end with "*" "/" (allowing trailing blanks)? */
static int ends_comment(const char *p, const char *end)
{
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return end - p >= 2 && end[-2] == '*' && end[-1] == '/';
}

int strip_markers(const char *name, const char *text, size_t len, int lab,
                  struct strip_result *out, char *err, size_t errlen)
{
    struct buf b = { 0 };
    int in_region = 0, region_lab = 0, begin_line = 0, have_stub = 0;
    size_t region_indent = 0;
    struct buf stub = { 0 };
    memset(out, 0, sizeof(*out));
    put(&b, "", 0);

    int lineno = 0;
    for (const char *line = text; line < text + len;) {
        const char *nl = memchr(line, '\n', (size_t)(text + len - line));
        const char *end = nl ? nl : text + len;
        const char *next = nl ? nl + 1 : text + len;
        lineno++;
        size_t indent;
        const char *p = skip_indent(line, end, &indent);

        if (starts(p, end, "/* BEGIN SOLUTION(lab=")) {
            int n = 0;
            const char *q = p + strlen("/* BEGIN SOLUTION(lab=");
            while (q < end && *q >= '0' && *q <= '9')
                n = n * 10 + (*q++ - '0');
            if (in_region) {
                snprintf(err, errlen, "%s:%d: BEGIN SOLUTION inside the region opened at line %d",
                         name, lineno, begin_line);
                goto fail;
            }
            if (n < 1 || n > 99 || !starts(q, end, ") */")) {
                snprintf(err, errlen, "%s:%d: malformed BEGIN SOLUTION marker", name, lineno);
                goto fail;
            }
            in_region = 1;
            region_lab = n;
            begin_line = lineno;
            region_indent = indent;
            have_stub = 0;
            stub.len = 0;
            out->regions++;
        } else if (starts(p, end, "/* STUB:")) {
            if (!in_region) {
                snprintf(err, errlen, "%s:%d: STUB outside a solution region", name, lineno);
                goto fail;
            }
            if (have_stub) {
                snprintf(err, errlen, "%s:%d: second STUB in the region opened at line %d",
                         name, lineno, begin_line);
                goto fail;
            }
            if (!ends_comment(p, end)) {
                snprintf(err, errlen, "%s:%d: a STUB must fit on one line", name, lineno);
                goto fail;
            }
            const char *s = p + strlen("/* STUB:");
            const char *e = end;
            while (e > s && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t'))
                e--;
            e -= 2;                                     // the closing star-slash
            while (s < e && *s == ' ')
                s++;
            while (e > s && e[-1] == ' ')
                e--;
            put(&stub, s, (size_t)(e - s));
            have_stub = 1;
        } else if (starts(p, end, "/* END SOLUTION */")) {
            if (!in_region) {
                snprintf(err, errlen, "%s:%d: END SOLUTION without BEGIN", name, lineno);
                goto fail;
            }
            if (region_lab >= lab && have_stub) {
                put(&b, line, region_indent);
                put(&b, stub.p, stub.len);
                put(&b, "\n", 1);
            }
            if (region_lab >= lab)
                out->stubbed++;
            in_region = 0;
        } else if (!in_region || region_lab < lab) {
            put(&b, line, (size_t)(next - line));       // ordinary line, or a kept solution
        }
        line = next;
    }
    if (in_region) {
        snprintf(err, errlen, "%s:%d: solution region opened here is never closed", name,
                 begin_line);
        goto fail;
    }
    free(stub.p);
    out->text = b.p;
    out->len = b.len;
    return 0;
fail:
    free(stub.p);
    free(b.p);
    return -1;
}
