/* SPDX-License-Identifier: MIT */

/* Address arithmetic for the lease pool, a stable hash for link names and MACs, and the atomic
 * file write the lease and sysctl records use. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "netplug-internal.h"

size_t np_addr_len(int family) {
        return family == AF_INET6 ? 16 : 4;
}

static void host_bit_mask(unsigned prefixlen, size_t len, uint8_t mask[16]) {
        for (size_t i = 0; i < len; i++) {
                unsigned bits = prefixlen > i * 8 ? prefixlen - (unsigned) i * 8 : 0;
                mask[i] = bits >= 8 ? 0x00 : (uint8_t) (0xff >> bits);
        }
}

bool np_cidr_contains(const struct cidr *net, const struct ip_addr *a) {
        size_t len = np_addr_len(net->family);
        const uint8_t *x = (const uint8_t *) &net->addr, *y = (const uint8_t *) &a->addr;
        uint8_t host[16];

        if (net->family != a->family)
                return false;
        host_bit_mask(net->prefixlen, len, host);
        for (size_t i = 0; i < len; i++)
                if ((x[i] & ~host[i]) != (y[i] & ~host[i]))
                        return false;
        return true;
}

bool np_addr_equal(const struct ip_addr *a, const struct ip_addr *b) {
        return a->family == b->family && memcmp(&a->addr, &b->addr, np_addr_len(a->family)) == 0;
}

int np_addr_compare(const struct ip_addr *a, const struct ip_addr *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(&a->addr, &b->addr, np_addr_len(a->family));
}

const char *np_addr_to_string(const struct ip_addr *a, char *buf, size_t len) {
        if (!inet_ntop(a->family, &a->addr, buf, (socklen_t) len))
                snprintf(buf, len, "?");
        return buf;
}

const char *np_cidr_to_string(const struct cidr *c, char *buf, size_t len) {
        char a[INET6_ADDRSTRLEN];

        if (!inet_ntop(c->family, &c->addr, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        snprintf(buf, len, "%s/%u", a, c->prefixlen);
        return buf;
}

void np_cidr_addr(const struct cidr *c, struct ip_addr *ret) {
        *ret = (struct ip_addr){.family = c->family};
        memcpy(&ret->addr, &c->addr, np_addr_len(c->family));
}

void np_cidr_network(const struct cidr *c, struct ip_addr *ret) {
        size_t len = np_addr_len(c->family);
        uint8_t host[16], *p;

        *ret = (struct ip_addr){.family = c->family};
        memcpy(&ret->addr, &c->addr, len);
        host_bit_mask(c->prefixlen, len, host);
        p = (uint8_t *) &ret->addr;
        for (size_t i = 0; i < len; i++)
                p[i] &= (uint8_t) ~host[i];
}

bool np_addr_is_broadcast(const struct cidr *net, const struct ip_addr *a) {
        uint8_t host[16];
        const uint8_t *p = (const uint8_t *) &a->addr;

        if (net->family != AF_INET || a->family != AF_INET || net->prefixlen >= 31)
                return false;
        host_bit_mask(net->prefixlen, 4, host);
        for (size_t i = 0; i < 4; i++)
                if ((p[i] & host[i]) != host[i])
                        return false;
        return true;
}

bool np_addr_add(const struct ip_addr *a, uint64_t n, struct ip_addr *ret) {
        size_t len = np_addr_len(a->family);
        struct ip_addr r = *a;
        uint8_t *p = (uint8_t *) &r.addr;
        unsigned carry = 0;

        for (size_t i = len; i-- > 0;) {
                unsigned sum = p[i] + (unsigned) (n & 0xff) + carry;
                p[i] = (uint8_t) sum;
                carry = sum >> 8;
                n >>= 8;
        }
        if (carry || n)
                return false;
        *ret = r;
        return true;
}

/* FNV-1a: tiny, stable across versions and hosts, good enough to tell link names apart. */
uint64_t np_hash64(const void *p, size_t n) {
        const uint8_t *s = p;
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (size_t i = 0; i < n; i++) {
                h ^= s[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

int np_mkdir_p(const char *path, int mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                bool end = *s == '\0';

                if (*s != '/' && !end)
                        continue;
                *s = '\0';
                if (mkdir(p, (mode_t) mode) < 0 && errno != EEXIST)
                        return -errno;
                if (end)
                        return 0;
                *s = '/';
        }
}

int np_write_file_atomic(const char *path, const char *data, size_t len, int mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        while (len > 0) {
                ssize_t k = write(fd, data, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                data += k;
                len -= (size_t) k;
        }
        /* fsync before rename: the name never points at a file whose data is not on disk. */
        if (fchmod(fd, (mode_t) mode) < 0 || fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;

fail:
        (void) unlink(tmp);
        return r;
}
