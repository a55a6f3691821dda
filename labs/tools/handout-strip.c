/*
 * handout-strip.c - `handout-strip LAB FILE...`: rewrite each FILE in place
 * for the handout of lab LAB (see strip.h). Used by `make handout` on a copy
 * of the tree, never on the real source. Exits 1 with one line per problem.
 */
#include <stdio.h>
#include <stdlib.h>

#include "labs/tools/strip.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0, got;
    char *p = malloc(cap);
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    *len = n;
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: handout-strip LAB FILE...\n");
        return 2;
    }
    int lab = atoi(argv[1]), status = 0;
    for (int i = 2; i < argc; i++) {
        size_t len;
        char err[512];
        char *text = read_all(argv[i], &len);
        struct strip_result r;
        if (!text) {
            fprintf(stderr, "handout-strip: %s: cannot read\n", argv[i]);
            status = 1;
            continue;
        }
        if (strip_markers(argv[i], text, len, lab, &r, err, sizeof(err)) < 0) {
            fprintf(stderr, "handout-strip: %s\n", err);
            status = 1;
        } else if (r.regions > 0) {
            FILE *f = fopen(argv[i], "wb");
            if (!f || fwrite(r.text, 1, r.len, f) != r.len || fclose(f) != 0) {
                fprintf(stderr, "handout-strip: %s: cannot write\n", argv[i]);
                status = 1;
            }
        }
        free(r.text);
        free(text);
    }
    return status;
}
