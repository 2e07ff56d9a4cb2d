/* SPDX-License-Identifier: MIT */

/* Good inputs: every key lands in the model with the right value; defaults; drop-in override
 * and append; list reset; the examples verify cleanly. */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "string-util.h"
#include "tap.h"
#include "units.h"

static struct unit_config *parse_ok(const char *name, const char *text) {
        struct unit_diag *d = NULL;
        size_t n = 0;
        struct unit_config *u = NULL;

        if (unit_config_parse_string("t.unit", name, text, &d, &n, &u) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s = unit_diag_format(&d[i]);
                diag("unexpected: %s", s);
        }
        unit_diags_free(d, n);
        if (n > 0 || u->load_state != UNIT_LOADED)
                return unit_config_free(u);
        return u;
}

static void test_defaults(void) {
        struct unit_config *u = parse_ok("web", "[Container]\nExec=/bin/true\n");

        if (!ok(u != NULL, "minimal unit loads"))
                return;
        is_int(u->autostart, 1, "AutoStart= defaults to yes");
        is_int(u->namespaces, UNIT_NS_DEFAULT, "Namespaces= default");
        is_str(u->hostname, "web", "Hostname= defaults to the unit name");
        is_int(u->init, 1, "Init= defaults to yes with a pid namespace");
        is_int(u->overlay, OVERLAY_NONE, "Overlay= default none");
        is_int(u->restart, RESTART_ON_FAILURE, "Restart= default on-failure");
        is_int(u->restart_usec, 100000, "RestartSec= default 100ms");
        is_int(u->restart_max_delay_usec, 30000000, "RestartMaxDelaySec= default 30s");
        is_int(u->restart_reset_usec, 10000000, "RestartResetSec= default 10s");
        is_int(u->start_limit_burst, 5, "StartLimitBurst= default 5");
        is_int(u->start_limit_interval_usec, 10000000, "StartLimitIntervalSec= default 10s");
        is_int(u->timeout_start_usec, 30000000, "TimeoutStartSec= default 30s");
        is_int(u->timeout_stop_usec, 10000000, "TimeoutStopSec= default 10s");
        is_int(u->kill_signal, SIGTERM, "KillSignal= default SIGTERM");
        is_int(u->log_max_size, 1024 * 1024, "LogMaxSize= default 1M");
        is_int(u->no_new_privileges, 1, "NoNewPrivileges= default yes");
        is_int(u->seccomp, SECCOMP_DEFAULT, "Seccomp= default");
        is_int(__builtin_popcountll(u->capabilities), 14, "Capabilities= default is Docker's 14");
        is_int(strv_length(u->environment), 1, "Environment= has the default PATH only");
        is_str(u->environment[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "default PATH");
        is_int(u->address_auto, 1, "Address= default auto");
        ok(u->memory_max == SIZE_INFINITY && u->tasks_max == SIZE_INFINITY, "no limits by default");
        ok(u->bridge == NULL && u->rootfs == NULL, "no bridge, no rootfs by default");
        unit_config_free(u);
}

static const char full_unit[] =
        "# a comment\n"
        "; another\n"
        "[Unit]\n"
        "Description=The web server\n"
        "Requires=db\n"
        "Wants=cache metrics\n"
        "After=db cache\n"
        "AutoStart=no\n"
        "\n"
        "[Container]\n"
        "Exec=/usr/sbin/nginx -g \"daemon off;\" 'single quoted' a\\ b\n"
        "RootFS=/srv/web\n"
        "Layers=/srv/layers/app\n"
        "Layers=/srv/layers/base\n"
        "Overlay=persistent\n"
        "ReadOnly=yes\n"
        "Namespaces=pid mnt uts net ipc\n"
        "Hostname=web-1\n"
        "UserNamespace=0:100000:65536\n"
        "User=www\n"
        "Group=33\n"
        "WorkingDirectory=/var/www\n"
        "Environment=A=1 \"B=two words\"\n"
        "Environment=A=3\n"
        "Bind=/srv/data:/data:ro /srv/cache:/cache\n"
        "Tmpfs=/tmp:size=64M\n"
        "Tmpfs=/run\n"
        "Init=no\n"
        "Capabilities=\n"
        "Capabilities=CAP_NET_BIND_SERVICE chown\n"
        "NoNewPrivileges=false\n"
        "Seccomp=off\n"
        "\n"
        "[Service]\n"
        "Type=notify\n"
        "Restart=always\n"
        "RestartSec=250ms\n"
        "RestartMaxDelaySec=2min\n"
        "RestartResetSec=1h\n"
        "StartLimitBurst=3\n"
        "StartLimitIntervalSec=30\n"
        "TimeoutStartSec=5s\n"
        "TimeoutStopSec=1min 30s\n"
        "KillSignal=SIGQUIT\n"
        "LogMaxSize=2M\n"
        "\n"
        "[Network]\n"
        "Bridge=sup0\n"
        "Address=10.88.0.5/24\n"
        "Gateway=10.88.0.1\n"
        "PublishPort=8080:80 5353:53/udp\n"
        "DNS=10.88.0.1 2001:db8::53\n"
        "\n"
        "[Resources]\n"
        "MemoryMax=512M\n"
        "MemoryHigh=256M\n"
        "CPUQuota=150%\n"
        "CPUWeight=200\n"
        "AllowedCPUs=1,0\n"
        "TasksMax=64\n"
        "IOWeight=50\n";

static void test_every_key(void) {
        struct unit_config *u = parse_ok("web", full_unit);

        if (!ok(u != NULL, "full unit loads"))
                return;
        is_str(u->description, "The web server", "Description=");
        ok(strv_length(u->requires) == 1 && streq(u->requires[0], "db"), "Requires=");
        ok(strv_length(u->wants) == 2 && streq(u->wants[1], "metrics"), "Wants= splits words");
        ok(strv_length(u->after) == 2, "After=");
        is_int(u->autostart, 0, "AutoStart=no");
        is_int(strv_length(u->exec), 5, "Exec= argv count");
        is_str(u->exec[2], "daemon off;", "Exec= keeps ';' inside quotes");
        is_str(u->exec[3], "single quoted", "Exec= single quotes");
        is_str(u->exec[4], "a b", "Exec= backslash escape");
        is_str(u->rootfs, "/srv/web", "RootFS=");
        ok(strv_length(u->layers) == 2 && streq(u->layers[0], "/srv/layers/app"), "Layers= order kept");
        is_int(u->overlay, OVERLAY_PERSISTENT, "Overlay=persistent");
        is_int(u->read_only, 1, "ReadOnly=yes");
        is_int(u->namespaces, UNIT_NS_PID | UNIT_NS_MNT | UNIT_NS_UTS | UNIT_NS_NET | UNIT_NS_IPC | UNIT_NS_USER,
               "Namespaces= plus user from UserNamespace=");
        is_str(u->hostname, "web-1", "Hostname=");
        ok(u->userns == USERNS_MAP && u->userns_map.inside == 0 && u->userns_map.outside == 100000 &&
                   u->userns_map.count == 65536,
           "UserNamespace=UID:HOSTUID:COUNT");
        is_str(u->user, "www", "User=");
        is_str(u->group, "33", "Group=");
        is_str(u->working_directory, "/var/www", "WorkingDirectory=");
        is_int(strv_length(u->environment), 3, "Environment= PATH + A + B");
        is_str(u->environment[1], "A=3", "Environment= later value wins");
        is_str(u->environment[2], "B=two words", "Environment= quoting");
        ok(u->n_binds == 2 && u->binds[0].read_only && !u->binds[1].read_only &&
                   streq(u->binds[0].target, "/data"),
           "Bind=");
        ok(u->n_tmpfs == 2 && u->tmpfs[0].size == 64 * 1024 * 1024 && u->tmpfs[1].size == 0, "Tmpfs=");
        is_int(u->init, 0, "Init=no");
        ok(u->capabilities == ((UINT64_C(1) << 10) | 1), "Capabilities= reset then two");
        is_int(u->no_new_privileges, 0, "NoNewPrivileges=false");
        is_int(u->seccomp, SECCOMP_OFF, "Seccomp=off");
        is_int(u->type, SERVICE_NOTIFY, "Type=notify");
        is_int(u->restart, RESTART_ALWAYS, "Restart=always");
        is_int(u->restart_usec, 250000, "RestartSec=250ms");
        is_int(u->restart_max_delay_usec, 120000000, "RestartMaxDelaySec=2min");
        is_int(u->restart_reset_usec, 3600000000ULL, "RestartResetSec=1h");
        is_int(u->start_limit_burst, 3, "StartLimitBurst=");
        is_int(u->start_limit_interval_usec, 30000000, "StartLimitIntervalSec= bare seconds");
        is_int(u->timeout_start_usec, 5000000, "TimeoutStartSec=");
        is_int(u->timeout_stop_usec, 90000000, "TimeoutStopSec= with two components");
        is_int(u->kill_signal, SIGQUIT, "KillSignal=SIGQUIT");
        is_int(u->log_max_size, 2 * 1024 * 1024, "LogMaxSize=");
        is_str(u->bridge, "sup0", "Bridge=");
        ok(!u->address_auto && u->address.prefixlen == 24, "Address= CIDR");
        ok(u->gateway_set && u->gateway.family == AF_INET, "Gateway=");
        ok(u->n_ports == 2 && u->ports[0].host_port == 8080 && u->ports[0].container_port == 80 &&
                   u->ports[0].protocol == IPPROTO_TCP && u->ports[1].protocol == IPPROTO_UDP,
           "PublishPort=");
        ok(u->n_dns == 2 && u->dns[1].family == AF_INET6, "DNS= v4 and v6");
        is_int(u->memory_max, 512 * 1024 * 1024, "MemoryMax=");
        is_int(u->memory_high, 256 * 1024 * 1024, "MemoryHigh=");
        is_int(u->cpu_quota_permyriad, 15000, "CPUQuota=150%");
        is_int(u->cpu_weight, 200, "CPUWeight=");
        is_str(u->allowed_cpus, "0-1", "AllowedCPUs= normalized");
        is_int(u->tasks_max, 64, "TasksMax=");
        is_int(u->io_weight, 50, "IOWeight=");
        ok(u->origin[UK_MEMORYMAX].line == 55, "origin line of MemoryMax= is %u", u->origin[UK_MEMORYMAX].line);
        unit_config_free(u);
}

static void test_semantics(void) {
        struct unit_config *u;

        u = parse_ok("a", "[Container]\nExec=/bin/sh -c \"echo a; echo b\"\n");
        ok(u && streq(u->exec[2], "echo a; echo b"), "';' is not an inline comment");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=/bin/echo one\n  two three\n");
        ok(u && strv_length(u->exec) == 4 && streq(u->exec[3], "three"), "an indented line continues Exec=");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=/bin/a\nExec=/bin/b x\n");
        ok(u && streq(u->exec[0], "/bin/b") && strv_length(u->exec) == 2, "a later Exec= replaces");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nNamespaces=\n");
        ok(u && u->namespaces == 0 && !u->init && !u->hostname, "Namespaces= empty: host namespaces, no init");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nNamespaces=pid mnt user\n");
        ok(u && u->userns == USERNS_AUTO, "user in Namespaces= means UserNamespace=auto");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nUserNamespace=auto\n");
        ok(u && (u->namespaces & UNIT_NS_USER), "UserNamespace= adds the user namespace");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nEnvironment=PATH=/x\n");
        ok(u && strv_length(u->environment) == 1 && streq(u->environment[0], "PATH=/x"), "PATH= overrides the default");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nCapabilities=all\nCapabilities=~CAP_SYS_ADMIN\n");
        ok(u && __builtin_popcountll(u->capabilities) == capability_last() && !(u->capabilities & (1ULL << 21)),
           "Capabilities=all then ~ drops one");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nBind=/a:/b\nBind=\nBind=/c:/d:ro\n");
        ok(u && u->n_binds == 1 && streq(u->binds[0].source, "/c"), "an empty value resets a list");
        unit_config_free(u);

        u = parse_ok("a", "\xef\xbb\xbf[Container]\r\nExec=sleep 1\r\n");
        ok(u && streq(u->exec[0], "sleep") && streq(u->exec[1], "1"), "BOM and CRLF line ends");
        unit_config_free(u);

        u = parse_ok("a", "\xef\xbb\xbf# a comment after a BOM\n[Container]\nExec=sleep 1\n");
        ok(u != NULL, "a comment right after a BOM");
        unit_config_free(u);

        u = parse_ok("a", "[Resources]\n  MemoryMax=1G\n[Unit]\n\tDescription=x\n[Container]\nExec=sleep 1\n");
        ok(u && u->memory_max == 1ULL << 30 && streq(u->description, "x"),
           "an indented key right after a header is a key, not a continuation");
        unit_config_free(u);

        u = parse_ok("my_unit", "[Container]\nExec=sleep 1\n");
        ok(u && streq(u->hostname, "localhost"), "a name that is no hostname falls back to localhost");
        unit_config_free(u);

        u = parse_ok("a", "[Container]\nExec=sleep 1\nHostname=x\nHostname=\n[Resources]\nMemoryMax=1G\n"
                          "MemoryMax=\n[Service]\nRestartSec=5s\nRestartSec=\n");
        ok(u && streq(u->hostname, "a") && u->memory_max == SIZE_INFINITY && u->restart_usec == 100000,
           "an empty single-valued key gets its default back");
        ok(u && u->origin[UK_MEMORYMAX].line == 0, "a reset key counts as not set");
        unit_config_free(u);
}

static void test_environment_file(void) {
        _cleanup_free_ char *dump = NULL;
        struct unit_config *u;
        size_t len = 0;
        FILE *f;

        u = parse_ok("a", "[Container]\nExec=sleep 1\nEnvironmentFile=/etc/gone\nEnvironmentFile=\n"
                          "EnvironmentFile=/etc/a -/etc/b\nEnvironmentFile=\"-/etc/c d\"\n");
        if (!ok(u && u->n_environment_files == 3, "EnvironmentFile= after a reset: three files"))
                goto out;
        ok(streq(u->environment_files[0].path, "/etc/a") && !u->environment_files[0].optional,
           "EnvironmentFile=/etc/a is required");
        ok(streq(u->environment_files[1].path, "/etc/b") && u->environment_files[1].optional,
           "EnvironmentFile=-/etc/b is optional, without its -");
        ok(streq(u->environment_files[2].path, "/etc/c d") && u->environment_files[2].optional,
           "a quoted optional path");
        ok(u->origin[UK_ENVIRONMENTFILE].line == 6, "origin of EnvironmentFile=");

        f = open_memstream(&dump, &len);
        ok(f && unit_config_dump(u, f) == 0 && fclose(f) == 0 &&
                   strstr(dump, "\nEnvironment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                                "EnvironmentFile=/etc/a -/etc/b \"-/etc/c d\"\nBind="),
           "EnvironmentFile= in the dump, after Environment=");
out:
        unit_config_free(u);
}

/* SPEC §2: no limit on a line's length. */
static void test_long_lines(void) {
        _cleanup_free_ char *text = NULL, *desc = NULL;
        const size_t len = 10000;
        struct unit_config *u;
        char *p;

        /* "Exec=/bin/echo " and one long word: a line of exactly 10,000 characters. */
        text = malloc(STRLEN("[Container]\n") + len + 2);
        if (!ok(text != NULL, "malloc"))
                return;
        p = stpcpy(stpcpy(text, "[Container]\n"), "Exec=/bin/echo ");
        memset(p, 'a', len - STRLEN("Exec=/bin/echo "));
        strcpy(p + len - STRLEN("Exec=/bin/echo "), "\n");
        u = parse_ok("a", text);
        ok(u && strv_length(u->exec) == 2 && strlen(u->exec[1]) == len - STRLEN("Exec=/bin/echo "),
           "a 10,000-character Exec= line loads whole");
        unit_config_free(u);

        desc = malloc(len + 1);
        if (!ok(desc != NULL, "malloc"))
                return;
        memset(desc, 'd', len);
        desc[len] = '\0';
        free(text);
        text = NULL;
        ok(asprintf(&text, "[Unit]\nDescription=%s\n  %s\n[Container]\nExec=/bin/true\n", desc, desc) > 0,
           "asprintf");
        u = parse_ok("a", text);
        ok(u && strlen(u->description) == 2 * len + 1 && u->origin[UK_DESCRIPTION].line == 3,
           "a long Description= goes on over a long indented line");
        unit_config_free(u);
}

static char tmpdir[64];

static void write_file(const char *rel, const char *text) {
        char p[256];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        f = fopen(p, "we");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static void rm_rf(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;

        if (d) {
                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                                char p[512];
                                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
                                rm_rf(p);
                        }
                closedir(d);
                rmdir(path);
        } else
                unlink(path);
}

/* unit_environment_file_read(): the files of EnvironmentFile=. */
static void test_environment_file_read(void) {
        static const struct {
                const char *text;
                const char *want; /* the assignments joined by '|'; NULL: an error */
                const char *error; /* after "PATH:" */
        } t[] = {
                { "A=1\n# c\n; c\n\n  B = two words  \nexport C=\"x \\\"q\\\" \\$HOME \\n\"\nD='a \"b\" \\c'\r\nE=\n"
                  "exportF=1\nexport\tG=\"\" \nH==x\n",
                  "A=1|B=two words|C=x \"q\" $HOME \\n|D=a \"b\" \\c|E=|exportF=1|G=|H==x", NULL },
                { "", "", NULL },
                { "A=1", "A=1", NULL },
                { "A=1\nA=2\n", "A=1|A=2", NULL },
                { "A=1\nnoequals\n", NULL, "2: expected VAR=value" },
                { "1A=x\n", NULL, "1: invalid variable name \"1A\"" },
                { "A-B=1\n", NULL, "1: invalid variable name \"A-B\"" },
                { "export =1\n", NULL, "1: invalid variable name \"\"" },
                { "# fine\nA=\"open\n", NULL, "2: unterminated double quote" },
                { "A='open\n", NULL, "1: unterminated single quote" },
                { "A=\"x\" y\n", NULL, "1: text after the closing quote" },
        };
        char dir[] = "/tmp/sup-test-envfile-XXXXXX", path[64];
        char **l = NULL, *error = NULL, *want = NULL;

        if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
                return;
        snprintf(path, sizeof(path), "%s/env", dir);
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *joined = NULL, *want_error = NULL;
                FILE *f = fopen(path, "we");
                int r;

                if (f) {
                        fputs(t[i].text, f);
                        fclose(f);
                }
                r = unit_environment_file_read(path, &l, &error);
                if (t[i].want) {
                        size_t len = 0;
                        FILE *m = open_memstream(&joined, &len);
                        STRV_FOREACH(e, l)
                                fprintf(m, "%s%s", e == l ? "" : "|", *e);
                        fclose(m);
                        ok(r == 0 && l && streq(joined, t[i].want), "environment file %zu: [%s]", i, joined);
                } else {
                        want_error = strprintf("%s:%s", path, t[i].error);
                        ok(r == -EINVAL && streq_ptr(error, want_error), "environment file %zu: %s", i,
                           strempty(error));
                }
                l = strv_free(l);
                error = mfree(error);
        }

        ok(unit_environment_file_read(path, &l, NULL) == -EINVAL && !l, "no message asked for: still -EINVAL");
        unlink(path);

        want = strprintf("%s: cannot read: %s", path, strerror(ENOENT));
        ok(unit_environment_file_read(path, &l, &error) == -ENOENT && !l && streq_ptr(error, want),
           "a missing file is -ENOENT, for the caller to skip when optional: %s", strempty(error));
        error = mfree(error);
        want = mfree(want);

        want = strprintf("%s: not a regular file (directory)", dir);
        ok(unit_environment_file_read(dir, &l, &error) == -EISDIR && !l && streq_ptr(error, want),
           "a directory is -EISDIR: %s", strempty(error));
        error = mfree(error);
        want = mfree(want);

        /* A FIFO nobody writes to: an open(2) for reading would wait forever, the alarm says so. */
        if (ok(mkfifo(path, 0600) == 0, "a FIFO as the environment file")) {
                want = strprintf("%s: not a regular file (FIFO)", path);
                alarm(10);
                ok(unit_environment_file_read(path, &l, &error) == -EBADFD && !l && streq_ptr(error, want),
                   "a FIFO is refused at once, named: %s", strempty(error));
                alarm(0);
                error = mfree(error);
                want = mfree(want);
                unlink(path);
        }

        if (ok(symlink("env", path) == 0, "a symlink to itself as the environment file")) {
                want = strprintf("%s: symlink loop (too many levels of symbolic links)", path);
                ok(unit_environment_file_read(path, &l, &error) == -ELOOP && !l && streq_ptr(error, want),
                   "a symlink loop is -ELOOP, named: %s", strempty(error));
                error = mfree(error);
                want = mfree(want);
                unlink(path);
        }
        rmdir(dir);
}

static void test_dropins(void) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        struct unit_config *u;
        char p[256];

        strcpy(tmpdir, "/tmp/sup-test-parse-XXXXXX");
        if (!ok(mkdtemp(tmpdir) != NULL, "mkdtemp"))
                return;
        write_file("web.unit", "[Container]\nExec=/bin/web\nBind=/a:/a\n[Resources]\nMemoryMax=1G\n");
        snprintf(p, sizeof(p), "%s/web.unit.d", tmpdir);
        mkdir(p, 0755);
        write_file("web.unit.d/20-b.conf", "[Resources]\nMemoryMax=2G\n");
        write_file("web.unit.d/10-a.conf", "[Resources]\nMemoryMax=3G\n[Container]\nBind=/b:/b\n");
        write_file("web.unit.d/ignored.txt", "garbage\n");
        write_file("sup0.bridge", "[Bridge]\nAddress=10.88.0.1/24\n");
        write_file("db.unit", "[Container]\nExec=/bin/db\n[Network]\nBridge=sup0\nAddress=10.88.0.9\n");

        if (!ok(unit_set_load_dir(tmpdir, &s) == 0, "load dir"))
                goto out;
        is_int(s->n_diags, 0, "no diagnostics");
        is_int(s->n_units, 2, "two units");
        is_int(s->n_bridges, 1, "one bridge");
        u = unit_set_find_unit(s, "web");
        ok(u && u->memory_max == 2ULL << 30, "drop-ins apply in lexical order (20-b wins)");
        ok(u && u->n_binds == 2, "drop-ins append to list keys");
        ok(u && strv_length(u->dropins) == 2 && endswith(u->dropins[0], "10-a.conf"), "drop-ins recorded in order");
        ok(u && u->origin[UK_MEMORYMAX].line == 2 && endswith(u->origin[UK_MEMORYMAX].file, "20-b.conf"),
           "origin points into the drop-in");
        u = unit_set_find_unit(s, "db");
        ok(u && u->address.prefixlen == 24, "a bare Address= takes the bridge's prefix");
        ok(s->units[0] == unit_set_find_unit(s, "db"), "units sorted by name");
out:
        rm_rf(tmpdir);
}

static void test_examples(void) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        const char *dir = getenv("SUP_EXAMPLES");
        char *paths[2] = { (char *) dir, NULL };

        if (!dir) {
                ok(1, "# SKIP SUP_EXAMPLES not set");
                return;
        }
        ok(unit_set_load_paths(paths, &s) == 0, "examples load");
        for (size_t i = 0; s && i < s->n_diags; i++) {
                _cleanup_free_ char *t = unit_diag_format(&s->diags[i]);
                diag("%s", t);
        }
        ok(s && s->n_diags == 0 && s->n_units >= 4 && s->n_bridges >= 1, "examples verify cleanly (%zu units)",
           s ? s->n_units : 0);
}

int main(void) {
        test_defaults();
        test_every_key();
        test_semantics();
        test_environment_file();
        test_environment_file_read();
        test_long_lines();
        test_dropins();
        test_examples();
        return tap_done();
}
