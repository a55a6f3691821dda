/*
 * options.c - parse the command line of `vmm run` (chapter 2).
 *
 * Hand-written rather than getopt_long so that every error names the option
 * and says what was expected, and so that the parser is a pure function the
 * unit tests can call.
 */
#include "vmm/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char options_usage[] =
    "usage: vmm run [options] [GUEST.elf]\n"
    "       vmm --help | --version\n"
    "\n"
    "Boot an i386 multiboot kernel (default: the bundled guest OS) on one of the\n"
    "engines. The exit status is the guest's code from port 0xF4, or one of the\n"
    "VMM's own statuses listed below.\n"
    "\n"
    "options:\n"
    "  --engine NAME      interp, trap, kvm or auto (default auto: kvm where\n"
    "                     KVM has VT-x/AMD-V, else trap, else interp); kvm\n"
    "                     needs /dev/kvm (status 125 without it)\n"
    "  --mem MIB          guest RAM in MiB, 2..3072 (default 64)\n"
    "  --disk FILE[,if=virtio|ide][,index=N][,readonly]\n"
    "                     raw disk image: for virtio-blk (if=virtio, the default;\n"
    "                     default disk: the bundled one with the bundled guest) or\n"
    "                     IDE drive N (if=ide, index 0-3: primary master, slave,\n"
    "                     secondary master, slave; repeat --disk for more);\n"
    "                     --disk none for no virtio disk. An image is locked: one\n"
    "                     writer, or any number of readonly users (the guest sees\n"
    "                     a read-only disk)\n"
    "  --cmdline STR      kernel command line, e.g. \"run=compute n=100000\"\n"
    "                     (at most " OPTIONS_CMDLINE_MAX_TEXT " bytes)\n"
    "  --stats[=json[:FILE]]\n"
    "                     print statistics at the end (to stderr); =json writes\n"
    "                     them to FILE (default vmm-stats.json)\n"
    "  --trace exits      print every VM exit to stderr\n"
    "  --timeout SEC      stop the guest after SEC seconds (status 124); with\n"
    "                     --gdb it also bounds the wait for gdb to connect\n"
    "  --mmu-model shadow|nested|both\n"
    "                     interp engine: count the page-walk references and exits\n"
    "                     shadow paging and nested paging (EPT) would take\n"
    "  --shadow vtlb|traced\n"
    "                     trap engine: how the shadow follows the guest's page\n"
    "                     tables (default traced)\n"
    "  --monitor          start paused in the monitor console (chapter 7); from a\n"
    "                     pipe, stdin carries monitor commands, one per line\n"
    "  --gdb PORT         wait for gdb on 127.0.0.1:PORT (target remote :PORT);\n"
    "                     after a detach gdb may attach again\n"
    "  -h, --help         this text\n"
    "  --version          the version\n"
    "\n"
    "console: the guest's serial port is on stdin/stdout. On a terminal,\n"
    "Ctrl-A x quits, Ctrl-A c opens the monitor, Ctrl-A h helps; from a pipe,\n"
    "input is fed to the guest and the run ends when the guest powers off.\n"
    "\n"
    "exit statuses of the VMM itself:\n"
    "  120 bad command line        121 guest image cannot be loaded\n"
    "  122 memory or disk setup    123 guest crashed (triple fault, dead halt)\n"
    "  124 timeout                 125 engine, feature or port unavailable, or\n"
    "                                  a lab piece not written yet (labs/)\n"
    "  126 quit by the user\n";

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* The value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *name,
                                char *err, size_t errlen)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (arg[len] == '=')
        return arg + len + 1;
    if (*i + 1 >= argc) {
        fail(err, errlen, "%s needs a value (see --help)", name);
        return NULL;
    }
    return argv[++*i];
}

/*
 * A plain decimal number in [min, max]: digits, and a fraction only where
 * fraction is true. Nothing strtod would also take (" 64", "0x40", "1e3",
 * "nan", "inf", "+5"): a value the option cannot mean is refused, not
 * guessed at.
 */
static int parse_number(const char *s, bool fraction, double min, double max, double *out)
{
    const char *p = s;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == s)
        return -1;
    if (fraction && *p == '.') {
        const char *digits = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == digits)
            return -1;
    }
    if (*p || p - s > 24)
        return -1;
    double v = strtod(s, NULL);
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* True when arg is option name, alone or as name=value. */
static bool is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == 0 || arg[len] == '=');
}

/*
 * --disk FILE[,if=virtio|ide][,index=N][,readonly], or none. Options are
 * taken from the end while they are ones we know, so a file name may hold
 * commas. if=ide puts the image on IDE drive N (0-3: primary master, slave,
 * secondary master, slave; default the first free one), as QEMU numbers them.
 */
static int parse_disk(const char *v, struct vmm_options *o, char *err, size_t errlen)
{
    char name[sizeof o->disk_buf];
    bool ro = false, ide = false;
    int index = -1;
    if (strcmp(v, "none") == 0) {
        o->no_disk = true;
        o->disk = NULL;
        return 0;
    }
    if (strlen(v) >= sizeof name)
        return fail(err, errlen, "--disk: the file name '%.100s...' is too long", v);
    strcpy(name, v);
    for (char *comma; (comma = strrchr(name, ',')) != NULL; *comma = 0) {
        const char *opt = comma + 1;
        if (strcmp(opt, "readonly") == 0) {
            ro = true;
        } else if (strncmp(opt, "if=", 3) == 0) {
            if (strcmp(opt + 3, "ide") && strcmp(opt + 3, "virtio"))
                return fail(err, errlen, "--disk: '%s' is not if=ide or if=virtio", opt);
            ide = strcmp(opt + 3, "ide") == 0;
        } else if (strncmp(opt, "index=", 6) == 0) {
            if (!(opt[6] >= '0' && opt[6] <= '3' && opt[7] == 0))
                return fail(err, errlen, "--disk: '%s' is not an IDE index 0-3", opt);
            index = opt[6] - '0';
        } else {
            break;                      // part of the file name
        }
    }
    if (!name[0])
        return fail(err, errlen, "--disk: '%s' names no file", v);
    if (!ide) {
        if (index > 0)
            return fail(err, errlen, "--disk: '%s': index= is for if=ide disks", v);
        o->no_disk = false;
        o->disk_readonly = ro;
        strcpy(o->disk_buf, name);
        o->disk = o->disk_buf;
        return 0;
    }
    if (index < 0)
        for (index = 0; index < 4 && o->ide[index]; index++)
            ;
    if (index > 3 || o->ide[index])
        return fail(err, errlen, "--disk: '%s': that IDE drive is already given", v);
    strcpy(o->ide_buf[index], name);
    o->ide[index] = o->ide_buf[index];
    o->ide_readonly[index] = ro;
    return 0;
}

static int parse_one(int argc, char **argv, int *i, struct vmm_options *o, char *err,
                     size_t errlen)
{
    const char *arg = argv[*i];
    const char *v;
    double num;
    if (is_option(arg, "--engine")) {
        if (!(v = option_value(argc, argv, i, "--engine", err, errlen)))
            return -1;
        if (strcmp(v, "interp") && strcmp(v, "trap") && strcmp(v, "kvm") && strcmp(v, "auto"))
            return fail(err, errlen, "--engine: unknown engine '%s' (interp, trap, kvm, auto)", v);
        o->engine = v;
    } else if (is_option(arg, "--mem")) {
        if (!(v = option_value(argc, argv, i, "--mem", err, errlen)))
            return -1;
        if (parse_number(v, false, 2, 3072, &num) < 0)
            return fail(err, errlen, "--mem: '%s' is not a whole number of MiB in 2..3072", v);
        o->mem_mib = (uint64_t)num;
    } else if (is_option(arg, "--disk")) {
        if (!(v = option_value(argc, argv, i, "--disk", err, errlen)))
            return -1;
        return parse_disk(v, o, err, errlen);
    } else if (is_option(arg, "--cmdline")) {
        if (!(v = option_value(argc, argv, i, "--cmdline", err, errlen)))
            return -1;
        if (strlen(v) > OPTIONS_CMDLINE_MAX)
            return fail(err, errlen, "--cmdline: '%.40s...' is longer than "
                        OPTIONS_CMDLINE_MAX_TEXT " bytes", v);
        o->cmdline = v;
    } else if (strcmp(arg, "--stats") == 0) {
        o->stats = true;
    } else if (strncmp(arg, "--stats=", 8) == 0) {
        if (strcmp(arg + 8, "json") == 0)
            o->stats_json = "vmm-stats.json";
        else if (strncmp(arg + 8, "json:", 5) == 0 && arg[13])
            o->stats_json = arg + 13;
        else
            return fail(err, errlen, "--stats: '%s' is not json or json:FILE", arg + 8);
    } else if (is_option(arg, "--trace")) {
        if (!(v = option_value(argc, argv, i, "--trace", err, errlen)))
            return -1;
        if (strcmp(v, "exits") != 0)
            return fail(err, errlen, "--trace: can trace 'exits', not '%s'", v);
        o->trace_exits = true;
    } else if (is_option(arg, "--timeout")) {
        if (!(v = option_value(argc, argv, i, "--timeout", err, errlen)))
            return -1;
        if (parse_number(v, true, 0.001, 1e6, &num) < 0)
            return fail(err, errlen, "--timeout: '%s' is not a number of seconds in 0.001..1000000", v);
        o->timeout_s = num;
    } else if (is_option(arg, "--shadow")) {
        if (!(v = option_value(argc, argv, i, "--shadow", err, errlen)))
            return -1;
        if (strcmp(v, "vtlb") && strcmp(v, "traced"))
            return fail(err, errlen, "--shadow: '%s' is not vtlb or traced", v);
        o->shadow = v;
    } else if (is_option(arg, "--mmu-model")) {
        if (!(v = option_value(argc, argv, i, "--mmu-model", err, errlen)))
            return -1;
        if (strcmp(v, "shadow") && strcmp(v, "nested") && strcmp(v, "both"))
            return fail(err, errlen, "--mmu-model: '%s' is not shadow, nested or both", v);
        o->mmu_model = v;
    } else if (strcmp(arg, "--monitor") == 0) {
        o->monitor = true;
    } else if (is_option(arg, "--gdb")) {
        if (!(v = option_value(argc, argv, i, "--gdb", err, errlen)))
            return -1;
        if (parse_number(v, false, 1, 65535, &num) < 0)
            return fail(err, errlen, "--gdb: '%s' is not a TCP port number in 1..65535", v);
        o->gdb_port = (int)num;
    } else if (arg[0] == '-' && arg[1]) {
        return fail(err, errlen, "unknown option '%s' (see --help)", arg);
    } else {
        if (o->guest)
            return fail(err, errlen, "more than one guest image given ('%s')", arg);
        o->guest = arg;
    }
    return 0;
}

enum options_result options_parse(int argc, char **argv, struct vmm_options *o,
                                  char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->engine = "auto";
    o->mem_mib = 64;
    if (argc < 2) {
        snprintf(err, errlen, "no command given (try 'vmm run' or 'vmm --help')");
        return OPTIONS_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return OPTIONS_HELP;
    if (strcmp(argv[1], "--version") == 0)
        return OPTIONS_VERSION;
    if (strcmp(argv[1], "run") != 0) {
        snprintf(err, errlen, "unknown command '%.100s' (try 'vmm run' or 'vmm --help')",
                 argv[1]);
        return OPTIONS_ERROR;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return OPTIONS_HELP;
        if (parse_one(argc, argv, &i, o, err, errlen) < 0)
            return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}
