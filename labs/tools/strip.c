/*
 * strip.c - the marker stripper behind `make handout` (labs/README.md).
 * See strip.h for the marker format. Works line by line; every marker must
 * stand alone on its line, so the rules stay simple enough to trust.
 * Markers are C comments in code, and HTML comments ("<!-- BEGIN SOLUTION
 * (lab=6) -->", "<!-- STUB: ... -->", "<!-- END SOLUTION -->") in Markdown.
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

/* The two comment styles a marker may use. */
struct style {
    const char *open, *close;
};
static const struct style styles[] = { { "/* ", "*/" }, { "<!-- ", "-->" } };

/* If [p, end) starts with a comment opener followed by word, return the
 * style and set *rest to what follows the word; else NULL. */
static const struct style *marker(const char *p, const char *end, const char *word,
                                  const char **rest)
{
    for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
        size_t n = strlen(styles[i].open);
        if (starts(p, end, styles[i].open) && starts(p + n, end, word)) {
            *rest = p + n + strlen(word);
            return &styles[i];
        }
    }
    return NULL;
}

/* Does [p, end) end with the style's closer (allowing trailing blanks)?
 * If so, *close_at points at the closer. */
static int ends_comment(const char *p, const char *end, const struct style *st,
                        const char **close_at)
{
    size_t n = strlen(st->close);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    if ((size_t)(end - p) < n || memcmp(end - n, st->close, n) != 0)
        return 0;
    *close_at = end - n;
    return 1;
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

        const char *rest, *close_at;
        const struct style *st;
        if ((st = marker(p, end, "BEGIN SOLUTION(lab=", &rest)) != NULL) {
            int n = 0;
            const char *q = rest;
            while (q < end && *q >= '0' && *q <= '9')
                n = n * 10 + (*q++ - '0');
            if (in_region) {
                snprintf(err, errlen, "%s:%d: BEGIN SOLUTION inside the region opened at line %d",
                         name, lineno, begin_line);
                goto fail;
            }
            if (n < 1 || n > 99 || !starts(q, end, ")") || !ends_comment(q + 1, end, st, &close_at)) {
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
        } else if ((st = marker(p, end, "STUB:", &rest)) != NULL) {
            if (!in_region) {
                snprintf(err, errlen, "%s:%d: STUB outside a solution region", name, lineno);
                goto fail;
            }
            if (have_stub) {
                snprintf(err, errlen, "%s:%d: second STUB in the region opened at line %d",
                         name, lineno, begin_line);
                goto fail;
            }
            if (!ends_comment(rest, end, st, &close_at)) {
                snprintf(err, errlen, "%s:%d: a STUB must fit on one line", name, lineno);
                goto fail;
            }
            const char *s = rest, *e = close_at;
            while (s < e && *s == ' ')
                s++;
            while (e > s && e[-1] == ' ')
                e--;
            put(&stub, s, (size_t)(e - s));
            have_stub = 1;
        } else if ((st = marker(p, end, "END SOLUTION", &rest)) != NULL &&
                   ends_comment(rest, end, st, &close_at) && close_at - rest <= 1) {
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
