/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared between the files of units/ only; not part of the public header. */

#include <stdarg.h>
#include <sys/types.h>

#include "fileio.h"
#include "macro.h"
#include "units.h"

/* Unit and drop-in files are small; anything bigger is a mistake, not a configuration. */
#define UNIT_FILE_SIZE_MAX (1024 * 1024)

/**
 * unit_file_read() - read a unit file, drop-in or environment file
 * @path: the file
 * @ret: its text, owned by the caller
 * @ret_problem: on failure other than -ENOMEM, what is wrong in words, for "PATH: PROBLEM" ("not a
 *               regular file (FIFO)", "symlink loop (...)"), owned by the caller; may be NULL
 *
 * Only a regular file is read, and what is not one is refused before it is opened
 * (open_regular_file_at()): nothing in a units directory can block supd or reach a device's
 * driver. Symlinks are followed, as systemd does for unit files. At most UNIT_FILE_SIZE_MAX
 * bytes, no NUL byte.
 *
 * Returns: 0, -ENOMEM, or the -errno of open_regular_file_at() or read_full_fd().
 */
int unit_file_read(const char *path, char **ret, char **ret_problem);

/* unit_file_problem() - @error (a -errno of reading @path) in words; @type is the file type of a
 * file refused as not regular (-EISDIR, -EBADFD). Returns a new string, or NULL when out of memory. */
char *unit_file_problem(int error, mode_t type);

static inline void unit_config_freep(struct unit_config **u) {
        *u = unit_config_free(*u);
}

static inline void bridge_config_freep(struct bridge_config **b) {
        *b = bridge_config_free(*b);
}

int diag_add(struct unit_diag **diags, size_t *n, const char *file, unsigned line, const char *key,
             const char *fmt, ...) _printf_(6, 7);

bool cidr_contains(const struct cidr *net, const void *addr, int family);
bool cidr_is_network_or_broadcast(const struct cidr *c);
int ip_addr_to_string(int family, const void *addr, char *buf, size_t len);

/* ---- character classes and numbers shared by the value parsers (values*.c) ------------------- */

#define WHITESPACE " \t\n"

static inline bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static inline bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_alnum(char c) {
        return is_digit(c) || is_alpha(c);
}

/* The whitespace of WHITESPACE, not isspace()'s: a \v or \f is part of a word. */
static inline bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n';
}

/* The first @n bytes of @s as a decimal number: digits only, at least one, within [@min, @max].
 * -EINVAL for bad syntax, which wins over -ERANGE ("99999999999999999999x" is -EINVAL). */
int parse_u32_range_n(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *ret);

/* [A-Za-z_][A-Za-z0-9_]*, the first @n bytes of @s: a name for Environment= and environment files. */
bool env_name_is_valid(const char *s, size_t n);

/* ---- parsing one file (parse.c, check.c) ------------------------------------------------------- */

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

extern const char *const section_names[_SECTION_MAX];

struct key_row;

struct parse_ctx {
        const char *file; /* display name for diags; also stored in key origins */
        unsigned line;
        enum section section;
        bool bridge; /* a .bridge file: only [Bridge] is known */

        /* What the keys of this file go to. */
        const struct key_row *rows;
        size_t n_rows;
        void *base;                 /* the struct unit_config or bridge_config */
        struct key_origin *origins; /* indexed like rows */
        const char *unit_name;      /* for "unit depends on itself" */

        struct unit_diag **diags;
        size_t *n_diags;
        unsigned n_errors; /* errors found in this unit (over all its files) */
        bool oom;
};

void ctx_error(struct parse_ctx *c, unsigned line, const char *key, const char *fmt, ...) _printf_(4, 5);

/* Reports an error against where key @k of @u was last set (its drop-in and line), or against the
 * unit file itself when it was never set. */
void ctx_origin_error(struct parse_ctx *c, const struct unit_config *u, enum unit_key k, const char *fmt, ...)
        _printf_(4, 5);

/* The checks that need more than one key of a unit, and the defaults that depend on other keys
 * (check.c). @container_line is where [Container] starts in the unit file, 0 when it does not. */
int unit_finalize(struct parse_ctx *c, struct unit_config *u, unsigned container_line);
void bridge_finalize(struct parse_ctx *c, struct bridge_config *b);

/* unit_environment_file_read() on text in memory (edited in place), named @display in errors. */
int environment_file_parse(const char *display, char *text, char ***ret, char **ret_error);

/* Parses a drop-in alone: keys and values only, no required keys or cross-key checks. */
int unit_config_parse_fragment(const char *display, const char *text, struct unit_diag **diags, size_t *n_diags,
                               struct unit_config **ret);
