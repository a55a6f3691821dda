/*
 * options.h - the command line of `vmm run` (chapter 2), and the exit
 * statuses the VMM uses for its own errors.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses. A run that ends with the guest powering off exits with the
 * guest's code (the value written to port 0xF4, low 8 bits); these are ours. */
enum vmm_exit {
    VMM_EXIT_USAGE       = 120,         /* bad command line */
    VMM_EXIT_IMAGE       = 121,         /* the guest image cannot be loaded */
    VMM_EXIT_SETUP       = 122,         /* memory or disk could not be set up */
    VMM_EXIT_GUEST_CRASH = 123,         /* triple fault, or halted for ever */
    VMM_EXIT_TIMEOUT     = 124,         /* --timeout elapsed (like timeout(1)) */
    VMM_EXIT_UNAVAILABLE = 125,         /* engine, feature or --gdb port not available */
    VMM_EXIT_QUIT        = 126,         /* the user quit with Ctrl-A x */
};

/* The longest --cmdline: Linux's own limit on i386, and well inside the
   loader's 64 KiB multiboot info area, so a line that passes here always
   fits there. */
#define OPTIONS_CMDLINE_MAX      4096
#define OPTIONS_CMDLINE_MAX_TEXT "4096"

struct vmm_options {
    const char *engine;                 /* interp, trap, kvm or auto */
    uint64_t    mem_mib;
    const char *disk;                   /* NULL: the bundled disk (with the bundled guest) */
    bool        no_disk;
    bool        disk_readonly;          /* --disk FILE,readonly */
    char        disk_buf[1024];         /* FILE without its options; disk points here */
    const char *ide[4];                 /* --disk FILE,if=ide,index=N: NULL where none */
    bool        ide_readonly[4];
    char        ide_buf[4][1024];
    const char *cmdline;
    const char *guest;                  /* NULL: the bundled guest */
    bool        stats;                  /* print statistics at the end */
    const char *stats_json;             /* write them as JSON to this file */
    bool        trace_exits;
    double      timeout_s;
    bool        monitor;
    int         gdb_port;               /* 0: none */
    const char *shadow;                 /* vtlb or traced (trap engine) */
    const char *mmu_model;              /* shadow, nested or both (interp engine) */
};

enum options_result { OPTIONS_RUN, OPTIONS_HELP, OPTIONS_VERSION, OPTIONS_ERROR };

/* Parse argv (argv[0] is the program). On OPTIONS_ERROR, err holds one line. */
enum options_result options_parse(int argc, char **argv, struct vmm_options *o,
                                  char *err, size_t errlen);

/* The --help text. */
extern const char options_usage[];

#endif
