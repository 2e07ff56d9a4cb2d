/* SPDX-License-Identifier: MIT */

/* The files of EnvironmentFile=: the subset of systemd's syntax that env files written for
 * systemd or docker --env-file use in practice. One VAR=value per line; blank lines and lines
 * starting with '#' or ';' are skipped; "export " before the name is allowed; the value is taken
 * as is, or from double quotes (a backslash escapes \ " $ `) or single quotes (nothing escapes).
 * Not supported: a quoted value over several lines, a backslash at the end of a line. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "string-util.h"
#include "units-internal.h"

#define BLANK " \t"

/* The value after '=': *p points at it, and is moved to the end of what was read. */
static int env_value(const char **p, char **ret, const char **ret_error) {
        const char *s = *p + strspn(*p, BLANK);
        char quote = *s == '"' || *s == '\'' ? *s : 0;
        _cleanup_free_ char *v = NULL;
        size_t n = 0;

        if (!quote) {
                size_t len = strlen(s);

                while (len > 0 && strchr(BLANK, s[len - 1]))
                        len--;
                v = strndup(s, len);
                if (!v)
                        return -ENOMEM;
                *p = s + strlen(s);
                *ret = TAKE_PTR(v);
                return 0;
        }

        v = malloc(strlen(s) + 1);
        if (!v)
                return -ENOMEM;
        for (s++; *s != quote; s++) {
                if (*s == '\0') {
                        *ret_error = quote == '"' ? "unterminated double quote" : "unterminated single quote";
                        return -EINVAL;
                }
                if (quote == '"' && *s == '\\' && s[1] && strchr("\\\"$`", s[1]))
                        s++;
                v[n++] = *s;
        }
        v[n] = '\0';
        s++;
        if (s[strspn(s, BLANK)] != '\0') {
                *ret_error = "text after the closing quote";
                return -EINVAL;
        }
        *p = s;
        *ret = TAKE_PTR(v);
        return 0;
}

/* One line, without its line end: NULL in *ret for a blank line or a comment. */
static int env_line(const char *line, char **ret, char **ret_error) {
        _cleanup_free_ char *value = NULL;
        const char *s = line + strspn(line, BLANK), *eq, *problem = NULL, *e;
        size_t n;
        int r;

        *ret = NULL;
        if (*s == '\0' || *s == '#' || *s == ';')
                return 0;
        if ((e = startswith(s, "export")) && *e && strchr(BLANK, *e))
                s = e + strspn(e, BLANK);
        eq = strchr(s, '=');
        if (!eq) {
                *ret_error = strdup("expected VAR=value");
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        for (n = (size_t) (eq - s); n > 0 && strchr(BLANK, s[n - 1]); n--)
                ;
        if (!env_name_is_valid(s, n)) {
                *ret_error = strprintf("invalid variable name \"%.*s\"", (int) n, s);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        e = eq + 1;
        r = env_value(&e, &value, &problem);
        if (r == -EINVAL) {
                *ret_error = strdup(problem);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = strprintf("%.*s=%s", (int) n, s, value);
        return *ret ? 0 : -ENOMEM;
}

int environment_file_parse(const char *display, char *text, char ***ret, char **ret_error) {
        _cleanup_strv_free_ char **l = NULL;
        unsigned lineno = 0;
        int r;

        for (char *line = text, *next; line; line = next) {
                _cleanup_free_ char *error = NULL;
                char *assignment;
                size_t len;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                len = strlen(line);
                if (len > 0 && line[len - 1] == '\r')
                        line[len - 1] = '\0';
                lineno++;

                r = env_line(line, &assignment, &error);
                if (r == -EINVAL && ret_error) {
                        *ret_error = strprintf("%s:%u: %s", display, lineno, error);
                        if (!*ret_error)
                                return -ENOMEM;
                }
                if (r < 0)
                        return r;
                if (assignment) {
                        r = strv_consume(&l, assignment);
                        if (r < 0)
                                return r;
                }
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int unit_environment_file_read(const char *path, char ***ret, char **ret_error) {
        _cleanup_free_ char *text = NULL, *problem = NULL;
        int r;

        r = unit_file_read(path, &text, ret_error ? &problem : NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (ret_error) {
                        *ret_error = strprintf("%s: %s", path, problem);
                        if (!*ret_error)
                                return -ENOMEM;
                }
                return r;
        }
        return environment_file_parse(path, text, ret, ret_error);
}
