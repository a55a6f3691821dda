/*
 * ulib.h - what user programs can call: the system calls, and a few library
 * functions (chapter 1, "Programs").
 */
#ifndef USER_ULIB_H
#define USER_ULIB_H

#include "guest-os/include/string.h"
#include "guest-os/include/syscall.h"

/* System calls (usys.S). */
void exit(int status) __attribute__((noreturn));
int  fork(void);
int  exec(const char *name, char *const argv[]);
int  wait(int *status);
int  getpid(void);
char *sbrk(int delta);
int  sleep(int ticks);
int  yield(void);
int  uptime(void);
int  read(int fd, void *buf, int n);
int  write(int fd, const void *buf, int n);
int  blkread(unsigned sector, void *buf, unsigned count);
int  blkwrite(unsigned sector, const void *buf, unsigned count);
int  blksize(void);
int  blkflush(void);                    /* 0 once the disk has the writes, or -1 */
void poweroff(int code) __attribute__((noreturn));
int  progs(char *buf, int n);
int  popftest(unsigned cycles, struct popf_report *report);
int  nanobench(int op, unsigned n, void *va);    /* NANO_* op n times in the kernel */
/* Any system call by number: for tests of bad numbers and arguments. */
int  syscall5(int n, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e);

/* Library (ulib.c). */
int  printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  atoi(const char *s);
/* The value of key=VALUE among argv[1..], or def when absent. */
unsigned arg_uint(int argc, char **argv, const char *key, unsigned def);
/* A small, fast pseudo-random generator (xorshift32); *state must not be 0. */
unsigned xorshift(unsigned *state);

#endif
