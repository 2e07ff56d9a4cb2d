/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading unit files line by line (ini.c). */

#include <stdbool.h>
#include <stddef.h>

enum ini_kind {
        INI_BLANK,        /* empty, or a comment */
        INI_SECTION,      /* starts with '[': text/len is the header, from '[' to the end of the line */
        INI_KEY,          /* "Key=Value": name and value, whitespace trimmed */
        INI_CONTINUATION, /* an indented line after a key: name is that key's, value the line */
        INI_NO_KEY,       /* text that is none of the above */
};

struct ini_line {
        enum ini_kind kind;
        unsigned line;
        bool indented; /* starts with whitespace */
        bool colon;    /* a ':' comes before any '=' */
        const char *name;
        const char *value;
        const char *text;
        size_t len;
};

struct ini_reader {
        const char *text; /* the whole file, NUL-terminated */
        size_t pos;
        unsigned line;
        char *buf; /* the current line, edited in place */
        size_t allocated;
        char *key; /* the last key since the last section header: indented lines go on with it */
};

/* The next line of r->text. The strings of *ret stay valid until the next call. Returns 1, 0 at
 * the end of the text, or -ENOMEM. */
int ini_next(struct ini_reader *r, struct ini_line *ret);
void ini_reader_done(struct ini_reader *r);
