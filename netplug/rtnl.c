/* SPDX-License-Identifier: MIT */

/* rtnetlink over libmnl: one request, one ack (or a dump), with the kernel's extended ack kept
 * for the error message; or a few requests in one sendmsg(), their acks read together. Requests
 * are built on the stack; replies land in the socket's buffer, so calls never nest (a dump
 * callback must not issue another request).
 *
 * A unit's network comes up while supd's pages are shared copy-on-write with the unit's first
 * process (between its clone and its exec): every page written then costs a fault. Hence small
 * request buffers, and a receive buffer that is not zeroed. */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

#define NL_REQ_SIZE  1024  /* the largest request, a veth with its peer, takes 200 bytes */
#define NL_RECV_SIZE 32768 /* MNL_SOCKET_DUMP_SIZE: the kernel's largest dump message */

struct nl_sock {
        int fd; /* -EBADF while detached */
        uint32_t portid;
        uint32_t seq;
        char extack[256];
        _Alignas(struct nlmsghdr) uint8_t rbuf[NL_RECV_SIZE];
};

#define NL_REQ_BUF(name) _Alignas(struct nlmsghdr) uint8_t name[NL_REQ_SIZE]

typedef int (*nl_reply_t)(const struct nlmsghdr *m, void *userdata);

static int nl_send(struct nl_sock *nl, const void *buf, size_t len) {
        const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

        if (sendto(nl->fd, buf, len, 0, (const struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        return 0;
}

/* One datagram from the kernel into nl->rbuf: its size, or -errno (-ENOSPC when it did not fit).
 * Datagrams from other sockets (a privileged process in a container's namespace could send
 * some to ours there) are dropped. */
static ssize_t nl_recv(struct nl_sock *nl) {
        for (;;) {
                struct sockaddr_nl sa = {};
                struct iovec iov = {nl->rbuf, sizeof(nl->rbuf)};
                struct msghdr msg = {
                        .msg_name = &sa,
                        .msg_namelen = sizeof(sa),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                };
                ssize_t n;

                n = recvmsg(nl->fd, &msg, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
                        continue;
                if (msg.msg_flags & MSG_TRUNC)
                        return -ENOSPC;
                return n;
        }
}

/* ---- the socket ---------------------------------------------------------------------------- */

/* Gives @nl the NETLINK_ROUTE socket @fd (made in whichever namespace it is to work in). The
 * socket is used directly, without libmnl's socket object: one allocation less per container. */
static int nl_attach_fd(struct nl_sock *nl, int fd) {
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        socklen_t salen = sizeof(sa);
        int one = 1;

        nl->fd = fd;
        /* Extended acks carry the kernel's reason ("Master device not found", …); capped acks
         * keep the request itself out of the error message. Strict checking makes the kernel
         * filter address dumps by ifindex. All three are best effort on old kernels. */
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));

        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &salen) < 0) {
                int r = -errno;
                nl_detach(nl);
                return r;
        }
        nl->portid = sa.nl_pid;
        if (nl->seq == 0)
                nl->seq = (uint32_t) time(NULL);
        return 0;
}

int nl_alloc(struct nl_sock **ret) {
        struct nl_sock *nl;

        /* Not calloc(): zeroing the receive buffer would write its 8 pages for nothing. */
        nl = malloc(sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        memset(nl, 0, offsetof(struct nl_sock, rbuf));
        nl->fd = -EBADF;
        *ret = nl;
        return 0;
}

int nl_open(struct nl_sock **ret) {
        struct nl_sock *nl;
        int fd, r;

        r = nl_alloc(&nl);
        if (r < 0)
                return r;
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        r = fd < 0 ? -errno : nl_attach_fd(nl, fd);
        if (r < 0) {
                free(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

int nl_attach_in_netns(struct nl_sock *nl, int netns_fd, int home_netns_fd) {
        int fd, r;

        nl_detach(nl);
        if (netns_fd < 0 || home_netns_fd < 0)
                return -EBADF;
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return -errno;
        /* A socket stays in the namespace it was made in: only socket() needs to run inside. */
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        r = fd < 0 ? -errno : 0;
        if (setns(home_netns_fd, CLONE_NEWNET) < 0)
                /* Going on inside a container's namespace would configure the wrong host. */
                abort();
        if (r < 0)
                return r;
        return nl_attach_fd(nl, fd);
}

void nl_detach(struct nl_sock *nl) {
        if (nl)
                nl->fd = safe_close(nl->fd);
}

struct nl_sock *nl_close(struct nl_sock *nl) {
        if (!nl)
                return NULL;
        nl_detach(nl);
        free(nl);
        return NULL;
}

const char *nl_extack(const struct nl_sock *nl) {
        return nl ? nl->extack : "";
}

/* ---- request and replies ------------------------------------------------------------------- */

static int extack_attr_cb(const struct nlattr *a, void *userdata) {
        struct nl_sock *nl = userdata;

        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
                size_t n = mnl_attr_get_payload_len(a);
                const char *s = mnl_attr_get_payload(a);

                if (n >= sizeof(nl->extack))
                        n = sizeof(nl->extack) - 1;
                memcpy(nl->extack, s, n);
                nl->extack[n] = '\0';
                n = strnlen(nl->extack, n);
                while (n > 0 && (nl->extack[n - 1] == '\n' || nl->extack[n - 1] == ' '))
                        nl->extack[--n] = '\0';
        }
        return MNL_CB_OK;
}

static int nl_handle_error(struct nl_sock *nl, const struct nlmsghdr *m) {
        const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
        size_t off;

        if (m->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                return -EBADMSG;
        if (e->error >= 0 || !(m->nlmsg_flags & NLM_F_ACK_TLVS))
                return e->error;

        off = sizeof(struct nlmsgerr);
        if (!(m->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        off = MNL_ALIGN(off);
        if (mnl_nlmsg_size(off) < m->nlmsg_len)
                (void) mnl_attr_parse_payload((const uint8_t *) e + off, m->nlmsg_len - mnl_nlmsg_size(off),
                                              extack_attr_cb, nl);
        return e->error;
}

/* Sends @req and reads until its ack, its NLMSG_DONE or its error. @cb sees every other reply
 * (the object of a GET, each entry of a dump). Returns the kernel's -errno, else @cb's first
 * negative return, else 0. */
static int nl_call(struct nl_sock *nl, struct nlmsghdr *req, nl_reply_t cb, void *userdata) {
        uint32_t seq = ++nl->seq;
        int cb_r = 0, r;

        req->nlmsg_seq = seq;
        nl->extack[0] = '\0';

        r = nl_send(nl, req, req->nlmsg_len);
        if (r < 0)
                return r;

        for (;;) {
                const struct nlmsghdr *m;
                ssize_t n;
                int len;

                n = nl_recv(nl);
                if (n < 0)
                        return (int) n;
                len = (int) n;
                for (m = (const struct nlmsghdr *) nl->rbuf; mnl_nlmsg_ok(m, len);
                     m = mnl_nlmsg_next(m, &len)) {
                        if (m->nlmsg_seq != seq || (m->nlmsg_pid != 0 && m->nlmsg_pid != nl->portid))
                                continue; /* a late reply to an earlier request */
                        if (m->nlmsg_type == NLMSG_DONE)
                                return cb_r;
                        if (m->nlmsg_type == NLMSG_ERROR) {
                                r = nl_handle_error(nl, m);
                                return r < 0 ? r : cb_r;
                        }
                        if (m->nlmsg_type < NLMSG_MIN_TYPE)
                                continue;
                        if (cb && cb_r >= 0) {
                                int k = cb(m, userdata);
                                if (k < 0)
                                        cb_r = k;
                        }
                        /* A GET without NLM_F_ACK ends with its one reply. */
                        if (!(m->nlmsg_flags & NLM_F_MULTI) && !(req->nlmsg_flags & NLM_F_ACK))
                                return cb_r;
                }
        }
}

/* Sends the @n requests in @buf (each with NLM_F_ACK) in one sendmsg() and reads their acks.
 * The kernel handles them in order and goes on after a failure. Returns the first failure's
 * -errno (its extended ack in nl->extack) with its index in *ret_failed, or 0. */
static int nl_call_many(struct nl_sock *nl, uint8_t *buf, size_t len, unsigned n, unsigned *ret_failed) {
        uint32_t seq = nl->seq + 1;
        unsigned acked = 0;
        int r = 0;

        nl->extack[0] = '\0';
        for (size_t off = 0; off < len;) {
                struct nlmsghdr *m = (struct nlmsghdr *) (buf + off);
                m->nlmsg_seq = ++nl->seq;
                off += MNL_ALIGN(m->nlmsg_len);
        }

        r = nl_send(nl, buf, len);
        if (r < 0)
                return r;

        while (acked < n) {
                const struct nlmsghdr *m;
                ssize_t k;
                int l;

                k = nl_recv(nl);
                if (k < 0)
                        return (int) k;
                l = (int) k;
                for (m = (const struct nlmsghdr *) nl->rbuf; mnl_nlmsg_ok(m, l); m = mnl_nlmsg_next(m, &l)) {
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

                        if (m->nlmsg_type != NLMSG_ERROR || (uint32_t) (m->nlmsg_seq - seq) >= n ||
                            (m->nlmsg_pid != 0 && m->nlmsg_pid != nl->portid))
                                continue;
                        acked++;
                        if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
                                return -EBADMSG;
                        if (e->error < 0 && r == 0) {
                                r = nl_handle_error(nl, m);
                                if (ret_failed)
                                        *ret_failed = m->nlmsg_seq - seq;
                        }
                }
        }
        return r;
}

static struct nlmsghdr *nl_put_header(void *buf, uint16_t type, uint16_t flags) {
        struct nlmsghdr *m = mnl_nlmsg_put_header(buf);

        m->nlmsg_type = type;
        m->nlmsg_flags = NLM_F_REQUEST | flags;
        return m;
}

/* ---- attributes ---------------------------------------------------------------------------- */

struct attr_table {
        const struct nlattr **tb;
        unsigned max;
};

static int attr_table_cb(const struct nlattr *a, void *userdata) {
        struct attr_table *t = userdata;
        unsigned type = mnl_attr_get_type(a);

        if (type <= t->max)
                t->tb[type] = a;
        return MNL_CB_OK;
}

static void attr_copy_string(const struct nlattr *a, char *buf, size_t len) {
        size_t n;

        buf[0] = '\0';
        if (!a)
                return;
        n = mnl_attr_get_payload_len(a);
        if (n >= len)
                n = len - 1;
        memcpy(buf, mnl_attr_get_payload(a), n);
        buf[n] = '\0';
}

static uint32_t attr_u32(const struct nlattr *a) {
        return a && mnl_attr_get_payload_len(a) >= sizeof(uint32_t) ? mnl_attr_get_u32(a) : 0;
}

/* ---- links ---------------------------------------------------------------------------------- */

static int link_parse(const struct nlmsghdr *m, struct nl_link *ret) {
        const struct nlattr *tb[IFLA_MAX + 1] = {}, *li[IFLA_INFO_MAX + 1] = {};
        struct attr_table t = {tb, IFLA_MAX}, tli = {li, IFLA_INFO_MAX};
        const struct ifinfomsg *ifi;

        if (m->nlmsg_type != RTM_NEWLINK || m->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
                return -EBADMSG;
        ifi = mnl_nlmsg_get_payload(m);
        if (mnl_attr_parse(m, sizeof(*ifi), attr_table_cb, &t) < 0)
                return -EBADMSG;

        *ret = (struct nl_link){
                .ifindex = ifi->ifi_index,
                .flags = ifi->ifi_flags,
                .mtu = attr_u32(tb[IFLA_MTU]),
                .master = (int) attr_u32(tb[IFLA_MASTER]),
                .link = (int) attr_u32(tb[IFLA_LINK]),
        };
        attr_copy_string(tb[IFLA_IFNAME], ret->name, sizeof(ret->name));
        attr_copy_string(tb[IFLA_IFALIAS], ret->alias, sizeof(ret->alias));
        if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_table_cb, &tli) >= 0)
                attr_copy_string(li[IFLA_INFO_KIND], ret->kind, sizeof(ret->kind));
        return 0;
}

static int link_get_cb(const struct nlmsghdr *m, void *userdata) {
        return link_parse(m, userdata);
}

static int link_get(struct nl_sock *nl, int ifindex, const char *name, struct nl_link *ret) {
        NL_REQ_BUF(buf);
        struct nlmsghdr *m = nl_put_header(buf, RTM_GETLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));
        struct nl_link l = {.ifindex = -1};
        int r;

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (name) {
                if (strlen(name) >= IFNAMSIZ)
                        return -ENODEV;
                mnl_attr_put_strz(m, IFLA_IFNAME, name);
        }
        mnl_attr_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

        r = nl_call(nl, m, link_get_cb, &l);
        if (r < 0)
                return r;
        if (l.ifindex <= 0)
                return -ENODEV;
        *ret = l;
        return 0;
}

int nl_link_get(struct nl_sock *nl, const char *name, struct nl_link *ret) {
        return link_get(nl, 0, name, ret);
}

int nl_link_get_by_index(struct nl_sock *nl, int ifindex, struct nl_link *ret) {
        return link_get(nl, ifindex, NULL, ret);
}

struct link_walk {
        int (*fn)(const struct nl_link *l, void *userdata);
        void *userdata;
};

static int link_walk_cb(const struct nlmsghdr *m, void *userdata) {
        struct link_walk *w = userdata;
        struct nl_link l;

        if (link_parse(m, &l) < 0)
                return 0;
        return w->fn(&l, w->userdata);
}

int nl_link_foreach(struct nl_sock *nl, int (*fn)(const struct nl_link *l, void *userdata), void *userdata) {
        NL_REQ_BUF(buf);
        struct nlmsghdr *m = nl_put_header(buf, RTM_GETLINK, NLM_F_DUMP);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));
        struct link_walk w = {fn, userdata};

        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        return nl_call(nl, m, link_walk_cb, &w);
}

int nl_bridge_create(struct nl_sock *nl, const char *name, const uint8_t mac[6]) {
        NL_REQ_BUF(buf);
        struct nlmsghdr *m = nl_put_header(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));
        struct nlattr *info;

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        mnl_attr_put_strz(m, IFLA_IFNAME, name);
        if (mac)
                mnl_attr_put(m, IFLA_ADDRESS, 6, mac);
        info = mnl_attr_nest_start(m, IFLA_LINKINFO);
        mnl_attr_put_strz(m, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(m, info);
        return nl_call(nl, m, NULL, NULL);
}

struct veth_echo {
        const char *name;
        int peer_ifindex;
};

static int veth_echo_cb(const struct nlmsghdr *m, void *userdata) {
        const struct nlattr *tb[IFLA_MAX + 1] = {};
        struct attr_table t = {tb, IFLA_MAX};
        struct veth_echo *v = userdata;
        char name[IFNAMSIZ];

        if (m->nlmsg_type != RTM_NEWLINK || m->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)) ||
            mnl_attr_parse(m, sizeof(struct ifinfomsg), attr_table_cb, &t) < 0)
                return 0;
        attr_copy_string(tb[IFLA_IFNAME], name, sizeof(name));
        if (streq(name, v->name))
                v->peer_ifindex = (int) attr_u32(tb[IFLA_LINK]);
        return 0;
}

int nl_veth_create(struct nl_sock *nl, const char *name, unsigned mtu, int master, const char *peer_name,
                   int peer_netns_fd, const uint8_t peer_mac[6], int *ret_peer_ifindex) {
        NL_REQ_BUF(buf);
        /* NLM_F_ECHO: the new link comes back (Linux 6.3 and later), and with it its peer's
         * ifindex in the other namespace (IFLA_LINK), which then need not be looked up there. */
        struct nlmsghdr *m =
                nl_put_header(buf, RTM_NEWLINK,
                              NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL | (ret_peer_ifindex ? NLM_F_ECHO : 0));
        struct veth_echo echo = {name, 0};
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));
        struct nlattr *info, *data, *peer;
        struct ifinfomsg *pifi;
        int r;

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        mnl_attr_put_strz(m, IFLA_IFNAME, name);
        if (mtu > 0)
                mnl_attr_put_u32(m, IFLA_MTU, mtu);
        if (master > 0)
                mnl_attr_put_u32(m, IFLA_MASTER, (uint32_t) master);

        info = mnl_attr_nest_start(m, IFLA_LINKINFO);
        mnl_attr_put_strz(m, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(m, IFLA_INFO_DATA);
        /* The peer's attributes follow its own ifinfomsg; the kernel creates it straight in
         * IFLA_NET_NS_FD, under its final name: nothing on the host ever sees an "eth0". */
        peer = mnl_attr_nest_start(m, VETH_INFO_PEER);
        pifi = mnl_nlmsg_put_extra_header(m, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
        /* Not IFF_UP: the peer is configured before the pair is linked, and opening it then
         * fails with ENOTCONN. It is brought up from inside. */
        mnl_attr_put_strz(m, IFLA_IFNAME, peer_name);
        if (peer_netns_fd >= 0)
                mnl_attr_put_u32(m, IFLA_NET_NS_FD, (uint32_t) peer_netns_fd);
        if (mtu > 0)
                mnl_attr_put_u32(m, IFLA_MTU, mtu);
        if (peer_mac)
                mnl_attr_put(m, IFLA_ADDRESS, 6, peer_mac);
        mnl_attr_nest_end(m, peer);
        mnl_attr_nest_end(m, data);
        mnl_attr_nest_end(m, info);
        r = nl_call(nl, m, ret_peer_ifindex ? veth_echo_cb : NULL, &echo);
        if (r >= 0 && ret_peer_ifindex)
                *ret_peer_ifindex = echo.peer_ifindex;
        return r;
}

static struct nlmsghdr *put_link_up(void *buf, int ifindex) {
        struct nlmsghdr *m = nl_put_header(buf, RTM_SETLINK, NLM_F_ACK);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        return m;
}

int nl_link_set_up(struct nl_sock *nl, int ifindex) {
        NL_REQ_BUF(buf);
        return nl_call(nl, put_link_up(buf, ifindex), NULL, NULL);
}

int nl_link_set_alias(struct nl_sock *nl, int ifindex, const char *name, const char *alias) {
        NL_REQ_BUF(buf);
        struct nlmsghdr *m = nl_put_header(buf, RTM_SETLINK, NLM_F_ACK);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (ifindex <= 0 && name)
                mnl_attr_put_strz(m, IFLA_IFNAME, name);
        mnl_attr_put_strz(m, IFLA_IFALIAS, alias);
        return nl_call(nl, m, NULL, NULL);
}

static int link_delete(struct nl_sock *nl, int ifindex, const char *name) {
        NL_REQ_BUF(buf);
        struct nlmsghdr *m = nl_put_header(buf, RTM_DELLINK, NLM_F_ACK);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m, sizeof(*ifi));

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (name) {
                if (strlen(name) >= IFNAMSIZ)
                        return -ENODEV;
                mnl_attr_put_strz(m, IFLA_IFNAME, name);
        }
        return nl_call(nl, m, NULL, NULL);
}

int nl_link_delete(struct nl_sock *nl, int ifindex) {
        return link_delete(nl, ifindex, NULL);
}

int nl_link_delete_by_name(struct nl_sock *nl, const char *name) {
        return link_delete(nl, 0, name);
}

/* ---- addresses ------------------------------------------------------------------------------ */

struct addr_match {
        int ifindex;
        const struct netplug_cidr *want;
        bool found;
};

static int addr_match_cb(const struct nlmsghdr *m, void *userdata) {
        const struct nlattr *tb[IFA_MAX + 1] = {};
        struct attr_table t = {tb, IFA_MAX};
        struct addr_match *am = userdata;
        const struct ifaddrmsg *ifa;
        const struct nlattr *a;
        size_t len = np_addr_len(am->want->family);

        if (m->nlmsg_type != RTM_NEWADDR || m->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
                return 0;
        ifa = mnl_nlmsg_get_payload(m);
        if ((int) ifa->ifa_index != am->ifindex || ifa->ifa_family != am->want->family ||
            ifa->ifa_prefixlen != am->want->prefixlen)
                return 0;
        if (mnl_attr_parse(m, sizeof(*ifa), attr_table_cb, &t) < 0)
                return 0;
        /* IFA_LOCAL is the interface's own address; IPv6 only sends IFA_ADDRESS. */
        a = tb[IFA_LOCAL] ?: tb[IFA_ADDRESS];
        if (a && mnl_attr_get_payload_len(a) == len &&
            memcmp(mnl_attr_get_payload(a), &am->want->addr, len) == 0)
                am->found = true;
        return 0;
}

int nl_addr_has(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a) {
        NL_REQ_BUF(buf);
        struct nlmsghdr *m = nl_put_header(buf, RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(m, sizeof(*ifa));
        struct addr_match am = {ifindex, a, false};
        int r;

        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_index = (uint32_t) ifindex;
        r = nl_call(nl, m, addr_match_cb, &am);
        if (r < 0)
                return r;
        return am.found;
}

static struct nlmsghdr *put_addr(void *buf, uint16_t type, uint16_t flags, int ifindex,
                                 const struct netplug_cidr *a) {
        struct nlmsghdr *m = nl_put_header(buf, type, NLM_F_ACK | flags);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(m, sizeof(*ifa));
        size_t len = np_addr_len(a->family);

        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_prefixlen = (uint8_t) a->prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (uint32_t) ifindex;
        mnl_attr_put(m, IFA_ADDRESS, len, &a->addr);
        if (a->family == AF_INET) {
                mnl_attr_put(m, IFA_LOCAL, len, &a->addr);
                if (type == RTM_NEWADDR && a->prefixlen < 31) {
                        uint32_t mask = a->prefixlen ? htonl(~UINT32_C(0) << (32 - a->prefixlen)) : 0;
                        struct in_addr brd = {a->addr.in.s_addr | ~mask};
                        mnl_attr_put(m, IFA_BROADCAST, sizeof(brd), &brd);
                }
        } else if (type == RTM_NEWADDR)
                /* No duplicate address detection: the subnet is ours, and a tentative address
                 * would not be usable for a second or so after start. */
                mnl_attr_put_u32(m, IFA_FLAGS, IFA_F_NODAD);
        return m;
}

int nl_addr_add(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a) {
        NL_REQ_BUF(buf);
        return nl_call(nl, put_addr(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a), NULL, NULL);
}

int nl_addr_delete(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a) {
        NL_REQ_BUF(buf);
        return nl_call(nl, put_addr(buf, RTM_DELADDR, 0, ifindex, a), NULL, NULL);
}

/* ---- routes --------------------------------------------------------------------------------- */

static struct nlmsghdr *put_route_default(void *buf, int ifindex, const struct netplug_addr *gw) {
        struct nlmsghdr *m = nl_put_header(buf, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        struct rtmsg *rt = mnl_nlmsg_put_extra_header(m, sizeof(*rt));

        rt->rtm_family = (uint8_t) gw->family;
        rt->rtm_dst_len = 0;
        rt->rtm_table = RT_TABLE_MAIN;
        rt->rtm_protocol = RTPROT_STATIC;
        rt->rtm_scope = RT_SCOPE_UNIVERSE;
        rt->rtm_type = RTN_UNICAST;
        mnl_attr_put(m, RTA_GATEWAY, np_addr_len(gw->family), &gw->addr);
        mnl_attr_put_u32(m, RTA_OIF, (uint32_t) ifindex);
        return m;
}

int nl_route_add_default(struct nl_sock *nl, int ifindex, const struct netplug_addr *gw) {
        NL_REQ_BUF(buf);
        return nl_call(nl, put_route_default(buf, ifindex, gw), NULL, NULL);
}

/* ---- a container's end ---------------------------------------------------------------------- */

int nl_configure_inside(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a,
                        const struct netplug_addr *gw, enum nl_inside_step *ret_failed) {
        NL_REQ_BUF(buf); /* the four take 250 bytes */
        size_t len = 0;
        unsigned failed = 0;
        int r;

        /* In this order, as each needs the one before: lo, the link, its address (and with it the
         * subnet's route), the default route via a gateway in that subnet. */
        len += MNL_ALIGN(put_link_up(buf + len, 1)->nlmsg_len); /* lo is ifindex 1 in every namespace */
        len += MNL_ALIGN(put_link_up(buf + len, ifindex)->nlmsg_len);
        len += MNL_ALIGN(put_addr(buf + len, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a)->nlmsg_len);
        len += MNL_ALIGN(put_route_default(buf + len, ifindex, gw)->nlmsg_len);

        r = nl_call_many(nl, buf, len, _NL_INSIDE_STEP_MAX, &failed);
        if (r < 0 && ret_failed)
                *ret_failed = (enum nl_inside_step) failed;
        return r;
}
