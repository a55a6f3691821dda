/*
 * strip.h - turn the solution tree into a lab handout (labs/README.md).
 *
 * The real source carries each lab's solution between markers:
 *
 *     /+ BEGIN SOLUTION(lab=3) +/
 *     ...the code the student will write...
 *     /+ STUB: return lab_todo("LAB 3: shadow_fill"); +/
 *     /+ END SOLUTION +/
 *
 * (with '*' for '+'). For handout n, a region of lab >= n becomes its STUB
 * line uncommented, at the marker's indentation (no STUB line: nothing), and
 * a region of lab < n keeps its solution without the marker lines. The full
 * tree compiles untouched, since the markers are comments.
 */
#ifndef LABS_STRIP_H
#define LABS_STRIP_H

#include <stddef.h>

struct strip_result {
    char  *text;                        /* malloc'ed output, NUL-terminated */
    size_t len;
    int    regions;                     /* marker regions seen */
    int    stubbed;                     /* of them, replaced by their stub */
};

/* Strip text (len bytes) for handout `lab`. name is used in messages.
 * Returns 0, or -1 with a one-line "name:LINE: problem" in err (nested or
 * unterminated regions, END without BEGIN, a bad lab number, two STUBs). */
int strip_markers(const char *name, const char *text, size_t len, int lab,
                  struct strip_result *out, char *err, size_t errlen);

#endif
