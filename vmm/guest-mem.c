/*
 * guest-mem.c - guest-physical RAM in one memfd (chapter 2, "Guest memory").
 *
 * One memfd, not anonymous memory, because later engines need to map the
 * same pages elsewhere: the trap engine maps guest frames at guest-virtual
 * addresses (its shadow page tables), the KVM engine registers the mapping
 * as a memslot.
 */
#define _GNU_SOURCE
#include "vmm/guest-mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int guest_mem_init(struct guest_mem *mem, uint64_t size)
{
    mem->fd = memfd_create("guest-ram", MFD_CLOEXEC);
    if (mem->fd < 0)
        return -1;
    if (ftruncate(mem->fd, (off_t)size) < 0)
        goto fail;
    mem->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mem->fd, 0);
    if (mem->host == MAP_FAILED)
        goto fail;
    mem->size = size;
    return 0;
fail:;
    int saved = errno;
    close(mem->fd);
    mem->fd = -1;
    errno = saved;
    return -1;
}

void guest_mem_destroy(struct guest_mem *mem)
{
    if (mem->host && mem->host != MAP_FAILED)
        munmap(mem->host, mem->size);
    if (mem->fd >= 0)
        close(mem->fd);
    mem->host = NULL;
    mem->fd = -1;
    mem->size = 0;
}

bool gpa_range_ok(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
    uint64_t end;
    if (__builtin_add_overflow(gpa, len, &end))
        return false;
    return end <= mem->size;
}

void *gpa_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
    return gpa_range_ok(mem, gpa, len) ? mem->host + gpa : NULL;
}

int gpa_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
    void *src = gpa_ptr(mem, gpa, len);
    if (!src)
        return -1;
    memcpy(dst, src, len);
    return 0;
}

int gpa_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
    void *dst = gpa_ptr(mem, gpa, len);
    if (!dst)
        return -1;
    memcpy(dst, src, len);
    return 0;
}
