/*
 * kvm-caps.c - what this host's /dev/kvm offers, asked without our VMM, so
 * that tests/integration/kvm.sh can require what KVM offers instead of
 * believing the engine when it says "not offered" (chapter 5).
 *
 * Usage: kvm-caps CAPABILITY... ; prints "NAME yes|no" for each, status 0;
 * status 2 when /dev/kvm cannot be opened. Names: binary-stats-fd, sync-regs.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const struct { const char *name; int cap; } caps[] = {
    { "binary-stats-fd", KVM_CAP_BINARY_STATS_FD },
    { "sync-regs",       KVM_CAP_SYNC_REGS },
};

int main(int argc, char **argv)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        perror("kvm-caps: /dev/kvm");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        int cap = -1;
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
            if (strcmp(argv[i], caps[c].name) == 0)
                cap = caps[c].cap;
        if (cap < 0) {
            fprintf(stderr, "kvm-caps: unknown capability '%s'\n", argv[i]);
            return 2;
        }
        printf("%s %s\n", argv[i], ioctl(kvm, KVM_CHECK_EXTENSION, cap) > 0 ? "yes" : "no");
    }
    close(kvm);
    return 0;
}
