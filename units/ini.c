/* SPDX-License-Identifier: MIT */

/* The INI syntax of unit files, line by line, as inih reads it (SPEC §2): "[Section]",
 * "Key=Value" with whitespace around both trimmed, '#' and ';' comments at the start of a line,
 * an indented line going on with the value of the key before it, a UTF-8 BOM ignored. Two
 * differences, both on purpose: a ';' inside a value is never a comment (Exec=/bin/sh -c "a; b"),
 * and a line may be of any length. Debian's libinih keeps each line in a 200-byte buffer on the
 * stack (INI_USE_STACK, no INI_ALLOW_REALLOC), which SPEC §2 rules out, so the few rules live here. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "macro.h"

void ini_reader_done(struct ini_reader *r) {
        r->buf = mfree(r->buf);
        r->key = mfree(r->key);
}

static char *skip_space(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        return s;
}

static void trim_end(char *s, char *end) {
        while (end > s && isspace((unsigned char) end[-1]))
                *--end = '\0';
}

/* Copies the next line of the text into r->buf. Returns 1, or 0 at the end, or -ENOMEM. */
static int next_raw_line(struct ini_reader *r, size_t *ret_len) {
        const char *s = r->text + r->pos, *nl;
        size_t n;

        if (*s == '\0')
                return 0;
        nl = strchr(s, '\n');
        n = nl ? (size_t) (nl - s) : strlen(s);
        r->pos += n + (nl ? 1 : 0);
        r->line++;

        if (n + 1 > r->allocated) {
                char *b = realloc(r->buf, n + 1);
                if (!b)
                        return -ENOMEM;
                r->buf = b;
                r->allocated = n + 1;
        }
        memcpy(r->buf, s, n);
        r->buf[n] = '\0';
        *ret_len = n;
        return 1;
}

/* "=value" has no key for the lines after it to go on with. */
static int remember_key(struct ini_reader *r, const char *name) {
        char *k = NULL;

        if (*name != '\0') {
                k = strdup(name);
                if (!k)
                        return -ENOMEM;
        }
        free(r->key);
        r->key = k;
        return 0;
}

int ini_next(struct ini_reader *r, struct ini_line *ret) {
        char *line, *start, *sep;
        size_t n;
        int k;

        k = next_raw_line(r, &n);
        if (k <= 0)
                return k;
        line = r->buf;
        if (r->line == 1 && startswith(line, "\xef\xbb\xbf"))
                line += 3;
        if (n > 0 && r->buf[n - 1] == '\r')
                r->buf[--n] = '\0';

        *ret = (struct ini_line) { .kind = INI_BLANK, .line = r->line };
        start = skip_space(line);
        ret->indented = start > line;

        if (*start == '\0' || *start == '#' || *start == ';')
                return 1;

        /* A header ends the key before it (even indented: it is no continuation), but only once it
         * has its ']'; what is wrong with it is the caller's to say. */
        if (*start == '[') {
                ret->kind = INI_SECTION;
                ret->text = start;
                ret->len = (size_t) (r->buf + n - start);
                if (memchr(start, ']', ret->len))
                        r->key = mfree(r->key);
                return 1;
        }

        trim_end(start, r->buf + n);
        sep = start + strcspn(start, "=:");
        /* "Key: value": inih takes ':' for '=', we do not; the caller reports it. */
        ret->colon = *sep == ':';

        if (ret->indented && r->key) {
                ret->kind = INI_CONTINUATION;
                ret->name = r->key;
                ret->value = start;
                return 1;
        }
        if (*sep == '\0') {
                ret->kind = INI_NO_KEY;
                return 1;
        }

        *sep = '\0';
        trim_end(start, sep);
        ret->kind = INI_KEY;
        ret->name = start;
        ret->value = skip_space(sep + 1);
        k = remember_key(r, start);
        if (k < 0)
                return k;
        return 1;
}
