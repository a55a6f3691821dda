/* string.h - the few string functions the guest kernel and programs use. */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

typedef unsigned int size_t;

void  *memset(void *dst, int c, size_t n);
void  *memcpy(void *dst, const void *src, size_t n);
void  *memmove(void *dst, const void *src, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
char  *strncpy_safe(char *dst, const char *src, size_t n);   /* always NUL-terminates */

#endif
