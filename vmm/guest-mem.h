/*
 * guest-mem.h - guest-physical RAM: one memfd, mapped once into the VMM.
 *
 * Every engine and every device reaches guest memory through the checked
 * functions below (chapter 2, "Guest memory"). A guest-physical range that
 * does not lie wholly inside RAM is refused, never dereferenced, so a guest
 * that hands a device a wild pointer cannot make the VMM crash.
 */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t gpa_t;                 /* guest-physical address (i386: 32 bits) */

struct guest_mem {
    int      fd;                        /* the memfd backing all of RAM */
    uint8_t *host;                      /* where the VMM sees it */
    uint64_t size;                      /* bytes of RAM */
};

/* Create size bytes of zeroed guest RAM. Returns 0, or -1 with errno set. */
int  guest_mem_init(struct guest_mem *mem, uint64_t size);
void guest_mem_destroy(struct guest_mem *mem);

/* True when [gpa, gpa+len) lies wholly inside RAM (overflow-safe). */
bool gpa_range_ok(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Host pointer to [gpa, gpa+len), or NULL when the range is not all RAM. */
void *gpa_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy to or from guest RAM. Return 0, or -1 when the range is not all RAM. */
int gpa_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);
int gpa_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);

#endif
