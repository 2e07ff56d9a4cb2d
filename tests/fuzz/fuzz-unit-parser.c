/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the unit and bridge parsers and the reader of environment files: any bytes
 * must give diagnostics, never a crash, a leak or undefined behaviour. The first byte picks the
 * file kind: bit 1 an environment file, else bit 0 a bridge, else a unit. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "units-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct unit_diag *diags = NULL;
        size_t n = 0;
        char *text;

        if (size == 0 || size > 64 * 1024)
                return 0;
        text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';

        if (data[0] & 2) {
                char **env = NULL, *error = NULL;
                if (environment_file_parse("fuzz.env", text, &env, &error) >= 0)
                        strv_free(env);
                free(error);
        } else if (data[0] & 1) {
                struct bridge_config *b = NULL;
                if (bridge_config_parse_string("fuzz.bridge", "fuzz", text, &diags, &n, &b) >= 0)
                        bridge_config_free(b);
        } else {
                struct unit_config *u = NULL;
                if (unit_config_parse_string("fuzz.unit", "fuzz", text, &diags, &n, &u) >= 0) {
                        FILE *f = fopen("/dev/null", "we");
                        if (f) {
                                unit_config_dump(u, f);
                                fclose(f);
                        }
                        unit_config_free(u);
                }
        }
        for (size_t i = 0; i < n; i++)
                free(unit_diag_format(&diags[i]));
        unit_diags_free(diags, n);
        free(text);
        return 0;
}
