/*
 * gdb-stub.h - serve the GDB remote serial protocol on 127.0.0.1, so that
 * a real gdb can debug the guest kernel (chapter 7, "A gdb stub").
 */
#ifndef VMM_GDB_STUB_H
#define VMM_GDB_STUB_H

#include <stddef.h>

struct mon;

/* Listen on 127.0.0.1:port (only this machine may connect). Returns the
 * socket, or -1 with one line in err. */
int gdb_listen(int port, char *err, size_t errlen);

/* Wait for gdb on the listening socket, then obey it. Returns 0 when gdb
 * detached (the guest runs on without it), 1 when it killed the guest or
 * the guest ended (m->finished says which). */
int gdb_serve(struct mon *m, int listen_fd);

#endif
