/* SPDX-License-Identifier: MIT */

/* supctl stats NAME [--json]: GetStats(), the accounting of the unit's cgroup. A counter the host
 * does not provide is missing from the reply: "-" in text, null in JSON. */

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "output.h"
#include "supctl.h"

#define STAT_UNKNOWN UINT64_MAX

struct stats {
        uint64_t cpu_usage_nsec;
        uint64_t memory_current;
        uint64_t memory_peak;
        uint64_t tasks;
        uint64_t oom_kills;
};

static const struct stat_key {
        const char *key;
        size_t offset;
} stat_keys[] = {
        { "CPUUsageNSec", offsetof(struct stats, cpu_usage_nsec) },
        { "MemoryCurrent", offsetof(struct stats, memory_current) },
        { "MemoryPeak", offsetof(struct stats, memory_peak) },
        { "Tasks", offsetof(struct stats, tasks) },
        { "OOMKills", offsetof(struct stats, oom_kills) },
};

/* A counter of a newer supd, or of another type, is skipped. */
static int stat_entry(sd_bus_message *m, const char *key, const char *contents, void *userdata) {
        for (size_t i = 0; i < ELEMENTSOF(stat_keys); i++)
                if (streq(stat_keys[i].key, key) && streq(contents, "t")) {
                        int r = sd_bus_message_read(m, "v", "t", (uint64_t *) ((uint8_t *) userdata + stat_keys[i].offset));
                        return r < 0 ? r : 1;
                }
        return 0;
}

static int decode_stats(sd_bus_message *m, struct stats *ret) {
        *ret = (struct stats) { STAT_UNKNOWN, STAT_UNKNOWN, STAT_UNKNOWN, STAT_UNKNOWN, STAT_UNKNOWN };
        return bus_read_dict(m, stat_entry, ret);
}

/* "1.5G", "12.3M", "512B": 1024-based, as systemctl status prints memory. */
static char *format_bytes(char *buf, size_t size, uint64_t v) {
        static const char suffixes[] = "KMGTPE";
        uint64_t unit = 1024;
        size_t i;

        if (v < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", v);
                return buf;
        }
        for (i = 0; i + 1 < strlen(suffixes) && v / unit >= 1024; i++)
                unit *= 1024;
        snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%c", v / unit, (v % unit) * 10 / unit, suffixes[i]);
        return buf;
}

/* "850us", "340ms", "2.345s", then "3min 2s" and up. */
static char *format_cpu(char *buf, size_t size, uint64_t nsec) {
        uint64_t usec = nsec / 1000;

        if (usec < 1000)
                snprintf(buf, size, "%" PRIu64 "us", usec);
        else if (usec < 1000000)
                snprintf(buf, size, "%" PRIu64 "ms", usec / 1000);
        else if (usec < 60 * 1000000ULL)
                snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "s", usec / 1000000, usec / 1000 % 1000);
        else
                format_timespan(buf, size, usec);
        return buf;
}

static json_object *json_stat(uint64_t v) {
        return v == STAT_UNKNOWN ? NULL : json_object_new_uint64(v);
}

/* The field names are documented in supctl(1): stable, snake_case, bytes and nanoseconds. */
static int print_json(const char *name, const struct stats *s) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "cpu_usage_nsec", json_stat(s->cpu_usage_nsec));
        json_object_object_add(o, "memory_current", json_stat(s->memory_current));
        json_object_object_add(o, "memory_peak", json_stat(s->memory_peak));
        json_object_object_add(o, "tasks", json_stat(s->tasks));
        json_object_object_add(o, "oom_kills", json_stat(s->oom_kills));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

static void print_text(const char *name, const struct stats *s) {
        char a[64], b[64];

        printf("%s%s%s\n", ansi_highlight(), name, ansi_normal());
        printf("        CPU: %s\n",
               s->cpu_usage_nsec == STAT_UNKNOWN ? "-" : format_cpu(a, sizeof(a), s->cpu_usage_nsec));
        printf("     Memory: %s",
               s->memory_current == STAT_UNKNOWN ? "-" : format_bytes(a, sizeof(a), s->memory_current));
        if (s->memory_peak != STAT_UNKNOWN)
                printf(" (peak: %s)", format_bytes(b, sizeof(b), s->memory_peak));
        printf("\n");
        if (s->tasks == STAT_UNKNOWN)
                printf("      Tasks: -\n");
        else
                printf("      Tasks: %" PRIu64 "\n", s->tasks);
        if (s->oom_kills == STAT_UNKNOWN)
                printf("  OOM kills: -\n");
        else
                printf("  OOM kills: %s%" PRIu64 "%s\n", s->oom_kills > 0 ? ansi_red() : "", s->oom_kills,
                       s->oom_kills > 0 ? ansi_normal() : "");
}

int verb_stats(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct stats s;
        int r;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "GetStats", &error, &reply,
                               "s", argv[1]);
        if (r < 0)
                return bus_log_error(&error, r, "GetStats");

        r = decode_stats(reply, &s);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to parse the reply of GetStats: %s\n", strerror(-r));
                return EXIT_FAILED;
        }

        if (arg_json) {
                if (print_json(argv[1], &s) < 0) {
                        fprintf(stderr, "supctl stats: out of memory\n");
                        return EXIT_FAILED;
                }
        } else
                print_text(argv[1], &s);
        return EXIT_OK;
}
