/*
 * test_kvm_mmu.c - which MMU KVM uses (vmm/kvm/kvm-mmu.c), decided from sample
 * /proc/cpuinfo and /sys/module trees written under a temporary directory:
 * EPT, NPT, shadow paging on either vendor, and no hardware assist with and
 * without the kvm_pvm module.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "vmm/kvm/kvm.h"

#define INTEL_FLAGS "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat " \
                    "pse36 clflush mmx fxsr sse sse2 ss ht syscall nx lm constant_tsc " \
                    "pni vmx ssse3 fma cx16 sse4_1 sse4_2 x2apic popcnt hypervisor"
#define AMD_FLAGS   "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat " \
                    "pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext lm svm " \
                    "extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch"
/* This project's build hosts: no vmx, no svm ("vmx flags" is not "flags"). */
#define NONE_FLAGS  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat " \
                    "pse36 clflush mmx fxsr sse sse2 ss syscall nx lm constant_tsc " \
                    "pni ssse3 cx16 sse4_1 sse4_2 x2apic hypervisor svm_lock"

static char root[256];

/* Write text to ROOT/relative, making the directories on the way. */
static void put(const char *relative, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, relative);
    for (char *p = path + strlen(root) + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(path, 0755);
            *p = '/';
        }
    }
    if (!text) {
        mkdir(path, 0755);
        return;
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A two-CPU cpuinfo whose flags lines say flags. */
static void cpuinfo(const char *flags)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: %s\nvmx flags\t: vnmi\n\n"
             "processor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: %s\n\n", flags, flags);
    put("proc/cpuinfo", text);
}

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "%s/kvm-mmu-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int remove_root(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_ept(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    cpuinfo(INTEL_FLAGS);
    put("sys/module/kvm_intel/parameters/ept", "Y\n");
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_EPT);
    assert_true(info.vmx);
    assert_false(info.svm);
    assert_string_equal(kvm_mmu_mode_name(info.mode), "EPT");
}

static void test_intel_shadow(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    cpuinfo(INTEL_FLAGS);
    put("sys/module/kvm_intel/parameters/ept", "N\n");
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_SHADOW);
    assert_non_null(strstr(info.why, "ept"));
    assert_string_equal(kvm_mmu_mode_name(info.mode), "shadow paging");
}

static void test_npt(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    cpuinfo(AMD_FLAGS);
    put("sys/module/kvm_amd/parameters/npt", "1\n");
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_NPT);
    assert_true(info.svm);
    assert_false(info.vmx);
}

static void test_amd_shadow(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    cpuinfo(AMD_FLAGS);
    put("sys/module/kvm_amd/parameters/npt", "0\n");
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_SHADOW);
    /* and with the module's parameters missing altogether */
    remove_root(NULL);
    make_root(NULL);
    cpuinfo(AMD_FLAGS);
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_SHADOW);
}

static void test_none_with_pvm(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    cpuinfo(NONE_FLAGS);
    put("sys/module/kvm/parameters/tdp_mmu", "Y\n");
    put("sys/module/kvm_pvm", NULL);
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_NONE);
    assert_false(info.vmx);
    assert_false(info.svm);         /* svm_lock is not svm */
    assert_true(info.pvm);
    assert_non_null(strstr(info.why, "kvm_pvm"));
    assert_non_null(strstr(kvm_mmu_mode_name(info.mode), "no hardware assist"));
}

static void test_none_without_anything(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    kvm_mmu_detect(root, &info);    /* empty tree: no cpuinfo at all */
    assert_int_equal(info.mode, KVM_MMU_MODE_NONE);
    assert_false(info.pvm);
    /* an EPT parameter without the vmx flag decides nothing */
    put("sys/module/kvm_intel/parameters/ept", "Y\n");
    cpuinfo(NONE_FLAGS);
    kvm_mmu_detect(root, &info);
    assert_int_equal(info.mode, KVM_MMU_MODE_NONE);
}

/* The live host: whatever it is, the answer is one of the four. */
static void test_live_host(void **state)
{
    struct kvm_mmu_info info;
    (void)state;
    kvm_mmu_detect("/", &info);
    assert_true(info.mode <= KVM_MMU_MODE_NONE);
    if (info.mode == KVM_MMU_MODE_NONE)
        assert_false(kvm_hardware_assisted());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ept, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_intel_shadow, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_npt, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_amd_shadow, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_none_with_pvm, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_none_without_anything, make_root, remove_root),
        cmocka_unit_test(test_live_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
