/* SPDX-License-Identifier: MIT */

/* Parsing of one .unit (plus its drop-ins) or .bridge file with inih.
 *
 * inih gives us neither line numbers (Debian builds it without INI_HANDLER_LINENO) nor a word about
 * lines it rejects, so we feed it through our own reader: the reader counts lines, remembers the
 * raw text of the current one, and notices a non-blank, non-comment, non-section line that never
 * reached the handler: that is a syntax error. It also hides ';' from inih's inline-comment logic,
 * so values like `Exec=/bin/sh -c "a; b"` survive (comments start only at the beginning of a
 * line, as in systemd). */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "units.h"
#include "units-internal.h"

#define SEMICOLON_STANDIN '\x1f'
#define FILE_SIZE_MAX (1024 * 1024)

enum section {
        SECTION_NONE,
        SECTION_UNIT,
        SECTION_CONTAINER,
        SECTION_SERVICE,
        SECTION_NETWORK,
        SECTION_RESOURCES,
        SECTION_BRIDGE,
        _SECTION_MAX,
        SECTION_UNKNOWN = -1,
};

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_UNIT] = "Unit",       [SECTION_CONTAINER] = "Container", [SECTION_SERVICE] = "Service",
        [SECTION_NETWORK] = "Network", [SECTION_RESOURCES] = "Resources", [SECTION_BRIDGE] = "Bridge",
};

struct key_info {
        const char *name;
        enum section section;
        bool list; /* each line adds, an empty value clears */
};

/* Indexed by enum unit_key. */
static const struct key_info unit_keys[_UK_MAX] = {
        [UK_DESCRIPTION] = { "Description", SECTION_UNIT },
        [UK_REQUIRES] = { "Requires", SECTION_UNIT, true },
        [UK_WANTS] = { "Wants", SECTION_UNIT, true },
        [UK_AFTER] = { "After", SECTION_UNIT, true },
        [UK_AUTOSTART] = { "AutoStart", SECTION_UNIT },
        [UK_EXEC] = { "Exec", SECTION_CONTAINER },
        [UK_ROOTFS] = { "RootFS", SECTION_CONTAINER },
        [UK_LAYERS] = { "Layers", SECTION_CONTAINER, true },
        [UK_OVERLAY] = { "Overlay", SECTION_CONTAINER },
        [UK_READONLY] = { "ReadOnly", SECTION_CONTAINER },
        [UK_NAMESPACES] = { "Namespaces", SECTION_CONTAINER },
        [UK_HOSTNAME] = { "Hostname", SECTION_CONTAINER },
        [UK_USERNAMESPACE] = { "UserNamespace", SECTION_CONTAINER },
        [UK_USER] = { "User", SECTION_CONTAINER },
        [UK_GROUP] = { "Group", SECTION_CONTAINER },
        [UK_WORKINGDIRECTORY] = { "WorkingDirectory", SECTION_CONTAINER },
        [UK_ENVIRONMENT] = { "Environment", SECTION_CONTAINER, true },
        [UK_BIND] = { "Bind", SECTION_CONTAINER, true },
        [UK_TMPFS] = { "Tmpfs", SECTION_CONTAINER, true },
        [UK_INIT] = { "Init", SECTION_CONTAINER },
        [UK_CAPABILITIES] = { "Capabilities", SECTION_CONTAINER, true },
        [UK_NONEWPRIVILEGES] = { "NoNewPrivileges", SECTION_CONTAINER },
        [UK_SECCOMP] = { "Seccomp", SECTION_CONTAINER },
        [UK_TYPE] = { "Type", SECTION_SERVICE },
        [UK_RESTART] = { "Restart", SECTION_SERVICE },
        [UK_RESTARTSEC] = { "RestartSec", SECTION_SERVICE },
        [UK_RESTARTMAXDELAYSEC] = { "RestartMaxDelaySec", SECTION_SERVICE },
        [UK_RESTARTRESETSEC] = { "RestartResetSec", SECTION_SERVICE },
        [UK_STARTLIMITBURST] = { "StartLimitBurst", SECTION_SERVICE },
        [UK_STARTLIMITINTERVALSEC] = { "StartLimitIntervalSec", SECTION_SERVICE },
        [UK_TIMEOUTSTARTSEC] = { "TimeoutStartSec", SECTION_SERVICE },
        [UK_TIMEOUTSTOPSEC] = { "TimeoutStopSec", SECTION_SERVICE },
        [UK_KILLSIGNAL] = { "KillSignal", SECTION_SERVICE },
        [UK_LOGMAXSIZE] = { "LogMaxSize", SECTION_SERVICE },
        [UK_BRIDGE] = { "Bridge", SECTION_NETWORK },
        [UK_ADDRESS] = { "Address", SECTION_NETWORK },
        [UK_GATEWAY] = { "Gateway", SECTION_NETWORK },
        [UK_PUBLISHPORT] = { "PublishPort", SECTION_NETWORK, true },
        [UK_DNS] = { "DNS", SECTION_NETWORK, true },
        [UK_MEMORYMAX] = { "MemoryMax", SECTION_RESOURCES },
        [UK_MEMORYHIGH] = { "MemoryHigh", SECTION_RESOURCES },
        [UK_CPUQUOTA] = { "CPUQuota", SECTION_RESOURCES },
        [UK_CPUWEIGHT] = { "CPUWeight", SECTION_RESOURCES },
        [UK_ALLOWEDCPUS] = { "AllowedCPUs", SECTION_RESOURCES },
        [UK_TASKSMAX] = { "TasksMax", SECTION_RESOURCES },
        [UK_IOWEIGHT] = { "IOWeight", SECTION_RESOURCES },
};

static const struct key_info bridge_keys[_BK_MAX] = {
        [BK_ADDRESS] = { "Address", SECTION_BRIDGE },
        [BK_NAT] = { "NAT", SECTION_BRIDGE },
};

const char *unit_key_to_string(enum unit_key k) {
        return k >= 0 && k < _UK_MAX ? unit_keys[k].name : NULL;
}

const char *unit_key_section(enum unit_key k) {
        return k >= 0 && k < _UK_MAX ? section_names[unit_keys[k].section] : NULL;
}

bool unit_key_is_list(enum unit_key k) {
        return k >= 0 && k < _UK_MAX && unit_keys[k].list;
}

const char *bridge_key_to_string(enum bridge_key k) {
        return k >= 0 && k < _BK_MAX ? bridge_keys[k].name : NULL;
}

/* ---- diagnostics ----------------------------------------------------------------------------- */

int diag_add(struct unit_diag **diags, size_t *n, const char *file, unsigned line, const char *key,
             const char *fmt, ...) {
        struct unit_diag *a, d = { .line = line };
        va_list ap;
        int r;

        d.file = strdup(file);
        d.key = key ? strdup(key) : NULL;
        va_start(ap, fmt);
        r = vasprintf(&d.message, fmt, ap);
        va_end(ap);
        if (!d.file || (key && !d.key) || r < 0)
                goto oom;

        a = reallocarray(*diags, *n + 1, sizeof(**diags));
        if (!a)
                goto oom;
        a[(*n)++] = d;
        *diags = a;
        return 0;
oom:
        free(d.file);
        free(d.key);
        if (r >= 0)
                free(d.message);
        return -ENOMEM;
}

char *unit_diag_format(const struct unit_diag *d) {
        char *s = NULL, line[16] = "";
        int r;

        if (d->line > 0)
                snprintf(line, sizeof(line), ":%u", d->line);
        if (d->key)
                r = asprintf(&s, "%s%s: %s: %s", d->file, line, d->key, d->message);
        else
                r = asprintf(&s, "%s%s: %s", d->file, line, d->message);
        return r < 0 ? NULL : s;
}

void unit_diags_free(struct unit_diag *diags, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(diags[i].file);
                free(diags[i].key);
                free(diags[i].message);
        }
        free(diags);
}

/* ---- the parse context ----------------------------------------------------------------------- */

struct parse_ctx {
        const char *file; /* display name for diags; also stored in key origins */
        const char *text;
        size_t pos;
        unsigned line;

        const char *raw; /* start of the current raw line in text */
        size_t raw_len;
        bool continuation; /* current line starts with whitespace */
        bool handled;      /* the handler saw the current line */
        bool is_dropin;

        enum section section;
        bool bridge; /* a .bridge file: only [Bridge] is known */

        struct unit_diag **diags;
        size_t *n_diags;
        unsigned n_errors; /* errors found in this unit (over all its files) */
        bool oom;

        struct unit_config *unit;
        struct bridge_config *br;
};

_printf_(4, 5) static void ctx_error(struct parse_ctx *c, unsigned line, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        c->n_errors++;
        if (r < 0 || diag_add(c->diags, c->n_diags, c->file, line, key, "%s", m) < 0)
                c->oom = true;
}

static bool line_is_blank_or_comment(const char *s, size_t n) {
        size_t i = 0;

        while (i < n && isspace((unsigned char) s[i]))
                i++;
        if (i == n)
                return true;
        return s[i] == '#' || s[i] == ';';
}

/* Called when the reader moves past a line: a line inih should have handed us but did not is a
 * syntax error. Section lines are checked by the reader itself. */
static void ctx_finish_line(struct parse_ctx *c) {
        const char *s = c->raw;
        size_t n = c->raw_len;

        if (!s || c->handled)
                return;
        if (line_is_blank_or_comment(s, n))
                return;
        while (n > 0 && isspace((unsigned char) *s))
                s++, n--;
        if (*s == '[')
                return;
        if (c->continuation)
                ctx_error(c, c->line, NULL, "continuation line without a key before it");
        else
                ctx_error(c, c->line, NULL, "syntax error: expected Key=Value, [Section] or a comment");
}

static enum section section_from_string(const struct parse_ctx *c, const char *s) {
        if (c->bridge)
                return streq(s, "Bridge") ? SECTION_BRIDGE : SECTION_UNKNOWN;
        for (enum section i = SECTION_UNIT; i < SECTION_BRIDGE; i++)
                if (streq(s, section_names[i]))
                        return i;
        return SECTION_UNKNOWN;
}

static void ctx_section_line(struct parse_ctx *c, const char *s, size_t n) {
        _cleanup_free_ char *name = NULL, *key = NULL;
        const char *end = memchr(s, ']', n);

        if (!end) {
                c->section = SECTION_UNKNOWN;
                ctx_error(c, c->line, NULL, "syntax error: section header without ']'");
                return;
        }
        for (const char *p = end + 1; p < s + n; p++)
                if (!isspace((unsigned char) *p)) {
                        c->section = SECTION_UNKNOWN;
                        ctx_error(c, c->line, NULL, "syntax error: text after the section header");
                        return;
                }
        name = strndup(s + 1, end - s - 1);
        if (!name || asprintf(&key, "[%s]", name) < 0) {
                c->oom = true;
                return;
        }
        c->section = section_from_string(c, name);
        if (c->section == SECTION_UNKNOWN) {
                const char *hint = "";
                if (!c->bridge)
                        for (enum section i = SECTION_UNIT; i < SECTION_BRIDGE; i++)
                                if (strcasecmp(name, section_names[i]) == 0)
                                        hint = section_names[i];
                if (*hint)
                        ctx_error(c, c->line, key, "unknown section (did you mean [%s]?)", hint);
                else
                        ctx_error(c, c->line, key, "unknown section");
        }
}

static char *ctx_reader(char *str, int num, void *stream) {
        struct parse_ctx *c = stream;
        const char *s, *nl;
        size_t n, i;

        ctx_finish_line(c);

        if (c->text[c->pos] == '\0') {
                c->raw = NULL;
                return NULL;
        }
        s = c->text + c->pos;
        nl = strchr(s, '\n');
        n = nl ? (size_t) (nl - s) : strlen(s);
        c->pos += n + (nl ? 1 : 0);
        c->line++;
        c->raw = s;
        c->raw_len = n;
        c->handled = false;
        c->continuation = n > 0 && (s[0] == ' ' || s[0] == '\t');

        if (n > 0 && s[n - 1] == '\r')
                n--;
        if (n + 1 > (size_t) num) {
                ctx_error(c, c->line, NULL, "line longer than %d characters", num - 1);
                c->handled = true;
                str[0] = '\0';
                return str;
        }
        if (memchr(s, '\0', n)) {
                /* Cannot happen with strchr() above; kept for clarity of intent. */
                str[0] = '\0';
                return str;
        }

        /* Sections are tracked here, not from the handler's argument: inih does not tell us about
         * a section that holds no keys, and we want to report an unknown one exactly once. */
        i = c->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0; /* inih drops a BOM */
        for (; i < n && isspace((unsigned char) s[i]); i++)
                ;
        if (i < n && s[i] == '[') {
                ctx_section_line(c, s + i, n - i);
                c->handled = true;
                /* inih would take an indented header for a continuation line. */
                s += i;
                n -= i;
                c->continuation = false;
        }

        memcpy(str, s, n);
        str[n] = '\0';
        if (!line_is_blank_or_comment(s, n))
                for (char *p = str; *p; p++)
                        if (*p == ';')
                                *p = SEMICOLON_STANDIN;
        return str;
}

/* ---- did you mean ------------------------------------------------------------------------------ */

static unsigned levenshtein(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64];

        if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
                return UINT_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                unsigned prev = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned cost = tolower((unsigned char) a[i - 1]) == tolower((unsigned char) b[j - 1]) ? 0 : 1;
                        unsigned best = prev + cost;
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        prev = cur;
                }
        }
        return row[lb];
}

static void ctx_unknown_key(struct parse_ctx *c, const char *name) {
        const struct key_info *keys = c->bridge ? bridge_keys : unit_keys;
        size_t n = c->bridge ? (size_t) _BK_MAX : (size_t) _UK_MAX;
        const struct key_info *best = NULL;
        unsigned best_d = UINT_MAX;

        for (size_t i = 0; i < n; i++) {
                if (streq(keys[i].name, name)) {
                        ctx_error(c, c->line, name, "unknown key in [%s] (it belongs in [%s])",
                                  section_names[c->section], section_names[keys[i].section]);
                        return;
                }
                unsigned d = levenshtein(name, keys[i].name);
                if (d < best_d) {
                        best_d = d;
                        best = &keys[i];
                }
        }

        if (best && (best_d <= 2 || (best_d <= 3 && strlen(name) >= 8))) {
                if (best->section == c->section)
                        ctx_error(c, c->line, name, "unknown key (did you mean %s=?)", best->name);
                else
                        ctx_error(c, c->line, name, "unknown key (did you mean %s= in [%s]?)", best->name,
                                  section_names[best->section]);
        } else
                ctx_error(c, c->line, name, "unknown key in [%s]", section_names[c->section]);
}

/* ---- value helpers ------------------------------------------------------------------------------ */

#define KEY_ERROR(c, key, ...) ctx_error((c), (c)->line, unit_keys[key].name, __VA_ARGS__)

static int strv_push(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char **a, *d = strdup(s);

        if (!d)
                return -ENOMEM;
        a = reallocarray(*l, n + 2, sizeof(char *));
        if (!a) {
                free(d);
                return -ENOMEM;
        }
        a[n] = d;
        a[n + 1] = NULL;
        *l = a;
        return 0;
}

static int set_string(char **field, const char *value) {
        char *d = strdup(value);
        if (!d)
                return -ENOMEM;
        free(*field);
        *field = d;
        return 0;
}

static bool env_name_is_valid(const char *s, size_t n) {
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

static bool user_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 32)
                return false;
        if (!isalpha((unsigned char) s[0]) && s[0] != '_')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_-.", s[i]) && !(s[i] == '$' && i == n - 1))
                        return false;
        return true;
}

static bool user_spec_is_valid(const char *s) {
        uint64_t v;

        if (parse_uint64(s, &v) == 0)
                return v < UINT32_MAX;
        return user_name_is_valid(s);
}

static int parse_namespaces(const char *value, unsigned *ret) {
        _cleanup_strv_free_ char **words = NULL;
        unsigned ns = 0;
        int r;

        r = split_quoted(value, &words);
        if (r < 0)
                return r;
        STRV_FOREACH(w, words) {
                r = unit_ns_from_string(*w);
                if (r < 0)
                        return -EINVAL;
                ns |= (unsigned) r;
        }
        *ret = ns;
        return 0;
}

static const int docker_default_caps[] = {
        0 /* CHOWN */,   1 /* DAC_OVERRIDE */, 3 /* FOWNER */,       4 /* FSETID */,
        5 /* KILL */,    6 /* SETGID */,       7 /* SETUID */,       8 /* SETPCAP */,
        10 /* NET_BIND_SERVICE */, 13 /* NET_RAW */, 18 /* SYS_CHROOT */, 27 /* MKNOD */,
        29 /* AUDIT_WRITE */, 31 /* SETFCAP */,
};

uint64_t unit_default_capabilities(void) {
        uint64_t m = 0;
        for (size_t i = 0; i < ELEMENTSOF(docker_default_caps); i++)
                m |= UINT64_C(1) << docker_default_caps[i];
        return m;
}

static uint64_t all_capabilities(void) {
        int last = capability_last();
        return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

/* ---- one key of a .unit ------------------------------------------------------------------------- */

static int unit_list_item(struct parse_ctx *c, enum unit_key key, const char *item) {
        struct unit_config *u = c->unit;

        switch (key) {
        case UK_REQUIRES:
        case UK_WANTS:
        case UK_AFTER: {
                char ***l = key == UK_REQUIRES ? &u->requires : key == UK_WANTS ? &u->wants : &u->after;
                if (!unit_name_is_valid(item)) {
                        KEY_ERROR(c, key, "invalid unit name \"%s\"", item);
                        return 0;
                }
                if (streq(item, u->name)) {
                        KEY_ERROR(c, key, "unit depends on itself");
                        return 0;
                }
                return strv_push(l, item);
        }
        case UK_LAYERS:
                if (!path_is_absolute_normalized(item)) {
                        KEY_ERROR(c, key, "not an absolute path: \"%s\"", item);
                        return 0;
                }
                return strv_push(&u->layers, item);
        case UK_ENVIRONMENT: {
                const char *eq = strchr(item, '=');
                if (!eq || !env_name_is_valid(item, eq - item)) {
                        KEY_ERROR(c, key, "invalid assignment \"%s\" (expected VAR=value)", item);
                        return 0;
                }
                return strv_push(&u->environment, item);
        }
        case UK_BIND: {
                struct bind_mount b;
                if (parse_bind(item, &b) < 0) {
                        KEY_ERROR(c, key, "invalid bind mount \"%s\" (expected HOST:CONTAINER[:ro])", item);
                        return 0;
                }
                struct bind_mount *a = reallocarray(u->binds, u->n_binds + 1, sizeof(*a));
                if (!a) {
                        free(b.source);
                        free(b.target);
                        return -ENOMEM;
                }
                a[u->n_binds++] = b;
                u->binds = a;
                return 0;
        }
        case UK_TMPFS: {
                struct tmpfs_mount t;
                if (parse_tmpfs(item, &t) < 0) {
                        KEY_ERROR(c, key, "invalid tmpfs \"%s\" (expected PATH[:size=N])", item);
                        return 0;
                }
                struct tmpfs_mount *a = reallocarray(u->tmpfs, u->n_tmpfs + 1, sizeof(*a));
                if (!a) {
                        free(t.path);
                        return -ENOMEM;
                }
                a[u->n_tmpfs++] = t;
                u->tmpfs = a;
                return 0;
        }
        case UK_CAPABILITIES: {
                bool drop = item[0] == '~';
                const char *name = item + drop;
                int cap;
                if (strcasecmp(name, "all") == 0) {
                        u->capabilities = drop ? 0 : all_capabilities();
                        return 0;
                }
                if (parse_capability(name, &cap) < 0) {
                        KEY_ERROR(c, key, "unknown capability \"%s\"", name);
                        return 0;
                }
                if (drop)
                        u->capabilities &= ~(UINT64_C(1) << cap);
                else
                        u->capabilities |= UINT64_C(1) << cap;
                return 0;
        }
        case UK_PUBLISHPORT: {
                struct port_map p;
                if (parse_port_map(item, &p) < 0) {
                        KEY_ERROR(c, key, "invalid port mapping \"%s\" (expected HOSTPORT:CONTAINERPORT[/tcp|/udp])",
                                  item);
                        return 0;
                }
                for (size_t i = 0; i < u->n_ports; i++)
                        if (u->ports[i].host_port == p.host_port && u->ports[i].protocol == p.protocol) {
                                KEY_ERROR(c, key, "host port %u/%s published twice", p.host_port,
                                          p.protocol == IPPROTO_UDP ? "udp" : "tcp");
                                return 0;
                        }
                struct port_map *a = reallocarray(u->ports, u->n_ports + 1, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                a[u->n_ports++] = p;
                u->ports = a;
                return 0;
        }
        case UK_DNS: {
                struct ip_addr ip;
                if (parse_ip_addr(item, &ip) < 0) {
                        KEY_ERROR(c, key, "invalid IP address \"%s\"", item);
                        return 0;
                }
                struct ip_addr *a = reallocarray(u->dns, u->n_dns + 1, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                a[u->n_dns++] = ip;
                u->dns = a;
                return 0;
        }
        default:
                abort();
        }
}

static void unit_list_clear(struct unit_config *u, enum unit_key key) {
        switch (key) {
        case UK_REQUIRES:
                u->requires = strv_free(u->requires);
                break;
        case UK_WANTS:
                u->wants = strv_free(u->wants);
                break;
        case UK_AFTER:
                u->after = strv_free(u->after);
                break;
        case UK_LAYERS:
                u->layers = strv_free(u->layers);
                break;
        case UK_ENVIRONMENT:
                u->environment = strv_free(u->environment);
                break;
        case UK_BIND:
                for (size_t i = 0; i < u->n_binds; i++) {
                        free(u->binds[i].source);
                        free(u->binds[i].target);
                }
                u->n_binds = 0;
                break;
        case UK_TMPFS:
                for (size_t i = 0; i < u->n_tmpfs; i++)
                        free(u->tmpfs[i].path);
                u->n_tmpfs = 0;
                break;
        case UK_CAPABILITIES:
                u->capabilities = 0;
                break;
        case UK_PUBLISHPORT:
                u->n_ports = 0;
                break;
        case UK_DNS:
                u->n_dns = 0;
                break;
        default:
                abort();
        }
}

static int unit_config_new(const char *name, const char *path, struct unit_config **ret);

/* Keys whose value is one word of an enum: *field is set, or the key reports what it expects. */
static int parse_enum_key(struct parse_ctx *c, enum unit_key key, const char *v, int (*from_string)(const char *),
                          const char *expected, int *field) {
        int r = from_string(v);

        if (r < 0) {
                KEY_ERROR(c, key, "invalid value \"%s\" (expected %s)", v, expected);
                return 0;
        }
        *field = r;
        return 0;
}

/* An empty value gives a single-valued key its default back, so that a drop-in can undo what the
 * unit set (MemoryMax= removes the limit). */
static int unit_key_reset(struct unit_config *u, enum unit_key key) {
        struct unit_config *d = NULL;
        int r;

        switch (key) {
        case UK_DESCRIPTION:
                u->description = mfree(u->description);
                return 0;
        case UK_ROOTFS:
                u->rootfs = mfree(u->rootfs);
                return 0;
        case UK_HOSTNAME:
                u->hostname = mfree(u->hostname);
                return 0;
        case UK_USER:
                u->user = mfree(u->user);
                return 0;
        case UK_GROUP:
                u->group = mfree(u->group);
                return 0;
        case UK_WORKINGDIRECTORY:
                u->working_directory = mfree(u->working_directory);
                return 0;
        case UK_BRIDGE:
                u->bridge = mfree(u->bridge);
                return 0;
        case UK_ALLOWEDCPUS:
                u->allowed_cpus = mfree(u->allowed_cpus);
                return 0;
        case UK_GATEWAY:
                u->gateway_set = false;
                return 0;
        case UK_INIT:
                /* Back to "depends on the pid namespace": unit_finalize() decides. */
                u->origin[UK_INIT] = (struct key_origin) {};
                return 0;
        default:
                break;
        }

        r = unit_config_new("default", "default", &d);
        if (r < 0)
                return r;
        switch (key) {
        case UK_AUTOSTART: u->autostart = d->autostart; break;
        case UK_OVERLAY: u->overlay = d->overlay; break;
        case UK_READONLY: u->read_only = d->read_only; break;
        case UK_USERNAMESPACE: u->userns = d->userns; break;
        case UK_NONEWPRIVILEGES: u->no_new_privileges = d->no_new_privileges; break;
        case UK_SECCOMP: u->seccomp = d->seccomp; break;
        case UK_TYPE: u->type = d->type; break;
        case UK_RESTART: u->restart = d->restart; break;
        case UK_RESTARTSEC: u->restart_usec = d->restart_usec; break;
        case UK_RESTARTMAXDELAYSEC: u->restart_max_delay_usec = d->restart_max_delay_usec; break;
        case UK_RESTARTRESETSEC: u->restart_reset_usec = d->restart_reset_usec; break;
        case UK_STARTLIMITBURST: u->start_limit_burst = d->start_limit_burst; break;
        case UK_STARTLIMITINTERVALSEC: u->start_limit_interval_usec = d->start_limit_interval_usec; break;
        case UK_TIMEOUTSTARTSEC: u->timeout_start_usec = d->timeout_start_usec; break;
        case UK_TIMEOUTSTOPSEC: u->timeout_stop_usec = d->timeout_stop_usec; break;
        case UK_KILLSIGNAL: u->kill_signal = d->kill_signal; break;
        case UK_LOGMAXSIZE: u->log_max_size = d->log_max_size; break;
        case UK_ADDRESS: u->address_auto = d->address_auto; break;
        case UK_MEMORYMAX: u->memory_max = d->memory_max; break;
        case UK_MEMORYHIGH: u->memory_high = d->memory_high; break;
        case UK_CPUQUOTA: u->cpu_quota_permyriad = d->cpu_quota_permyriad; break;
        case UK_CPUWEIGHT: u->cpu_weight = d->cpu_weight; break;
        case UK_TASKSMAX: u->tasks_max = d->tasks_max; break;
        case UK_IOWEIGHT: u->io_weight = d->io_weight; break;
        default: abort();
        }
        unit_config_free(d);
        return 0;
}

static int unit_key_value(struct parse_ctx *c, enum unit_key key, const char *v) {
        struct unit_config *u = c->unit;
        const char *name = unit_keys[key].name;
        uint64_t n;
        uint32_t w;
        int r;

        if (unit_keys[key].list) {
                _cleanup_strv_free_ char **items = NULL;

                if (*v == '\0' && !c->continuation) {
                        unit_list_clear(u, key);
                        return 0;
                }
                r = split_quoted(v, &items);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        KEY_ERROR(c, key, "unbalanced quotes or trailing backslash in \"%s\"", v);
                        return 0;
                }
                STRV_FOREACH(i, items) {
                        r = unit_list_item(c, key, *i);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        if (c->continuation && key != UK_EXEC && key != UK_DESCRIPTION) {
                KEY_ERROR(c, key, "continuation line for a single-valued key");
                return 0;
        }

        if (*v == '\0' && key != UK_EXEC && key != UK_NAMESPACES && !c->continuation)
                return unit_key_reset(u, key);

        switch (key) {
        case UK_DESCRIPTION:
                if (c->continuation) {
                        _cleanup_free_ char *j = NULL;
                        if (asprintf(&j, "%s %s", strempty(u->description), v) < 0)
                                return -ENOMEM;
                        free(u->description);
                        u->description = TAKE_PTR(j);
                        return 0;
                }
                return set_string(&u->description, v);

        case UK_AUTOSTART:
        case UK_READONLY:
        case UK_INIT:
        case UK_NONEWPRIVILEGES:
                r = parse_boolean(v);
                if (r < 0) {
                        KEY_ERROR(c, key, "invalid boolean \"%s\" (expected yes or no)", v);
                        return 0;
                }
                if (key == UK_AUTOSTART)
                        u->autostart = r;
                else if (key == UK_READONLY)
                        u->read_only = r;
                else if (key == UK_INIT)
                        u->init = r;
                else
                        u->no_new_privileges = r;
                return 0;

        case UK_EXEC: {
                _cleanup_strv_free_ char **argv = NULL;
                r = split_quoted(v, &argv);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        KEY_ERROR(c, key, "unbalanced quotes or trailing backslash in \"%s\"", v);
                        return 0;
                }
                if (c->continuation)
                        return strv_extend_take(&u->exec, TAKE_PTR(argv));
                if (r == 0 || argv[0][0] == '\0') {
                        KEY_ERROR(c, key, "empty command line");
                        return 0;
                }
                if (argv[0][0] != '/' && strchr(argv[0], '/')) {
                        KEY_ERROR(c, key, "relative path \"%s\" (give an absolute path or a bare name looked up in PATH)",
                                  argv[0]);
                        return 0;
                }
                strv_free(u->exec);
                u->exec = TAKE_PTR(argv);
                return 0;
        }

        case UK_ROOTFS:
        case UK_WORKINGDIRECTORY:
                if (!path_is_absolute_normalized(v)) {
                        KEY_ERROR(c, key, "not an absolute path: \"%s\"", v);
                        return 0;
                }
                return set_string(key == UK_ROOTFS ? &u->rootfs : &u->working_directory, v);

        case UK_OVERLAY:
                return parse_enum_key(c, key, v, overlay_mode_from_string, "none, ephemeral or persistent", (int *) &u->overlay);

        case UK_NAMESPACES: {
                unsigned ns = 0;
                if (parse_namespaces(v, &ns) < 0) {
                        KEY_ERROR(c, key, "invalid namespace list \"%s\" (any of pid mnt ipc uts net user cgroup time)",
                                  v);
                        return 0;
                }
                u->namespaces = ns;
                return 0;
        }

        case UK_HOSTNAME:
                if (!hostname_is_valid(v)) {
                        KEY_ERROR(c, key, "invalid hostname \"%s\"", v);
                        return 0;
                }
                return set_string(&u->hostname, v);

        case UK_USERNAMESPACE:
                if (streq(v, "auto")) {
                        u->userns = USERNS_AUTO;
                        return 0;
                }
                if (streq(v, "none") || streq(v, "no")) {
                        u->userns = USERNS_NONE;
                        return 0;
                }
                if (parse_id_map(v, &u->userns_map) < 0) {
                        KEY_ERROR(c, key, "invalid value \"%s\" (expected auto or UID:HOSTUID:COUNT)", v);
                        return 0;
                }
                u->userns = USERNS_MAP;
                return 0;

        case UK_USER:
        case UK_GROUP:
                if (!user_spec_is_valid(v)) {
                        KEY_ERROR(c, key, "invalid %s \"%s\" (expected a number or a name)",
                                  key == UK_USER ? "user" : "group", v);
                        return 0;
                }
                return set_string(key == UK_USER ? &u->user : &u->group, v);

        case UK_SECCOMP:
                return parse_enum_key(c, key, v, seccomp_mode_from_string, "default or off", (int *) &u->seccomp);

        case UK_TYPE:
                return parse_enum_key(c, key, v, service_type_from_string, "simple or notify", (int *) &u->type);

        case UK_RESTART:
                return parse_enum_key(c, key, v, restart_policy_from_string, "no, on-failure or always", (int *) &u->restart);

        case UK_RESTARTSEC:
        case UK_RESTARTMAXDELAYSEC:
        case UK_RESTARTRESETSEC:
        case UK_STARTLIMITINTERVALSEC:
        case UK_TIMEOUTSTARTSEC:
        case UK_TIMEOUTSTOPSEC: {
                uint64_t usec;
                if (parse_duration(v, &usec) < 0) {
                        KEY_ERROR(c, key, "invalid duration \"%s\"", v);
                        return 0;
                }
                if (usec == USEC_INFINITY && (key == UK_RESTARTSEC || key == UK_RESTARTMAXDELAYSEC)) {
                        KEY_ERROR(c, key, "must be finite");
                        return 0;
                }
                if (usec == 0 && (key == UK_TIMEOUTSTARTSEC || key == UK_TIMEOUTSTOPSEC)) {
                        KEY_ERROR(c, key, "must be more than 0 (use infinity to wait forever)");
                        return 0;
                }
                uint64_t *f = key == UK_RESTARTSEC            ? &u->restart_usec
                              : key == UK_RESTARTMAXDELAYSEC  ? &u->restart_max_delay_usec
                              : key == UK_RESTARTRESETSEC     ? &u->restart_reset_usec
                              : key == UK_STARTLIMITINTERVALSEC ? &u->start_limit_interval_usec
                              : key == UK_TIMEOUTSTARTSEC     ? &u->timeout_start_usec
                                                              : &u->timeout_stop_usec;
                *f = usec;
                return 0;
        }

        case UK_STARTLIMITBURST:
                if (parse_uint32_range(v, 0, 1000000, &w) < 0) {
                        KEY_ERROR(c, key, "invalid count \"%s\" (expected 0-1000000; 0 disables the limit)", v);
                        return 0;
                }
                u->start_limit_burst = w;
                return 0;

        case UK_KILLSIGNAL: {
                int sig;
                if (parse_signal(v, &sig) < 0) {
                        KEY_ERROR(c, key, "invalid signal \"%s\"", v);
                        return 0;
                }
                u->kill_signal = sig;
                return 0;
        }

        case UK_LOGMAXSIZE:
                if (parse_size(v, &n) < 0) {
                        KEY_ERROR(c, key, "invalid size \"%s\"", v);
                        return 0;
                }
                if (n != SIZE_INFINITY && n < 4096) {
                        KEY_ERROR(c, key, "too small: \"%s\" (at least 4K, or infinity)", v);
                        return 0;
                }
                u->log_max_size = n;
                return 0;

        case UK_BRIDGE:
                if (!unit_name_is_valid(v) || strlen(v) > BRIDGE_IFNAME_MAX) {
                        KEY_ERROR(c, key, "invalid bridge name \"%s\"", v);
                        return 0;
                }
                return set_string(&u->bridge, v);

        case UK_ADDRESS: {
                struct cidr cidr = {};
                struct ip_addr ip;
                if (streq(v, "auto")) {
                        u->address_auto = true;
                        return 0;
                }
                if (parse_cidr(v, &cidr) < 0) {
                        if (parse_ip_addr(v, &ip) < 0) {
                                KEY_ERROR(c, key, "invalid address \"%s\" (expected auto, an address or a CIDR)", v);
                                return 0;
                        }
                        cidr.family = ip.family;
                        memcpy(&cidr.addr, &ip.addr, sizeof(cidr.addr));
                        cidr.prefixlen = 0; /* taken from the bridge by the cross-unit check */
                }
                u->address_auto = false;
                u->address = cidr;
                return 0;
        }

        case UK_GATEWAY:
                if (parse_ip_addr(v, &u->gateway) < 0) {
                        KEY_ERROR(c, key, "invalid IP address \"%s\"", v);
                        return 0;
                }
                u->gateway_set = true;
                return 0;

        case UK_MEMORYMAX:
        case UK_MEMORYHIGH:
                if (parse_size(v, &n) < 0) {
                        KEY_ERROR(c, key, "invalid size \"%s\"", v);
                        return 0;
                }
                if (n != SIZE_INFINITY && n < 4096) {
                        KEY_ERROR(c, key, "too small: \"%s\" (at least 4K, or infinity)", v);
                        return 0;
                }
                *(key == UK_MEMORYMAX ? &u->memory_max : &u->memory_high) = n;
                return 0;

        case UK_CPUQUOTA: {
                unsigned p;
                if (parse_percent(v, &p) < 0) {
                        KEY_ERROR(c, key, "invalid percentage \"%s\" (expected e.g. 20%%)", v);
                        return 0;
                }
                if (p == 0 || p > 100000000) {
                        KEY_ERROR(c, key, "out of range: \"%s\" (must be more than 0%%)", v);
                        return 0;
                }
                u->cpu_quota_permyriad = p;
                return 0;
        }

        case UK_CPUWEIGHT:
        case UK_IOWEIGHT:
                if (parse_uint32_range(v, 1, 10000, &w) < 0) {
                        KEY_ERROR(c, key, "invalid weight \"%s\" (expected 1-10000)", v);
                        return 0;
                }
                *(key == UK_CPUWEIGHT ? &u->cpu_weight : &u->io_weight) = w;
                return 0;

        case UK_ALLOWEDCPUS: {
                char *cpus;
                if (parse_cpu_list(v, &cpus) < 0) {
                        KEY_ERROR(c, key, "invalid CPU list \"%s\" (expected e.g. 0-1,3)", v);
                        return 0;
                }
                free(u->allowed_cpus);
                u->allowed_cpus = cpus;
                return 0;
        }

        case UK_TASKSMAX:
                if (streq(v, "infinity"))
                        n = SIZE_INFINITY;
                else if (parse_uint64(v, &n) < 0 || n == 0 || n >= (UINT64_C(1) << 62)) {
                        KEY_ERROR(c, key, "invalid task count \"%s\" (expected a number of at least 1, or infinity)",
                                  v);
                        return 0;
                }
                u->tasks_max = n;
                return 0;

        default:
                (void) name;
                abort();
        }
}

/* inih also splits at ':'; only '=' is ours, so "Key: value" is a syntax error, not a key. */
static bool raw_uses_colon(const struct parse_ctx *c) {
        for (size_t i = 0; i < c->raw_len; i++) {
                if (c->raw[i] == '=')
                        return false;
                if (c->raw[i] == ':')
                        return true;
        }
        return false;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct parse_ctx *c = user;
        _cleanup_free_ char *v = NULL;

        c->handled = true;
        if (c->oom)
                return 0;

        if (c->section == SECTION_UNKNOWN)
                return 1; /* reported once at the section header */
        if (*name == '\0' || raw_uses_colon(c)) {
                ctx_error(c, c->line, NULL, "syntax error: expected Key=Value");
                return 1;
        }
        if (c->section == SECTION_NONE) {
                ctx_error(c, c->line, name, "key outside of any section");
                return 1;
        }
        (void) section;

        v = strdup(value);
        if (!v) {
                c->oom = true;
                return 0;
        }
        for (char *p = v; *p; p++)
                if (*p == SEMICOLON_STANDIN)
                        *p = ';';

        if (c->bridge) {
                struct bridge_config *b = c->br;
                enum bridge_key k;

                for (k = 0; k < _BK_MAX; k++)
                        if (streq(bridge_keys[k].name, name))
                                break;
                if (k == _BK_MAX) {
                        ctx_unknown_key(c, name);
                        return 1;
                }
                if (c->continuation) {
                        ctx_error(c, c->line, name, "continuation line for a single-valued key");
                        return 1;
                }
                if (k == BK_ADDRESS) {
                        if (parse_cidr(v, &b->address) < 0) {
                                ctx_error(c, c->line, name, "invalid CIDR \"%s\" (expected e.g. 10.88.0.1/24)", v);
                                return 1;
                        }
                } else {
                        int r = parse_boolean(v);
                        if (r < 0) {
                                ctx_error(c, c->line, name, "invalid boolean \"%s\" (expected yes or no)", v);
                                return 1;
                        }
                        b->nat = r;
                }
                b->origin[k] = (struct key_origin) { c->file, c->line };
                return 1;
        }

        enum unit_key k;
        for (k = 0; k < _UK_MAX; k++)
                if (unit_keys[k].section == c->section && streq(unit_keys[k].name, name))
                        break;
        if (k == _UK_MAX) {
                ctx_unknown_key(c, name);
                return 1;
        }

        unsigned before = c->n_errors;
        if (unit_key_value(c, k, v) < 0) {
                c->oom = true;
                return 0;
        }
        if (c->n_errors == before) {
                bool reset = *v == '\0' && !unit_keys[k].list && k != UK_EXEC && k != UK_NAMESPACES;
                c->unit->origin[k] = reset ? (struct key_origin) {} : (struct key_origin) { c->file, c->line };
        }
        return 1;
}

static int parse_text(struct parse_ctx *c, const char *text) {
        c->text = text;
        c->pos = 0;
        c->line = 0;
        c->raw = NULL;
        c->section = SECTION_NONE;
        (void) ini_parse_stream(ctx_reader, c, handler, c);
        return c->oom ? -ENOMEM : 0;
}

/* ---- reading files ------------------------------------------------------------------------------ */

int read_file_text(const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        for (;;) {
                if (len + 4096 + 1 > cap) {
                        if (cap >= FILE_SIZE_MAX)
                                return -EFBIG;
                        cap = cap ? cap * 2 : 8192;
                        char *n = realloc(buf, cap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += k;
        }
        if (len > FILE_SIZE_MAX)
                return -EFBIG;
        if (memchr(buf, '\0', len))
                return -EBADMSG;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* ---- defaults and cross-key checks -------------------------------------------------------------- */

static int unit_config_new(const char *name, const char *path, struct unit_config **ret) {
        struct unit_config *u = calloc(1, sizeof(*u));

        if (!u)
                return -ENOMEM;
        u->name = strdup(name);
        u->path = strdup(path);
        if (!u->name || !u->path) {
                unit_config_free(u);
                return -ENOMEM;
        }

        /* Every default of SPEC §3, in one place. Some depend on other keys and are resolved in
         * unit_finalize(): Hostname= (the name, with uts), Init= (yes with pid), Environment=
         * (the default PATH unless set). */
        u->autostart = true;
        u->overlay = OVERLAY_NONE;
        u->namespaces = UNIT_NS_DEFAULT;
        u->userns = USERNS_NONE;
        u->capabilities = unit_default_capabilities();
        u->no_new_privileges = true;
        u->seccomp = SECCOMP_DEFAULT;
        u->type = SERVICE_SIMPLE;
        u->restart = RESTART_ON_FAILURE;
        u->restart_usec = 100 * USEC_PER_MSEC;
        u->restart_max_delay_usec = 30 * USEC_PER_SEC;
        u->restart_reset_usec = 10 * USEC_PER_SEC;
        u->start_limit_burst = 5;
        u->start_limit_interval_usec = 10 * USEC_PER_SEC;
        u->timeout_start_usec = 30 * USEC_PER_SEC;
        u->timeout_stop_usec = 10 * USEC_PER_SEC;
        u->kill_signal = SIGTERM;
        u->log_max_size = 1024 * 1024;
        u->address_auto = true;
        u->memory_max = SIZE_INFINITY;
        u->memory_high = SIZE_INFINITY;
        u->tasks_max = SIZE_INFINITY;

        *ret = u;
        return 0;
}

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Environment: the default PATH first unless set; one entry per name, the last assignment wins,
 * at the position of its first appearance. */
static int unit_finalize_environment(struct unit_config *u) {
        _cleanup_strv_free_ char **out = NULL;
        bool has_path = false;
        size_t n = 0;

        STRV_FOREACH(e, u->environment)
                if (startswith(*e, "PATH="))
                        has_path = true;

        out = calloc(strv_length(u->environment) + 2, sizeof(char *));
        if (!out)
                return -ENOMEM;
        if (!has_path) {
                out[n] = strdup(DEFAULT_PATH);
                if (!out[n++])
                        return -ENOMEM;
        }
        STRV_FOREACH(e, u->environment) {
                size_t l = strchr(*e, '=') - *e + 1;
                size_t i;
                for (i = 0; i < n; i++)
                        if (strncmp(out[i], *e, l) == 0)
                                break;
                char *d = strdup(*e);
                if (!d)
                        return -ENOMEM;
                if (i < n) {
                        free(out[i]);
                        out[i] = d;
                } else
                        out[n++] = d;
        }
        strv_free(u->environment);
        u->environment = TAKE_PTR(out);
        return 0;
}

_printf_(4, 5) static void origin_error(struct parse_ctx *c, const struct unit_config *u, enum unit_key k,
                                        const char *fmt, ...) {
        const struct key_origin *o = &u->origin[k];
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        c->n_errors++;
        if (r < 0 || diag_add(c->diags, c->n_diags, o->file ? o->file : u->path, o->line, unit_keys[k].name, "%s",
                              m) < 0)
                c->oom = true;
}

#define SET(u, k) ((u)->origin[k].line > 0)

static int unit_finalize(struct parse_ctx *c, unsigned container_line) {
        struct unit_config *u = c->unit;
        unsigned ns;

        if (!u->exec) {
                const char *saved = c->file;
                c->file = u->path;
                ctx_error(c, container_line ? container_line : 1, "Exec",
                          "required key is missing in [Container]");
                c->file = saved;
        }

        /* UserNamespace= implies the user namespace; the user namespace alone means auto. */
        if (u->userns != USERNS_NONE)
                u->namespaces |= UNIT_NS_USER;
        else if (u->namespaces & UNIT_NS_USER)
                u->userns = USERNS_AUTO;
        ns = u->namespaces;

        if (!SET(u, UK_INIT))
                u->init = ns & UNIT_NS_PID;

        if (SET(u, UK_HOSTNAME) && !(ns & UNIT_NS_UTS))
                origin_error(c, u, UK_HOSTNAME, "needs the uts namespace (add uts to Namespaces=)");
        if (!u->hostname && (ns & UNIT_NS_UTS)) {
                if (!hostname_is_valid(u->name)) {
                        /* Unit names allow '_' and long names; a hostname does not. */
                        u->hostname = strdup("localhost");
                } else
                        u->hostname = strdup(u->name);
                if (!u->hostname)
                        return -ENOMEM;
        }

        static const enum unit_key needs_mnt[] = { UK_ROOTFS, UK_BIND, UK_TMPFS, UK_READONLY, UK_DNS, UK_LAYERS };
        if (!(ns & UNIT_NS_MNT))
                for (size_t i = 0; i < ELEMENTSOF(needs_mnt); i++) {
                        enum unit_key k = needs_mnt[i];
                        bool used = k == UK_ROOTFS ? u->rootfs != NULL
                                    : k == UK_BIND ? u->n_binds > 0
                                    : k == UK_TMPFS ? u->n_tmpfs > 0
                                    : k == UK_READONLY ? u->read_only
                                    : k == UK_DNS ? u->n_dns > 0
                                                  : u->layers != NULL;
                        if (used)
                                origin_error(c, u, k, "needs the mnt namespace (add mnt to Namespaces=)");
                }

        if (u->overlay != OVERLAY_NONE && !u->rootfs)
                origin_error(c, u, UK_OVERLAY, "Overlay=%s needs RootFS=", overlay_mode_to_string(u->overlay));
        if (u->layers && u->overlay == OVERLAY_NONE)
                origin_error(c, u, UK_LAYERS, "needs Overlay=ephemeral or Overlay=persistent");

        static const enum unit_key net_keys[] = { UK_BRIDGE, UK_ADDRESS, UK_GATEWAY, UK_PUBLISHPORT, UK_DNS };
        if (!(ns & UNIT_NS_NET))
                for (size_t i = 0; i < ELEMENTSOF(net_keys); i++)
                        if (SET(u, net_keys[i]) &&
                            !(net_keys[i] == UK_PUBLISHPORT && u->n_ports == 0) &&
                            !(net_keys[i] == UK_DNS && u->n_dns == 0))
                                origin_error(c, u, net_keys[i],
                                             "needs the net namespace (add net to Namespaces=)");

        if (!u->bridge) {
                if (SET(u, UK_ADDRESS) && !u->address_auto)
                        origin_error(c, u, UK_ADDRESS, "needs Bridge=");
                if (SET(u, UK_GATEWAY))
                        origin_error(c, u, UK_GATEWAY, "needs Bridge=");
                if (u->n_ports > 0)
                        origin_error(c, u, UK_PUBLISHPORT, "needs Bridge= (ports are forwarded to the bridge address)");
        }

        if (u->memory_high != SIZE_INFINITY && u->memory_max != SIZE_INFINITY && u->memory_high > u->memory_max)
                origin_error(c, u, UK_MEMORYHIGH, "is above MemoryMax=");

        if (u->restart_max_delay_usec < u->restart_usec)
                origin_error(c, u, SET(u, UK_RESTARTMAXDELAYSEC) ? UK_RESTARTMAXDELAYSEC : UK_RESTARTSEC,
                             "RestartMaxDelaySec= is shorter than RestartSec=");

        return unit_finalize_environment(u);
}

static int set_load_error(struct parse_ctx *c, size_t first_diag, enum unit_load_state *state, char **load_error) {
        if (c->n_errors == 0) {
                *state = UNIT_LOADED;
                return 0;
        }
        *state = UNIT_LOAD_ERROR;
        if (first_diag < *c->n_diags) {
                *load_error = unit_diag_format(&(*c->diags)[first_diag]);
                if (!*load_error)
                        return -ENOMEM;
        }
        return 0;
}

static int unit_parse_all(const char *path, const char *name, char *const *dropins, const char *main_text,
                          char *const *dropin_texts, bool fragment, struct unit_diag **diags, size_t *n_diags,
                          struct unit_config **ret) {
        struct unit_config *u = NULL;
        struct parse_ctx c = { .diags = diags, .n_diags = n_diags };
        size_t first = *n_diags;
        unsigned container_line = 0;
        int r;

        r = unit_config_new(name, path, &u);
        if (r < 0)
                return r;
        c.unit = u;

        c.file = u->path;
        if (!fragment && !unit_name_is_valid(name))
                ctx_error(&c, 0, NULL,
                          "invalid unit name \"%s\" (1-64 of A-Z a-z 0-9 _ . -, not starting with . or -)", name);

        for (size_t i = 0; dropins && dropins[i]; i++) {
                r = strv_push(&u->dropins, dropins[i]);
                if (r < 0)
                        goto fail;
        }

        c.file = u->path;
        r = parse_text(&c, main_text);
        if (r < 0)
                goto fail;

        /* Find the [Container] header for the "Exec= is missing" message. */
        {
                unsigned line = 0;
                for (const char *p = main_text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                        line++;
                        const char *q = p + strspn(p, " \t");
                        if (startswith(q, "[Container]")) {
                                container_line = line;
                                break;
                        }
                }
        }

        for (size_t i = 0; dropin_texts && dropin_texts[i]; i++) {
                c.file = u->dropins[i];
                c.is_dropin = true;
                r = parse_text(&c, dropin_texts[i]);
                if (r < 0)
                        goto fail;
        }

        c.file = u->path;
        r = fragment ? 0 : unit_finalize(&c, container_line);
        if (r < 0 || c.oom)
                goto fail;
        r = set_load_error(&c, first, &u->load_state, &u->load_error);
        if (r < 0)
                goto fail;
        *ret = u;
        return 0;
fail:
        unit_config_free(u);
        return r < 0 ? r : -ENOMEM;
}

int unit_config_parse_string(const char *display, const char *name, const char *text, struct unit_diag **diags,
                             size_t *n_diags, struct unit_config **ret) {
        return unit_parse_all(display, name, NULL, text, NULL, false, diags, n_diags, ret);
}

int unit_config_parse_fragment(const char *display, const char *text, struct unit_diag **diags, size_t *n_diags,
                               struct unit_config **ret) {
        return unit_parse_all(display, "fragment", NULL, text, NULL, true, diags, n_diags, ret);
}

int unit_config_load(const char *path, const char *name, char *const *dropins, struct unit_diag **diags,
                     size_t *n_diags, struct unit_config **ret) {
        _cleanup_free_ char *text = NULL;
        char **texts = NULL;
        size_t n = strv_length(dropins);
        unsigned unreadable = 0;
        int r;

        r = read_file_text(path, &text);
        if (r < 0) {
                if (diag_add(diags, n_diags, path, 0, NULL, "cannot read: %s", strerror(-r)) < 0)
                        return -ENOMEM;
                return r;
        }

        texts = calloc(n + 1, sizeof(char *));
        if (!texts)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = read_file_text(dropins[i], &texts[i]);
                if (r < 0) {
                        /* An unreadable drop-in is an error of the unit, not a reason to skip it. */
                        unreadable++;
                        if (diag_add(diags, n_diags, dropins[i], 0, NULL, "cannot read: %s", strerror(-r)) < 0) {
                                strv_free(texts);
                                return -ENOMEM;
                        }
                        texts[i] = strdup("");
                        if (!texts[i]) {
                                strv_free(texts);
                                return -ENOMEM;
                        }
                }
        }

        r = unit_parse_all(path, name, dropins, text, texts, false, diags, n_diags, ret);
        strv_free(texts);
        if (r >= 0 && unreadable > 0 && (*ret)->load_state == UNIT_LOADED) {
                (*ret)->load_state = UNIT_LOAD_ERROR;
                free((*ret)->load_error);
                (*ret)->load_error = strdup("a drop-in cannot be read");
        }
        return r;
}

static int bridge_parse(const char *display, const char *name, const char *text, struct unit_diag **diags,
                        size_t *n_diags, struct bridge_config **ret) {
        struct parse_ctx c = { .diags = diags, .n_diags = n_diags, .bridge = true, .file = display };
        struct bridge_config *b;
        size_t first = *n_diags;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->name = strdup(name);
        b->path = strdup(display);
        b->nat = true;
        if (!b->name || !b->path) {
                bridge_config_free(b);
                return -ENOMEM;
        }
        c.br = b;
        c.file = b->path;

        if (!unit_name_is_valid(name) || strlen(name) > BRIDGE_IFNAME_MAX)
                ctx_error(&c, 0, NULL,
                          "invalid bridge name \"%s\" (it is the link name: 1-15 of A-Z a-z 0-9 _ . -)", name);

        r = parse_text(&c, text);
        if (r < 0) {
                bridge_config_free(b);
                return r;
        }

        if (b->origin[BK_ADDRESS].line == 0)
                ctx_error(&c, 1, "Address", "required key is missing in [Bridge]");
        else {
                unsigned max = b->address.family == AF_INET ? 30 : 126;
                if (b->address.prefixlen > max || b->address.prefixlen < 8)
                        ctx_error(&c, b->origin[BK_ADDRESS].line, "Address",
                                  "prefix length /%u leaves no room for containers (use /8 to /%u)",
                                  b->address.prefixlen, max);
                else if (cidr_is_network_or_broadcast(&b->address))
                        ctx_error(&c, b->origin[BK_ADDRESS].line, "Address",
                                  "is the subnet's network or broadcast address; give the bridge's own address, "
                                  "e.g. the first host");
        }

        r = set_load_error(&c, first, &b->load_state, &b->load_error);
        if (r < 0 || c.oom) {
                bridge_config_free(b);
                return -ENOMEM;
        }
        *ret = b;
        return 0;
}

int bridge_config_parse_string(const char *display, const char *name, const char *text,
                               struct unit_diag **diags, size_t *n_diags, struct bridge_config **ret) {
        return bridge_parse(display, name, text, diags, n_diags, ret);
}

int bridge_config_load(const char *path, const char *name, struct unit_diag **diags, size_t *n_diags,
                       struct bridge_config **ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_text(path, &text);
        if (r < 0) {
                if (diag_add(diags, n_diags, path, 0, NULL, "cannot read: %s", strerror(-r)) < 0)
                        return -ENOMEM;
                return r;
        }
        return bridge_parse(path, name, text, diags, n_diags, ret);
}

/* ---- freeing ------------------------------------------------------------------------------------ */

struct unit_config *unit_config_free(struct unit_config *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->path);
        strv_free(u->dropins);
        free(u->load_error);
        free(u->description);
        strv_free(u->requires);
        strv_free(u->wants);
        strv_free(u->after);
        strv_free(u->exec);
        free(u->rootfs);
        strv_free(u->layers);
        free(u->hostname);
        free(u->user);
        free(u->group);
        free(u->working_directory);
        strv_free(u->environment);
        for (size_t i = 0; i < u->n_binds; i++) {
                free(u->binds[i].source);
                free(u->binds[i].target);
        }
        free(u->binds);
        for (size_t i = 0; i < u->n_tmpfs; i++)
                free(u->tmpfs[i].path);
        free(u->tmpfs);
        free(u->bridge);
        free(u->ports);
        free(u->dns);
        free(u->allowed_cpus);
        free(u);
        return NULL;
}

struct bridge_config *bridge_config_free(struct bridge_config *b) {
        if (!b)
                return NULL;
        free(b->name);
        free(b->path);
        free(b->load_error);
        free(b);
        return NULL;
}
