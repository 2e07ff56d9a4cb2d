/* SPDX-License-Identifier: MIT */

/* Names: of the enums of the unit model, of signals (glibc's), of capabilities (libcap's), of
 * units, hosts and paths. Same rules as values.c: pure, 0 or -errno, output untouched on failure. */

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "macro.h"
#include "units-internal.h"

static const char *startswith_no_case(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncasecmp(s, prefix, l) == 0 ? s + l : NULL;
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

/* ---- signals ------------------------------------------------------------------------------ */

/* Names glibc does not give, for numbers it names otherwise: accepted by parse_signal(). Linux's
 * SIGIO is glibc's POLL; "SIGIO" is what kill -l and systemd print, so it is printed too. */
static const struct {
        const char *name; /* without "SIG" */
        int sig;
} signal_aliases[] = {
        { "IO", SIGIO },
        { "IOT", SIGIOT },
        { "CLD", SIGCHLD },
};

/* A decimal number in [@min, @max] for a name that may also be given by its number. */
static int parse_number(const char *s, uint32_t min, uint32_t max, int *ret) {
        uint32_t u;
        int r = parse_uint32_range(s, min, max, &u);

        if (r < 0)
                return r;
        *ret = (int) u;
        return 0;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N": realtime signals are named relative to SIGRTMIN and
 * SIGRTMAX, as glibc reserves the first few for itself. */
static int parse_signal_rt(const char *s, int *ret) {
        const char *n = startswith_no_case(s, "RTMIN");
        bool from_max = !n;
        int off, r;

        if (from_max)
                n = startswith_no_case(s, "RTMAX");
        if (!n)
                return -EINVAL;
        if (*n == '\0')
                off = 0;
        else if (*n == (from_max ? '-' : '+')) {
                r = parse_number(n + 1, 0, (uint32_t) (SIGRTMAX - SIGRTMIN), &off);
                if (r < 0)
                        return r;
        } else
                return -EINVAL;
        *ret = from_max ? SIGRTMAX - off : SIGRTMIN + off;
        return 0;
}

/**
 * parse_signal() - a signal by name or number.
 *
 * Accepts a decimal number 1.._NSIG-1 (else -ERANGE), a standard name with or without "SIG"
 * ("SIGTERM", "term"; case-insensitive; glibc's sigabbrev_np() names and the aliases IO, IOT,
 * CLD), "RTMIN", "RTMIN+N", "RTMAX" and "RTMAX-N" (again "SIG" optional), where N must stay within
 * SIGRTMIN..SIGRTMAX (else -ERANGE).
 */
int parse_signal(const char *s, int *ret) {
        const char *p;

        if (!s)
                return -EINVAL;
        if (is_digit(*s))
                return parse_number(s, 1, _NSIG - 1, ret);

        p = startswith_no_case(s, "SIG") ?: s;
        if (!*p)
                return -EINVAL;
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *a = sigabbrev_np(sig);
                if (a && strcasecmp(a, p) == 0) {
                        *ret = sig;
                        return 0;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(signal_aliases); i++)
                if (strcasecmp(signal_aliases[i].name, p) == 0) {
                        *ret = signal_aliases[i].sig;
                        return 0;
                }
        return parse_signal_rt(p, ret);
}

/**
 * signal_to_string() - "SIGTERM" for a standard signal, "SIGRTMIN" / "SIGRTMIN+N" for a realtime
 * one (static strings; parse_signal() reads them back). NULL for 0, negative numbers, numbers
 * reserved by libc below SIGRTMIN, and numbers above SIGRTMAX.
 */
const char *signal_to_string(int sig) {
        /* Made on first use and kept: callers get a string they need not free. */
        static char names[_NSIG][sizeof("SIGRTMIN+") + 11];
        const char *a;
        char *b;

        if (sig <= 0 || sig >= _NSIG || sig > SIGRTMAX)
                return NULL;
        b = names[sig];
        if (b[0] != '\0')
                return b;
        if (sig >= SIGRTMIN)
                snprintf(b, sizeof(names[sig]), sig == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+%d", sig - SIGRTMIN);
        else if ((a = sig == SIGIO ? "IO" : sigabbrev_np(sig)))
                snprintf(b, sizeof(names[sig]), "SIG%s", a);
        else
                return NULL;
        return b;
}

/* ---- capabilities ------------------------------------------------------------------------- */

/* libcap's names in upper case, by number, made on first use so that capability_to_string() can
 * return static strings. */
static struct {
        bool loaded;
        int last;
        char names[64][32];
} caps;

static void capability_names_load(void) {
        if (caps.loaded)
                return;
        caps.last = -1;
        for (int i = 0; i < (int) ELEMENTSOF(caps.names); i++) {
                /* "cap_chown", or the number for a capability this libcap does not know. */
                char *n = cap_to_name(i);

                if (!n)
                        return; /* out of memory: try again next time */
                if (is_alpha(n[0]) && strlen(n) < sizeof(caps.names[i])) {
                        for (size_t k = 0; n[k]; k++)
                                caps.names[i][k] = (char) toupper((unsigned char) n[k]);
                        caps.last = i;
                }
                cap_free(n);
        }
        caps.loaded = true;
}

/**
 * capability_last() - the highest capability libcap knows by name (CAP_CHECKPOINT_RESTORE, 40,
 * with libcap 2.66); the running kernel may know more or fewer.
 */
int capability_last(void) {
        capability_names_load();
        return caps.last;
}

/**
 * parse_capability() - a capability name, case-insensitive, "CAP_" optional, or its number
 * 0..capability_last() (a larger number is -ERANGE).
 */
int parse_capability(const char *s, int *ret) {
        char name[sizeof(caps.names[0]) + STRLEN("cap_")];
        cap_value_t v;
        const char *p;

        if (!s)
                return -EINVAL;
        if (is_digit(*s))
                return parse_number(s, 0, (uint32_t) capability_last(), ret);

        /* cap_from_name() stops at the first character that is no letter or '_' and ignores the
         * rest, and takes numbers in any base: only a bare name goes to it. */
        p = startswith_no_case(s, "CAP_") ?: s;
        if (*p == '\0' || p[strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")] != '\0' ||
            strlen(p) >= sizeof(caps.names[0]))
                return -EINVAL;
        snprintf(name, sizeof(name), "cap_%s", p);
        if (cap_from_name(name, &v) < 0 || v < 0 || v > capability_last())
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "CAP_NET_ADMIN"; NULL for a number libcap has no name for. */
const char *capability_to_string(int cap) {
        if (cap < 0 || cap > capability_last())
                return NULL;
        return caps.names[cap][0] ? caps.names[cap] : NULL;
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
