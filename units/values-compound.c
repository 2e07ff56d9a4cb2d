/* SPDX-License-Identifier: MIT */

/* The value parsers of SPEC §2/§3 for values made of parts: addresses and prefixes, bind mounts,
 * tmpfs mounts, port maps, id maps, and command lines split into quoted words. Same rules as
 * values.c: pure, 0 or -errno, output untouched on failure. */

#include <arpa/inet.h>
#include <limits.h>
#include <strings.h>
#include <sys/socket.h>

#include "macro.h"
#include "units-internal.h"

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
                        else if (is_space(c))
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
