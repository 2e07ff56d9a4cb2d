/* SPDX-License-Identifier: MIT */

/* The value types of single-valued keys: how one value is parsed into its field (with the
 * messages users see), printed in canonical form for the dump, and freed. The value parsers
 * themselves (parse_size(), parse_duration(), …) are in values*.c; this file adds what a key
 * needs around them: the error message and the range a key allows. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "macro.h"
#include "string-util.h"

/* ---- canonical forms ----------------------------------------------------------------------------- */

/* True when @w reads back as itself without quotes. */
bool word_is_plain(const char *w) {
        if (*w == '\0')
                return false;
        for (const char *p = w; *p; p++)
                if (strchr(" \t\n\"'\\", *p))
                        return false;
        return true;
}

/* @w as the inside of a double-quoted word. */
void dump_escaped(FILE *f, const char *w) {
        for (const char *p = w; *p; p++) {
                if (*p == '\n')
                        fputs("\\n", f);
                else if (*p == '\t')
                        fputs("\\t", f);
                else {
                        if (*p == '"' || *p == '\\')
                                fputc('\\', f);
                        fputc(*p, f);
                }
        }
}

/* A word as split_quoted() reads it back: plain when it can be, else in double quotes. */
void dump_word(FILE *f, const char *w) {
        if (word_is_plain(w))
                fputs(w, f);
        else {
                fputc('"', f);
                dump_escaped(f, w);
                fputc('"', f);
        }
}

void dump_strv(FILE *f, char *const *l) {
        STRV_FOREACH(w, l) {
                if (w != l)
                        fputc(' ', f);
                dump_word(f, *w);
        }
}

void dump_ip(FILE *f, int family, const void *addr) {
        char buf[INET6_ADDRSTRLEN] = "?";

        (void) ip_addr_to_string(family, addr, buf, sizeof(buf));
        fputs(buf, f);
}

static void dump_usec(FILE *f, uint64_t usec) {
        if (usec == USEC_INFINITY)
                fputs("infinity", f);
        else if (usec % USEC_PER_SEC == 0)
                fprintf(f, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                fprintf(f, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else
                fprintf(f, "%" PRIu64 "us", usec);
}

static void dump_size(FILE *f, uint64_t v) {
        if (v == SIZE_INFINITY)
                fputs("infinity", f);
        else
                fprintf(f, "%" PRIu64, v);
}

/* ---- shared pieces ------------------------------------------------------------------------------ */

static void scalar_clear(const struct key_row *row, void *base) {
        memset(key_field(row, base), 0, row->type->size);
}

static void string_clear(const struct key_row *row, void *base) {
        char **s = key_field(row, base);
        *s = mfree(*s);
}

static int string_set(const struct key_call *k, const char *v) {
        char **s = key_field(k->row, k->base);
        char *d = strdup(v);

        if (!d)
                return -ENOMEM;
        free(*s);
        *s = d;
        return 0;
}

#define FIELD(k, type) ((type *) key_field((k)->row, (k)->base))
#define CFIELD(row, base, type) (*(const type *) key_cfield((row), (base)))

/* ---- strings ------------------------------------------------------------------------------------ */

/* Free text (Description=): an indented line adds to it after a space. */
static int text_parse(const struct key_call *k, const char *v) {
        char **s = FIELD(k, char *);
        char *j;

        if (!k->continuation)
                return string_set(k, v);
        j = strprintf("%s %s", strempty(*s), v);
        if (!j)
                return -ENOMEM;
        free(*s);
        *s = j;
        return 0;
}

static void text_format(const struct key_row *row, const void *base, FILE *f) {
        dump_word(f, strempty(CFIELD(row, base, char *)));
}

const struct value_type type_text = { text_parse, text_format, string_clear };

/* One word, checked by row->check. NULL means not set: the consumer applies the default. */
static int string_parse(const struct key_call *k, const char *v) {
        int r = k->row->check ? k->row->check(k, v) : 0;
        return r < 0 ? r : string_set(k, v);
}

static void string_format(const struct key_row *row, const void *base, FILE *f) {
        const char *s = CFIELD(row, base, char *);
        fputs(s ? s : strempty(row->def), f);
}

const struct value_type type_string = { string_parse, string_format, string_clear, .unset_shows_default = true };

static int cpu_list_parse(const struct key_call *k, const char *v) {
        char **s = FIELD(k, char *), *cpus;
        int r = parse_cpu_list(v, &cpus);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return key_error(k, "invalid CPU list \"%s\" (expected e.g. 0-1,3)", v);
        free(*s);
        *s = cpus;
        return 0;
}

const struct value_type type_cpu_list = { cpu_list_parse, string_format, string_clear };

static int argv_parse(const struct key_call *k, const char *v) {
        _cleanup_strv_free_ char **argv = NULL;
        char ***field = FIELD(k, char **);
        int r;

        r = split_quoted(v, &argv);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return key_error(k, "unbalanced quotes or trailing backslash in \"%s\"", v);
        if (k->continuation)
                return strv_consume_strv(field, TAKE_PTR(argv));
        if (r == 0 || argv[0][0] == '\0')
                return key_error(k, "empty command line");
        if (argv[0][0] != '/' && strchr(argv[0], '/'))
                return key_error(k, "relative path \"%s\" (give an absolute path or a bare name looked up in PATH)",
                                 argv[0]);
        strv_free(*field);
        *field = TAKE_PTR(argv);
        return 0;
}

const struct value_type type_argv = { argv_parse, strv_field_format, strv_field_clear };

/* ---- booleans and enums ------------------------------------------------------------------------- */

static int boolean_parse(const struct key_call *k, const char *v) {
        int r = parse_boolean(v);

        if (r < 0)
                return key_error(k, "invalid boolean \"%s\" (expected yes or no)", v);
        *FIELD(k, bool) = r;
        return 0;
}

static void boolean_format(const struct key_row *row, const void *base, FILE *f) {
        fputs(CFIELD(row, base, bool) ? "yes" : "no", f);
}

const struct value_type type_boolean = { boolean_parse, boolean_format, scalar_clear, sizeof(bool) };

/* A key whose value is one word of an enum, with NAME_from_string() and NAME_to_string(). */
#define DEFINE_ENUM_TYPE(name, ctype, expected)                                                         \
        static int name##_parse(const struct key_call *k, const char *v) {                             \
                int r = name##_from_string(v);                                                          \
                if (r < 0)                                                                              \
                        return key_error(k, "invalid value \"%s\" (expected %s)", v, expected);         \
                *FIELD(k, ctype) = (ctype) r;                                                           \
                return 0;                                                                               \
        }                                                                                               \
        static void name##_format(const struct key_row *row, const void *base, FILE *f) {             \
                fputs(strempty(name##_to_string(CFIELD(row, base, ctype))), f);                        \
        }                                                                                               \
        const struct value_type type_##name = { name##_parse, name##_format, scalar_clear, sizeof(ctype) }

DEFINE_ENUM_TYPE(overlay_mode, enum overlay_mode, "none, ephemeral or persistent");
DEFINE_ENUM_TYPE(seccomp_mode, enum seccomp_mode, "default or off");
DEFINE_ENUM_TYPE(service_type, enum service_type, "simple or notify");
DEFINE_ENUM_TYPE(restart_policy, enum restart_policy, "no, on-failure or always");

static int namespaces_parse(const struct key_call *k, const char *v) {
        _cleanup_strv_free_ char **words = NULL;
        unsigned ns = 0;
        int r;

        r = split_quoted(v, &words);
        if (r == -ENOMEM)
                return r;
        STRV_FOREACH(w, words) {
                int bit = unit_ns_from_string(*w);
                if (bit < 0) {
                        r = bit;
                        break;
                }
                ns |= (unsigned) bit;
        }
        if (r < 0)
                return key_error(k, "invalid namespace list \"%s\" (any of pid mnt ipc uts net user cgroup time)", v);
        *FIELD(k, unsigned) = ns;
        return 0;
}

static void namespaces_format(const struct key_row *row, const void *base, FILE *f) {
        unsigned ns = CFIELD(row, base, unsigned);
        bool first = true;

        for (unsigned bit = 1; bit < _UNIT_NS_ALL; bit <<= 1)
                if (ns & bit) {
                        fprintf(f, "%s%s", first ? "" : " ", unit_ns_to_string(bit));
                        first = false;
                }
}

const struct value_type type_namespaces = { namespaces_parse, namespaces_format, scalar_clear, sizeof(unsigned) };

/* UserNamespace=: the mode, and the map (the companion field) for UID:HOSTUID:COUNT. */
static int userns_parse(const struct key_call *k, const char *v) {
        enum userns_mode *mode = FIELD(k, enum userns_mode);
        struct id_map *map = key_aux(k->row, k->base);

        if (streq(v, "auto"))
                *mode = USERNS_AUTO;
        else if (streq(v, "none") || streq(v, "no"))
                *mode = USERNS_NONE;
        else if (parse_id_map(v, map) == 0)
                *mode = USERNS_MAP;
        else
                return key_error(k, "invalid value \"%s\" (expected auto or UID:HOSTUID:COUNT)", v);
        return 0;
}

static void userns_format(const struct key_row *row, const void *base, FILE *f) {
        const struct id_map *m = key_caux(row, base);

        switch (CFIELD(row, base, enum userns_mode)) {
        case USERNS_MAP:
                fprintf(f, "%u:%u:%u", m->inside, m->outside, m->count);
                break;
        case USERNS_AUTO:
                fputs("auto", f);
                break;
        default:
                fputs("none", f);
        }
}

static void userns_clear(const struct key_row *row, void *base) {
        *(enum userns_mode *) key_field(row, base) = USERNS_NONE;
        *(struct id_map *) key_aux(row, base) = (struct id_map) {};
}

const struct value_type type_userns = { userns_parse, userns_format, userns_clear };

/* ---- numbers ------------------------------------------------------------------------------------ */

static int usec_parse(const struct key_call *k, const char *v, uint64_t *ret) {
        if (parse_duration(v, ret) < 0)
                return key_error(k, "invalid duration \"%s\"", v);
        return 0;
}

static void usec_format(const struct key_row *row, const void *base, FILE *f) {
        dump_usec(f, CFIELD(row, base, uint64_t));
}

static int duration_parse(const struct key_call *k, const char *v) {
        return usec_parse(k, v, FIELD(k, uint64_t));
}

const struct value_type type_duration = { duration_parse, usec_format, scalar_clear, sizeof(uint64_t) };

/* A delay that has to end (RestartSec=). */
static int duration_finite_parse(const struct key_call *k, const char *v) {
        uint64_t usec;
        int r = usec_parse(k, v, &usec);

        if (r < 0)
                return r;
        if (usec == USEC_INFINITY)
                return key_error(k, "must be finite");
        *FIELD(k, uint64_t) = usec;
        return 0;
}

const struct value_type type_duration_finite = { duration_finite_parse, usec_format, scalar_clear,
                                                 sizeof(uint64_t) };

/* A timeout: 0 would fail at once, infinity waits forever. */
static int timeout_parse(const struct key_call *k, const char *v) {
        uint64_t usec;
        int r = usec_parse(k, v, &usec);

        if (r < 0)
                return r;
        if (usec == 0)
                return key_error(k, "must be more than 0 (use infinity to wait forever)");
        *FIELD(k, uint64_t) = usec;
        return 0;
}

const struct value_type type_timeout = { timeout_parse, usec_format, scalar_clear, sizeof(uint64_t) };

static int count_parse(const struct key_call *k, const char *v) {
        uint32_t n;

        if (parse_uint32_range(v, 0, 1000000, &n) < 0)
                return key_error(k, "invalid count \"%s\" (expected 0-1000000; 0 disables the limit)", v);
        *FIELD(k, unsigned) = n;
        return 0;
}

static void count_format(const struct key_row *row, const void *base, FILE *f) {
        fprintf(f, "%u", CFIELD(row, base, unsigned));
}

const struct value_type type_count = { count_parse, count_format, scalar_clear, sizeof(unsigned) };

/* A cgroup weight; 0 stands for "not set" (the kernel's default). */
static int weight_parse(const struct key_call *k, const char *v) {
        uint32_t n;

        if (parse_uint32_range(v, 1, 10000, &n) < 0)
                return key_error(k, "invalid weight \"%s\" (expected 1-10000)", v);
        *FIELD(k, uint32_t) = n;
        return 0;
}

static void weight_format(const struct key_row *row, const void *base, FILE *f) {
        uint32_t n = CFIELD(row, base, uint32_t);
        if (n > 0)
                fprintf(f, "%" PRIu32, n);
}

const struct value_type type_weight = { weight_parse, weight_format, scalar_clear, sizeof(uint32_t) };

static int signal_parse(const struct key_call *k, const char *v) {
        if (parse_signal(v, FIELD(k, int)) < 0)
                return key_error(k, "invalid signal \"%s\"", v);
        return 0;
}

static void signal_format(const struct key_row *row, const void *base, FILE *f) {
        const char *s = signal_to_string(CFIELD(row, base, int));
        fputs(s ? s : "?", f);
}

const struct value_type type_signal = { signal_parse, signal_format, scalar_clear, sizeof(int) };

/* A byte size for a limit: below a page it would be useless, so it is refused. */
static int size_parse(const struct key_call *k, const char *v) {
        uint64_t n;

        if (parse_size(v, &n) < 0)
                return key_error(k, "invalid size \"%s\"", v);
        if (n != SIZE_INFINITY && n < 4096)
                return key_error(k, "too small: \"%s\" (at least 4K, or infinity)", v);
        *FIELD(k, uint64_t) = n;
        return 0;
}

static void size_format(const struct key_row *row, const void *base, FILE *f) {
        dump_size(f, CFIELD(row, base, uint64_t));
}

const struct value_type type_size = { size_parse, size_format, scalar_clear, sizeof(uint64_t) };

/* A number of tasks, or infinity; pids.max takes at most 2^62. */
static int tasks_parse(const struct key_call *k, const char *v) {
        uint64_t n;

        if (streq(v, "infinity"))
                n = SIZE_INFINITY;
        else if (parse_uint64(v, &n) < 0 || n == 0 || n >= (UINT64_C(1) << 62))
                return key_error(k, "invalid task count \"%s\" (expected a number of at least 1, or infinity)", v);
        *FIELD(k, uint64_t) = n;
        return 0;
}

const struct value_type type_tasks = { tasks_parse, size_format, scalar_clear, sizeof(uint64_t) };

/* CPUQuota=, in permyriad of one CPU; 0 stands for "no quota". */
static int percent_parse(const struct key_call *k, const char *v) {
        unsigned p;

        if (parse_percent(v, &p) < 0)
                return key_error(k, "invalid percentage \"%s\" (expected e.g. 20%%)", v);
        if (p == 0 || p > 100000000)
                return key_error(k, "out of range: \"%s\" (must be more than 0%%)", v);
        *FIELD(k, unsigned) = p;
        return 0;
}

static void percent_format(const struct key_row *row, const void *base, FILE *f) {
        unsigned p = CFIELD(row, base, unsigned);
        if (p > 0)
                fprintf(f, "%u.%02u%%", p / 100, p % 100);
}

const struct value_type type_percent = { percent_parse, percent_format, scalar_clear, sizeof(unsigned) };

/* ---- addresses ---------------------------------------------------------------------------------- */

static void cidr_format(const struct key_row *row, const void *base, FILE *f) {
        const struct cidr *c = key_cfield(row, base);

        dump_ip(f, c->family, &c->addr);
        fprintf(f, "/%u", c->prefixlen);
}

/* Address= of a unit: "auto" (the companion flag), an address (its prefix taken from the bridge
 * by the cross-unit check) or a CIDR. */
static int address_parse(const struct key_call *k, const char *v) {
        bool *is_auto = key_aux(k->row, k->base);
        struct cidr cidr = {};
        struct ip_addr ip;

        if (streq(v, "auto")) {
                *is_auto = true;
                return 0;
        }
        if (parse_cidr(v, &cidr) < 0) {
                if (parse_ip_addr(v, &ip) < 0)
                        return key_error(k, "invalid address \"%s\" (expected auto, an address or a CIDR)", v);
                cidr.family = ip.family;
                memcpy(&cidr.addr, &ip.addr, sizeof(cidr.addr));
                cidr.prefixlen = 0;
        }
        *is_auto = false;
        *FIELD(k, struct cidr) = cidr;
        return 0;
}

static void address_format(const struct key_row *row, const void *base, FILE *f) {
        if (*(const bool *) key_caux(row, base))
                fputs("auto", f);
        else
                cidr_format(row, base, f);
}

static void address_clear(const struct key_row *row, void *base) {
        *(struct cidr *) key_field(row, base) = (struct cidr) {};
        *(bool *) key_aux(row, base) = false;
}

const struct value_type type_address = { address_parse, address_format, address_clear };

/* Gateway=: an address, and the companion flag that tells it was given. */
static int gateway_parse(const struct key_call *k, const char *v) {
        if (parse_ip_addr(v, FIELD(k, struct ip_addr)) < 0)
                return key_error(k, "invalid IP address \"%s\"", v);
        *(bool *) key_aux(k->row, k->base) = true;
        return 0;
}

static void gateway_format(const struct key_row *row, const void *base, FILE *f) {
        const struct ip_addr *a = key_cfield(row, base);

        if (*(const bool *) key_caux(row, base))
                dump_ip(f, a->family, &a->addr);
}

static void gateway_clear(const struct key_row *row, void *base) {
        *(struct ip_addr *) key_field(row, base) = (struct ip_addr) {};
        *(bool *) key_aux(row, base) = false;
}

const struct value_type type_gateway = { gateway_parse, gateway_format, gateway_clear };

/* Address= of a bridge: a CIDR, required. */
static int cidr_parse(const struct key_call *k, const char *v) {
        if (parse_cidr(v, FIELD(k, struct cidr)) < 0)
                return key_error(k, "invalid CIDR \"%s\" (expected e.g. 10.88.0.1/24)", v);
        return 0;
}

const struct value_type type_cidr = { cidr_parse, cidr_format, scalar_clear, sizeof(struct cidr) };
