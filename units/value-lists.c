/* SPDX-License-Identifier: MIT */

/* The value types of list keys (KEY_LIST): each word of a line is handed to parse() on its own,
 * clear() empties the list. String lists are checked word by word (row->check); lists of structs
 * share one array implementation and differ in their element type. Also the checks of string
 * keys, which report in the words users see. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "macro.h"

/* ---- checks of strings and string lists ---------------------------------------------------------- */

int check_absolute_path(const struct key_call *k, const char *v) {
        return path_is_absolute_normalized(v) ? 0 : key_error(k, "not an absolute path: \"%s\"", v);
}

int check_hostname(const struct key_call *k, const char *v) {
        return hostname_is_valid(v) ? 0 : key_error(k, "invalid hostname \"%s\"", v);
}

static bool user_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 32)
                return false;
        if (!is_alpha(s[0]) && s[0] != '_')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(s[i]) && !strchr("_-.", s[i]) && !(s[i] == '$' && i == n - 1))
                        return false;
        return true;
}

/* A number below 2^32-1 (which is the invalid id), or a name for the container's own files. */
static bool user_spec_is_valid(const char *s) {
        uint64_t v;

        if (parse_uint64(s, &v) == 0)
                return v < UINT32_MAX;
        return user_name_is_valid(s);
}

int check_user(const struct key_call *k, const char *v) {
        return user_spec_is_valid(v) ? 0 : key_error(k, "invalid user \"%s\" (expected a number or a name)", v);
}

int check_group(const struct key_call *k, const char *v) {
        return user_spec_is_valid(v) ? 0 : key_error(k, "invalid group \"%s\" (expected a number or a name)", v);
}

/* A bridge is a link: its name is an interface name too. */
int check_bridge_name(const struct key_call *k, const char *v) {
        if (!unit_name_is_valid(v) || strlen(v) > BRIDGE_IFNAME_MAX)
                return key_error(k, "invalid bridge name \"%s\"", v);
        return 0;
}

int check_unit_name(const struct key_call *k, const char *v) {
        if (!unit_name_is_valid(v))
                return key_error(k, "invalid unit name \"%s\"", v);
        if (k->unit_name && streq(v, k->unit_name))
                return key_error(k, "unit depends on itself");
        return 0;
}

bool env_name_is_valid(const char *s, size_t n) {
        if (n == 0 || is_digit(s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_')
                        return false;
        return true;
}

int check_assignment(const struct key_call *k, const char *v) {
        const char *eq = strchr(v, '=');

        if (!eq || !env_name_is_valid(v, (size_t) (eq - v)))
                return key_error(k, "invalid assignment \"%s\" (expected VAR=value)", v);
        return 0;
}

/* ---- string lists and capabilities --------------------------------------------------------------- */

static int strv_parse(const struct key_call *k, const char *word) {
        int r = k->row->check ? k->row->check(k, word) : 0;
        return r < 0 ? r : strv_extend(key_field(k->row, k->base), word);
}

void strv_field_format(const struct key_row *row, const void *base, FILE *f) {
        dump_strv(f, *(char **const *) key_cfield(row, base));
}

void strv_field_clear(const struct key_row *row, void *base) {
        char ***l = key_field(row, base);
        *l = strv_free(*l);
}

const struct value_type type_strv = { strv_parse, strv_field_format, strv_field_clear };

static uint64_t all_capabilities(void) {
        int last = capability_last();
        return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

/* The bounding set, a bit per capability: "all", a name to add, "~NAME" to drop. */
static int capabilities_parse(const struct key_call *k, const char *word) {
        uint64_t *set = key_field(k->row, k->base);
        bool drop = word[0] == '~';
        const char *name = word + drop;
        int cap;

        if (strcasecmp(name, "all") == 0) {
                *set = drop ? 0 : all_capabilities();
                return 0;
        }
        if (parse_capability(name, &cap) < 0)
                return key_error(k, "unknown capability \"%s\"", name);
        if (drop)
                *set &= ~(UINT64_C(1) << cap);
        else
                *set |= UINT64_C(1) << cap;
        return 0;
}

static void capabilities_format(const struct key_row *row, const void *base, FILE *f) {
        uint64_t set = *(const uint64_t *) key_cfield(row, base);
        bool first = true;

        for (int cap = 0; cap <= capability_last(); cap++)
                if (set & (UINT64_C(1) << cap)) {
                        fprintf(f, "%s%s", first ? "" : " ", capability_to_string(cap));
                        first = false;
                }
}

static void capabilities_clear(const struct key_row *row, void *base) {
        *(uint64_t *) key_field(row, base) = 0;
}

const struct value_type type_capabilities = { capabilities_parse, capabilities_format, capabilities_clear };

/* ---- arrays of structs --------------------------------------------------------------------------- */

static int array_parse(const struct key_call *k, const char *word) {
        const struct elem_type *t = k->row->type->elem;
        void **array = key_field(k->row, k->base);
        size_t *n = key_aux(k->row, k->base);
        char *a;
        int r;

        /* Parsed in place, into a slot past the end that counts once the element is good. */
        a = reallocarray(*array, *n + 1, t->size);
        if (!a)
                return -ENOMEM;
        *array = a;
        r = t->parse(k, word, a + *n * t->size);
        if (r < 0)
                return r;
        (*n)++;
        return 0;
}

static void array_format(const struct key_row *row, const void *base, FILE *f) {
        const struct elem_type *t = row->type->elem;
        const char *a = *(void *const *) key_cfield(row, base);
        size_t n = *(const size_t *) key_caux(row, base);

        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        fputc(' ', f);
                t->format(a + i * t->size, f);
        }
}

static void array_clear(const struct key_row *row, void *base) {
        const struct elem_type *t = row->type->elem;
        void **array = key_field(row, base);
        size_t *n = key_aux(row, base);

        for (size_t i = 0; t->free && i < *n; i++)
                t->free((char *) *array + i * t->size);
        *array = mfree(*array);
        *n = 0;
}

#define ARRAY_TYPE(elem_type) { array_parse, array_format, array_clear, .elem = &(elem_type) }

static int bind_parse(const struct key_call *k, const char *word, void *ret) {
        int r = parse_bind(word, ret);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return key_error(k, "invalid bind mount \"%s\" (expected HOST:CONTAINER[:ro])", word);
        return 0;
}

static void bind_format(const void *elem, FILE *f) {
        const struct bind_mount *b = elem;
        const char *ro = b->read_only ? ":ro" : "";

        /* As dump_word() would print "SOURCE:TARGET[:ro]", without building that string. */
        if (word_is_plain(b->source) && word_is_plain(b->target)) {
                fprintf(f, "%s:%s%s", b->source, b->target, ro);
                return;
        }
        fputc('"', f);
        dump_escaped(f, b->source);
        fputc(':', f);
        dump_escaped(f, b->target);
        fprintf(f, "%s\"", ro);
}

static void bind_free(void *elem) {
        struct bind_mount *b = elem;
        free(b->source);
        free(b->target);
}

static const struct elem_type bind_elem = { sizeof(struct bind_mount), bind_parse, bind_format, bind_free };
const struct value_type type_binds = ARRAY_TYPE(bind_elem);

static int tmpfs_parse(const struct key_call *k, const char *word, void *ret) {
        int r = parse_tmpfs(word, ret);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return key_error(k, "invalid tmpfs \"%s\" (expected PATH[:size=N])", word);
        return 0;
}

static void tmpfs_format(const void *elem, FILE *f) {
        const struct tmpfs_mount *t = elem;

        dump_word(f, t->path);
        if (t->size > 0)
                fprintf(f, ":size=%" PRIu64, t->size);
}

static void tmpfs_free(void *elem) {
        free(((struct tmpfs_mount *) elem)->path);
}

static const struct elem_type tmpfs_elem = { sizeof(struct tmpfs_mount), tmpfs_parse, tmpfs_format, tmpfs_free };
const struct value_type type_tmpfs = ARRAY_TYPE(tmpfs_elem);

static const char *protocol_name(int protocol) {
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

static int port_parse(const struct key_call *k, const char *word, void *ret) {
        const struct port_map *ports = *(struct port_map *const *) key_cfield(k->row, k->base);
        size_t n = *(const size_t *) key_caux(k->row, k->base);
        struct port_map p;

        if (parse_port_map(word, &p) < 0)
                return key_error(k, "invalid port mapping \"%s\" (expected HOSTPORT:CONTAINERPORT[/tcp|/udp])", word);
        for (size_t i = 0; i < n; i++)
                if (ports[i].host_port == p.host_port && ports[i].protocol == p.protocol)
                        return key_error(k, "host port %u/%s published twice", p.host_port,
                                         protocol_name(p.protocol));
        *(struct port_map *) ret = p;
        return 0;
}

static void port_format(const void *elem, FILE *f) {
        const struct port_map *p = elem;
        fprintf(f, "%u:%u/%s", p->host_port, p->container_port, protocol_name(p->protocol));
}

static const struct elem_type port_elem = { sizeof(struct port_map), port_parse, port_format, NULL };
const struct value_type type_ports = ARRAY_TYPE(port_elem);

static int ip_parse(const struct key_call *k, const char *word, void *ret) {
        if (parse_ip_addr(word, ret) < 0)
                return key_error(k, "invalid IP address \"%s\"", word);
        return 0;
}

static void ip_format(const void *elem, FILE *f) {
        const struct ip_addr *a = elem;
        dump_ip(f, a->family, &a->addr);
}

static const struct elem_type ip_elem = { sizeof(struct ip_addr), ip_parse, ip_format, NULL };
const struct value_type type_ips = ARRAY_TYPE(ip_elem);

/* EnvironmentFile=: "/path", or "-/path" for a file that may be missing. */
static int env_file_parse(const struct key_call *k, const char *word, void *ret) {
        bool optional = word[0] == '-';
        char *path;

        if (!path_is_absolute_normalized(word + optional))
                return key_error(k, "invalid environment file \"%s\" (expected /PATH, or -/PATH if optional)", word);
        path = strdup(word + optional);
        if (!path)
                return -ENOMEM;
        *(struct env_file *) ret = (struct env_file) { .path = path, .optional = optional };
        return 0;
}

static void env_file_format(const void *elem, FILE *f) {
        const struct env_file *e = elem;

        if (word_is_plain(e->path))
                fprintf(f, "%s%s", e->optional ? "-" : "", e->path);
        else {
                fprintf(f, "\"%s", e->optional ? "-" : "");
                dump_escaped(f, e->path);
                fputc('"', f);
        }
}

static void env_file_free(void *elem) {
        free(((struct env_file *) elem)->path);
}

static const struct elem_type env_file_elem = { sizeof(struct env_file), env_file_parse, env_file_format,
                                                env_file_free };
const struct value_type type_env_files = ARRAY_TYPE(env_file_elem);
