/*
 * lab.h - what the pieces of a lab handout call before the student writes
 * them (labs/README.md). In the full tree nothing calls it.
 */
#ifndef VMM_LAB_H
#define VMM_LAB_H

#include <stdbool.h>

/* Say once, on stderr, that `what` ("LAB 3: shadow fill") is not written
 * yet, set lab_missing, and return -1 so the caller fails the way a missing
 * piece should. */
int lab_todo(const char *what);

/* Set once a missing piece was reached: the engines then stop the guest
 * with a clear message rather than run on with a half-built machine. */
extern bool lab_missing;

#endif
