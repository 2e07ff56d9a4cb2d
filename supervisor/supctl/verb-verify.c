/* SPDX-License-Identifier: MIT */

/* supctl verify [PATH…]: the unit parser run offline; no daemon involved. */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "macro.h"
#include "supctl.h"
#include "units.h"

static int print_json(const struct unit_set *s) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object(), *errors = json_object_new_array();

        if (!root || !errors)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_diags; i++) {
                const struct unit_diag *d = &s->diags[i];
                json_object *o = json_object_new_object();
                if (!o)
                        return -ENOMEM;
                json_object_object_add(o, "file", json_object_new_string(d->file));
                json_object_object_add(o, "line", json_object_new_int64(d->line));
                json_object_object_add(o, "key", d->key ? json_object_new_string(d->key) : NULL);
                json_object_object_add(o, "message", json_object_new_string(d->message));
                json_object_array_add(errors, o);
        }
        json_object_object_add(root, "valid", json_object_new_boolean(s->n_diags == 0));
        json_object_object_add(root, "units", json_object_new_int64((int64_t) s->n_units));
        json_object_object_add(root, "bridges", json_object_new_int64((int64_t) s->n_bridges));
        json_object_object_add(root, "errors", json_object_get(errors));
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

int verb_verify(int argc, char **argv) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        char *def[] = { (char *) SUP_DEFAULT_UNITS_DIR, NULL };
        int r;

        r = unit_set_load_paths(argc > 1 ? argv + 1 : def, &s);
        if (r < 0) {
                fprintf(stderr, "supctl verify: %s\n", strerror(-r));
                return EXIT_FAILED;
        }

        if (arg_json) {
                if (print_json(s) < 0) {
                        fprintf(stderr, "supctl verify: out of memory\n");
                        return EXIT_FAILED;
                }
        } else
                for (size_t i = 0; i < s->n_diags; i++) {
                        _cleanup_free_ char *line = unit_diag_format(&s->diags[i]);
                        fprintf(stderr, "%s\n", line ? line : s->diags[i].message);
                }

        return s->n_diags == 0 ? EXIT_OK : EXIT_FAILED;
}
