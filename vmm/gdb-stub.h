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

/* What gdb_serve ended with. */
enum { GDB_DETACHED = 0, GDB_KILLED = 1, GDB_QUIT = 2, GDB_TIMEOUT = 3 };

/* Wait for gdb on the listening socket, then obey it. Returns GDB_DETACHED
 * (the guest runs on without it; the socket still listens), GDB_KILLED
 * (gdb killed the guest, or it ended: m->finished says which), GDB_QUIT
 * (the user quit while waiting, or from the monitor under gdb) or
 * GDB_TIMEOUT (--timeout passed before gdb connected). */
int gdb_serve(struct mon *m, int listen_fd);

#endif
