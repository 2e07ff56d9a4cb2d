/* SPDX-License-Identifier: MIT */

/* Enum names and the value parsers of SPEC §2/§3. Pure functions: libc only, no logging, no system
 * calls. Every parser returns 0, -EINVAL (bad syntax), -ERANGE (well-formed but out of range) or
 * -ENOMEM, and leaves its output untouched on failure. */

#include <arpa/inet.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>

#include "macro.h"
#include "units.h"

#define WHITESPACE " \t\n"

/* ---- small helpers ------------------------------------------------------------------------ */

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c) {
        return is_digit(c) || is_alpha(c);
}

static bool is_whitespace(char c) {
        return c == ' ' || c == '\t' || c == '\n';
}

static const char *startswith_no_case(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncasecmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* The first @n bytes of @s as a decimal number: digits only, at least one. Syntax errors win over
 * overflow, so "99999999999999999999x" is -EINVAL, not -ERANGE. */
static int parse_u64_n(const char *s, size_t n, uint64_t *ret) {
        uint64_t v = 0;
        bool overflow = false;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!is_digit(s[i]))
                        return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (unsigned) (s[i] - '0'), &v))
                        overflow = true;
        if (overflow)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_u32_range_n(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64_n(s, n, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

/* A scanned "DIGITS[.DIGITS]" number, not yet scaled by its unit. */
struct decimal {
        uint64_t ipart;
        bool overflow; /* ipart did not fit */
        const char *frac;
        size_t n_frac;
};

/* Scans a non-negative decimal number at *p and advances *p past it. Requires a digit before and,
 * when there is a '.', after the decimal point: ".5" and "5." are invalid. */
static int scan_decimal(const char **p, struct decimal *ret) {
        const char *s = *p;
        struct decimal d = {};

        if (!is_digit(*s))
                return -EINVAL;
        for (; is_digit(*s); s++)
                if (__builtin_mul_overflow(d.ipart, 10, &d.ipart) ||
                    __builtin_add_overflow(d.ipart, (unsigned) (*s - '0'), &d.ipart))
                        d.overflow = true;
        if (*s == '.') {
                s++;
                if (!is_digit(*s))
                        return -EINVAL;
                d.frac = s;
                while (is_digit(*s))
                        s++;
                d.n_frac = (size_t) (s - d.frac);
        }
        *p = s;
        *ret = d;
        return 0;
}

/* Returns floor(@d * @mult) exactly, or -ERANGE. @mult must be below UINT64_MAX / 10. */
static int decimal_scale(const struct decimal *d, uint64_t mult, uint64_t *ret) {
        uint64_t v, acc = 0;

        if (d->overflow || __builtin_mul_overflow(d->ipart, mult, &v))
                return -ERANGE;

        /* floor(0.f1f2…fn * mult), computed from the last digit backwards: acc_{i-1} = (f_i * mult +
         * acc_i) / 10. Flooring at every step gives the same result as flooring once, and acc stays
         * below mult, so nothing overflows however many digits there are. */
        for (size_t i = d->n_frac; i > 0; i--)
                acc = ((uint64_t) (d->frac[i - 1] - '0') * mult + acc) / 10;

        if (__builtin_add_overflow(v, acc, &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

static const char *table_to_string(const char *const *table, size_t n, int i) {
        if (i < 0 || (size_t) i >= n)
                return NULL;
        return table[i];
}

static int table_from_string(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

/* ---- enums -------------------------------------------------------------------------------- */

static const char *const overlay_mode_table[_OVERLAY_MAX] = {
        [OVERLAY_NONE] = "none",
        [OVERLAY_EPHEMERAL] = "ephemeral",
        [OVERLAY_PERSISTENT] = "persistent",
};

static const char *const seccomp_mode_table[_SECCOMP_MAX] = {
        [SECCOMP_DEFAULT] = "default",
        [SECCOMP_OFF] = "off",
};

static const char *const service_type_table[_SERVICE_TYPE_MAX] = {
        [SERVICE_SIMPLE] = "simple",
        [SERVICE_NOTIFY] = "notify",
};

static const char *const restart_policy_table[_RESTART_MAX] = {
        [RESTART_NO] = "no",
        [RESTART_ON_FAILURE] = "on-failure",
        [RESTART_ALWAYS] = "always",
};

/* Indexed by bit number. */
static const char *const unit_ns_table[] = {
        "pid", "mnt", "ipc", "uts", "net", "user", "cgroup", "time",
};
_Static_assert(ELEMENTSOF(unit_ns_table) == 8 && _UNIT_NS_ALL == (1 << 8) - 1, "unit_ns table out of date");

static const char *const unit_load_state_table[_UNIT_LOAD_STATE_MAX] = {
        [UNIT_LOADED] = "loaded",
        [UNIT_LOAD_ERROR] = "error",
        [UNIT_NOT_FOUND] = "not-found",
};

static const char *const unit_change_table[_UNIT_CHANGE_MAX] = {
        [UNIT_ADDED] = "added",
        [UNIT_REMOVED] = "removed",
        [UNIT_CHANGED] = "changed",
        [UNIT_UNCHANGED] = "unchanged",
};

/* The *_to_string() functions return NULL for values out of range; *_from_string() match exactly
 * (case-sensitive, as in unit files) and return the value or -EINVAL. */

const char *overlay_mode_to_string(enum overlay_mode m) {
        return table_to_string(overlay_mode_table, ELEMENTSOF(overlay_mode_table), (int) m);
}

int overlay_mode_from_string(const char *s) {
        return table_from_string(overlay_mode_table, ELEMENTSOF(overlay_mode_table), s);
}

const char *seccomp_mode_to_string(enum seccomp_mode m) {
        return table_to_string(seccomp_mode_table, ELEMENTSOF(seccomp_mode_table), (int) m);
}

int seccomp_mode_from_string(const char *s) {
        return table_from_string(seccomp_mode_table, ELEMENTSOF(seccomp_mode_table), s);
}

const char *service_type_to_string(enum service_type t) {
        return table_to_string(service_type_table, ELEMENTSOF(service_type_table), (int) t);
}

int service_type_from_string(const char *s) {
        return table_from_string(service_type_table, ELEMENTSOF(service_type_table), s);
}

const char *restart_policy_to_string(enum restart_policy p) {
        return table_to_string(restart_policy_table, ELEMENTSOF(restart_policy_table), (int) p);
}

int restart_policy_from_string(const char *s) {
        return table_from_string(restart_policy_table, ELEMENTSOF(restart_policy_table), s);
}

/**
 * unit_ns_to_string() - name of one namespace bit.
 *
 * Returns NULL when @ns is zero, has more than one bit set, or a bit outside _UNIT_NS_ALL.
 */
const char *unit_ns_to_string(enum unit_ns ns) {
        unsigned v = (unsigned) ns;

        if (v == 0 || (v & (v - 1)) != 0 || (v & ~(unsigned) _UNIT_NS_ALL) != 0)
                return NULL;
        return unit_ns_table[__builtin_ctz(v)];
}

/**
 * unit_ns_from_string() - parse one namespace name ("pid", "net", …).
 *
 * Returns its enum unit_ns bit (not the bit number), or -EINVAL.
 */
int unit_ns_from_string(const char *s) {
        int i = table_from_string(unit_ns_table, ELEMENTSOF(unit_ns_table), s);
        return i < 0 ? i : 1 << i;
}

const char *unit_load_state_to_string(enum unit_load_state s) {
        return table_to_string(unit_load_state_table, ELEMENTSOF(unit_load_state_table), (int) s);
}

const char *unit_change_to_string(enum unit_change c) {
        return table_to_string(unit_change_table, ELEMENTSOF(unit_change_table), (int) c);
}

/* ---- scalars ------------------------------------------------------------------------------ */

/**
 * parse_boolean() - yes/no/true/false/on/off/1/0, case-insensitive, nothing around them.
 */
int parse_boolean(const char *s) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

/**
 * parse_size() - parse a byte size.
 *
 * Grammar: "infinity" (exactly, giving SIZE_INFINITY), or DIGITS[.DIGITS] followed by nothing or
 * one of K M G T (1024-based, case-insensitive; no "B", no whitespace). Fractions are rounded down
 * to whole bytes ("1.5K" = 1536). A finite value that would reach SIZE_INFINITY is -ERANGE.
 */
int parse_size(const char *s, uint64_t *ret) {
        struct decimal d;
        uint64_t mult = 1, v;
        const char *p = s;
        int r;

        if (!s)
                return -EINVAL;
        if (streq(s, "infinity")) {
                *ret = SIZE_INFINITY;
                return 0;
        }

        r = scan_decimal(&p, &d);
        if (r < 0)
                return r;
        if (*p) {
                static const char suffixes[] = "KMGT";
                const char *x;

                if (!is_alpha(*p) || p[1] != '\0')
                        return -EINVAL;
                x = strchr(suffixes, *p & ~0x20); /* ASCII upper case; never '\0' for a letter */
                if (!x)
                        return -EINVAL;
                mult = UINT64_C(1) << (10 * (x - suffixes + 1));
        }

        r = decimal_scale(&d, mult, &v);
        if (r < 0)
                return r;
        if (v == SIZE_INFINITY)
                return -ERANGE;
        *ret = v;
        return 0;
}

static const struct {
        const char *name;
        uint64_t usec;
} duration_units[] = {
        { "us", 1 },
        { "usec", 1 },
        { "ms", USEC_PER_MSEC },
        { "msec", USEC_PER_MSEC },
        { "s", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
};

/**
 * parse_duration() - parse a time span into microseconds.
 *
 * Grammar: "infinity" (USEC_INFINITY), a bare DIGITS[.DIGITS] (seconds), or one or more
 * components DIGITS[.DIGITS]UNIT, optionally separated by whitespace ("1h 30min", "1h30min"), with
 * UNIT one of us usec ms msec s sec m min h hr d (case-sensitive, directly after the number). A
 * bare number is only accepted on its own ("1h 30" is invalid). No leading or trailing
 * whitespace. Fractions round down to whole microseconds. A finite total that would reach
 * USEC_INFINITY is -ERANGE.
 */
int parse_duration(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        unsigned n_components = 0;
        bool bare = false, overflow = false;
        const char *p = s;
        int r;

        if (!s)
                return -EINVAL;
        if (streq(s, "infinity")) {
                *ret_usec = USEC_INFINITY;
                return 0;
        }
        if (!*s)
                return -EINVAL;

        while (*p) {
                struct decimal d;
                uint64_t mult = 0, v;
                const char *unit;
                size_t n;

                r = scan_decimal(&p, &d);
                if (r < 0)
                        return r;

                unit = p;
                while (is_alpha(*p))
                        p++;
                n = (size_t) (p - unit);
                if (n == 0) {
                        bare = true;
                        mult = USEC_PER_SEC;
                } else
                        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                                if (strlen(duration_units[i].name) == n &&
                                    memcmp(duration_units[i].name, unit, n) == 0) {
                                        mult = duration_units[i].usec;
                                        break;
                                }
                if (mult == 0)
                        return -EINVAL;
                n_components++;

                /* Keep checking the syntax of the rest before reporting an overflow. */
                r = decimal_scale(&d, mult, &v);
                if (r < 0 || __builtin_add_overflow(total, v, &total))
                        overflow = true;

                if (is_whitespace(*p)) {
                        p += strspn(p, WHITESPACE);
                        if (!*p)
                                return -EINVAL; /* trailing whitespace */
                }
        }

        if (bare && n_components > 1)
                return -EINVAL;
        if (overflow || total == USEC_INFINITY)
                return -ERANGE;
        *ret_usec = total;
        return 0;
}

/**
 * parse_percent() - parse "DIGITS[.DIGITS]%" into permyriad (1/10000).
 *
 * The '%' is required. Precision beyond 0.01% is rounded down ("12.345%" = 1234). Results above
 * UINT_MAX are -ERANGE. Callers check the allowed range.
 */
int parse_percent(const char *s, unsigned *ret_permyriad) {
        struct decimal d;
        const char *p = s;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = scan_decimal(&p, &d);
        if (r < 0)
                return r;
        if (p[0] != '%' || p[1] != '\0')
                return -EINVAL;
        r = decimal_scale(&d, 100, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret_permyriad = (unsigned) v;
        return 0;
}

/**
 * parse_uint64() - a decimal number: digits only, no sign, no whitespace; leading zeros allowed.
 */
int parse_uint64(const char *s, uint64_t *ret) {
        if (!s)
                return -EINVAL;
        return parse_u64_n(s, strlen(s), ret);
}

/**
 * parse_uint32_range() - as parse_uint64(), and -ERANGE unless @min <= value <= @max.
 */
int parse_uint32_range(const char *s, uint32_t min, uint32_t max, uint32_t *ret) {
        if (!s)
                return -EINVAL;
        return parse_u32_range_n(s, strlen(s), min, max, ret);
}

/* ---- addresses ---------------------------------------------------------------------------- */

/**
 * parse_cidr() - "ADDRESS/PREFIXLEN", IPv4 or IPv6.
 *
 * The prefix length is required. A prefix length beyond 32 (IPv4) or 128 (IPv6) is -ERANGE;
 * everything else malformed is -EINVAL. Host bits are kept as given.
 */
int parse_cidr(const char *s, struct cidr *ret) {
        char buf[INET6_ADDRSTRLEN];
        struct cidr c = {};
        const char *slash;
        size_t n;
        uint32_t max, prefixlen;
        int r;

        if (!s)
                return -EINVAL;
        slash = strchr(s, '/');
        if (!slash)
                return -EINVAL;
        n = (size_t) (slash - s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';

        if (inet_pton(AF_INET, buf, &c.addr.in) == 1) {
                c.family = AF_INET;
                max = 32;
        } else if (inet_pton(AF_INET6, buf, &c.addr.in6) == 1) {
                c.family = AF_INET6;
                max = 128;
        } else
                return -EINVAL;

        r = parse_uint32_range(slash + 1, 0, max, &prefixlen);
        if (r < 0)
                return r;
        c.prefixlen = prefixlen;
        *ret = c;
        return 0;
}

/**
 * parse_ip_addr() - a bare IPv4 or IPv6 address (no prefix, no zone, no brackets).
 */
int parse_ip_addr(const char *s, struct ip_addr *ret) {
        struct ip_addr a = {};

        if (!s)
                return -EINVAL;
        if (inet_pton(AF_INET, s, &a.addr.in) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, &a.addr.in6) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        *ret = a;
        return 0;
}

/* ---- signals ------------------------------------------------------------------------------ */

/* Standard signals are 1..31 on every Linux architecture; the numbers differ, hence the macros. */
static const char *const signal_table[32] = {
        [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",   [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",     [SIGBUS] = "SIGBUS",     [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL",     [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",   [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",   [SIGCHLD] = "SIGCHLD",
        [SIGCONT] = "SIGCONT",     [SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP",   [SIGTTIN] = "SIGTTIN",
        [SIGTTOU] = "SIGTTOU",     [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",   [SIGXFSZ] = "SIGXFSZ",
        [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",     [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",
        [SIGSYS] = "SIGSYS",
#ifdef SIGSTKFLT
        [SIGSTKFLT] = "SIGSTKFLT",
#endif
#ifdef SIGPWR
        [SIGPWR] = "SIGPWR",
#endif
#ifdef SIGEMT
        [SIGEMT] = "SIGEMT",
#endif
};

/* Accepted by parse_signal(), never printed. */
static const struct {
        const char *name; /* without "SIG" */
        int sig;
} signal_aliases[] = {
#ifdef SIGIOT
        { "IOT", SIGIOT },
#endif
        { "CLD", SIGCHLD },
#ifdef SIGPOLL
        { "POLL", SIGPOLL },
#endif
};

/* signal_to_string() names realtime signals relative to SIGRTMIN. glibc's SIGRTMIN is 34 and
 * SIGRTMAX 64, so 31 entries suffice; two spare for libcs that reserve fewer. */
static const char *const signal_rt_table[] = {
        "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
        "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
        "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17",
        "SIGRTMIN+18", "SIGRTMIN+19", "SIGRTMIN+20", "SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23",
        "SIGRTMIN+24", "SIGRTMIN+25", "SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
        "SIGRTMIN+30", "SIGRTMIN+31", "SIGRTMIN+32",
};

/**
 * parse_signal() - a signal by name or number.
 *
 * Accepts a decimal number 1.._NSIG-1 (else -ERANGE), a standard name with or without "SIG"
 * ("SIGTERM", "term"; case-insensitive; also the aliases IOT, CLD, POLL), "RTMIN", "RTMIN+N",
 * "RTMAX" and "RTMAX-N" (again "SIG" optional), where N must stay within SIGRTMIN..SIGRTMAX (else
 * -ERANGE).
 */
int parse_signal(const char *s, int *ret) {
        const char *p, *n;
        uint32_t u;
        int r;

        if (!s)
                return -EINVAL;

        if (is_digit(*s)) {
                r = parse_uint32_range(s, 1, _NSIG - 1, &u);
                if (r < 0)
                        return r;
                *ret = (int) u;
                return 0;
        }

        p = startswith_no_case(s, "SIG") ?: s;
        if (!*p)
                return -EINVAL;

        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (signal_table[i] && strcasecmp(signal_table[i] + 3, p) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(signal_aliases); i++)
                if (strcasecmp(signal_aliases[i].name, p) == 0) {
                        *ret = signal_aliases[i].sig;
                        return 0;
                }

        if ((n = startswith_no_case(p, "RTMIN"))) {
                if (*n == '\0') {
                        *ret = SIGRTMIN;
                        return 0;
                }
                if (*n != '+')
                        return -EINVAL;
                r = parse_uint32_range(n + 1, 0, (uint32_t) (SIGRTMAX - SIGRTMIN), &u);
                if (r < 0)
                        return r;
                *ret = SIGRTMIN + (int) u;
                return 0;
        }
        if ((n = startswith_no_case(p, "RTMAX"))) {
                if (*n == '\0') {
                        *ret = SIGRTMAX;
                        return 0;
                }
                if (*n != '-')
                        return -EINVAL;
                r = parse_uint32_range(n + 1, 0, (uint32_t) (SIGRTMAX - SIGRTMIN), &u);
                if (r < 0)
                        return r;
                *ret = SIGRTMAX - (int) u;
                return 0;
        }

        return -EINVAL;
}

/**
 * signal_to_string() - "SIGTERM" for a standard signal, "SIGRTMIN" / "SIGRTMIN+N" for a realtime
 * one (static strings; parse_signal() reads them back). NULL for 0, negative numbers, numbers
 * reserved by libc below SIGRTMIN, and numbers above SIGRTMAX.
 */
const char *signal_to_string(int sig) {
        if (sig > 0 && (size_t) sig < ELEMENTSOF(signal_table) && signal_table[sig])
                return signal_table[sig];
        if (sig >= SIGRTMIN && sig <= SIGRTMAX && (size_t) (sig - SIGRTMIN) < ELEMENTSOF(signal_rt_table))
                return signal_rt_table[sig - SIGRTMIN];
        return NULL;
}

/* ---- capabilities ------------------------------------------------------------------------- */

/* In kernel order, see <linux/capability.h>. */
static const char *const capability_table[] = {
        "CAP_CHOWN",              /* 0 */
        "CAP_DAC_OVERRIDE",       /* 1 */
        "CAP_DAC_READ_SEARCH",    /* 2 */
        "CAP_FOWNER",             /* 3 */
        "CAP_FSETID",             /* 4 */
        "CAP_KILL",               /* 5 */
        "CAP_SETGID",             /* 6 */
        "CAP_SETUID",             /* 7 */
        "CAP_SETPCAP",            /* 8 */
        "CAP_LINUX_IMMUTABLE",    /* 9 */
        "CAP_NET_BIND_SERVICE",   /* 10 */
        "CAP_NET_BROADCAST",      /* 11 */
        "CAP_NET_ADMIN",          /* 12 */
        "CAP_NET_RAW",            /* 13 */
        "CAP_IPC_LOCK",           /* 14 */
        "CAP_IPC_OWNER",          /* 15 */
        "CAP_SYS_MODULE",         /* 16 */
        "CAP_SYS_RAWIO",          /* 17 */
        "CAP_SYS_CHROOT",         /* 18 */
        "CAP_SYS_PTRACE",         /* 19 */
        "CAP_SYS_PACCT",          /* 20 */
        "CAP_SYS_ADMIN",          /* 21 */
        "CAP_SYS_BOOT",           /* 22 */
        "CAP_SYS_NICE",           /* 23 */
        "CAP_SYS_RESOURCE",       /* 24 */
        "CAP_SYS_TIME",           /* 25 */
        "CAP_SYS_TTY_CONFIG",     /* 26 */
        "CAP_MKNOD",              /* 27 */
        "CAP_LEASE",              /* 28 */
        "CAP_AUDIT_WRITE",        /* 29 */
        "CAP_AUDIT_CONTROL",      /* 30 */
        "CAP_SETFCAP",            /* 31 */
        "CAP_MAC_OVERRIDE",       /* 32 */
        "CAP_MAC_ADMIN",          /* 33 */
        "CAP_SYSLOG",             /* 34 */
        "CAP_WAKE_ALARM",         /* 35 */
        "CAP_BLOCK_SUSPEND",      /* 36 */
        "CAP_AUDIT_READ",         /* 37 */
        "CAP_PERFMON",            /* 38 */
        "CAP_BPF",                /* 39 */
        "CAP_CHECKPOINT_RESTORE", /* 40 */
};

/**
 * capability_last() - the highest capability this table knows (CAP_CHECKPOINT_RESTORE, 40); the
 * running kernel may know more or fewer.
 */
int capability_last(void) {
        return (int) ELEMENTSOF(capability_table) - 1;
}

/**
 * parse_capability() - a capability name, case-insensitive, "CAP_" optional, or its number
 * 0..capability_last() (a larger number is -ERANGE).
 */
int parse_capability(const char *s, int *ret) {
        const char *p;
        uint32_t u;
        int r;

        if (!s)
                return -EINVAL;
        if (is_digit(*s)) {
                r = parse_uint32_range(s, 0, (uint32_t) capability_last(), &u);
                if (r < 0)
                        return r;
                *ret = (int) u;
                return 0;
        }

        p = startswith_no_case(s, "CAP_") ?: s;
        for (size_t i = 0; i < ELEMENTSOF(capability_table); i++)
                if (strcasecmp(capability_table[i] + STRLEN("CAP_"), p) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        return -EINVAL;
}

const char *capability_to_string(int cap) {
        return table_to_string(capability_table, ELEMENTSOF(capability_table), cap);
}

/* ---- cpu lists ---------------------------------------------------------------------------- */

#define CPU_LIST_MAX 4096

static int parse_cpu_number(const char *s, size_t n, unsigned *ret) {
        uint32_t u;
        int r;

        r = parse_u32_range_n(s, n, 0, CPU_LIST_MAX - 1, &u);
        if (r < 0)
                return r;
        *ret = u;
        return 0;
}

/* Writes the list of set bits as "0-1,3" into @buf (when not NULL) and returns its length. */
static size_t cpu_set_format(const uint8_t *bits, char *buf) {
        size_t len = 0;

        for (unsigned i = 0; i < CPU_LIST_MAX; i++) {
                unsigned j = i;
                char tmp[STRLEN(",4095-4095") + 1];
                int k;

                if (!(bits[i / 8] & (1u << (i % 8))))
                        continue;
                while (j + 1 < CPU_LIST_MAX && (bits[(j + 1) / 8] & (1u << ((j + 1) % 8))))
                        j++;

                if (j == i)
                        k = snprintf(tmp, sizeof(tmp), "%s%u", len > 0 ? "," : "", i);
                else
                        k = snprintf(tmp, sizeof(tmp), "%s%u-%u", len > 0 ? "," : "", i, j);
                if (buf)
                        memcpy(buf + len, tmp, (size_t) k);
                len += (size_t) k;
                i = j;
        }
        if (buf)
                buf[len] = '\0';
        return len;
}

/**
 * parse_cpu_list() - parse a cpuset list and return it normalized.
 *
 * Items are "N" or "A-B" (A <= B, no spaces inside), CPUs 0..4095 (larger is -ERANGE), separated
 * by a comma and/or whitespace; whitespace before the first and after the last item is fine, an
 * empty item ("0,,1", "0,", ",0") is not. The result is sorted and merged: "3,0-1,2" -> "0-3".
 * An empty list is -EINVAL.
 */
int parse_cpu_list(const char *s, char **ret_normalized) {
        uint8_t bits[CPU_LIST_MAX / 8] = {};
        const char *p = s;
        bool any = false;
        char *out;

        if (!s)
                return -EINVAL;

        for (;;) {
                const char *item, *dash;
                unsigned a, b;
                size_t n;
                int r;

                p += strspn(p, WHITESPACE);
                if (!*p)
                        break;
                if (*p == ',')
                        return -EINVAL; /* leading or doubled comma */

                item = p;
                n = strcspn(p, WHITESPACE ",");
                p += n;

                dash = memchr(item, '-', n);
                if (dash) {
                        r = parse_cpu_number(item, (size_t) (dash - item), &a);
                        if (r < 0)
                                return r;
                        r = parse_cpu_number(dash + 1, n - (size_t) (dash - item) - 1, &b);
                        if (r < 0)
                                return r;
                        if (a > b)
                                return -EINVAL;
                } else {
                        r = parse_cpu_number(item, n, &a);
                        if (r < 0)
                                return r;
                        b = a;
                }
                for (unsigned i = a; i <= b; i++)
                        bits[i / 8] |= (uint8_t) (1u << (i % 8));
                any = true;

                p += strspn(p, WHITESPACE);
                if (*p == ',') {
                        p++;
                        p += strspn(p, WHITESPACE);
                        if (!*p)
                                return -EINVAL; /* trailing comma */
                }
        }
        if (!any)
                return -EINVAL;

        out = malloc(cpu_set_format(bits, NULL) + 1);
        if (!out)
                return -ENOMEM;
        (void) cpu_set_format(bits, out);
        *ret_normalized = out;
        return 0;
}

/* ---- mounts, ports, id maps --------------------------------------------------------------- */

/**
 * parse_bind() - "HOST:CONTAINER", "HOST:CONTAINER:ro", "HOST:CONTAINER:rw", or "PATH" for the same
 * path on both sides. Both paths must pass path_is_absolute_normalized(); the option is
 * case-sensitive. "PATH:ro" is invalid. On success the caller owns ->source and ->target.
 */
int parse_bind(const char *s, struct bind_mount *ret) {
        _cleanup_free_ char *source = NULL, *target = NULL;
        const char *c1, *c2;
        bool read_only = false;

        if (!s)
                return -EINVAL;

        c1 = strchr(s, ':');
        if (!c1) {
                source = strdup(s);
                target = strdup(s);
        } else {
                c2 = strchr(c1 + 1, ':');
                if (c2) {
                        if (streq(c2 + 1, "ro"))
                                read_only = true;
                        else if (!streq(c2 + 1, "rw"))
                                return -EINVAL;
                } else
                        c2 = c1 + strlen(c1);
                source = strndup(s, (size_t) (c1 - s));
                target = strndup(c1 + 1, (size_t) (c2 - c1 - 1));
        }
        if (!source || !target)
                return -ENOMEM;
        if (!path_is_absolute_normalized(source) || !path_is_absolute_normalized(target))
                return -EINVAL;

        *ret = (struct bind_mount) {
                .source = TAKE_PTR(source),
                .target = TAKE_PTR(target),
                .read_only = read_only,
        };
        return 0;
}

/**
 * parse_tmpfs() - "PATH" or "PATH:size=N", N as for parse_size() but finite ("size=0" means the
 * kernel default). No other options. On success the caller owns ->path.
 */
int parse_tmpfs(const char *s, struct tmpfs_mount *ret) {
        _cleanup_free_ char *path = NULL;
        const char *colon;
        uint64_t size = 0;
        int r;

        if (!s)
                return -EINVAL;

        colon = strchr(s, ':');
        if (colon) {
                const char *v = startswith(colon + 1, "size=");

                if (!v)
                        return -EINVAL;
                r = parse_size(v, &size);
                if (r < 0)
                        return r;
                if (size == SIZE_INFINITY)
                        return -EINVAL;
                path = strndup(s, (size_t) (colon - s));
        } else
                path = strdup(s);
        if (!path)
                return -ENOMEM;
        if (!path_is_absolute_normalized(path))
                return -EINVAL;

        *ret = (struct tmpfs_mount) {
                .path = TAKE_PTR(path),
                .size = size,
        };
        return 0;
}

/**
 * parse_port_map() - "HOSTPORT:CONTAINERPORT[/tcp|/udp]", ports 1..65535 (else -ERANGE), the
 * protocol case-insensitive and tcp by default.
 */
int parse_port_map(const char *s, struct port_map *ret) {
        const char *colon, *cport, *slash;
        uint32_t h = 0, c = 0;
        int protocol = IPPROTO_TCP, r1, r2;

        if (!s)
                return -EINVAL;
        colon = strchr(s, ':');
        if (!colon)
                return -EINVAL;
        cport = colon + 1;
        slash = strchr(cport, '/');
        if (slash) {
                if (strcasecmp(slash + 1, "tcp") == 0)
                        protocol = IPPROTO_TCP;
                else if (strcasecmp(slash + 1, "udp") == 0)
                        protocol = IPPROTO_UDP;
                else
                        return -EINVAL;
        } else
                slash = cport + strlen(cport);

        /* Syntax errors win over range errors, whichever field they are in: "0:x" is -EINVAL. */
        r1 = parse_u32_range_n(s, (size_t) (colon - s), 1, UINT16_MAX, &h);
        r2 = parse_u32_range_n(cport, (size_t) (slash - cport), 1, UINT16_MAX, &c);
        if (r1 == -EINVAL || r2 == -EINVAL)
                return -EINVAL;
        if (r1 < 0 || r2 < 0)
                return -ERANGE;

        *ret = (struct port_map) {
                .host_port = (uint16_t) h,
                .container_port = (uint16_t) c,
                .protocol = protocol,
        };
        return 0;
}

/**
 * parse_id_map() - "UID:HOSTUID:COUNT", each a uint32, COUNT >= 1, and neither UID + COUNT nor
 * HOSTUID + COUNT above UINT32_MAX, so the map never reaches the invalid id (uid_t) -1. Range
 * violations are -ERANGE.
 */
int parse_id_map(const char *s, struct id_map *ret) {
        const char *c1, *c2;
        uint32_t inside = 0, outside = 0, count = 0;
        int r1, r2, r3;

        if (!s)
                return -EINVAL;
        c1 = strchr(s, ':');
        if (!c1)
                return -EINVAL;
        c2 = strchr(c1 + 1, ':');
        if (!c2)
                return -EINVAL;

        /* Syntax errors win over range errors, whichever field they are in. */
        r1 = parse_u32_range_n(s, (size_t) (c1 - s), 0, UINT32_MAX, &inside);
        r2 = parse_u32_range_n(c1 + 1, (size_t) (c2 - c1 - 1), 0, UINT32_MAX, &outside);
        r3 = parse_u32_range_n(c2 + 1, strlen(c2 + 1), 0, UINT32_MAX, &count);
        if (r1 == -EINVAL || r2 == -EINVAL || r3 == -EINVAL)
                return -EINVAL;
        if (r1 < 0 || r2 < 0 || r3 < 0)
                return -ERANGE;
        if (count == 0 || (uint64_t) inside + count > UINT32_MAX || (uint64_t) outside + count > UINT32_MAX)
                return -ERANGE;

        *ret = (struct id_map) {
                .inside = inside,
                .outside = outside,
                .count = count,
        };
        return 0;
}

/* ---- names and paths ---------------------------------------------------------------------- */

bool unit_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n < 1 || n > UNIT_NAME_MAX)
                return false;
        if (name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(name[i]) && !strchr("_.-", name[i]))
                        return false;
        return true;
}

/**
 * hostname_is_valid() - 1..64 characters, dot-separated labels of A-Z a-z 0-9 and '-', each label
 * 1..63 characters (the DNS limit) and neither starting nor ending with '-'. No leading, trailing or
 * doubled dot.
 */
bool hostname_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n < 1 || n > 64)
                return false;

        for (const char *p = s;;) {
                size_t l = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");

                if (l == 0 || l > 63 || p[0] == '-' || p[l - 1] == '-')
                        return false;
                p += l;
                if (*p == '\0')
                        return true;
                if (*p != '.')
                        return false;
                p++;
        }
}

/**
 * path_is_absolute_normalized() - starts with '/', has no empty ("//"), "." or ".." component and
 * no trailing '/' except for "/" itself.
 */
bool path_is_absolute_normalized(const char *p) {
        if (!p || p[0] != '/')
                return false;
        if (p[1] == '\0')
                return true;

        for (p++;;) {
                size_t l = strcspn(p, "/");

                if (l == 0) /* "//" or a trailing '/' */
                        return false;
                if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += l;
                if (*p == '\0')
                        return true;
                p++; /* the '/' */
        }
}

/* ---- string vectors ----------------------------------------------------------------------- */

static char unescape_char(char c) {
        switch (c) {
        case 'n':
                return '\n';
        case 't':
                return '\t';
        default:
                return c;
        }
}

/**
 * split_quoted() - split a command line into words.
 *
 * Space, tab and newline separate words. Outside quotes and inside "…", a backslash takes the next
 * character literally, except that \n and \t give a newline and a tab; inside '…' a backslash is an
 * ordinary character. Quotes may be adjacent to other text (a"b c"d is the one word "ab cd"), and
 * "" or '' on its own is an empty word. Returns the word count (or -EINVAL, -ENOMEM, -ERANGE for
 * more than INT_MAX words); on success *ret is a malloc'd NULL-terminated vector.
 */
int split_quoted(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 1;
        const char *p = s;

        if (!s)
                return -EINVAL;

        buf = malloc(strlen(s) + 1);
        l = calloc(allocated, sizeof(char *));
        if (!buf || !l)
                return -ENOMEM;

        for (;;) {
                size_t k = 0;
                char quote = 0;

                p += strspn(p, WHITESPACE);
                if (!*p)
                        break;

                for (;;) {
                        char c = *p;

                        if (c == '\0') {
                                if (quote)
                                        return -EINVAL; /* unterminated quote */
                                break;
                        }
                        p++;

                        if (quote == '\'') {
                                if (c == '\'')
                                        quote = 0;
                                else
                                        buf[k++] = c;
                        } else if (c == '\\') {
                                if (*p == '\0')
                                        return -EINVAL; /* trailing backslash */
                                buf[k++] = unescape_char(*p++);
                        } else if (quote == '"') {
                                if (c == '"')
                                        quote = 0;
                                else
                                        buf[k++] = c;
                        } else if (c == '"' || c == '\'')
                                quote = c;
                        else if (is_whitespace(c))
                                break;
                        else
                                buf[k++] = c;
                }

                if (n >= INT_MAX)
                        return -ERANGE;
                if (n + 2 > allocated) {
                        size_t a = allocated * 2;
                        char **t = reallocarray(l, a, sizeof(char *));

                        if (!t)
                                return -ENOMEM;
                        l = t;
                        allocated = a;
                }
                l[n] = strndup(buf, k);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }

        *ret = TAKE_PTR(l);
        return (int) n;
}

/**
 * strv_extend_take() - append the strings of @add to *@l (which may be NULL) and free the @add
 * vector itself. Returns 0; *@l stays NULL when both are empty. On -ENOMEM @add and its strings are
 * freed and *@l is unchanged.
 */
int strv_extend_take(char ***l, char **add) {
        size_t n, m;
        char **t;

        m = strv_length(add);
        if (m == 0) {
                free(add);
                return 0;
        }

        n = strv_length(*l);
        if (m > SIZE_MAX / sizeof(char *) - 1 - n) {
                strv_free(add);
                return -ENOMEM;
        }
        t = reallocarray(*l, n + m + 1, sizeof(char *));
        if (!t) {
                strv_free(add);
                return -ENOMEM;
        }
        memcpy(t + n, add, (m + 1) * sizeof(char *));
        free(add);
        *l = t;
        return 0;
}
