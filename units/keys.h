/* SPDX-License-Identifier: MIT */
#pragma once

/* Keys as data. Every key of a .unit or .bridge file is one row of a table (key-table.c): its
 * name, section, value type, where its value lives in the configuration struct, flags and
 * default. The rows drive parsing, resetting by an empty value, appending to lists, defaults,
 * freeing, the canonical dump and the reload diff; a value type (value-types.c, value-lists.c)
 * says how one kind of value is parsed, printed and freed. See README.md, "Adding a key". */

#include <stddef.h>
#include <stdio.h>

#include "units-internal.h"

enum key_flags {
        KEY_LIST = 1 << 0,      /* words of every line add to it; an empty value empties it */
        KEY_REQUIRED = 1 << 1,  /* a file that does not set it is an error */
        KEY_NO_RESET = 1 << 2,  /* an empty value is handed to the parser instead of restoring the default */
        KEY_CONTINUES = 1 << 3, /* an indented line goes on with a single value (lists always may) */
        KEY_LIVE = 1 << 4,      /* a change can be applied to the running unit: reload need not restart it */
};

/* One assignment being parsed: the key, the configuration it goes to, and where errors go. */
struct key_call {
        const struct key_row *row;
        void *base;             /* the struct unit_config or bridge_config */
        const char *unit_name;  /* the unit's own name, which Requires= and friends may not give */
        bool continuation;      /* the value is an indented line going on with the key */
        struct parse_ctx *ctx;  /* NULL while a default is applied: an error is then a bug */
};

/* Arrays of structs (Bind=, PublishPort=, …) share one implementation; the element type says
 * how one element is parsed, printed and freed. */
struct elem_type {
        size_t size;
        int (*parse)(const struct key_call *k, const char *word, void *ret);
        void (*format)(const void *elem, FILE *f);
        void (*free)(void *elem); /* NULL: nothing to free inside an element */
};

struct value_type {
        /* A value, or one word of a list. Returns 0, -EINVAL after reporting the problem with
         * key_error(), or -ENOMEM. */
        int (*parse)(const struct key_call *k, const char *value);
        /* The canonical form: what the dump prints after "Key=". */
        void (*format)(const struct key_row *row, const void *base, FILE *f);
        /* Frees what the field holds and leaves it empty (zero, NULL, no elements). */
        void (*clear)(const struct key_row *row, void *base);
        size_t size;                  /* of the field, for types whose clear() zeroes it */
        bool unset_shows_default;     /* the field stays NULL until set; the dump shows the default */
        const struct elem_type *elem; /* arrays only */
};

struct key_row {
        const char *name;
        enum section section;
        const struct value_type *type;
        size_t offset; /* of the field in the configuration struct */
        size_t aux;    /* of its companion: an array's count, the "set"/"auto" flag of an optional value */
        unsigned flags; /* enum key_flags */
        /* The default, as it would be written in a unit file; NULL: empty, zero, none. */
        const char *def;
        /* For string and string-list types: validates one value and reports what is wrong. */
        int (*check)(const struct key_call *k, const char *value);
};

extern const struct key_row unit_keys[_UK_MAX];
extern const struct key_row bridge_keys[_BK_MAX];

static inline void *key_field(const struct key_row *row, void *base) {
        return (char *) base + row->offset;
}

static inline const void *key_cfield(const struct key_row *row, const void *base) {
        return (const char *) base + row->offset;
}

static inline void *key_aux(const struct key_row *row, void *base) {
        return (char *) base + row->aux;
}

static inline const void *key_caux(const struct key_row *row, const void *base) {
        return (const char *) base + row->aux;
}

/* Reports a problem with the value of k->row at the current line; returns -EINVAL. */
int key_error(const struct key_call *k, const char *fmt, ...) _printf_(2, 3);

/* ---- the table machinery (key-table.c) ------------------------------------------------------- */

/* The row named @name in @section, or NULL. */
const struct key_row *key_find(const struct key_row *rows, size_t n, enum section section, const char *name);

/* Gives every key of @base its default. Returns 0 or -ENOMEM. */
int keys_init(const struct key_row *rows, size_t n, void *base);

/* Frees what the keys of @base hold. */
void keys_clear(const struct key_row *rows, size_t n, void *base);

/* Applies one line's value to k->row: appends to a list or empties it, continues, resets to the
 * default or sets. *ret_reset tells that the key is back to its default (counts as not set).
 * Returns 0 (also after an error reported with key_error()) or -ENOMEM. */
int key_assign(const struct key_call *k, const char *value, bool *ret_reset);

/* The canonical text of a key's value, as the dump prints it. NULL when out of memory. */
char *key_format(const struct key_row *row, const void *base);

/* Writes every key of @base, section by section, in canonical unit-file syntax. */
void keys_dump(const struct key_row *rows, size_t n, const void *base, FILE *f);

/* ---- value types (value-types.c, value-lists.c) ---------------------------------------------- */

/* Each value type, and the C type of the field it fills: key-table.c checks every row's field
 * against it at compile time. */
#define CTYPE_text char *
#define CTYPE_string char *
#define CTYPE_cpu_list char *
#define CTYPE_boolean bool
#define CTYPE_argv char **
#define CTYPE_overlay_mode enum overlay_mode
#define CTYPE_seccomp_mode enum seccomp_mode
#define CTYPE_service_type enum service_type
#define CTYPE_restart_policy enum restart_policy
#define CTYPE_namespaces unsigned
#define CTYPE_userns enum userns_mode
#define CTYPE_duration uint64_t
#define CTYPE_duration_finite uint64_t
#define CTYPE_timeout uint64_t
#define CTYPE_count unsigned
#define CTYPE_weight uint32_t
#define CTYPE_signal int
#define CTYPE_size uint64_t
#define CTYPE_tasks uint64_t
#define CTYPE_percent unsigned
#define CTYPE_address struct cidr
#define CTYPE_gateway struct ip_addr
#define CTYPE_cidr struct cidr
#define CTYPE_strv char **
#define CTYPE_capabilities uint64_t
#define CTYPE_binds struct bind_mount *
#define CTYPE_tmpfs struct tmpfs_mount *
#define CTYPE_ports struct port_map *
#define CTYPE_ips struct ip_addr *
#define CTYPE_env_files struct env_file *

extern const struct value_type type_text, type_string, type_cpu_list, type_boolean, type_argv, type_overlay_mode,
        type_seccomp_mode, type_service_type, type_restart_policy, type_namespaces, type_userns, type_duration,
        type_duration_finite, type_timeout, type_count, type_weight, type_signal, type_size, type_tasks,
        type_percent, type_address, type_gateway, type_cidr;
extern const struct value_type type_strv, type_capabilities, type_binds, type_tmpfs, type_ports, type_ips,
        type_env_files;

/* Checks for string and string-list keys (row->check). */
int check_absolute_path(const struct key_call *k, const char *v);
int check_hostname(const struct key_call *k, const char *v);
int check_user(const struct key_call *k, const char *v);
int check_group(const struct key_call *k, const char *v);
int check_bridge_name(const struct key_call *k, const char *v);
int check_unit_name(const struct key_call *k, const char *v);
int check_assignment(const struct key_call *k, const char *v);

/* The field of a string-vector key (Exec=, Requires=, …), printed as words and freed. */
void strv_field_format(const struct key_row *row, const void *base, FILE *f);
void strv_field_clear(const struct key_row *row, void *base);

/* Canonical forms shared by the formatters: a word quoted when it must be, words, addresses. */
bool word_is_plain(const char *w);
void dump_escaped(FILE *f, const char *w);
void dump_word(FILE *f, const char *w);
void dump_strv(FILE *f, char *const *l);
void dump_ip(FILE *f, int family, const void *addr);
