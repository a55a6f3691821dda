/*
 * lab.c - the placeholder every lab stub calls (labs/README.md). It names
 * the missing piece, so the first failure a student sees is the next task.
 */
#include "vmm/lab.h"

#include <stdio.h>
#include <string.h>

#define MAX_REPORTED 32

bool lab_missing;

int lab_todo(const char *what)
{
    lab_missing = true;
    static const char *reported[MAX_REPORTED];
    static unsigned nreported;
    for (unsigned i = 0; i < nreported; i++)
        if (reported[i] == what || strcmp(reported[i], what) == 0)
            return -1;
    if (nreported < MAX_REPORTED)
        reported[nreported++] = what;
    fprintf(stderr, "vmm: %s is not written yet (see labs/)\n", what);
    return -1;
}
