/*
 * fuzz-gdb-packet.c - libFuzzer target: the gdb stub's packet layer
 * (vmm/gdb-packet.c; chapter 7, "A gdb stub"; the fuzzing is in chapter 9,
 * "Reliability"). Whatever arrives on the socket goes through gdb_frame and
 * each payload through gdb_parse; replies go through gdb_encode. What must
 * hold: no crash, no access outside the buffers (exact-size copies, watched
 * by AddressSanitizer), progress on every frame, and an encoded payload
 * that frames back to itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gdb-packet.h"

static void bug(const char *what)
{
    fprintf(stderr, "fuzz-gdb-packet: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char payload[GDB_MAX_PAYLOAD + 1], again[GDB_MAX_PAYLOAD + 1];
    static char wire[2 * GDB_MAX_PAYLOAD + 8];
    static struct gdb_cmd cmd;
    char *buf = malloc(size ? size : 1);    /* exact size: ASan sees a read past it */
    memcpy(buf, data, size);

    size_t off = 0;
    while (off < size) {
        size_t used = 0, plen = 0;
        enum gdb_frame_kind k = gdb_frame(buf + off, size - off, &used, payload,
                                          sizeof payload, &plen);
        if (used > size - off)
            bug("gdb_frame used more bytes than it was given");
        if (k == GDB_PACKET) {
            if (plen >= sizeof payload)
                bug("payload length beyond the buffer");
            gdb_parse(payload, &cmd);
            /* The reply path: encode the payload, frame it again, compare. */
            int n = gdb_encode(payload, plen, wire, sizeof wire);
            if (n >= 0) {
                size_t used2, plen2;
                if (gdb_frame(wire, (size_t)n, &used2, again, sizeof again, &plen2) !=
                        GDB_PACKET || plen2 != plen || memcmp(again, payload, plen) != 0)
                    bug("an encoded packet does not frame back to its payload");
            }
        }
        if (k == GDB_NEED_MORE)
            break;
        if (used == 0)
            bug("a whole frame consumed no bytes: the stub would loop");
        off += used;
    }
    free(buf);
    return 0;
}
