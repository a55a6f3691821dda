/*
 * lab.h - what the pieces of a lab handout call before the student writes
 * them (labs/README.md). In the full tree nothing calls it.
 */
#ifndef VMM_LAB_H
#define VMM_LAB_H

/* Say once, on stderr, that `what` ("LAB 3: shadow fill") is not written
 * yet, and return -1 so the caller fails the way a missing piece should. */
int lab_todo(const char *what);

#endif
