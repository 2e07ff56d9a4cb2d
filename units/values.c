/* SPDX-License-Identifier: MIT */

/* The numeric value parsers of SPEC §2/§3: booleans, sizes, durations, percentages, plain numbers
 * and CPU lists. Pure functions: libc only, no logging, no system calls. Every parser returns 0,
 * -EINVAL (bad syntax), -ERANGE (well-formed but out of range) or -ENOMEM, and leaves its output
 * untouched on failure. */

#include <limits.h>
#include <strings.h>

#include "macro.h"
#include "units-internal.h"

/* ---- small helpers ------------------------------------------------------------------------ */

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

int parse_u32_range_n(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *ret) {
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

                if (is_space(*p)) {
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

