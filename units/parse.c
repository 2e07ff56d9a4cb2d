/* SPDX-License-Identifier: MIT */

/* Parsing one .unit (plus its drop-ins) or .bridge file: lines come from the INI reader (ini.c),
 * sections and keys are looked up in the key table (key-table.c), values go through their value
 * type. Every problem becomes a diag "FILE:LINE: KEY: message"; parsing goes on after one, so a
 * file shows all its errors at once. */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini.h"
#include "keys.h"
#include "macro.h"
#include "string-util.h"

/* ---- diagnostics ----------------------------------------------------------------------------- */

static int diag_vadd(struct unit_diag **diags, size_t *n, const char *file, unsigned line, const char *key,
                     const char *fmt, va_list ap) _printf_(6, 0);

static int diag_vadd(struct unit_diag **diags, size_t *n, const char *file, unsigned line, const char *key,
                     const char *fmt, va_list ap) {
        struct unit_diag *a, d = { .line = line };

        d.file = strdup(file);
        d.key = key ? strdup(key) : NULL;
        d.message = vstrprintf(fmt, ap);
        if (!d.file || (key && !d.key) || !d.message)
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
        free(d.message);
        return -ENOMEM;
}

int diag_add(struct unit_diag **diags, size_t *n, const char *file, unsigned line, const char *key,
             const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_vadd(diags, n, file, line, key, fmt, ap);
        va_end(ap);
        return r;
}

char *unit_diag_format(const struct unit_diag *d) {
        char line[16] = "";

        if (d->line > 0)
                snprintf(line, sizeof(line), ":%u", d->line);
        if (d->key)
                return strprintf("%s%s: %s: %s", d->file, line, d->key, d->message);
        return strprintf("%s%s: %s", d->file, line, d->message);
}

void unit_diags_free(struct unit_diag *diags, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(diags[i].file);
                free(diags[i].key);
                free(diags[i].message);
        }
        free(diags);
}

static void ctx_verror(struct parse_ctx *c, const char *file, unsigned line, const char *key, const char *fmt,
                       va_list ap) _printf_(5, 0);

static void ctx_verror(struct parse_ctx *c, const char *file, unsigned line, const char *key, const char *fmt,
                       va_list ap) {
        c->n_errors++;
        if (diag_vadd(c->diags, c->n_diags, file, line, key, fmt, ap) < 0)
                c->oom = true;
}

void ctx_error(struct parse_ctx *c, unsigned line, const char *key, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        ctx_verror(c, c->file, line, key, fmt, ap);
        va_end(ap);
}

void ctx_origin_error(struct parse_ctx *c, const struct unit_config *u, enum unit_key k, const char *fmt, ...) {
        const struct key_origin *o = &u->origin[k];
        va_list ap;

        va_start(ap, fmt);
        ctx_verror(c, o->file ? o->file : u->path, o->line, unit_keys[k].name, fmt, ap);
        va_end(ap);
}

int key_error(const struct key_call *k, const char *fmt, ...) {
        va_list ap;

        if (!k->ctx)
                return -EINVAL;
        va_start(ap, fmt);
        ctx_verror(k->ctx, k->ctx->file, k->ctx->line, k->row->name, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* ---- sections and keys --------------------------------------------------------------------------- */

static enum section section_from_string(const struct parse_ctx *c, const char *s) {
        for (size_t i = 0; i < c->n_rows; i++)
                if (streq(s, section_names[c->rows[i].section]))
                        return c->rows[i].section;
        return SECTION_UNKNOWN;
}

static void ctx_section_line(struct parse_ctx *c, const char *s, size_t n) {
        _cleanup_free_ char *name = NULL, *key = NULL;
        const char *end = memchr(s, ']', n);

        c->section = SECTION_UNKNOWN;
        if (!end) {
                ctx_error(c, c->line, NULL, "syntax error: section header without ']'");
                return;
        }
        for (const char *p = end + 1; p < s + n; p++)
                if (!isspace((unsigned char) *p)) {
                        ctx_error(c, c->line, NULL, "syntax error: text after the section header");
                        return;
                }
        name = strndup(s + 1, (size_t) (end - s - 1));
        key = name ? strprintf("[%s]", name) : NULL;
        if (!key) {
                c->oom = true;
                return;
        }
        c->section = section_from_string(c, name);
        if (c->section != SECTION_UNKNOWN)
                return;
        if (!c->bridge)
                for (enum section i = SECTION_UNIT; i < SECTION_BRIDGE; i++)
                        if (strcasecmp(name, section_names[i]) == 0) {
                                ctx_error(c, c->line, key, "unknown section (did you mean [%s]?)", section_names[i]);
                                return;
                        }
        ctx_error(c, c->line, key, "unknown section");
}

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
                        bool same = tolower((unsigned char) a[i - 1]) == tolower((unsigned char) b[j - 1]);
                        unsigned best = prev + (same ? 0 : 1);
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

/* An unknown key: say where it belongs, or which key it is a typo of. */
static void ctx_unknown_key(struct parse_ctx *c, const char *name) {
        const char *here = section_names[c->section];
        const struct key_row *best = NULL;
        unsigned best_d = UINT_MAX;

        for (size_t i = 0; i < c->n_rows; i++) {
                const struct key_row *k = &c->rows[i];
                unsigned d;

                if (streq(k->name, name)) {
                        ctx_error(c, c->line, name, "unknown key in [%s] (it belongs in [%s])", here,
                                  section_names[k->section]);
                        return;
                }
                d = levenshtein(name, k->name);
                if (d < best_d) {
                        best_d = d;
                        best = k;
                }
        }

        if (!best || !(best_d <= 2 || (best_d <= 3 && strlen(name) >= 8)))
                ctx_error(c, c->line, name, "unknown key in [%s]", here);
        else if (best->section == c->section)
                ctx_error(c, c->line, name, "unknown key (did you mean %s=?)", best->name);
        else
                ctx_error(c, c->line, name, "unknown key (did you mean %s= in [%s]?)", best->name,
                          section_names[best->section]);
}

static void ctx_key_line(struct parse_ctx *c, const struct ini_line *l) {
        const struct key_row *row;
        unsigned before = c->n_errors;
        bool reset;

        if (c->section == SECTION_UNKNOWN)
                return; /* reported once, at the section header */
        /* "Key: value" is inih's syntax, not ours; and a continuation line holding a ':' before any
         * '=' is refused alike (a quirk kept from the inih days). */
        if (*l->name == '\0' || l->colon) {
                ctx_error(c, c->line, NULL, "syntax error: expected Key=Value");
                return;
        }
        if (c->section == SECTION_NONE) {
                ctx_error(c, c->line, l->name, "key outside of any section");
                return;
        }
        row = key_find(c->rows, c->n_rows, c->section, l->name);
        if (!row) {
                ctx_unknown_key(c, l->name);
                return;
        }

        const struct key_call k = { .row = row, .base = c->base, .unit_name = c->unit_name,
                                    .continuation = l->kind == INI_CONTINUATION, .ctx = c };
        if (key_assign(&k, l->value, &reset) < 0) {
                c->oom = true;
                return;
        }
        /* Where a key was set, for the messages of the checks that come later; a key given its
         * default back counts as not set. */
        if (c->n_errors == before)
                c->origins[row - c->rows] = reset ? (struct key_origin) {} : (struct key_origin) { c->file, c->line };
}

static int parse_text(struct parse_ctx *c, const char *text) {
        struct ini_reader r = { .text = text };
        struct ini_line l;
        int k = 0;

        c->section = SECTION_NONE;
        while (!c->oom && (k = ini_next(&r, &l)) > 0) {
                c->line = l.line;
                switch (l.kind) {
                case INI_SECTION:
                        ctx_section_line(c, l.text, l.len);
                        break;
                case INI_KEY:
                case INI_CONTINUATION:
                        ctx_key_line(c, &l);
                        break;
                case INI_NO_KEY:
                        ctx_error(c, c->line, NULL,
                                  l.indented ? "continuation line without a key before it"
                                             : "syntax error: expected Key=Value, [Section] or a comment");
                        break;
                default:
                        break;
                }
        }
        ini_reader_done(&r);
        return c->oom || k < 0 ? -ENOMEM : 0;
}

/* ---- configurations ------------------------------------------------------------------------------ */

static int unit_config_new(const char *name, const char *path, struct unit_config **ret) {
        struct unit_config *u = calloc(1, sizeof(*u));

        if (!u)
                return -ENOMEM;
        u->name = strdup(name);
        u->path = strdup(path);
        if (!u->name || !u->path || keys_init(unit_keys, _UK_MAX, u) < 0) {
                unit_config_free(u);
                return -ENOMEM;
        }
        *ret = u;
        return 0;
}

struct unit_config *unit_config_free(struct unit_config *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->path);
        strv_free(u->dropins);
        free(u->load_error);
        keys_clear(unit_keys, _UK_MAX, u);
        free(u);
        return NULL;
}

static int bridge_config_new(const char *name, const char *path, struct bridge_config **ret) {
        struct bridge_config *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        b->name = strdup(name);
        b->path = strdup(path);
        if (!b->name || !b->path || keys_init(bridge_keys, _BK_MAX, b) < 0) {
                bridge_config_free(b);
                return -ENOMEM;
        }
        *ret = b;
        return 0;
}

struct bridge_config *bridge_config_free(struct bridge_config *b) {
        if (!b)
                return NULL;
        free(b->name);
        free(b->path);
        free(b->load_error);
        keys_clear(bridge_keys, _BK_MAX, b);
        free(b);
        return NULL;
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

/* The line of the first "[NAME]" header of @text, 0 when there is none. */
static unsigned section_header_line(const char *text, const char *name) {
        unsigned line = 1;

        for (const char *p = text; *p; line++) {
                const char *q = p + strspn(p, " \t"), *nl;

                if (*q == '[' && startswith(q + 1, name) && q[1 + strlen(name)] == ']')
                        return line;
                nl = strchr(p, '\n');
                if (!nl)
                        break;
                p = nl + 1;
        }
        return 0;
}

static int unit_parse_all(const char *path, const char *name, char *const *dropins, const char *main_text,
                          char *const *dropin_texts, bool fragment, struct unit_diag **diags, size_t *n_diags,
                          struct unit_config **ret) {
        _cleanup_(unit_config_freep) struct unit_config *u = NULL;
        struct parse_ctx c = { .diags = diags, .n_diags = n_diags, .rows = unit_keys, .n_rows = _UK_MAX };
        size_t first = *n_diags;
        int r;

        r = unit_config_new(name, path, &u);
        if (r < 0)
                return r;
        c.base = u;
        c.origins = u->origin;
        c.unit_name = u->name;

        c.file = u->path;
        if (!fragment && !unit_name_is_valid(name))
                ctx_error(&c, 0, NULL,
                          "invalid unit name \"%s\" (1-64 of A-Z a-z 0-9 _ . -, not starting with . or -)", name);

        STRV_FOREACH(d, dropins) {
                r = strv_extend(&u->dropins, *d);
                if (r < 0)
                        return r;
        }

        r = parse_text(&c, main_text);
        for (size_t i = 0; r >= 0 && dropin_texts && dropin_texts[i]; i++) {
                c.file = u->dropins[i];
                r = parse_text(&c, dropin_texts[i]);
        }
        if (r < 0)
                return r;

        c.file = u->path;
        if (!fragment) {
                r = unit_finalize(&c, u, section_header_line(main_text, "Container"));
                if (r < 0)
                        return r;
        }
        r = set_load_error(&c, first, &u->load_state, &u->load_error);
        if (r < 0 || c.oom)
                return -ENOMEM;
        *ret = TAKE_PTR(u);
        return 0;
}

int unit_config_parse_string(const char *display, const char *name, const char *text, struct unit_diag **diags,
                             size_t *n_diags, struct unit_config **ret) {
        return unit_parse_all(display, name, NULL, text, NULL, false, diags, n_diags, ret);
}

int unit_config_parse_fragment(const char *display, const char *text, struct unit_diag **diags, size_t *n_diags,
                               struct unit_config **ret) {
        return unit_parse_all(display, "fragment", NULL, text, NULL, true, diags, n_diags, ret);
}

char *unit_file_problem(int error, mode_t type) {
        switch (error) {
        case -EISDIR:
        case -EBADFD:
                if (type == 0)
                        return strdup("not a regular file");
                return strprintf("not a regular file (%s)", file_type_to_string(type));
        case -ELOOP:
                return strdup("symlink loop (too many levels of symbolic links)");
        case -EFBIG:
                return strprintf("too big (more than %u KiB)", UNIT_FILE_SIZE_MAX / 1024);
        case -EBADMSG:
                return strdup("not a text file (a NUL byte)");
        default:
                return strprintf("cannot read: %s", strerror(-error));
        }
}

int unit_file_read(const char *path, char **ret, char **ret_problem) {
        _cleanup_close_ int fd = -EBADF;
        mode_t type = 0;
        int r;

        fd = open_regular_file_at(AT_FDCWD, path, &type);
        r = fd < 0 ? fd : read_full_fd(fd, UNIT_FILE_SIZE_MAX, READ_FULL_TEXT, ret, NULL);
        if (r >= 0 || r == -ENOMEM)
                return r;
        if (ret_problem) {
                *ret_problem = unit_file_problem(r, type);
                if (!*ret_problem)
                        return -ENOMEM;
        }
        return r;
}

/* unit_file_read(), and a diag "PATH: PROBLEM" when it fails; a missing file only when @missing_too. */
static int read_or_diag(const char *path, bool missing_too, struct unit_diag **diags, size_t *n_diags,
                        char **ret) {
        _cleanup_free_ char *problem = NULL;
        int r;

        r = unit_file_read(path, ret, &problem);
        if (r == -ENOMEM || r >= 0 || (r == -ENOENT && !missing_too))
                return r;
        if (diag_add(diags, n_diags, path, 0, NULL, "%s", problem) < 0)
                return -ENOMEM;
        return r;
}

/* The first diag from @first on as the load error of a configuration that cannot be parsed. */
static int set_unreadable(struct unit_diag *diags, size_t n_diags, size_t first, enum unit_load_state *state,
                          char **load_error) {
        *state = UNIT_LOAD_ERROR;
        free(*load_error);
        *load_error = first < n_diags ? unit_diag_format(&diags[first]) : strdup("cannot be read");
        return *load_error ? 0 : -ENOMEM;
}

int unit_config_load(const char *path, const char *name, char *const *dropins, struct unit_diag **diags,
                     size_t *n_diags, struct unit_config **ret) {
        _cleanup_(unit_config_freep) struct unit_config *u = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **texts = NULL;
        size_t n = strv_length(dropins), first = *n_diags;
        unsigned unreadable = 0;
        int r;

        r = read_or_diag(path, false, diags, n_diags, &text);
        if (r == -ENOMEM || r == -ENOENT)
                return r;
        if (r < 0) {
                /* The unit exists, in error: it shows in the list with what is wrong, and a running
                 * instance is kept by a reload rather than stopped as if its file were removed. */
                r = unit_config_new(name, path, &u);
                if (r < 0)
                        return r;
                r = set_unreadable(*diags, *n_diags, first, &u->load_state, &u->load_error);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(u);
                return 0;
        }

        texts = calloc(n + 1, sizeof(char *));
        if (!texts)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = read_or_diag(dropins[i], true, diags, n_diags, &texts[i]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* An unreadable drop-in is an error of the unit, not a reason to skip it. */
                        unreadable++;
                        texts[i] = strdup("");
                        if (!texts[i])
                                return -ENOMEM;
                }
        }

        r = unit_parse_all(path, name, dropins, text, texts, false, diags, n_diags, &u);
        if (r < 0)
                return r;
        if (unreadable > 0) {
                /* What made the unit fail for sure comes first: the drop-in it could not read. */
                r = set_unreadable(*diags, *n_diags, first, &u->load_state, &u->load_error);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(u);
        return 0;
}

int bridge_config_parse_string(const char *display, const char *name, const char *text,
                               struct unit_diag **diags, size_t *n_diags, struct bridge_config **ret) {
        _cleanup_(bridge_config_freep) struct bridge_config *b = NULL;
        struct parse_ctx c = { .diags = diags, .n_diags = n_diags, .bridge = true, .rows = bridge_keys,
                               .n_rows = _BK_MAX };
        size_t first = *n_diags;
        int r;

        r = bridge_config_new(name, display, &b);
        if (r < 0)
                return r;
        c.base = b;
        c.origins = b->origin;
        c.file = b->path;

        if (!unit_name_is_valid(name) || strlen(name) > BRIDGE_IFNAME_MAX)
                ctx_error(&c, 0, NULL,
                          "invalid bridge name \"%s\" (it is the link name: 1-15 of A-Z a-z 0-9 _ . -)", name);

        r = parse_text(&c, text);
        if (r < 0)
                return r;
        bridge_finalize(&c, b);

        r = set_load_error(&c, first, &b->load_state, &b->load_error);
        if (r < 0 || c.oom)
                return -ENOMEM;
        *ret = TAKE_PTR(b);
        return 0;
}

int bridge_config_load(const char *path, const char *name, struct unit_diag **diags, size_t *n_diags,
                       struct bridge_config **ret) {
        _cleanup_free_ char *text = NULL;
        size_t first = *n_diags;
        int r;

        r = read_or_diag(path, false, diags, n_diags, &text);
        if (r == -ENOMEM || r == -ENOENT)
                return r;
        if (r < 0) {
                /* In error rather than absent: the units on it say "bridge has errors", not "no bridge". */
                _cleanup_(bridge_config_freep) struct bridge_config *b = NULL;

                r = bridge_config_new(name, path, &b);
                if (r < 0)
                        return r;
                r = set_unreadable(*diags, *n_diags, first, &b->load_state, &b->load_error);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(b);
                return 0;
        }
        return bridge_config_parse_string(path, name, text, diags, n_diags, ret);
}
