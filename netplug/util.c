/* SPDX-License-Identifier: MIT */

/* Address arithmetic for the lease pool, and the checks of the names netplug is given. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

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

bool np_cidr_contains(const struct netplug_cidr *net, const struct netplug_addr *a) {
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

bool np_addr_equal(const struct netplug_addr *a, const struct netplug_addr *b) {
        return a->family == b->family && memcmp(&a->addr, &b->addr, np_addr_len(a->family)) == 0;
}

int np_addr_compare(const struct netplug_addr *a, const struct netplug_addr *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(&a->addr, &b->addr, np_addr_len(a->family));
}

const char *np_addr_to_string(const struct netplug_addr *a, char *buf, size_t len) {
        if (!inet_ntop(a->family, &a->addr, buf, (socklen_t) len))
                snprintf(buf, len, "?");
        return buf;
}

const char *np_cidr_to_string(const struct netplug_cidr *c, char *buf, size_t len) {
        char a[INET6_ADDRSTRLEN];

        if (!inet_ntop(c->family, &c->addr, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        snprintf(buf, len, "%s/%u", a, c->prefixlen);
        return buf;
}

void np_cidr_addr(const struct netplug_cidr *c, struct netplug_addr *ret) {
        *ret = (struct netplug_addr){.family = c->family};
        memcpy(&ret->addr, &c->addr, np_addr_len(c->family));
}

void np_cidr_network(const struct netplug_cidr *c, struct netplug_addr *ret) {
        size_t len = np_addr_len(c->family);
        uint8_t host[16], *p;

        *ret = (struct netplug_addr){.family = c->family};
        memcpy(&ret->addr, &c->addr, len);
        host_bit_mask(c->prefixlen, len, host);
        p = (uint8_t *) &ret->addr;
        for (size_t i = 0; i < len; i++)
                p[i] &= (uint8_t) ~host[i];
}

bool np_addr_is_broadcast(const struct netplug_cidr *net, const struct netplug_addr *a) {
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

bool np_addr_add(const struct netplug_addr *a, uint64_t n, struct netplug_addr *ret) {
        size_t len = np_addr_len(a->family);
        struct netplug_addr r = *a;
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

/* What a name of a bridge or a unit may hold: it goes as it is into link names and aliases, the
 * sysctl path of a bridge, lease lines ("ADDRESS UNIT") and nftables text (comment "NAME"), so
 * nothing in it may need quoting, separate fields or climb a path. SPEC's rule for unit names. */
bool np_name_is_valid(const char *s, size_t max) {
        size_t l;

        if (!s || s[0] == '.' || s[0] == '-')
                return false;
        l = strnlen(s, max + 1);
        return l > 0 && l <= max &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == l;
}

const char *np_proto_name(int protocol) {
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}
