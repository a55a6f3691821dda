/*
 * kvm-mmu.c - which MMU KVM uses on this host, and whether it has hardware
 * assistance at all (chapter 05-kvm-and-ept.md, "Which MMU, on which host").
 *
 * The answer decides what the guest's page tables cost:
 *   EPT / NPT  the CPU walks the guest's tables, then the nested table that
 *              KVM keeps for guest-physical -> host-physical: no exits for
 *              guest page-table writes or CR3 loads;
 *   shadow     VT-x/AMD-V without EPT/NPT: KVM keeps shadow page tables,
 *              like our trap engine (chapter 4), write-protecting the guest's;
 *   none       no VT-x/AMD-V: /dev/kvm may still exist (PVM, the kvm_pvm
 *              module, runs guests on software virtualization), but a plain
 *              32-bit guest is left to KVM's instruction emulator.
 *
 * The detection reads only files, under a root directory, so the unit tests
 * can hand it sample /proc/cpuinfo and /sys/module trees.
 */
#define _GNU_SOURCE
#include "vmm/kvm/kvm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read up to len-1 bytes of ROOT/relative into buf. Returns the length, or -1. */
static ssize_t read_under(const char *root, const char *relative, char *buf, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", strcmp(root, "/") == 0 ? "" : root, relative);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

static bool exists_under(const char *root, const char *relative)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", strcmp(root, "/") == 0 ? "" : root, relative);
    return stat(path, &st) == 0;
}

/* True when the first "flags" line of cpuinfo lists flag as a whole word. */
static bool cpu_has_flag(const char *cpuinfo, const char *flag)
{
    const char *line = strstr(cpuinfo, "\nflags");
    if (!line && strncmp(cpuinfo, "flags", 5) == 0)
        line = cpuinfo;
    if (!line)
        return false;
    const char *end = strchr(line + 1, '\n');
    size_t n = strlen(flag);
    for (const char *p = strstr(line, flag); p && (!end || p < end); p = strstr(p + 1, flag)) {
        bool starts = p[-1] == ' ' || p[-1] == '\t';
        bool ends = p[n] == ' ' || p[n] == '\n' || p[n] == 0;
        if (starts && ends)
            return true;
    }
    return false;
}

/* A module parameter that says yes: "Y" (bool) or "1" (int). */
static bool param_enabled(const char *root, const char *relative)
{
    char buf[16];
    if (read_under(root, relative, buf, sizeof(buf)) <= 0)
        return false;
    return buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
}

void kvm_mmu_detect(const char *root, struct kvm_mmu_info *info)
{
    // cpuinfo is long (a few KiB per CPU); the first CPU's flags suffice.
    static char cpuinfo[64 * 1024];
    memset(info, 0, sizeof(*info));
    if (read_under(root, "proc/cpuinfo", cpuinfo, sizeof(cpuinfo)) < 0)
        cpuinfo[0] = 0;
    info->vmx = cpu_has_flag(cpuinfo, "vmx");
    info->svm = cpu_has_flag(cpuinfo, "svm");
    info->pvm = exists_under(root, "sys/module/kvm_pvm");

    if (info->vmx && param_enabled(root, "sys/module/kvm_intel/parameters/ept")) {
        info->mode = KVM_MMU_MODE_EPT;
        snprintf(info->why, sizeof(info->why), "vmx, kvm_intel ept=Y");
    } else if (info->svm && param_enabled(root, "sys/module/kvm_amd/parameters/npt")) {
        info->mode = KVM_MMU_MODE_NPT;
        snprintf(info->why, sizeof(info->why), "svm, kvm_amd npt=1");
    } else if (info->vmx || info->svm) {
        info->mode = KVM_MMU_MODE_SHADOW;
        snprintf(info->why, sizeof(info->why), "%s, but %s", info->vmx ? "vmx" : "svm",
                 info->vmx ? "kvm_intel ept is off or unreadable"
                           : "kvm_amd npt is off or unreadable");
    } else {
        info->mode = KVM_MMU_MODE_NONE;
        snprintf(info->why, sizeof(info->why), "no vmx or svm in /proc/cpuinfo%s",
                 info->pvm ? "; the kvm_pvm module is loaded" : "");
    }
}

const char *kvm_mmu_mode_name(enum kvm_mmu_mode mode)
{
    static const char *const names[] = {
        [KVM_MMU_MODE_EPT] = "EPT",
        [KVM_MMU_MODE_NPT] = "NPT",
        [KVM_MMU_MODE_SHADOW] = "shadow paging",
        [KVM_MMU_MODE_NONE] = "none (no hardware assist)",
    };
    return (unsigned)mode < sizeof(names) / sizeof(names[0]) ? names[mode] : "?";
}

bool kvm_hardware_assisted(void)
{
    struct kvm_mmu_info info;
    kvm_mmu_detect("/", &info);
    if (info.mode == KVM_MMU_MODE_NONE)
        return false;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
    close(fd);
    return ok;
}
