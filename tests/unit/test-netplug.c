/* SPDX-License-Identifier: MIT */

/* netplug against the real kernel: needs root, skips (77) otherwise. The test moves itself into
 * a network namespace of its own first; "containers" and an "upstream" router are more
 * namespaces, held by forked children. Every address used lives in those namespaces, and they
 * all go away with the processes: nothing is left on the host. `ip`, `nft` and busybox's ping
 * are used to look at the result, never by the library. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "netplug.h"
#include "tap.h"

#define INSTANCE      "test_np"
#define TABLE         "sup_" INSTANCE
#define BRIDGE        "supbr0"
#define UPSTREAM_HOST "198.51.100.2" /* the test's own namespace, towards upstream */
#define UPSTREAM_PEER "198.51.100.1" /* the upstream namespace */

static char tmpdir[] = "/tmp/test-netplug.XXXXXX";
static char state_dir[128], runtime_dir[128];

/* ---- helpers --------------------------------------------------------------------------------- */

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

_printf_(1, 2) static char *run(const char *fmt, ...) {
        _cleanup_free_ char *cmd = NULL;
        char *out = NULL;
        size_t size = 0;
        FILE *p, *o;
        va_list ap;
        char buf[4096];
        size_t n;

        va_start(ap, fmt);
        if (vasprintf(&cmd, fmt, ap) < 0)
                cmd = NULL;
        va_end(ap);
        if (!cmd)
                return strdup("");
        p = popen(cmd, "re");
        if (!p)
                return strdup("");
        o = open_memstream(&out, &size);
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
                fwrite(buf, 1, n, o);
        pclose(p);
        fclose(o);
        return out;
}

_printf_(1, 2) static int sh(const char *fmt, ...) {
        _cleanup_free_ char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -1;
        r = system(cmd);
        return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static bool contains(const char *s, const char *what) {
        return s && strstr(s, what);
}

static int read_sysctl(const char *key) {
        char path[256], buf[32] = "";
        FILE *f;

        snprintf(path, sizeof(path), "/proc/sys/%s", key);
        f = fopen(path, "re");
        if (!f)
                return -1;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
        fclose(f);
        return atoi(buf);
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the DIR's own */
}

/* Every fd above 2 has O_CLOEXEC, but those the test was started with. */
static uint64_t inherited[16];

static void note_inherited_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] != '.' && fd < 1024 && fd != dirfd(d))
                        inherited[fd / 64] |= UINT64_C(1) << (fd % 64);
        }
        closedir(d);
}

static bool all_fds_cloexec(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        bool ok_all = true;

        if (!d)
                return false;
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd(d) ||
                    (fd < 1024 && (inherited[fd / 64] & (UINT64_C(1) << (fd % 64)))))
                        continue;
                int fl = fcntl(fd, F_GETFD);
                if (fl >= 0 && !(fl & FD_CLOEXEC)) {
                        char path[64], target[256] = "";
                        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                        (void) !readlink(path, target, sizeof(target) - 1);
                        diag("fd %d (%s) has no FD_CLOEXEC", fd, target);
                        ok_all = false;
                }
        }
        closedir(d);
        return ok_all;
}

static void remove_tmpdir(void) {
        (void) sh("rm -rf %s", tmpdir);
}

/* ---- namespaces held by children -------------------------------------------------------------- */

struct ns {
        pid_t pid;
        int fd;  /* its network namespace */
        int ctl; /* closing it lets the child exit */
        char path[64];
};

static int ns_spawn(struct ns *n) {
        int go[2], ready[2];
        char c;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        n->pid = fork();
        if (n->pid < 0)
                return -errno;
        if (n->pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(go[1]);
                close(ready[0]);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(EXIT_FAILURE);
                if (write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                (void) read(go[0], &c, 1);
                _exit(EXIT_SUCCESS);
        }
        close(go[0]);
        close(ready[1]);
        if (read(ready[0], &c, 1) != 1) {
                close(ready[0]);
                return -EIO;
        }
        close(ready[0]);
        n->ctl = go[1];
        snprintf(n->path, sizeof(n->path), "/proc/%d/ns/net", (int) n->pid);
        n->fd = open(n->path, O_RDONLY | O_CLOEXEC);
        return n->fd < 0 ? -errno : 0;
}

static void ns_kill(struct ns *n) {
        if (n->pid <= 0)
                return;
        close(n->ctl);
        close(n->fd);
        kill(n->pid, SIGKILL);
        (void) waitpid(n->pid, NULL, 0);
        n->pid = 0;
}

/* ---- tiny servers and clients, in a namespace ------------------------------------------------- */

/* A server that answers every connection (TCP) or datagram (UDP) with the peer's address as it
 * sees it, then goes on; it dies with SIGKILL or after 120 s. */
static pid_t server_start(int netns_fd, int type, const char *addr, uint16_t port) {
        int ready[2];
        pid_t pid;
        char c;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
                int fd, one = 1;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                alarm(120);
                close(ready[0]);
                if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
                        _exit(EXIT_FAILURE);
                inet_pton(AF_INET, addr, &sa.sin_addr);
                fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        _exit(EXIT_FAILURE);
                if (type == SOCK_STREAM && listen(fd, 16) < 0)
                        _exit(EXIT_FAILURE);
                if (write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                for (;;) {
                        struct sockaddr_in peer;
                        socklen_t pl = sizeof(peer);
                        char buf[64], text[INET_ADDRSTRLEN + 2];

                        if (type == SOCK_STREAM) {
                                int c2 = accept4(fd, (struct sockaddr *) &peer, &pl, SOCK_CLOEXEC);
                                if (c2 < 0)
                                        continue;
                                inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
                                strcat(text, "\n");
                                (void) write(c2, text, strlen(text));
                                close(c2);
                        } else {
                                if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *) &peer, &pl) < 0)
                                        continue;
                                inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
                                strcat(text, "\n");
                                (void) sendto(fd, text, strlen(text), 0, (struct sockaddr *) &peer, pl);
                        }
                }
        }
        close(ready[1]);
        if (read(ready[0], &c, 1) != 1) {
                close(ready[0]);
                (void) waitpid(pid, NULL, 0);
                return -1;
        }
        close(ready[0]);
        return pid;
}

static void server_stop(pid_t pid) {
        if (pid > 0) {
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
        }
}

/* Connects (TCP) or sends (UDP) from inside @netns_fd (-1: here) and returns what the server
 * answered: the client's address as the server saw it. "" on failure. */
static char *query(int netns_fd, int type, const char *addr, uint16_t port) {
        int p[2];
        pid_t pid;
        char buf[128] = "";
        ssize_t n;

        if (pipe2(p, O_CLOEXEC) < 0)
                return strdup("");
        pid = fork();
        if (pid < 0)
                return strdup("");
        if (pid == 0) {
                struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
                struct timeval tv = {.tv_sec = 2};
                char reply[64];
                ssize_t k;
                int fd;

                close(p[0]);
                if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
                        _exit(EXIT_FAILURE);
                inet_pton(AF_INET, addr, &sa.sin_addr);
                fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        _exit(EXIT_FAILURE);
                if (type == SOCK_DGRAM && send(fd, "?", 1, 0) != 1)
                        _exit(EXIT_FAILURE);
                k = recv(fd, reply, sizeof(reply) - 1, 0);
                if (k <= 0)
                        _exit(EXIT_FAILURE);
                reply[k] = '\0';
                reply[strcspn(reply, "\n")] = '\0';
                (void) write(p[1], reply, strlen(reply));
                _exit(EXIT_SUCCESS);
        }
        close(p[1]);
        n = read(p[0], buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(p[0]);
        (void) waitpid(pid, NULL, 0);
        return strdup(buf);
}

/* ---- configurations ------------------------------------------------------------------------- */

/* "10.0.0.1/24", or "10.0.0.1" (prefix 0); aborts on anything else. */
static struct netplug_cidr cidr(const char *s) {
        struct netplug_cidr c = {.family = strchr(s, ':') ? AF_INET6 : AF_INET};
        char a[INET6_ADDRSTRLEN];
        const char *slash = strchr(s, '/');

        snprintf(a, sizeof(a), "%.*s", slash ? (int) (slash - s) : (int) strlen(s), s);
        if (inet_pton(c.family, a, &c.addr) != 1)
                abort();
        if (slash)
                c.prefixlen = (unsigned) atoi(slash + 1);
        return c;
}

static struct netplug_addr addr(const char *s) {
        struct netplug_cidr c = cidr(s);
        struct netplug_addr a = {.family = c.family};

        memcpy(&a.addr, &c.addr, sizeof(a.addr));
        return a;
}

static struct netplug_bridge_spec make_bridge(const char *name, const char *address, bool nat) {
        return (struct netplug_bridge_spec){.name = name, .address = cidr(address), .nat = nat};
}

/* @address: NULL for auto, "A.B.C.D" (prefix of the bridge) or a CIDR. */
static struct netplug_unit_spec make_unit(const char *name, const struct netplug_bridge_spec *bridge,
                                          const char *address) {
        struct netplug_unit_spec c = {.name = name, .bridge = bridge};

        if (!address)
                c.address_auto = true;
        else
                c.address = cidr(address);
        return c;
}

static char *ns_cmd(const struct ns *n, const char *cmd) {
        return run("nsenter --net=%s %s 2>&1", n->path, cmd);
}

static bool link_exists(const char *name) {
        return sh("ip link show dev %s >/dev/null 2>&1", name) == 0;
}

static char *table_text(void) {
        return run("nft list table inet " TABLE " 2>&1");
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_link_names(void) {
        char a[16], b[16], c[16];

        is_str(netplug_link_name("web", a), "ve-web", "link name: short names are kept");
        is_str(netplug_link_name("abcdefghijkl", a), "ve-abcdefghijkl", "link name: 12 bytes still fit");
        netplug_link_name("frontend-web-1", a);
        netplug_link_name("frontend-web-2", b);
        netplug_link_name("frontend-web-1", c);
        ok(strlen(a) == 15 && startswith(a, "ve-front-"), "link name: long name shortened (%s)", a);
        ok(strcmp(a, b) != 0 && strcmp(a, c) == 0,
           "link name: stable, and tells similar names apart (%s %s)", a, b);
}

static void test_crash_recovery(int ip_forward_before) {
        struct netplug_bridge_spec b = make_bridge("supbr9", "10.77.0.1/24", true);
        struct netplug_unit_spec c = make_unit("c1", &b, NULL);
        struct netplug *np = NULL;
        struct ns box = {};
        _cleanup_free_ char *t = NULL;
        pid_t pid;
        int status, r;

        if (ns_spawn(&box) < 0) {
                ok(false, "crash: spawn a container namespace");
                return;
        }

        /* A supd that gets SIGKILLed: everything is left as it was. */
        pid = fork();
        if (pid == 0) {
                struct netplug_unit *u = NULL;
                if (netplug_new("crash", state_dir, runtime_dir, 0, &np) < 0 ||
                    netplug_bridge_up(np, &b, NULL) < 0)
                        _exit(EXIT_FAILURE);
                c.n_ports = 1;
                c.ports = &(struct netplug_port){7070, 70, IPPROTO_TCP};
                if (netplug_unit_up(np, &c, box.fd, &u, NULL) < 0)
                        _exit(EXIT_FAILURE);
                _exit(EXIT_SUCCESS);
        }
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "crash: a killed instance set things up");
        t = run("nft list table inet sup_crash 2>&1");
        ok(contains(t, "7070") && link_exists("supbr9") && link_exists("ve-c1") &&
                   read_sysctl("net/ipv4/ip_forward") == 1,
           "crash: its table, bridge, veth and ip_forward are left behind");

        r = netplug_new("crash", state_dir, runtime_dir, 0, &np);
        is_int(r, 0, "crash: a new instance starts");
        free(t);
        t = run("nft list table inet sup_crash 2>&1");
        ok(!contains(t, "chain"), "crash: the leftover table is gone");
        ok(!link_exists("ve-c1") && !link_exists("supbr9"), "crash: the leftover veth and bridge are gone");
        is_int(read_sysctl("net/ipv4/ip_forward"), ip_forward_before,
               "crash: ip_forward restored from the record");

        /* The successor works as usual, and its shutdown leaves nothing. */
        ok(netplug_bridge_up(np, &b, NULL) == 0, "crash: the successor brings the bridge up again");
        {
                struct netplug_unit *u = NULL;
                _cleanup_free_ char *e2 = NULL;

                sh("ip link del supbr9");
                c.n_ports = 0;
                r = netplug_unit_up(np, &c, box.fd, &u, &e2);
                ok(r == 0 && link_exists("supbr9") && link_exists("ve-c1"),
                   "a bridge deleted behind netplug's back is made again: %s", strempty(e2));
                u = netplug_unit_free(u);
        }
        free(t);
        t = run("nft list table inet sup_crash 2>&1");
        ok(contains(t, "masquerade"), "crash: the successor's table is in place");
        ok(netplug_shutdown(np) == 0, "crash: the successor shuts down");
        free(t);
        t = run("nft list tables 2>&1");
        ok(!contains(t, "sup_crash") && !link_exists("supbr9") &&
                   read_sysctl("net/ipv4/ip_forward") == ip_forward_before,
           "crash: after shutdown: no table, no bridge, ip_forward as before");
        netplug_free(np);
        ns_kill(&box);
}

/* The ifindex of a host link, -1 when there is none. */
static int link_ifindex(const char *name) {
        _cleanup_free_ char *out = run("cat /sys/class/net/%s/ifindex 2>/dev/null", name);
        return out && *out ? atoi(out) : -1;
}

/* Links carrying the mark of @table ("TABLE bridge", "TABLE unit NAME"). */
static int marked_links(const char *table) {
        _cleanup_free_ char *out = run("ip -d -o link show | grep -c 'alias %s '", table);
        return out ? atoi(out) : -1;
}

#define ADOPT_TABLE "sup_adopt"
#define ADOPT_MAP   "nft list map inet " ADOPT_TABLE " publish4 2>&1"

/* A supd restarted after a crash adopts the units still alive: their veth, address, lease and
 * published ports; what it does not adopt goes with netplug_sweep(). */
static void test_adoption(int ip_forward_before) {
        struct netplug_bridge_spec b = make_bridge("supbr8", "10.78.0.1/24", true);
        /* Configured for the predecessor, not for its successor. */
        struct netplug_bridge_spec gone = make_bridge("supbr7", "10.77.7.1/24", false);
        struct netplug_port pa = {7171, 71, IPPROTO_TCP}, ps = {7272, 72, IPPROTO_TCP};
        struct netplug_unit_spec ca = make_unit("a1", &b, NULL), cs = make_unit("s1", &b, NULL),
                                 cg = make_unit("g1", &b, "10.78.0.50");
        struct netplug_unit *a = NULL, *st = NULL, *g = NULL;
        struct ns box_a = {}, box_s = {}, box_g = {}, box_n = {};
        struct netplug *np = NULL;
        _cleanup_free_ char *a_addr = NULL;
        char *out;
        pid_t srv = -1;
        int r, a_ifindex;

        ca.ports = &pa;
        ca.n_ports = 1;
        cs.ports = &ps;
        cs.n_ports = 1;
        if (ns_spawn(&box_a) < 0 || ns_spawn(&box_s) < 0 || ns_spawn(&box_g) < 0 || ns_spawn(&box_n) < 0) {
                ok(false, "adopt: spawn container namespaces");
                return;
        }

        /* ---- the predecessor: three units up, then it dies (netplug_free() keeps everything) ---- */
        r = netplug_new("adopt", state_dir, runtime_dir, 0, &np);
        ok(r == 0 && netplug_bridge_up(np, &b, NULL) == 0 && netplug_bridge_up(np, &gone, NULL) == 0,
           "adopt: the predecessor brings up its bridges");
        if (r < 0)
                return;
        ok(netplug_unit_up(np, &ca, box_a.fd, &a, NULL) == 0 &&
                   netplug_unit_up(np, &cs, box_s.fd, &st, NULL) == 0 &&
                   netplug_unit_up(np, &cg, box_g.fd, &g, NULL) == 0,
           "adopt: the predecessor plugs in a1, s1 and g1");
        if (!a || !st || !g)
                return;
        a_addr = strdup(netplug_unit_address(a));
        a_ifindex = link_ifindex("ve-a1");
        is_int(marked_links(ADOPT_TABLE), 5, "adopt: its bridges and three veths carry its mark");
        np = netplug_free(np);
        a = netplug_unit_free(a); /* detached: memory only */
        st = netplug_unit_free(st);
        g = netplug_unit_free(g);
        ok(link_exists("ve-a1") && link_exists("ve-s1") && link_exists("ve-g1") &&
                   read_sysctl("net/ipv4/ip_forward") == 1 &&
                   read_sysctl("net/ipv4/conf/supbr7/route_localnet") == 1,
           "adopt: the dead predecessor's veths and forwarding are left");
        srv = server_start(box_a.fd, SOCK_STREAM, "0.0.0.0", 71);
        out = query(-1, SOCK_STREAM, "10.78.0.1", 7171);
        ok(streq(out, "10.78.0.1"), "adopt: a1 serves on its published port meanwhile (%s)", out);
        free(out);
        sh("ip link del ve-g1"); /* g1's veth goes while no supd looks */

        /* ---- the successor ---- */
        r = netplug_new("adopt", state_dir, runtime_dir, NETPLUG_ADOPT, &np);
        is_int(r, 0, "adopt: netplug_new(NETPLUG_ADOPT)");
        if (r < 0)
                return;
        out = run(ADOPT_MAP);
        ok(link_exists("ve-a1") && link_exists("ve-s1") && link_exists("supbr8") && contains(out, "7171") &&
                   contains(out, "7272") && read_sysctl("net/ipv4/ip_forward") == 1,
           "adopt: NETPLUG_ADOPT removes nothing: veths, bridge, table, forwarding");
        free(out);
        out = run("cat %s/netplug.sysctl 2>&1", runtime_dir);
        ok(contains(out, "net/ipv4/ip_forward"), "adopt: the sysctl record is kept");
        free(out);

        r = netplug_bridge_up(np, &b, NULL);
        out = run(ADOPT_MAP);
        ok(r == 0 && contains(out, "7272"),
           "adopt: bridge_up leaves the predecessor's table in force, s1's port included");
        free(out);

        /* a1's element lost meanwhile: adopting puts it back, as its own element, the others stay. */
        sh("nft delete element inet " ADOPT_TABLE " publish4 '{ tcp . 7171 }'");
        {
                _cleanup_free_ char *e = NULL;

                r = netplug_unit_adopt(np, &ca, box_a.fd, &a, &e);
                ok(r == 0 && a, "adopt: a1 adopted: %s", strempty(e));
                if (!a)
                        return;
        }
        is_str(netplug_unit_address(a), a_addr, "adopt: a1 keeps its address");
        is_str(netplug_unit_ifname(a), "ve-a1", "adopt: a1's veth is ve-a1");
        is_int(link_ifindex("ve-a1"), a_ifindex, "adopt: ... the very same link");
        {
                size_t n;
                const struct netplug_port *p = netplug_unit_ports(a, &n);
                ok(n == 1 && p[0].host_port == 7171, "adopt: a1's ports");
        }
        out = run(ADOPT_MAP);
        ok(contains(out, "tcp . 7171 comment \"a1\" : 10.78.0.2 . 71") && contains(out, "7272"),
           "adopt: a1's element is back in the map, s1's stays until the sweep");
        free(out);
        out = query(-1, SOCK_STREAM, "10.78.0.1", 7171);
        ok(streq(out, "10.78.0.1"), "adopt: a1 still serves (%s)", out);
        free(out);

        /* Adoption that cannot be: nothing is registered, nothing is touched. */
        {
                _cleanup_free_ char *e = NULL;
                struct netplug_unit *x = NULL;

                r = netplug_unit_adopt(np, &cg, box_g.fd, &x, &e);
                ok(r == -ENODEV && !x && contains(e, "veth ve-g1 of unit g1 is gone"),
                   "adopt: g1's veth deleted meanwhile: %s", strempty(e));
                free(e);
                e = NULL;
                r = netplug_unit_adopt(np, &ca, box_a.fd, &x, &e);
                ok(r == -EBUSY && !x, "adopt: a1 twice: %s", strempty(e));
        }
        {
                struct netplug_unit_spec c = make_unit("s1", &b, "10.78.0.99");
                _cleanup_free_ char *e = NULL;
                struct netplug_unit *x = NULL;

                c.ports = &ps;
                c.n_ports = 1;
                r = netplug_unit_adopt(np, &c, box_s.fd, &x, &e);
                ok(r == -ESTALE && !x &&
                           contains(e, "eth0 in the container does not have address 10.78.0.99/24"),
                   "adopt: another address than the unit has: %s", strempty(e));
                free(e);
                e = NULL;
                c = make_unit("s1", &b, NULL);
                r = netplug_unit_adopt(np, &c, box_a.fd, &x, &e);
                ok(r == -ESTALE && contains(e, "eth0 in the container is not the peer of veth ve-s1"),
                   "adopt: the wrong namespace: %s", strempty(e));
                free(e);
                e = NULL;
                sh("ip link set ve-s1 nomaster");
                r = netplug_unit_adopt(np, &c, box_s.fd, &x, &e);
                ok(r == -ESTALE && contains(e, "veth ve-s1 is not a port of bridge supbr8"),
                   "adopt: a veth off the bridge: %s", strempty(e));
                free(e);
                e = NULL;
                sh("ip link set ve-s1 master supbr8 && ip link set ve-s1 alias '" ADOPT_TABLE "_2 unit s1'");
                r = netplug_unit_adopt(np, &c, box_s.fd, &x, &e);
                ok(r == -ESTALE && contains(e, "link ve-s1 is not the veth this supd made for unit s1"),
                   "adopt: a veth with another instance's mark: %s", strempty(e));
                sh("ip link set ve-s1 alias '" ADOPT_TABLE " unit s1'");
                ok(link_exists("ve-s1"), "adopt: failed adoptions leave the links alone");
        }

        /* ---- the sweep ---- */
        {
                _cleanup_free_ char *e = NULL;

                r = netplug_sweep(np, &e);
                is_int(r, 1, "adopt: the sweep deletes one veth");
                if (r < 0)
                        diag("%s", strempty(e));
        }
        ok(!link_exists("ve-s1") && link_exists("ve-a1") && link_exists("supbr8"),
           "adopt: ... s1's, not adopted; a1's and the bridge stay");
        out = run(ADOPT_MAP);
        ok(contains(out, "tcp . 7171 comment \"a1\"") && !contains(out, "7272"),
           "adopt: the sweep drops s1's element, keeps a1's");
        free(out);
        out = run("nft list table inet " ADOPT_TABLE " 2>&1");
        ok(contains(out, "ip saddr 10.78.0.0/24 oifname != \"supbr8\" masquerade") &&
                   contains(out, "iifname \"supbr8\" ip daddr 127.0.0.0/8 drop"),
           "adopt: the table is this instance's");
        free(out);
        is_int(read_sysctl("net/ipv4/conf/supbr8/route_localnet"), 1, "adopt: route_localnet set");
        ok(link_exists("supbr7") && read_sysctl("net/ipv4/conf/supbr7/route_localnet") == 0,
           "adopt: a bridge no longer configured is left, its route_localnet restored with its rules gone");
        sh("ip link del supbr7");
        out = query(-1, SOCK_STREAM, "10.78.0.1", 7171);
        ok(streq(out, "10.78.0.1"), "adopt: a1 serves after the sweep (%s)", out);
        free(out);

        /* ---- units after adoption see a1 ---- */
        {
                struct netplug_unit_spec c = make_unit("n1", &b, NULL);
                struct netplug_unit *n = NULL;
                _cleanup_free_ char *e = NULL;

                r = netplug_unit_up(np, &c, box_n.fd, &n, &e);
                ok(r == 0 && n && !streq(netplug_unit_address(n), a_addr),
                   "adopt: a new unit gets another address than a1's (%s)",
                   n ? netplug_unit_address(n) : "-");
                n = netplug_unit_free(n);

                c = make_unit("n1", &b, a_addr);
                r = netplug_unit_up(np, &c, box_n.fd, &n, &e);
                ok(r == -EADDRINUSE && contains(e, "used by unit a1"),
                   "adopt: a1's address, static, is refused: %s", strempty(e));
                n = netplug_unit_free(n);

                c = make_unit("n1", &b, NULL);
                c.ports = &pa;
                c.n_ports = 1;
                r = netplug_unit_up(np, &c, box_n.fd, &n, &e);
                ok(r == -EADDRINUSE && contains(e, "host port 7171/tcp is already published by unit a1"),
                   "adopt: a1's port is refused: %s", strempty(e));
                n = netplug_unit_free(n);
        }

        /* ---- a second crash, and the table gone meanwhile: adoption brings it back ---- */
        np = netplug_free(np);
        a = netplug_unit_free(a);
        sh("nft delete table inet " ADOPT_TABLE);
        r = netplug_new("adopt", state_dir, runtime_dir, NETPLUG_ADOPT, &np);
        ok(r == 0 && netplug_bridge_up(np, &b, NULL) == 0, "adopt: again, after the table was deleted");
        if (r < 0)
                return;
        r = netplug_unit_adopt(np, &ca, box_a.fd, &a, NULL);
        out = run(ADOPT_MAP);
        ok(r == 0 && contains(out, "tcp . 7171 comment \"a1\" : 10.78.0.2 . 71"),
           "adopt: a1 adopted, the table made again with its element");
        free(out);
        is_int(netplug_sweep(np, NULL), 0, "adopt: nothing to sweep");
        out = query(-1, SOCK_STREAM, "10.78.0.1", 7171);
        ok(streq(out, "10.78.0.1"), "adopt: a1 serves (%s)", out);
        free(out);

        /* ---- down and shutdown leave nothing ---- */
        r = netplug_unit_down(np, a);
        out = run(ADOPT_MAP);
        ok(r == 0 && !link_exists("ve-a1") && !contains(out, "7171"), "adopt: unit_down of an adopted unit");
        free(out);
        a = netplug_unit_free(a);
        is_int(netplug_shutdown(np), 0, "adopt: shutdown");
        out = run("nft list tables 2>&1");
        ok(!contains(out, ADOPT_TABLE), "adopt: no table left");
        free(out);
        is_int(marked_links(ADOPT_TABLE), 0, "adopt: no link with the mark left");
        ok(!link_exists("supbr8"), "adopt: the bridge the predecessor made is deleted");
        is_int(read_sysctl("net/ipv4/ip_forward"), ip_forward_before,
               "adopt: ip_forward back to its value before the predecessor");
        out = run("cat %s/netplug.sysctl 2>&1", runtime_dir);
        ok(contains(out, "No such file"), "adopt: the sysctl record is gone");
        free(out);
        np = netplug_free(np);

        server_stop(srv);
        ns_kill(&box_a);
        ns_kill(&box_s);
        ns_kill(&box_g);
        ns_kill(&box_n);
}

int main(void) {
        struct netplug_bridge_spec br = make_bridge(BRIDGE, "10.89.0.1/24", true);
        struct netplug *np = NULL;
        struct netplug_unit *web = NULL, *db = NULL, *u = NULL;
        struct ns c_web = {}, c_db = {}, c_x = {}, upstream = {};
        _cleanup_free_ char *err = NULL;
        char *out;
        int r, ip_forward_before, fds_before;
        pid_t srv_up = -1, srv_web = -1, srv_udp = -1;

        setvbuf(stdout, NULL, _IOLBF, 0);
        note_inherited_fds();
        if (geteuid() != 0)
                return tap_skip_all("needs root");
        if (unshare(CLONE_NEWNET) < 0)
                return tap_skip_all("cannot make a network namespace");
        if (access("/usr/bin/busybox", X_OK) < 0 && access("/bin/busybox", X_OK) < 0)
                return tap_skip_all("needs busybox (ping)");
        if (sh("ip link set lo up && nft list tables >/dev/null 2>&1") != 0)
                return tap_skip_all("needs ip and nft, and nftables in the kernel");
        if (!mkdtemp(tmpdir))
                return tap_skip_all("mkdtemp failed");
        atexit(remove_tmpdir);
        snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
        snprintf(runtime_dir, sizeof(runtime_dir), "%s/run", tmpdir);
        ip_forward_before = read_sysctl("net/ipv4/ip_forward");

        test_link_names();

        if (ns_spawn(&c_web) < 0 || ns_spawn(&c_db) < 0 || ns_spawn(&c_x) < 0 || ns_spawn(&upstream) < 0) {
                ok(false, "spawn namespaces");
                return tap_done();
        }

        /* upstream: 198.51.100.1, our side 198.51.100.2, default route there. It has no route
         * back to the bridge subnet: only masqueraded traffic can get answers. */
        r = sh("ip link add upl0 type veth peer name upr0 netns %d && ip addr add " UPSTREAM_HOST
               "/24 dev upl0 && "
               "ip link set upl0 up && nsenter --net=%s sh -c 'ip addr add " UPSTREAM_PEER "/24 dev upr0 && "
               "ip link set upr0 up && ip link set lo up' && ip route add default via " UPSTREAM_PEER,
               (int) upstream.pid, upstream.path);
        is_int(r, 0, "upstream namespace wired");

        fds_before = count_fds();

        /* ---- new, bridges ---- */
        r = netplug_new(INSTANCE, state_dir, runtime_dir, 0, &np);
        is_int(r, 0, "netplug_new");
        if (r < 0)
                return tap_done();
        is_str(netplug_table_name(np), TABLE, "table name");
        ok(all_fds_cloexec(), "every fd is O_CLOEXEC");

        {
                struct netplug *np2 = NULL;
                r = netplug_new("Run/Sup-Test.1", NULL, NULL, 0, &np2);
                ok(r == 0 && startswith(netplug_table_name(np2), "sup_run_sup_test_1-"),
                   "instance names are reduced to [a-z0-9_], with a hash of the whole");
                netplug_free(np2);
        }

        {
                struct ns lone = {};
                if (ns_spawn(&lone) >= 0) {
                        ok(netplug_lo_up(np, lone.fd) == 0, "lo_up");
                        out = ns_cmd(&lone, "ip -o link show dev lo");
                        ok(contains(out, "<LOOPBACK,UP"), "lo is up in a namespace without a bridge");
                        free(out);
                        ns_kill(&lone);
                }
        }

        r = netplug_bridge_up(np, &br, &err);
        is_int(r, 0, "bridge_up creates " BRIDGE);
        out = run("ip -d -o link show dev " BRIDGE);
        ok(contains(out, "bridge") && contains(out, ",UP"), "bridge exists and is up");
        ok(contains(out, "alias " TABLE " bridge"), "bridge carries the instance's mark");
        free(out);
        out = run("ip -o -4 addr show dev " BRIDGE);
        ok(contains(out, "10.89.0.1/24"), "bridge has its address");
        free(out);
        is_int(read_sysctl("net/ipv4/ip_forward"), 1, "NAT=yes switches on ip_forward");
        is_int(read_sysctl("net/ipv4/conf/" BRIDGE "/route_localnet"), 1, "bridge gets route_localnet");
        out = table_text();
        ok(contains(out, "ip saddr 10.89.0.0/24 oifname != \"" BRIDGE "\" masquerade"),
           "masquerade rule in table");
        ok(contains(out, "iifname \"" BRIDGE "\" ip daddr 127.0.0.0/8 drop"),
           "route_localnet guard in table");
        free(out);

        r = netplug_bridge_up(np, &br, NULL);
        out = run("ip -o -4 addr show dev " BRIDGE " | wc -l");
        ok(r == 0 && atoi(out) == 1, "bridge_up again: idempotent, one address");
        free(out);

        {
                struct netplug_bridge_spec adopt = make_bridge("supbr1", "10.88.0.1/24", false);
                struct netplug_bridge_spec notbr = make_bridge("supdummy", "10.87.0.1/24", false);
                _cleanup_free_ char *e2 = NULL;

                sh("ip link add supbr1 type bridge && ip link add supdummy type veth peer name supdummy1");
                r = netplug_bridge_up(np, &adopt, NULL);
                out = run("ip -o -4 addr show dev supbr1");
                ok(r == 0 && contains(out, "10.88.0.1/24"),
                   "an existing bridge is adopted and given its address");
                free(out);
                r = netplug_bridge_up(np, &notbr, &e2);
                ok(r == -EEXIST && contains(e2, "supdummy") && contains(e2, "not a bridge"),
                   "a link of another kind is refused: %s", strempty(e2));
                out = table_text();
                ok(!contains(out, "supdummy") && !contains(out, "ip saddr 10.88.0.0/24 oifname"),
                   "no rules for the refused link, no masquerade for NAT=no");
                free(out);
                sh("ip link del supdummy");
        }

        /* ---- units ---- */
        {
                struct netplug_unit_spec c = make_unit("web", &br, NULL);
                struct netplug_port ports[] = {{8080, 80, IPPROTO_TCP}, {5353, 53, IPPROTO_UDP}};
                c.ports = ports;
                c.n_ports = ELEMENTSOF(ports);
                free(err);
                err = NULL;
                r = netplug_unit_up(np, &c, c_web.fd, &web, &err);
                is_int(r, 0, "unit_up web");
                if (r < 0)
                        diag("%s", strempty(err));
        }
        if (!web)
                return tap_done();
        is_str(netplug_unit_address(web), "10.89.0.2/24", "web gets the lowest free address");
        is_str(netplug_unit_ifname(web), "ve-web", "web's veth is ve-web");
        out = run("ip -d -o link show dev ve-web");
        ok(contains(out, "master " BRIDGE) && contains(out, "veth") && contains(out, "UP"),
           "ve-web is a veth, up, on the bridge");
        ok(contains(out, "mtu 1500"), "ve-web has the bridge's MTU");
        free(out);
        out = ns_cmd(&c_web, "ip -o addr show dev eth0");
        ok(contains(out, "10.89.0.2/24"), "eth0 inside has the address");
        free(out);
        out = ns_cmd(&c_web, "ip -o link show");
        ok(contains(out, "lo: <LOOPBACK,UP") && contains(out, "eth0@") && contains(out, "02:53:0a:59:00:02"),
           "inside: lo up, eth0 with the MAC derived from its address");
        free(out);
        out = ns_cmd(&c_web, "ip route show default");
        ok(contains(out, "default via 10.89.0.1 dev eth0"), "inside: default route via the bridge");
        free(out);
        out = run("ip -o link show");
        ok(!contains(out, "eth0"), "no eth0 ever appears on the host");
        free(out);

        {
                struct netplug_unit_spec c = make_unit("db", &br, NULL);
                c.gateway_set = true;
                c.gateway = addr("10.89.0.1");
                r = netplug_unit_up(np, &c, c_db.fd, &db, NULL);
                ok(r == 0 && db && streq(netplug_unit_address(db), "10.89.0.3/24"),
                   "db gets the next address");
        }

        out = ns_cmd(&c_web, "busybox ping -c1 -W2 10.89.0.3");
        ok(contains(out, "1 packets received"), "ping container to container");
        free(out);
        out = ns_cmd(&c_db, "busybox ping -c1 -W2 10.89.0.1");
        ok(contains(out, "1 packets received"), "ping container to bridge");
        free(out);

        /* static conflicts and errors */
        {
                /* Names go as they are into sysctl paths, lease lines and nftables text. */
                struct netplug_bridge_spec bad = make_bridge("supbr/x", "10.85.0.1/24", false);
                struct netplug_unit_spec c = make_unit("we\"b", &br, NULL);
                struct netplug_unit *x = NULL;

                ok(netplug_bridge_up(np, &bad, NULL) == -EINVAL, "a bridge name with a slash is refused");
                r = netplug_unit_up(np, &c, c_x.fd, &x, NULL);
                ok(r == -EINVAL && !x, "a unit name with a quote is refused");
        }
        {
                struct netplug_unit_spec c = make_unit("x", &br, "10.89.0.3");
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;

                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                ok(r == -EADDRINUSE && contains(e2, "10.89.0.3") && contains(e2, "unit db"),
                   "a static address in use is refused, naming the unit: %s", strempty(e2));
                ok(!link_exists("ve-x"), "nothing left of the refused unit");
                x = netplug_unit_free(x);
        }
        {
                struct netplug_unit_spec c = make_unit("x", &br, "10.89.0.9/24");
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;

                c.gateway_set = true;
                c.gateway = addr("10.99.0.1"); /* not on any link: the route cannot be added */
                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                ok(r < 0 && contains(e2, "default route via 10.99.0.1"),
                   "a bad gateway fails at its step: %s", strempty(e2));
                ok(!link_exists("ve-x"), "the half-made veth is undone");
                out = ns_cmd(&c_x, "ip -o link show");
                ok(!contains(out, "eth0"), "and its peer inside is gone too");
                free(out);
                x = netplug_unit_free(x);
        }
        {
                struct netplug_unit_spec c = make_unit("x", &br, NULL);
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;

                sh("nsenter --net=%s ip link add eth0 type veth peer name eth0p", c_x.path);
                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                ok(r == -EEXIST && contains(e2, "create veth ve-x"), "eth0 already inside: %s",
                   strempty(e2));
                ok(!link_exists("ve-x"), "nothing left of it");
                x = netplug_unit_free(x);
                sh("nsenter --net=%s ip link del eth0", c_x.path);
        }

        /* ---- NAT ---- */
        srv_up = server_start(upstream.fd, SOCK_STREAM, "0.0.0.0", 9000);
        out = query(c_web.fd, SOCK_STREAM, UPSTREAM_PEER, 9000);
        is_str(out, UPSTREAM_HOST, "NAT: a container reaches upstream, masqueraded");
        free(out);

        /* ---- published ports ---- */
        srv_web = server_start(c_web.fd, SOCK_STREAM, "0.0.0.0", 80);
        srv_udp = server_start(c_web.fd, SOCK_DGRAM, "0.0.0.0", 53);
        out = table_text();
        ok(contains(out, "tcp . 8080 comment \"web\" : 10.89.0.2 . 80") &&
                   contains(out, "udp . 5353 comment \"web\" : 10.89.0.2 . 53"),
           "DNAT entries for web in the table");
        free(out);
        out = query(upstream.fd, SOCK_STREAM, UPSTREAM_HOST, 8080);
        is_str(out, UPSTREAM_PEER, "8080/tcp from upstream reaches the container, client address kept");
        free(out);
        out = query(upstream.fd, SOCK_DGRAM, UPSTREAM_HOST, 5353);
        is_str(out, UPSTREAM_PEER, "5353/udp from upstream reaches the container");
        free(out);
        out = query(-1, SOCK_STREAM, "127.0.0.1", 8080);
        is_str(out, "10.89.0.1", "127.0.0.1:8080 from the host reaches the container (masqueraded)");
        free(out);
        out = query(-1, SOCK_STREAM, UPSTREAM_HOST, 8080);
        is_str(out, UPSTREAM_HOST, "the host's own address:8080 reaches the container");
        free(out);
        out = query(-1, SOCK_DGRAM, "127.0.0.1", 5353);
        is_str(out, "10.89.0.1", "127.0.0.1:5353/udp from the host reaches the container");
        free(out);
        out = query(c_db.fd, SOCK_STREAM, UPSTREAM_HOST, 8080);
        is_str(out, "10.89.0.1", "hairpin: another container reaches web via the host's published port");
        free(out);
        out = query(c_web.fd, SOCK_STREAM, "127.0.0.1", 8080);
        is_str(out, "", "a container's own 127.0.0.1:8080 is not redirected");
        free(out);

        {
                struct netplug_unit_spec c = make_unit("x", &br, NULL);
                struct netplug_port p = {8080, 80, IPPROTO_TCP};
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;

                c.ports = &p;
                c.n_ports = 1;
                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                ok(r == -EADDRINUSE && contains(e2, "8080/tcp") && contains(e2, "unit web"),
                   "a port published by another unit: %s", strempty(e2));
                x = netplug_unit_free(x);
        }
        {
                struct netplug_unit_spec c = make_unit("x", &br, NULL);
                struct netplug_port p = {8081, 80, IPPROTO_TCP};
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;
                pid_t held = server_start(-1, SOCK_STREAM, "127.0.0.1", 8081);

                c.ports = &p;
                c.n_ports = 1;
                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                ok(r == -EADDRINUSE && contains(e2, "host port 8081/tcp is in use"),
                   "a port taken on the host: %s", strempty(e2));
                ok(!link_exists("ve-x"), "nothing left of it");
                x = netplug_unit_free(x);
                server_stop(held);
        }
        {
                struct netplug_unit_spec c = make_unit("x", &br, NULL);
                struct netplug_port p = {5354, 53, IPPROTO_UDP};
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;
                pid_t held = server_start(-1, SOCK_DGRAM, "0.0.0.0", 5354);

                c.ports = &p;
                c.n_ports = 1;
                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                ok(r == -EADDRINUSE && contains(e2, "host port 5354/udp is in use"), "a udp port taken: %s",
                   strempty(e2));
                x = netplug_unit_free(x);
                server_stop(held);
        }

        /* ---- the port maps edited behind netplug's back ---- */
        {
                struct netplug_unit_spec c = make_unit("x", &br, NULL);
                struct netplug_port p = {8082, 82, IPPROTO_TCP};
                struct netplug_unit *x = NULL;
                _cleanup_free_ char *e2 = NULL;

                /* An element of that host port with other data: adding the unit's own fails, the maps
                 * are rewritten whole. */
                sh("nft add element inet " TABLE " publish4 '{ tcp . 8082 : 192.0.2.1 . 1 }'");
                c.ports = &p;
                c.n_ports = 1;
                r = netplug_unit_up(np, &c, c_x.fd, &x, &e2);
                out = table_text();
                ok(r == 0 && contains(out, "tcp . 8082 comment \"x\" : 10.89.0.9 . 82") &&
                           !contains(out, "192.0.2.1") && contains(out, "tcp . 8080 comment \"web\""),
                   "a stale element in the way is replaced, the others stay: %s", strempty(e2));
                free(out);

                /* Its element gone already: unit_down rewrites the maps, without it. */
                sh("nft delete element inet " TABLE " publish4 '{ tcp . 8082 }'");
                r = netplug_unit_down(np, x);
                out = table_text();
                ok(r == 0 && !contains(out, "8082") && contains(out, "tcp . 8080 comment \"web\"") &&
                           contains(out, "udp . 5353 comment \"web\""),
                   "unit_down with its element already gone");
                free(out);
                x = netplug_unit_free(x);

                /* The table deleted: the next unit brings it back whole. */
                sh("nft delete table inet " TABLE);
                r = netplug_unit_up(np, &c, c_x.fd, &x, NULL);
                out = table_text();
                ok(r == 0 && contains(out, "tcp . 8082 comment \"x\"") &&
                           contains(out, "tcp . 8080 comment \"web\"") && contains(out, "masquerade"),
                   "a deleted table comes back whole with the next unit");
                free(out);
                x = netplug_unit_free(x);
                out = table_text();
                ok(!contains(out, "8082") && contains(out, "tcp . 8080 comment \"web\""),
                   "... and x's element goes with x");
                free(out);
        }

        /* ---- down ---- */
        server_stop(srv_web);
        server_stop(srv_udp);
        r = netplug_unit_down(np, web);
        is_int(r, 0, "unit_down web");
        ok(!link_exists("ve-web"), "ve-web is gone");
        out = ns_cmd(&c_web, "ip -o link show");
        ok(!contains(out, "eth0"), "eth0 is gone from the container");
        free(out);
        out = table_text();
        ok(!contains(out, "8080") && !contains(out, "\"web\"") && !contains(out, "10.89.0.2"),
           "no rule left for web");
        free(out);
        is_int(netplug_unit_down(np, web), 0, "unit_down again: idempotent");
        web = netplug_unit_free(web);
        db = netplug_unit_free(db); /* free takes it down */
        ok(!link_exists("ve-db"), "unit_free takes db down");

        /* ---- leases survive a new instance ---- */
        netplug_free(np);
        np = NULL;
        out = run("cat %s/leases/" BRIDGE, state_dir);
        ok(contains(out, "10.89.0.2 web\n") && contains(out, "10.89.0.3 db\n"),
           "lease file: ADDRESS UNIT lines");
        free(out);
        r = netplug_new(INSTANCE, state_dir, runtime_dir, 0, &np);
        is_int(r, 0, "a new instance over the same state dir");
        ok(!link_exists(BRIDGE), "... removed the bridge its predecessor made");
        out = run("ip -o -4 addr show dev supbr1");
        ok(link_exists("supbr1") && contains(out, "10.88.0.1"), "... and left the adopted one alone");
        free(out);
        r = netplug_bridge_up(np, &br, NULL);
        {
                struct netplug_bridge_spec adopt = make_bridge("supbr2", "10.86.0.1/24", false);
                sh("ip link add supbr2 type bridge");
                ok(netplug_bridge_up(np, &adopt, NULL) == 0, "another bridge adopted");
        }
        {
                struct netplug_unit_spec c = make_unit("db", &br, NULL);
                r = netplug_unit_up(np, &c, c_db.fd, &db, NULL);
                ok(r == 0 && streq(netplug_unit_address(db), "10.89.0.3/24"),
                   "db started first still gets its leased 10.89.0.3");
                c = make_unit("newer", &br, NULL);
                r = netplug_unit_up(np, &c, c_x.fd, &u, NULL);
                ok(r == 0 && streq(netplug_unit_address(u), "10.89.0.4/24"),
                   "a new unit does not take web's lease (.2): gets .4");
                u = netplug_unit_free(u);
                c = make_unit("web", &br, NULL);
                r = netplug_unit_up(np, &c, c_web.fd, &web, NULL);
                ok(r == 0 && streq(netplug_unit_address(web), "10.89.0.2/24"), "web gets its lease back");
                web = netplug_unit_free(web);
                c = make_unit("stat", &br, "10.89.0.2/24");
                r = netplug_unit_up(np, &c, c_web.fd, &u, NULL);
                ok(r == 0, "a static address takes over the lease of a unit that is down");
                u = netplug_unit_free(u);
                c = make_unit("web", &br, NULL);
                r = netplug_unit_up(np, &c, c_web.fd, &web, NULL);
                ok(r == 0 && streq(netplug_unit_address(web), "10.89.0.5/24"),
                   "... and web moves to the lowest free");
                web = netplug_unit_free(web);
                {
                        struct netplug_cidr l;
                        char a[64];

                        r = netplug_lease_lookup(np, BRIDGE, "web", &l);
                        ok(r == 0 && streq(inet_ntop(AF_INET, &l.addr.in, a, sizeof(a)), "10.89.0.5") &&
                                   l.prefixlen == 24,
                           "lease_lookup finds web's lease while it is down");
                        ok(netplug_lease_lookup(np, BRIDGE, "nosuch", &l) == -ENOENT,
                           "lease_lookup: -ENOENT");
                }
        }

        /* ---- cycles: leaks and timing ---- */
        {
                struct netplug_unit_spec c = make_unit("cyc", &br, NULL);
                struct netplug_port p[] = {{9080, 80, IPPROTO_TCP}, {9053, 53, IPPROTO_UDP}};
                _cleanup_free_ char *links_before = NULL, *table_before = NULL, *links_after = NULL,
                                    *table_after = NULL;
                double up[200], total[200];
                int fds0, fails = 0;

                c.ports = p;
                c.n_ports = ELEMENTSOF(p);
                links_before = run("ip -o link show | wc -l");
                table_before = table_text();
                fds0 = count_fds();
                for (int i = 0; i < 200; i++) {
                        double t0 = now_ms(), t1;
                        r = netplug_unit_up(np, &c, c_x.fd, &u, NULL);
                        t1 = now_ms();
                        if (r < 0)
                                fails++;
                        u = netplug_unit_free(u);
                        up[i] = t1 - t0;
                        total[i] = now_ms() - t0;
                }
                links_after = run("ip -o link show | wc -l");
                table_after = table_text();
                is_int(fails, 0, "200 up/down cycles");
                is_int(count_fds(), fds0, "no fd left behind");
                is_str(links_after, links_before, "no link left behind");
                is_str(table_after, table_before, "no rule left behind");
                qsort(up + 100, 100, sizeof(double), cmp_double);
                qsort(total + 100, 100, sizeof(double), cmp_double);
                diag("unit_up (veth, address, route, DNAT rules): median %.3f ms, p90 %.3f ms", up[150],
                     up[190]);
                diag("unit_up + unit_down: median %.3f ms, p90 %.3f ms", total[150], total[190]);

                c.n_ports = 0;
                for (int i = 0; i < 100; i++) {
                        double t0 = now_ms();
                        r = netplug_unit_up(np, &c, c_x.fd, &u, NULL);
                        up[i] = now_ms() - t0;
                        u = netplug_unit_free(u);
                        total[i] = now_ms() - t0;
                }
                qsort(up, 100, sizeof(double), cmp_double);
                qsort(total, 100, sizeof(double), cmp_double);
                diag("without ports: unit_up median %.3f ms, up + down median %.3f ms", up[50], total[50]);

                /* As in supd: the unit's first process is cloned (not yet exec'd) while its network
                 * comes up, so every page the caller writes is a copy-on-write fault. */
                c.n_ports = ELEMENTSOF(p);
                fails = 0;
                for (int i = 0; i < 100; i++) {
                        double t0;
                        pid_t child = fork();

                        if (child == 0) {
                                pause();
                                _exit(EXIT_SUCCESS);
                        }
                        t0 = now_ms();
                        r = netplug_unit_up(np, &c, c_x.fd, &u, NULL);
                        up[i] = now_ms() - t0;
                        if (r < 0)
                                fails++;
                        if (child > 0) {
                                kill(child, SIGKILL);
                                (void) waitpid(child, NULL, 0);
                        }
                        u = netplug_unit_free(u);
                }
                qsort(up, 100, sizeof(double), cmp_double);
                is_int(fails, 0, "100 up/down cycles with a forked child pending");
                diag("with ports, a forked child pending (copy-on-write): unit_up median %.3f ms, p90 %.3f "
                     "ms",
                     up[50], up[90]);
        }

        /* ---- IPv6 ---- */
        {
                struct netplug_bridge_spec b6 = make_bridge("supbr6", "fd00:89::1/64", true);
                struct netplug_unit_spec c = make_unit("six", &b6, NULL);
                struct netplug_port p = {8086, 80, IPPROTO_TCP};
                struct netplug_unit *six = NULL;
                _cleanup_free_ char *e2 = NULL;

                c.ports = &p;
                c.n_ports = 1;
                r = netplug_bridge_up(np, &b6, &e2);
                ok(r == 0, "an IPv6 bridge: %s", strempty(e2));
                r = netplug_unit_up(np, &c, c_x.fd, &six, &e2);
                ok(r == 0 && six && streq(netplug_unit_address(six), "fd00:89::2/64"),
                   "IPv6: lowest free address");
                is_int(read_sysctl("net/ipv6/conf/all/forwarding"), 1,
                       "IPv6 NAT switches on IPv6 forwarding");
                out = ns_cmd(&c_x, "ip -6 route show default");
                ok(contains(out, "default via fd00:89::1 dev eth0"), "IPv6: default route inside");
                free(out);
                out = ns_cmd(&c_x, "busybox ping6 -c1 -W2 fd00:89::1");
                ok(contains(out, "1 packets received"), "IPv6: ping container to bridge");
                free(out);
                out = table_text();
                ok(contains(out, "ip6 saddr fd00:89::/64 oifname != \"supbr6\" masquerade") &&
                           contains(out, "tcp . 8086 comment \"six\" : fd00:89::2 . 80"),
                   "IPv6: masquerade and DNAT entry in the table");
                free(out);
                six = netplug_unit_free(six);
                ok(netplug_bridge_down(np, "supbr6") == 0 && !link_exists("supbr6"),
                   "bridge_down deletes our bridge");
                out = table_text();
                ok(!contains(out, "supbr6") && !contains(out, "publish6"), "... and its rules");
                free(out);
        }

        /* ---- cleanup_stale ---- */
        sh("ip link add ve-gone type veth peer name gone-peer");
        sh("ip link set ve-gone alias '" TABLE " unit gone'");
        sh("ip link add ve-theirs type veth peer name theirs-peer");
        sh("ip link set ve-theirs alias '" TABLE "_2 unit theirs'");
        {
                char *names[] = {(char *) "gone", (char *) "db", (char *) "theirs", NULL};
                r = netplug_cleanup_stale(np, names);
                ok(r == 1 && !link_exists("ve-gone") && link_exists("ve-db"),
                   "cleanup_stale deletes the named veth, not one of a unit up");
                ok(link_exists("ve-theirs"), "cleanup_stale leaves a veth with another instance's mark");
                sh("ip link del ve-theirs");
        }

        /* ---- shutdown ---- */
        db = netplug_unit_free(db);
        r = netplug_shutdown(np);
        is_int(r, 0, "shutdown");
        out = run("nft list tables");
        ok(!contains(out, TABLE), "table removed");
        free(out);
        ok(!link_exists(BRIDGE), "the bridge netplug made is deleted");
        out = run("ip -o -4 addr show dev supbr2");
        ok(link_exists("supbr2") && !contains(out, "10.86.0.1"),
           "the adopted bridge stays, without the address we added");
        free(out);
        is_int(read_sysctl("net/ipv4/ip_forward"), ip_forward_before, "ip_forward restored");
        is_int(read_sysctl("net/ipv6/conf/all/forwarding"), 0, "IPv6 forwarding restored");
        is_int(read_sysctl("net/ipv4/conf/supbr2/route_localnet"), 0,
               "route_localnet of the adopted bridge restored");
        np = netplug_free(np);
        is_int(count_fds(), fds_before, "no fd left after netplug_free");
        sh("ip link del supbr1; ip link del supbr2");

        test_crash_recovery(ip_forward_before);
        test_adoption(ip_forward_before);

        server_stop(srv_up);
        ns_kill(&c_web);
        ns_kill(&c_db);
        ns_kill(&c_x);
        ns_kill(&upstream);
        return tap_done();
}
