/* SPDX-License-Identifier: MIT */

/* Table-driven tests of units/values.c: enum names and every value parser of SPEC §2/§3. */

#include <arpa/inet.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

#include "macro.h"
#include "tap.h"
#include "units.h"

#define SENTINEL64 UINT64_C(0xdeadbeefcafe)
#define SENTINEL32 UINT32_C(0xdeadbeef)

/* Every "name(input)" label below goes through this, so failures say which row broke. */
static char label_buf[512];
_printf_(1, 2) static const char *label(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(label_buf, sizeof(label_buf), fmt, ap);
        va_end(ap);
        return label_buf;
}

/* ---- enums -------------------------------------------------------------------------------- */

static void test_enums(void) {
        static const char *const overlay[] = { "none", "ephemeral", "persistent" };
        static const char *const seccomp[] = { "default", "off" };
        static const char *const type[] = { "simple", "notify" };
        static const char *const restart[] = { "no", "on-failure", "always" };
        static const char *const ns[] = { "pid", "mnt", "ipc", "uts", "net", "user", "cgroup", "time" };
        static const char *const load[] = { "loaded", "error", "not-found" };
        static const char *const change[] = { "added", "removed", "changed", "unchanged" };

        _Static_assert(ELEMENTSOF(overlay) == _OVERLAY_MAX, "overlay");
        _Static_assert(ELEMENTSOF(seccomp) == _SECCOMP_MAX, "seccomp");
        _Static_assert(ELEMENTSOF(type) == _SERVICE_TYPE_MAX, "type");
        _Static_assert(ELEMENTSOF(restart) == _RESTART_MAX, "restart");
        _Static_assert(ELEMENTSOF(load) == _UNIT_LOAD_STATE_MAX, "load");
        _Static_assert(ELEMENTSOF(change) == _UNIT_CHANGE_MAX, "change");

        for (int i = 0; i < _OVERLAY_MAX; i++) {
                is_str(overlay_mode_to_string(i), overlay[i], label("overlay_mode_to_string(%d)", i));
                is_int(overlay_mode_from_string(overlay[i]), i,
                       label("overlay_mode_from_string(%s)", overlay[i]));
        }
        for (int i = 0; i < _SECCOMP_MAX; i++) {
                is_str(seccomp_mode_to_string(i), seccomp[i], label("seccomp_mode_to_string(%d)", i));
                is_int(seccomp_mode_from_string(seccomp[i]), i,
                       label("seccomp_mode_from_string(%s)", seccomp[i]));
        }
        for (int i = 0; i < _SERVICE_TYPE_MAX; i++) {
                is_str(service_type_to_string(i), type[i], label("service_type_to_string(%d)", i));
                is_int(service_type_from_string(type[i]), i, label("service_type_from_string(%s)", type[i]));
        }
        for (int i = 0; i < _RESTART_MAX; i++) {
                is_str(restart_policy_to_string(i), restart[i], label("restart_policy_to_string(%d)", i));
                is_int(restart_policy_from_string(restart[i]), i,
                       label("restart_policy_from_string(%s)", restart[i]));
        }
        for (int i = 0; i < (int) ELEMENTSOF(ns); i++) {
                is_str(unit_ns_to_string(1 << i), ns[i], label("unit_ns_to_string(1<<%d)", i));
                is_int(unit_ns_from_string(ns[i]), 1 << i, label("unit_ns_from_string(%s)", ns[i]));
        }
        for (int i = 0; i < _UNIT_LOAD_STATE_MAX; i++)
                is_str(unit_load_state_to_string(i), load[i], label("unit_load_state_to_string(%d)", i));
        for (int i = 0; i < _UNIT_CHANGE_MAX; i++)
                is_str(unit_change_to_string(i), change[i], label("unit_change_to_string(%d)", i));

        /* Out of range and unknown. */
        ok(!overlay_mode_to_string(_OVERLAY_MAX), "overlay_mode_to_string(_MAX) is NULL");
        ok(!overlay_mode_to_string(-1), "overlay_mode_to_string(-1) is NULL");
        ok(!seccomp_mode_to_string(_SECCOMP_MAX), "seccomp_mode_to_string(_MAX) is NULL");
        ok(!service_type_to_string(_SERVICE_TYPE_MAX), "service_type_to_string(_MAX) is NULL");
        ok(!restart_policy_to_string(_RESTART_MAX), "restart_policy_to_string(_MAX) is NULL");
        ok(!unit_load_state_to_string(_UNIT_LOAD_STATE_MAX), "unit_load_state_to_string(_MAX) is NULL");
        ok(!unit_change_to_string(_UNIT_CHANGE_MAX), "unit_change_to_string(_MAX) is NULL");
        ok(!unit_ns_to_string(0), "unit_ns_to_string(0) is NULL");
        ok(!unit_ns_to_string(UNIT_NS_PID | UNIT_NS_NET), "unit_ns_to_string(two bits) is NULL");
        ok(!unit_ns_to_string(1 << 8), "unit_ns_to_string(1<<8) is NULL");
        ok(!unit_ns_to_string(UNIT_NS_DEFAULT), "unit_ns_to_string(DEFAULT) is NULL");

        static const char *const bad[] = { "", "None", "NONE", " none", "none ", "on_failure", "On-Failure",
                                           "PID", "mount", "network", "yes", "notify2", "def" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ok(overlay_mode_from_string(bad[i]) == -EINVAL &&
                           seccomp_mode_from_string(bad[i]) == -EINVAL &&
                           service_type_from_string(bad[i]) == -EINVAL &&
                           restart_policy_from_string(bad[i]) == -EINVAL &&
                           unit_ns_from_string(bad[i]) == -EINVAL,
                   "*_from_string(\"%s\") is -EINVAL", bad[i]);
        }
        is_int(overlay_mode_from_string(NULL), -EINVAL, "overlay_mode_from_string(NULL)");
}

/* ---- booleans ----------------------------------------------------------------------------- */

static void test_boolean(void) {
        static const struct {
                const char *in;
                int want;
        } t[] = {
                { "yes", 1 },         { "YES", 1 },       { "Yes", 1 },       { "true", 1 },
                { "TRUE", 1 },        { "on", 1 },        { "On", 1 },        { "1", 1 },
                { "no", 0 },          { "NO", 0 },        { "false", 0 },     { "False", 0 },
                { "off", 0 },         { "OFF", 0 },       { "0", 0 },         { "", -EINVAL },
                { "y", -EINVAL },     { "n", -EINVAL },   { "2", -EINVAL },   { "01", -EINVAL },
                { " yes", -EINVAL },  { "yes ", -EINVAL }, { "yess", -EINVAL }, { "enable", -EINVAL },
                { "-1", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                is_int(parse_boolean(t[i].in), t[i].want, label("parse_boolean(\"%s\")", t[i].in));
}

/* ---- sizes, durations, percentages, integers ---------------------------------------------- */

struct u64_case {
        const char *in;
        int ret;
        uint64_t want;
};

static void test_size(void) {
        static const struct u64_case t[] = {
                { "0", 0, 0 },
                { "1", 0, 1 },
                { "007", 0, 7 },
                { "1K", 0, 1024 },
                { "1k", 0, 1024 },
                { "1M", 0, UINT64_C(1) << 20 },
                { "64m", 0, UINT64_C(64) << 20 },
                { "1G", 0, UINT64_C(1) << 30 },
                { "1g", 0, UINT64_C(1) << 30 },
                { "1T", 0, UINT64_C(1) << 40 },
                { "1.5G", 0, UINT64_C(3) << 29 },
                { "0.5K", 0, 512 },
                { "1.0001K", 0, 1024 }, /* 1024.1024 rounded down */
                { "1.5", 0, 1 },
                { "0.9", 0, 0 },
                { "1.00000000000000000000000001T", 0, UINT64_C(1) << 40 },
                { "infinity", 0, SIZE_INFINITY },
                { "16777215T", 0, UINT64_C(16777215) << 40 },
                { "18446744073709551614", 0, UINT64_MAX - 1 },
                { "16777216T", -ERANGE, 0 },
                { "18446744073709551615", -ERANGE, 0 }, /* would read as infinity */
                { "18446744073709551616", -ERANGE, 0 },
                { "99999999999999999999999", -ERANGE, 0 },
                { "99999999999999999999999Q", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "K", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "+1", -EINVAL, 0 },
                { " 1", -EINVAL, 0 },
                { "1 ", -EINVAL, 0 },
                { "1 K", -EINVAL, 0 },
                { "1KB", -EINVAL, 0 },
                { "1B", -EINVAL, 0 },
                { "1P", -EINVAL, 0 },
                { "12Q", -EINVAL, 0 },
                { "1.K", -EINVAL, 0 },
                { ".5K", -EINVAL, 0 },
                { "1.5.5", -EINVAL, 0 },
                { "0x10", -EINVAL, 0 },
                { "1e3", -EINVAL, 0 },
                { "Infinity", -EINVAL, 0 },
                { "infinite", -EINVAL, 0 },
                { "-infinity", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                uint64_t v = SENTINEL64;
                int r = parse_size(t[i].in, &v);

                ok(r == t[i].ret && v == (r == 0 ? t[i].want : SENTINEL64), "parse_size(\"%s\") = %d, %llu",
                   t[i].in, t[i].ret,
                   (unsigned long long) (t[i].ret == 0 ? t[i].want : SENTINEL64));
        }
}

#define USEC(x) ((uint64_t) (x))
#define SEC(x) ((uint64_t) (x) * USEC_PER_SEC)

static void test_duration(void) {
        static const struct u64_case t[] = {
                { "0", 0, 0 },
                { "5", 0, SEC(5) },
                { "1.5", 0, USEC(1500000) },
                { "5s", 0, SEC(5) },
                { "1sec", 0, SEC(1) },
                { "250ms", 0, USEC(250000) },
                { "10msec", 0, USEC(10000) },
                { "7us", 0, 7 },
                { "7usec", 0, 7 },
                { "1.5us", 0, 1 },
                { "0.5ms", 0, 500 },
                { "1.5s", 0, USEC(1500000) },
                { "2min", 0, SEC(120) },
                { "2m", 0, SEC(120) },
                { "1h", 0, SEC(3600) },
                { "3hr", 0, SEC(3 * 3600) },
                { "1d", 0, SEC(86400) },
                { "0.5d", 0, SEC(43200) },
                { "1h 30min", 0, SEC(5400) },
                { "1h30min", 0, SEC(5400) },
                { "1h\t30min", 0, SEC(5400) },
                { "1h  30min 10s", 0, SEC(5410) },
                { "1s 1s", 0, SEC(2) },
                { "100ms5us", 0, USEC(100005) },
                { "infinity", 0, USEC_INFINITY },
                { "18446744073709551614us", 0, UINT64_MAX - 1 },
                { "213503982d", 0, UINT64_C(213503982) * 86400 * USEC_PER_SEC },
                { "18446744073709551615us", -ERANGE, 0 }, /* would read as infinity */
                { "213503983d", -ERANGE, 0 },
                { "18446744073709551615", -ERANGE, 0 },
                { "18446744073709551614us 1us", -ERANGE, 0 },
                { "99999999999999999999999s", -ERANGE, 0 },
                { "99999999999999999999999s x", -EINVAL, 0 },
                { "1h 30", -EINVAL, 0 },
                { "30 1h", -EINVAL, 0 },
                { "5s5", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { " ", -EINVAL, 0 },
                { " 5s", -EINVAL, 0 },
                { "5s ", -EINVAL, 0 },
                { "5 s", -EINVAL, 0 },
                { "5x", -EINVAL, 0 },
                { "5S", -EINVAL, 0 },
                { "5seconds", -EINVAL, 0 },
                { "ms", -EINVAL, 0 },
                { "-5s", -EINVAL, 0 },
                { "+5s", -EINVAL, 0 },
                { ".5s", -EINVAL, 0 },
                { "5.s", -EINVAL, 0 },
                { "5s,1s", -EINVAL, 0 },
                { "Infinity", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                uint64_t v = SENTINEL64;
                int r = parse_duration(t[i].in, &v);

                ok(r == t[i].ret && v == (r == 0 ? t[i].want : SENTINEL64),
                   "parse_duration(\"%s\") = %d, %llu", t[i].in, t[i].ret,
                   (unsigned long long) (t[i].ret == 0 ? t[i].want : SENTINEL64));
        }
}

static void test_percent(void) {
        static const struct u64_case t[] = {
                { "20%", 0, 2000 },
                { "150%", 0, 15000 },
                { "0%", 0, 0 },
                { "100%", 0, 10000 },
                { "12.5%", 0, 1250 },
                { "12.345%", 0, 1234 },
                { "0.01%", 0, 1 },
                { "0.009%", 0, 0 },
                { "007%", 0, 700 },
                { "42949672.95%", 0, UINT32_MAX },
                { "42949672.96%", -ERANGE, 0 },
                { "99999999999999999999999%", -ERANGE, 0 },
                { "20", -EINVAL, 0 },
                { "%", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "20 %", -EINVAL, 0 },
                { " 20%", -EINVAL, 0 },
                { "20% ", -EINVAL, 0 },
                { "20%%", -EINVAL, 0 },
                { "-5%", -EINVAL, 0 },
                { "+5%", -EINVAL, 0 },
                { ".5%", -EINVAL, 0 },
                { "1e3%", -EINVAL, 0 },
                { "twenty%", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                unsigned v = SENTINEL32;
                int r = parse_percent(t[i].in, &v);

                ok(r == t[i].ret && v == (r == 0 ? t[i].want : SENTINEL32),
                   "parse_percent(\"%s\") = %d, %llu", t[i].in, t[i].ret,
                   (unsigned long long) (t[i].ret == 0 ? t[i].want : SENTINEL32));
        }
}

static void test_uint(void) {
        static const struct u64_case t[] = {
                { "0", 0, 0 },
                { "1", 0, 1 },
                { "007", 0, 7 },
                { "4294967296", 0, UINT64_C(4294967296) },
                { "18446744073709551615", 0, UINT64_MAX },
                { "18446744073709551616", -ERANGE, 0 },
                { "99999999999999999999999", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { " 1", -EINVAL, 0 },
                { "1 ", -EINVAL, 0 },
                { "+1", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "0x1", -EINVAL, 0 },
                { "1a", -EINVAL, 0 },
                { "1.0", -EINVAL, 0 },
                { "1K", -EINVAL, 0 },
                { "99999999999999999999999x", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                uint64_t v = SENTINEL64;
                int r = parse_uint64(t[i].in, &v);

                ok(r == t[i].ret && v == (r == 0 ? t[i].want : SENTINEL64), "parse_uint64(\"%s\") = %d",
                   t[i].in, t[i].ret);
        }

        static const struct {
                const char *in;
                uint32_t min, max;
                int ret;
                uint32_t want;
        } r32[] = {
                { "5", 1, 10, 0, 5 },
                { "1", 1, 10, 0, 1 },
                { "10", 1, 10, 0, 10 },
                { "0", 1, 10, -ERANGE, 0 },
                { "11", 1, 10, -ERANGE, 0 },
                { "7", 7, 7, 0, 7 },
                { "0", 0, UINT32_MAX, 0, 0 },
                { "4294967295", 0, UINT32_MAX, 0, UINT32_MAX },
                { "4294967296", 0, UINT32_MAX, -ERANGE, 0 },
                { "18446744073709551616", 0, UINT32_MAX, -ERANGE, 0 },
                { "100", 1, 10000, 0, 100 },
                { "10001", 1, 10000, -ERANGE, 0 },
                { "x", 0, 10, -EINVAL, 0 },
                { "", 0, 10, -EINVAL, 0 },
                { "-1", 0, 10, -EINVAL, 0 },
                { "5 ", 0, 10, -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(r32); i++) {
                uint32_t v = SENTINEL32;
                int r = parse_uint32_range(r32[i].in, r32[i].min, r32[i].max, &v);

                ok(r == r32[i].ret && v == (r == 0 ? r32[i].want : SENTINEL32),
                   "parse_uint32_range(\"%s\", %u, %u) = %d", r32[i].in, r32[i].min, r32[i].max, r32[i].ret);
        }
}

/* ---- addresses ---------------------------------------------------------------------------- */

static void test_cidr(void) {
        static const struct {
                const char *in;
                int ret;
                int family;
                const char *addr; /* as inet_ntop() prints it */
                unsigned prefixlen;
        } t[] = {
                { "10.0.0.1/24", 0, AF_INET, "10.0.0.1", 24 },
                { "192.168.100.0/22", 0, AF_INET, "192.168.100.0", 22 },
                { "0.0.0.0/0", 0, AF_INET, "0.0.0.0", 0 },
                { "255.255.255.255/32", 0, AF_INET, "255.255.255.255", 32 },
                { "10.0.0.1/024", 0, AF_INET, "10.0.0.1", 24 },
                { "fd00::1/64", 0, AF_INET6, "fd00::1", 64 },
                { "FD00:0:0::1/64", 0, AF_INET6, "fd00::1", 64 },
                { "::/0", 0, AF_INET6, "::", 0 },
                { "::1/128", 0, AF_INET6, "::1", 128 },
                { "::ffff:10.1.2.3/96", 0, AF_INET6, "::ffff:10.1.2.3", 96 },
                { "10.0.0.0/33", -ERANGE, 0, NULL, 0 },
                { "fd00::/129", -ERANGE, 0, NULL, 0 },
                { "10.0.0.1/4294967296", -ERANGE, 0, NULL, 0 },
                { "10.0.0.1", -EINVAL, 0, NULL, 0 },
                { "fd00::1", -EINVAL, 0, NULL, 0 },
                { "10.0.0.1/", -EINVAL, 0, NULL, 0 },
                { "/24", -EINVAL, 0, NULL, 0 },
                { "", -EINVAL, 0, NULL, 0 },
                { "10.0.0.256/24", -EINVAL, 0, NULL, 0 },
                { "10.0.0/24", -EINVAL, 0, NULL, 0 },
                { "10.0.0.1/24/1", -EINVAL, 0, NULL, 0 },
                { "10.0.0.1/ 24", -EINVAL, 0, NULL, 0 },
                { " 10.0.0.1/24", -EINVAL, 0, NULL, 0 },
                { "10.0.0.1/-1", -EINVAL, 0, NULL, 0 },
                { "10.0.0.1/+8", -EINVAL, 0, NULL, 0 },
                { "fe80::1%eth0/64", -EINVAL, 0, NULL, 0 },
                { "[fd00::1]/64", -EINVAL, 0, NULL, 0 },
                { "fd00:0000:0000:0000:0000:0000:0000:0000:0001/64", -EINVAL, 0, NULL, 0 },
                { "host.example/24", -EINVAL, 0, NULL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct cidr c = { .family = -1, .prefixlen = 999 };
                char buf[INET6_ADDRSTRLEN] = "";
                int r = parse_cidr(t[i].in, &c);
                bool good;

                if (t[i].ret == 0) {
                        good = r == 0 && c.family == t[i].family && c.prefixlen == t[i].prefixlen &&
                               inet_ntop(c.family, &c.addr, buf, sizeof(buf)) && streq(buf, t[i].addr);
                } else
                        good = r == t[i].ret && c.family == -1 && c.prefixlen == 999;
                ok(good, "parse_cidr(\"%s\") = %d %s/%u", t[i].in, t[i].ret, strempty(t[i].addr),
                   t[i].prefixlen);
        }
}

static void test_ip_addr(void) {
        static const struct {
                const char *in;
                int ret;
                int family;
                const char *addr;
        } t[] = {
                { "192.168.1.1", 0, AF_INET, "192.168.1.1" },
                { "0.0.0.0", 0, AF_INET, "0.0.0.0" },
                { "::1", 0, AF_INET6, "::1" },
                { "::", 0, AF_INET6, "::" },
                { "2001:db8::53", 0, AF_INET6, "2001:db8::53" },
                { "::ffff:1.2.3.4", 0, AF_INET6, "::ffff:1.2.3.4" },
                { "1.2.3", -EINVAL, 0, NULL },
                { "1.2.3.4.5", -EINVAL, 0, NULL },
                { "", -EINVAL, 0, NULL },
                { "1.2.3.4/32", -EINVAL, 0, NULL },
                { " 1.2.3.4", -EINVAL, 0, NULL },
                { "1.2.3.4 ", -EINVAL, 0, NULL },
                { "[::1]", -EINVAL, 0, NULL },
                { "dns.example", -EINVAL, 0, NULL },
                { "2001:db8:::1", -EINVAL, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct ip_addr a = { .family = -1 };
                char buf[INET6_ADDRSTRLEN] = "";
                int r = parse_ip_addr(t[i].in, &a);
                bool good;

                if (t[i].ret == 0)
                        good = r == 0 && a.family == t[i].family &&
                               inet_ntop(a.family, &a.addr, buf, sizeof(buf)) && streq(buf, t[i].addr);
                else
                        good = r == t[i].ret && a.family == -1;
                ok(good, "parse_ip_addr(\"%s\") = %d", t[i].in, t[i].ret);
        }
}

/* ---- signals ------------------------------------------------------------------------------ */

static void test_signal(void) {
        static const struct {
                const char *in;
                int ret;
                int want;
        } t[] = {
                { "SIGTERM", 0, SIGTERM },
                { "TERM", 0, SIGTERM },
                { "term", 0, SIGTERM },
                { "sigterm", 0, SIGTERM },
                { "SigTerm", 0, SIGTERM },
                { "15", 0, 15 },
                { "9", 0, 9 },
                { "1", 0, 1 },
                { "SIGKILL", 0, SIGKILL },
                { "HUP", 0, SIGHUP },
                { "SIGUSR1", 0, SIGUSR1 },
                { "winch", 0, SIGWINCH },
                { "SIGIOT", 0, SIGABRT },
                { "SIGCHLD", 0, SIGCHLD },
                { "SIGSYS", 0, SIGSYS },
                { "0", -ERANGE, 0 },
                { "99999999999999999999", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { "SIG", -EINVAL, 0 },
                { "SIGFOO", -EINVAL, 0 },
                { "SIGSIGTERM", -EINVAL, 0 },
                { "SIGTERM ", -EINVAL, 0 },
                { " 15", -EINVAL, 0 },
                { "15 ", -EINVAL, 0 },
                { "-15", -EINVAL, 0 },
                { "+15", -EINVAL, 0 },
                { "0x0f", -EINVAL, 0 },
                { "SIG_TERM", -EINVAL, 0 },
                { "SIGRTMIN-1", -EINVAL, 0 },
                { "SIGRTMAX+1", -EINVAL, 0 },
                { "SIGRTMIN+", -EINVAL, 0 },
                { "SIGRTMIN+x", -EINVAL, 0 },
                { "SIGRTMIN+ 1", -EINVAL, 0 },
                { "SIGRTMIN2", -EINVAL, 0 },
                { "SIGRTMAX-", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                int v = -1, r = parse_signal(t[i].in, &v);

                ok(r == t[i].ret && v == (r == 0 ? t[i].want : -1), "parse_signal(\"%s\") = %d, %d", t[i].in,
                   t[i].ret, t[i].ret == 0 ? t[i].want : -1);
        }

        /* Realtime signals: their numbers are only known at run time. */
        int v = -1, n_rt = SIGRTMAX - SIGRTMIN;
        char buf[64];

        ok(parse_signal("SIGRTMIN", &v) == 0 && v == SIGRTMIN, "parse_signal(SIGRTMIN)");
        ok(parse_signal("RTMIN+2", &v) == 0 && v == SIGRTMIN + 2, "parse_signal(RTMIN+2)");
        ok(parse_signal("sigrtmin+0", &v) == 0 && v == SIGRTMIN, "parse_signal(sigrtmin+0)");
        ok(parse_signal("SIGRTMAX", &v) == 0 && v == SIGRTMAX, "parse_signal(SIGRTMAX)");
        ok(parse_signal("SIGRTMAX-1", &v) == 0 && v == SIGRTMAX - 1, "parse_signal(SIGRTMAX-1)");
        snprintf(buf, sizeof(buf), "SIGRTMIN+%d", n_rt);
        ok(parse_signal(buf, &v) == 0 && v == SIGRTMAX, "parse_signal(%s)", buf);
        snprintf(buf, sizeof(buf), "SIGRTMIN+%d", n_rt + 1);
        v = -1;
        ok(parse_signal(buf, &v) == -ERANGE && v == -1, "parse_signal(%s) = -ERANGE", buf);
        snprintf(buf, sizeof(buf), "RTMAX-%d", n_rt);
        ok(parse_signal(buf, &v) == 0 && v == SIGRTMIN, "parse_signal(%s)", buf);
        snprintf(buf, sizeof(buf), "RTMAX-%d", n_rt + 1);
        v = -1;
        ok(parse_signal(buf, &v) == -ERANGE && v == -1, "parse_signal(%s) = -ERANGE", buf);
        snprintf(buf, sizeof(buf), "%d", _NSIG - 1);
        ok(parse_signal(buf, &v) == 0 && v == _NSIG - 1, "parse_signal(%s)", buf);
        snprintf(buf, sizeof(buf), "%d", _NSIG);
        v = -1;
        ok(parse_signal(buf, &v) == -ERANGE && v == -1, "parse_signal(%s) = -ERANGE", buf);

        /* signal_to_string() */
        is_str(signal_to_string(SIGTERM), "SIGTERM", "signal_to_string(SIGTERM)");
        is_str(signal_to_string(SIGKILL), "SIGKILL", "signal_to_string(SIGKILL)");
        is_str(signal_to_string(SIGHUP), "SIGHUP", "signal_to_string(SIGHUP)");
        is_str(signal_to_string(SIGRTMIN), "SIGRTMIN", "signal_to_string(SIGRTMIN)");
        is_str(signal_to_string(SIGRTMIN + 2), "SIGRTMIN+2", "signal_to_string(SIGRTMIN+2)");
        ok(!signal_to_string(0), "signal_to_string(0) is NULL");
        ok(!signal_to_string(-1), "signal_to_string(-1) is NULL");
        ok(!signal_to_string(SIGRTMAX + 1), "signal_to_string(SIGRTMAX+1) is NULL");
        ok(!signal_to_string(SIGRTMIN - 1), "signal_to_string(SIGRTMIN-1) is NULL (libc-reserved)");

        /* Every named signal reads back as itself; all standard and realtime ones have a name. */
        unsigned named = 0, roundtrip = 0;
        for (int sig = 1; sig < _NSIG; sig++) {
                const char *name = signal_to_string(sig);
                int back = -1;

                if (!name)
                        continue;
                named++;
                if (parse_signal(name, &back) == 0 && back == sig)
                        roundtrip++;
                else
                        diag("signal %d \"%s\" does not round-trip", sig, name);
        }
        is_int(roundtrip, named, "every signal_to_string() name parses back");
        is_int(named, 31 + (SIGRTMAX - SIGRTMIN + 1), "31 standard + all realtime signals have names");
}

/* ---- capabilities ------------------------------------------------------------------------- */

static void test_capability(void) {
        /* Written out independently of values.c, in kernel order. */
        static const char *const names[] = {
                "CAP_CHOWN",          "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",  "CAP_FOWNER",
                "CAP_FSETID",         "CAP_KILL",         "CAP_SETGID",           "CAP_SETUID",
                "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
                "CAP_NET_ADMIN",      "CAP_NET_RAW",      "CAP_IPC_LOCK",         "CAP_IPC_OWNER",
                "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",    "CAP_SYS_CHROOT",       "CAP_SYS_PTRACE",
                "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",    "CAP_SYS_BOOT",         "CAP_SYS_NICE",
                "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",     "CAP_SYS_TTY_CONFIG",   "CAP_MKNOD",
                "CAP_LEASE",          "CAP_AUDIT_WRITE",  "CAP_AUDIT_CONTROL",    "CAP_SETFCAP",
                "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",    "CAP_SYSLOG",           "CAP_WAKE_ALARM",
                "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",   "CAP_PERFMON",          "CAP_BPF",
                "CAP_CHECKPOINT_RESTORE",
        };

        is_int(capability_last(), 40, "capability_last()");
        is_int(capability_last() + 1, ELEMENTSOF(names), "capability table size");

        /* Spot checks against the kernel header. */
        is_str(capability_to_string(CAP_CHOWN), "CAP_CHOWN", "CAP_CHOWN number");
        is_str(capability_to_string(CAP_NET_ADMIN), "CAP_NET_ADMIN", "CAP_NET_ADMIN number");
        is_str(capability_to_string(CAP_SYS_ADMIN), "CAP_SYS_ADMIN", "CAP_SYS_ADMIN number");
        is_str(capability_to_string(CAP_SETFCAP), "CAP_SETFCAP", "CAP_SETFCAP number");
        is_str(capability_to_string(CAP_AUDIT_READ), "CAP_AUDIT_READ", "CAP_AUDIT_READ number");
        is_str(capability_to_string(CAP_CHECKPOINT_RESTORE), "CAP_CHECKPOINT_RESTORE",
               "CAP_CHECKPOINT_RESTORE number");

        for (int i = 0; i < (int) ELEMENTSOF(names); i++) {
                char lower[64];
                int a = -1, b = -1, c = -1;
                size_t k;

                /* "net_admin": lower case, no prefix */
                for (k = 0; names[i][k + 4] && k < sizeof(lower) - 1; k++) {
                        char ch = names[i][k + 4];
                        lower[k] = ch >= 'A' && ch <= 'Z' ? (char) (ch - 'A' + 'a') : ch;
                }
                lower[k] = '\0';
                char num[16];
                snprintf(num, sizeof(num), "%d", i);

                ok(streq_ptr(capability_to_string(i), names[i]) && parse_capability(names[i], &a) == 0 &&
                           a == i && parse_capability(lower, &b) == 0 && b == i &&
                           parse_capability(num, &c) == 0 && c == i,
                   "capability %d %s round-trips (%s, %s)", i, names[i], lower, num);
        }

        static const struct {
                const char *in;
                int ret;
                int want;
        } t[] = {
                { "cap_net_admin", 0, 12 },
                { "Cap_Net_Raw", 0, 13 },
                { "SYS_ADMIN", 0, 21 },
                { "0", 0, 0 },
                { "40", 0, 40 },
                { "41", -ERANGE, 0 },
                { "99999999999999999999", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { "CAP_", -EINVAL, 0 },
                { "CAP_FOO", -EINVAL, 0 },
                { "CAP_CAP_CHOWN", -EINVAL, 0 },
                { "CAP_NET_ADMIN ", -EINVAL, 0 },
                { " CAP_NET_ADMIN", -EINVAL, 0 },
                { "CAP-NET-ADMIN", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "all", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                int v = -1, r = parse_capability(t[i].in, &v);

                ok(r == t[i].ret && v == (r == 0 ? t[i].want : -1), "parse_capability(\"%s\") = %d", t[i].in,
                   t[i].ret);
        }
        ok(!capability_to_string(-1), "capability_to_string(-1) is NULL");
        ok(!capability_to_string(41), "capability_to_string(41) is NULL");
}

/* ---- cpu lists ---------------------------------------------------------------------------- */

static void test_cpu_list(void) {
        static const struct {
                const char *in;
                int ret;
                const char *want;
        } t[] = {
                { "0-1,3", 0, "0-1,3" },
                { "0 2 4", 0, "0,2,4" },
                { "3,0-1,2", 0, "0-3" },
                { "0,1", 0, "0-1" },
                { "1,0", 0, "0-1" },
                { "5", 0, "5" },
                { "0", 0, "0" },
                { "4095", 0, "4095" },
                { "0-4095", 0, "0-4095" },
                { "4094-4095", 0, "4094-4095" },
                { "1, 2", 0, "1-2" },
                { "1 ,2", 0, "1-2" },
                { "1\t,\t3", 0, "1,3" },
                { " 7 ", 0, "7" },
                { "0-0", 0, "0" },
                { "2-2,2", 0, "2" },
                { "1,3-5,4", 0, "1,3-5" },
                { "8-15 0-7", 0, "0-15" },
                { "10,9,8,1", 0, "1,8-10" },
                { "007", 0, "7" },
                { "", -EINVAL, NULL },
                { "  ", -EINVAL, NULL },
                { "4096", -ERANGE, NULL },
                { "0-4096", -ERANGE, NULL },
                { "99999999999999999999", -ERANGE, NULL },
                { "3-1", -EINVAL, NULL },
                { "0,,1", -EINVAL, NULL },
                { ",0", -EINVAL, NULL },
                { "0,", -EINVAL, NULL },
                { "0, ", -EINVAL, NULL },
                { ",", -EINVAL, NULL },
                { "a", -EINVAL, NULL },
                { "-1", -EINVAL, NULL },
                { "1-", -EINVAL, NULL },
                { "1-2-3", -EINVAL, NULL },
                { "0 - 1", -EINVAL, NULL },
                { "+1", -EINVAL, NULL },
                { "0;1", -EINVAL, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char sentinel[] = "untouched", *out = sentinel;
                int r = parse_cpu_list(t[i].in, &out);

                if (t[i].ret == 0)
                        ok(r == 0 && out != sentinel && streq(out, t[i].want),
                           "parse_cpu_list(\"%s\") = \"%s\"", t[i].in, t[i].want);
                else
                        ok(r == t[i].ret && out == sentinel, "parse_cpu_list(\"%s\") = %d", t[i].in,
                           t[i].ret);
                if (out != sentinel)
                        free(out);
        }

        /* The longest normalized output: every even CPU. */
        size_t size = 2048 * 5 + 1, len = 0;
        _cleanup_free_ char *in = malloc(size), *out = NULL;

        if (!in) {
                ok(0, "malloc");
                return;
        }
        for (unsigned cpu = 0; cpu < 4096; cpu += 2)
                len += (size_t) snprintf(in + len, size - len, "%s%u", cpu ? "," : "", cpu);
        ok(parse_cpu_list(in, &out) == 0 && streq(out, in),
           "parse_cpu_list(every even CPU) is already normal");
}

/* ---- mounts, ports, id maps --------------------------------------------------------------- */

static void test_bind(void) {
        static const struct {
                const char *in;
                int ret;
                const char *source, *target;
                bool ro;
        } t[] = {
                { "/a:/b", 0, "/a", "/b", false },
                { "/srv/data:/data:ro", 0, "/srv/data", "/data", true },
                { "/srv/data:/data:rw", 0, "/srv/data", "/data", false },
                { "/data", 0, "/data", "/data", false },
                { "/", 0, "/", "/", false },
                { "/:/host:ro", 0, "/", "/host", true },
                { "/a.b/..c:/x-y_z", 0, "/a.b/..c", "/x-y_z", false },
                { "", -EINVAL, NULL, NULL, false },
                { "a:/b", -EINVAL, NULL, NULL, false },
                { "/a:b", -EINVAL, NULL, NULL, false },
                { "data", -EINVAL, NULL, NULL, false },
                { "/a:/b:rx", -EINVAL, NULL, NULL, false },
                { "/a:/b:RO", -EINVAL, NULL, NULL, false },
                { "/a:/b:", -EINVAL, NULL, NULL, false },
                { "/a:/b:ro:x", -EINVAL, NULL, NULL, false },
                { "/a:/b:ro,nosuid", -EINVAL, NULL, NULL, false },
                { "/a::ro", -EINVAL, NULL, NULL, false },
                { "/a:ro", -EINVAL, NULL, NULL, false },
                { ":/b", -EINVAL, NULL, NULL, false },
                { "/a:", -EINVAL, NULL, NULL, false },
                { "/a/../b:/c", -EINVAL, NULL, NULL, false },
                { "/a:/c/.", -EINVAL, NULL, NULL, false },
                { "/a//b:/c", -EINVAL, NULL, NULL, false },
                { "/a/:/b", -EINVAL, NULL, NULL, false },
                { " /a:/b", -EINVAL, NULL, NULL, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char sentinel[] = "untouched";
                struct bind_mount b = { .source = sentinel, .target = sentinel, .read_only = true };
                int r = parse_bind(t[i].in, &b);

                if (t[i].ret == 0) {
                        ok(r == 0 && streq(b.source, t[i].source) && streq(b.target, t[i].target) &&
                                   b.read_only == t[i].ro,
                           "parse_bind(\"%s\") = %s -> %s%s", t[i].in, t[i].source, t[i].target,
                           t[i].ro ? " ro" : "");
                        if (r == 0) {
                                free(b.source);
                                free(b.target);
                        }
                } else
                        ok(r == t[i].ret && b.source == sentinel && b.target == sentinel && b.read_only,
                           "parse_bind(\"%s\") = %d", t[i].in, t[i].ret);
        }
}

static void test_tmpfs(void) {
        static const struct {
                const char *in;
                int ret;
                const char *path;
                uint64_t size;
        } t[] = {
                { "/tmp", 0, "/tmp", 0 },
                { "/tmp:size=64M", 0, "/tmp", UINT64_C(64) << 20 },
                { "/run:size=0", 0, "/run", 0 },
                { "/var/cache:size=1.5K", 0, "/var/cache", 1536 },
                { "/tmp:size=16777215T", 0, "/tmp", UINT64_C(16777215) << 40 },
                { "/tmp:size=16777216T", -ERANGE, NULL, 0 },
                { "/tmp:size=infinity", -EINVAL, NULL, 0 },
                { "tmp", -EINVAL, NULL, 0 },
                { "", -EINVAL, NULL, 0 },
                { "/tmp:", -EINVAL, NULL, 0 },
                { "/tmp:size=", -EINVAL, NULL, 0 },
                { "/tmp:size=12Q", -EINVAL, NULL, 0 },
                { "/tmp:size=-1", -EINVAL, NULL, 0 },
                { "/tmp:mode=1777", -EINVAL, NULL, 0 },
                { "/tmp:size=1M,mode=1777", -EINVAL, NULL, 0 },
                { "/tmp:size=1M:x", -EINVAL, NULL, 0 },
                { "/tmp:SIZE=1M", -EINVAL, NULL, 0 },
                { "/tmp/.", -EINVAL, NULL, 0 },
                { "/tmp/", -EINVAL, NULL, 0 },
                { ":size=1M", -EINVAL, NULL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char sentinel[] = "untouched";
                struct tmpfs_mount m = { .path = sentinel, .size = SENTINEL64 };
                int r = parse_tmpfs(t[i].in, &m);

                if (t[i].ret == 0) {
                        ok(r == 0 && streq(m.path, t[i].path) && m.size == t[i].size, "parse_tmpfs(\"%s\")",
                           t[i].in);
                        if (r == 0)
                                free(m.path);
                } else
                        ok(r == t[i].ret && m.path == sentinel && m.size == SENTINEL64,
                           "parse_tmpfs(\"%s\") = %d", t[i].in, t[i].ret);
        }
}

static void test_port_map(void) {
        static const struct {
                const char *in;
                int ret;
                uint16_t host, container;
                int protocol;
        } t[] = {
                { "8080:80", 0, 8080, 80, IPPROTO_TCP },
                { "8080:80/tcp", 0, 8080, 80, IPPROTO_TCP },
                { "53:53/udp", 0, 53, 53, IPPROTO_UDP },
                { "443:443/TCP", 0, 443, 443, IPPROTO_TCP },
                { "1:65535", 0, 1, 65535, IPPROTO_TCP },
                { "65535:1/udp", 0, 65535, 1, IPPROTO_UDP },
                { "0:80", -ERANGE, 0, 0, 0 },
                { "80:0", -ERANGE, 0, 0, 0 },
                { "65536:80", -ERANGE, 0, 0, 0 },
                { "80:4294967296", -ERANGE, 0, 0, 0 },
                { "0:x", -EINVAL, 0, 0, 0 },
                { "80", -EINVAL, 0, 0, 0 },
                { "", -EINVAL, 0, 0, 0 },
                { "80:", -EINVAL, 0, 0, 0 },
                { ":80", -EINVAL, 0, 0, 0 },
                { "80:80/sctp", -EINVAL, 0, 0, 0 },
                { "80:80/", -EINVAL, 0, 0, 0 },
                { "80/tcp:80", -EINVAL, 0, 0, 0 },
                { "a:80", -EINVAL, 0, 0, 0 },
                { "80:80:80", -EINVAL, 0, 0, 0 },
                { "127.0.0.1:80:80", -EINVAL, 0, 0, 0 },
                { " 80:80", -EINVAL, 0, 0, 0 },
                { "80:80 ", -EINVAL, 0, 0, 0 },
                { "-1:80", -EINVAL, 0, 0, 0 },
                { "80-81:80-81", -EINVAL, 0, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct port_map p = { .host_port = 7, .container_port = 7, .protocol = -1 };
                int r = parse_port_map(t[i].in, &p);

                if (t[i].ret == 0)
                        ok(r == 0 && p.host_port == t[i].host && p.container_port == t[i].container &&
                                   p.protocol == t[i].protocol,
                           "parse_port_map(\"%s\")", t[i].in);
                else
                        ok(r == t[i].ret && p.host_port == 7 && p.container_port == 7 && p.protocol == -1,
                           "parse_port_map(\"%s\") = %d", t[i].in, t[i].ret);
        }
}

static void test_id_map(void) {
        static const struct {
                const char *in;
                int ret;
                uint32_t inside, outside, count;
        } t[] = {
                { "0:100000:65536", 0, 0, 100000, 65536 },
                { "1000:1000:1", 0, 1000, 1000, 1 },
                { "0:0:4294967295", 0, 0, 0, UINT32_MAX },
                { "4294967294:0:1", 0, UINT32_MAX - 1, 0, 1 },
                { "0:4294967294:1", 0, 0, UINT32_MAX - 1, 1 },
                { "1:0:4294967295", -ERANGE, 0, 0, 0 },
                { "0:1:4294967295", -ERANGE, 0, 0, 0 },
                { "4294967295:0:1", -ERANGE, 0, 0, 0 },
                { "0:0:0", -ERANGE, 0, 0, 0 },
                { "4294967296:0:1", -ERANGE, 0, 0, 0 },
                { "0:0:4294967296", -ERANGE, 0, 0, 0 },
                { "4294967296:x:1", -EINVAL, 0, 0, 0 },
                { "0:100000", -EINVAL, 0, 0, 0 },
                { "0", -EINVAL, 0, 0, 0 },
                { "", -EINVAL, 0, 0, 0 },
                { "0:1:2:3", -EINVAL, 0, 0, 0 },
                { "a:1:1", -EINVAL, 0, 0, 0 },
                { ":1:1", -EINVAL, 0, 0, 0 },
                { "0::1", -EINVAL, 0, 0, 0 },
                { "0:1:", -EINVAL, 0, 0, 0 },
                { "-1:0:1", -EINVAL, 0, 0, 0 },
                { "0:0:1 ", -EINVAL, 0, 0, 0 },
                { "auto", -EINVAL, 0, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct id_map m = { 7, 7, 7 };
                int r = parse_id_map(t[i].in, &m);

                if (t[i].ret == 0)
                        ok(r == 0 && m.inside == t[i].inside && m.outside == t[i].outside &&
                                   m.count == t[i].count,
                           "parse_id_map(\"%s\")", t[i].in);
                else
                        ok(r == t[i].ret && m.inside == 7 && m.outside == 7 && m.count == 7,
                           "parse_id_map(\"%s\") = %d", t[i].in, t[i].ret);
        }
}

/* ---- names and paths ---------------------------------------------------------------------- */

static void test_names(void) {
        char n64[65], n65[66], l63[64], l64[65], h64[65], h65[66];

        memset(n64, 'a', 64);
        n64[64] = '\0';
        memset(n65, 'a', 65);
        n65[65] = '\0';
        memset(l63, 'b', 63);
        l63[63] = '\0';
        memset(l64, 'b', 64);
        l64[64] = '\0';
        /* "a.bbb…" of 64 and 65 characters: labels short enough, total at and past the limit */
        memset(h64, 'c', 64);
        h64[1] = '.';
        h64[32] = '.';
        h64[64] = '\0';
        memset(h65, 'c', 65);
        h65[1] = '.';
        h65[32] = '.';
        h65[65] = '\0';

        static const struct {
                const char *in;
                bool want;
        } units[] = {
                { "web", true },   { "web-1", true }, { "a.b_c", true }, { "A", true },
                { "0", true },     { "_x", true },    { "x-", true },    { "x.", true },
                { "x..y", true },  { "", false },     { ".x", false },   { "-x", false },
                { ".", false },    { "..", false },   { "x y", false },  { "x/y", false },
                { "x@y", false },  { "x:y", false },  { "x\n", false },  { "\xc3\xa9", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                is_int(unit_name_is_valid(units[i].in), units[i].want,
                       label("unit_name_is_valid(\"%s\")", units[i].in));
        ok(unit_name_is_valid(n64), "unit_name_is_valid(64 chars)");
        ok(!unit_name_is_valid(n65), "!unit_name_is_valid(65 chars)");
        ok(!unit_name_is_valid(NULL), "!unit_name_is_valid(NULL)");

        static const struct {
                const char *in;
                bool want;
        } hosts[] = {
                { "web", true },   { "a.b.c", true }, { "a-b", true },   { "A1", true },
                { "1", true },     { "x-1.ex", true }, { "a--b", true }, { "", false },
                { ".a", false },   { "a.", false },   { "a..b", false }, { "-a", false },
                { "a-", false },   { "a.-b", false }, { "a-.b", false }, { "a_b", false },
                { "a b", false },  { ".", false },    { "a/b", false },  { "\xc3\xa9", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
                is_int(hostname_is_valid(hosts[i].in), hosts[i].want,
                       label("hostname_is_valid(\"%s\")", hosts[i].in));
        ok(hostname_is_valid(l63), "hostname_is_valid(63-char label)");
        ok(!hostname_is_valid(l64), "!hostname_is_valid(64-char label)");
        ok(hostname_is_valid(h64), "hostname_is_valid(64 chars)");
        ok(!hostname_is_valid(h65), "!hostname_is_valid(65 chars)");
        ok(!hostname_is_valid(NULL), "!hostname_is_valid(NULL)");

        static const struct {
                const char *in;
                bool want;
        } paths[] = {
                { "/", true },          { "/a", true },         { "/a/b", true },      { "/a.b", true },
                { "/..a", true },       { "/a..", true },       { "/.hidden", true },  { "/a/b/c d", true },
                { "/...", true },       { "", false },          { "a", false },        { "a/b", false },
                { "//", false },        { "/a/", false },       { "/a//b", false },    { "/.", false },
                { "/..", false },       { "/a/./b", false },    { "/a/../b", false },  { "/a/.", false },
                { "/a/..", false },     { "./a", false },       { "//a", false },      { " /a", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                is_int(path_is_absolute_normalized(paths[i].in), paths[i].want,
                       label("path_is_absolute_normalized(\"%s\")", paths[i].in));
        ok(!path_is_absolute_normalized(NULL), "!path_is_absolute_normalized(NULL)");
}

/* ---- string vectors ----------------------------------------------------------------------- */

static bool strv_equal(char *const *a, const char *const *b) {
        size_t i;

        for (i = 0; a[i] && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return !a[i] && !b[i];
}

static void test_split_quoted(void) {
        static const struct {
                const char *in;
                int ret;
                const char *want[6];
        } t[] = {
                { "", 0, {} },
                { "   ", 0, {} },
                { " \t\n", 0, {} },
                { "a", 1, { "a" } },
                { "a b  c", 3, { "a", "b", "c" } },
                { " \t a\nb ", 2, { "a", "b" } },
                { "\"a b\" c", 2, { "a b", "c" } },
                { "'a b' c", 2, { "a b", "c" } },
                { "a\"b c\"d", 1, { "ab cd" } },
                { "a'b c'd", 1, { "ab cd" } },
                { "\"\"", 1, { "" } },
                { "a '' b", 3, { "a", "", "b" } },
                { "a\\ b", 1, { "a b" } },
                { "\\\\", 1, { "\\" } },
                { "\"a\\\"b\"", 1, { "a\"b" } },
                { "\"a\\'b\"", 1, { "a'b" } },
                { "\\\"x\\'", 1, { "\"x'" } },
                { "'a\\nb'", 1, { "a\\nb" } },
                { "'a\\'", 1, { "a\\" } },
                { "\"a\\nb\"", 1, { "a\nb" } },
                { "a\\tb", 1, { "a\tb" } },
                { "\\x\\y", 1, { "xy" } },
                { "'it'\\''s'", 1, { "it's" } },
                { "\"'\"", 1, { "'" } },
                { "'\"'", 1, { "\"" } },
                { "\"a\tb\nc\"", 1, { "a\tb\nc" } },
                { "/bin/sh -c \"echo hi; exit 3\"", 3, { "/bin/sh", "-c", "echo hi; exit 3" } },
                { "env A=1 'B=two words' C=\"3\"", 4, { "env", "A=1", "B=two words", "C=3" } },
                { "\"abc", -EINVAL, {} },
                { "'abc", -EINVAL, {} },
                { "abc\\", -EINVAL, {} },
                { "\"abc\\\"", -EINVAL, {} },
                { "a 'b", -EINVAL, {} },
                { "a \"b\" \"", -EINVAL, {} },
                { "\\", -EINVAL, {} },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char *sentinel[] = { NULL }, **l = sentinel;
                int r = split_quoted(t[i].in, &l);

                if (t[i].ret >= 0) {
                        ok(r == t[i].ret && l != sentinel && l && strv_equal(l, t[i].want) &&
                                   strv_length(l) == (size_t) r,
                           "split_quoted(\"%s\") = %d words", t[i].in, t[i].ret);
                        if (r >= 0 && l != sentinel)
                                strv_free(l);
                } else
                        ok(r == t[i].ret && l == sentinel, "split_quoted(\"%s\") = %d", t[i].in, t[i].ret);
        }
}

static void test_strv_consume_strv(void) {
        _cleanup_strv_free_ char **l = NULL;
        char **add;

        ok(split_quoted("a b", &add) == 2 && strv_consume_strv(&l, add) == 0,
           "strv_consume_strv(NULL, [a b])");
        ok(l && strv_equal(l, (const char *const[]) { "a", "b", NULL }), "  gives [a b]");

        ok(split_quoted("c", &add) == 1 && strv_consume_strv(&l, add) == 0, "strv_consume_strv([a b], [c])");
        ok(strv_equal(l, (const char *const[]) { "a", "b", "c", NULL }), "  gives [a b c]");

        ok(split_quoted("", &add) == 0 && strv_consume_strv(&l, add) == 0, "strv_consume_strv(l, [])");
        ok(strv_equal(l, (const char *const[]) { "a", "b", "c", NULL }), "  leaves [a b c]");

        ok(strv_consume_strv(&l, NULL) == 0, "strv_consume_strv(l, NULL)");
        is_int(strv_length(l), 3, "  leaves 3 words");

        _cleanup_strv_free_ char **empty = NULL;
        ok(split_quoted("", &add) == 0 && strv_consume_strv(&empty, add) == 0 && !empty,
           "strv_consume_strv(NULL, []) keeps NULL");

        ok(split_quoted("d 'e f' g h i j k", &add) == 7 && strv_consume_strv(&l, add) == 0,
           "strv_consume_strv(7 more)");
        ok(strv_equal(l, (const char *const[]) { "a", "b", "c", "d", "e f", "g", "h", "i", "j", "k", NULL }),
           "  gives 10 words");
}

int main(void) {
        test_enums();
        test_boolean();
        test_size();
        test_duration();
        test_percent();
        test_uint();
        test_cidr();
        test_ip_addr();
        test_signal();
        test_capability();
        test_cpu_list();
        test_bind();
        test_tmpfs();
        test_port_map();
        test_id_map();
        test_names();
        test_split_quoted();
        test_strv_consume_strv();
        return tap_done();
}
