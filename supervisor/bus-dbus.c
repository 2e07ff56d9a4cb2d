/* SPDX-License-Identifier: MIT */

/* org.freedesktop.DBus, emulated on every connection of the control socket. Generic clients
 * (busctl, gdbus, dbus-send) talk to a bus daemon first: Hello(), AddMatch(), GetNameOwner(). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "bus-internal.h"
#include "macro.h"

/* There is no bus daemon: supd is the only other peer. Hello() hands out a unique name, matches
 * are accepted and ignored (every peer gets every UnitChanged), and the name queries know the two
 * names there are: org.sup.Manager1 (owned by SUP_BUS_UNIQUE_NAME) and the caller's own. */

static bool name_is_peer(struct bus_conn *c, const char *name) {
        unsigned n;
        int k = 0;

        return c->said_hello && sscanf(name, ":1.%u%n", &n, &k) == 1 && name[k] == '\0' && n == c->id;
}

static const char *name_owner(struct bus_conn *c, const char *name) {
        if (streq(name, "org.freedesktop.DBus"))
                return "org.freedesktop.DBus";
        if (streq(name, SUP_BUS_NAME) || streq(name, SUP_BUS_UNIQUE_NAME))
                return SUP_BUS_UNIQUE_NAME;
        if (name_is_peer(c, name))
                return name;
        return NULL;
}

/* The name is the caller's: quoted, not echoed whole. */
static int no_owner(const char *name, sd_bus_error *ret_error) {
        char q[BUS_QUOTE_SIZE];

        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_NAME_HAS_NO_OWNER, "Name %s has no owner.", bus_quote(name, q));
}

static int method_hello(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct bus_conn *c = userdata;
        char name[32];
        int r;

        if (c->said_hello)
                return sd_bus_error_set(ret_error, SD_BUS_ERROR_FAILED, "Already handled an Hello message.");

        (void) snprintf(name, sizeof(name), ":1.%u", c->id);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_set_sender(reply, "org.freedesktop.DBus");
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                return r;

        /* From now on, stamp what we send with our unique name, as a bus daemon would: bus clients
         * (gdbus) match signals and track owners by sender. Peers that never say Hello get no
         * sender, as is usual peer to peer. */
        r = sd_bus_set_sender(c->bus, SUP_BUS_UNIQUE_NAME);
        if (r < 0)
                return r;
        c->said_hello = true;
        return 1;
}

static int method_match(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *rule;
        int r;

        r = sd_bus_message_read(m, "s", &rule);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *owner;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        owner = name_owner(userdata, name);
        if (!owner)
                return no_owner(name, ret_error);
        return sd_bus_reply_method_return(m, "s", owner);
}

static int method_name_has_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "b", (int) !!name_owner(userdata, name));
}

static int method_list_names(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        char name[32];

        (void) snprintf(name, sizeof(name), ":1.%u", c->id);
        if (c->said_hello)
                return sd_bus_reply_method_return(m, "as", 4, "org.freedesktop.DBus", SUP_BUS_NAME,
                                                  SUP_BUS_UNIQUE_NAME, name);
        return sd_bus_reply_method_return(m, "as", 3, "org.freedesktop.DBus", SUP_BUS_NAME, SUP_BUS_UNIQUE_NAME);
}

static int method_get_connection_credential(sd_bus_message *m, struct bus_conn *c, bool want_pid,
                                            sd_bus_error *ret_error) {
        const char *name;
        uint32_t v;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (streq(name, SUP_BUS_NAME) || streq(name, SUP_BUS_UNIQUE_NAME) || streq(name, "org.freedesktop.DBus"))
                v = want_pid ? (uint32_t) getpid() : (uint32_t) geteuid();
        else if (name_is_peer(c, name))
                v = want_pid ? (uint32_t) c->pid : (uint32_t) c->uid;
        else
                return no_owner(name, ret_error);
        return sd_bus_reply_method_return(m, "u", v);
}

static int method_get_connection_unix_user(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return method_get_connection_credential(m, userdata, false, ret_error);
}

static int method_get_connection_unix_process_id(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return method_get_connection_credential(m, userdata, true, ret_error);
}

static int method_get_id(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        char id[SD_ID128_STRING_MAX];

        return sd_bus_reply_method_return(m, "s", sd_id128_to_string(c->server->id, id));
}

const sd_bus_vtable bus_dbus_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("Hello", "", , "s", SD_BUS_PARAM(unique_name), method_hello,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("AddMatch", "s", SD_BUS_PARAM(rule), "", , method_match,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("RemoveMatch", "s", SD_BUS_PARAM(rule), "", , method_match,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetNameOwner", "s", SD_BUS_PARAM(name), "s", SD_BUS_PARAM(owner),
                                 method_get_name_owner, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("NameHasOwner", "s", SD_BUS_PARAM(name), "b", SD_BUS_PARAM(has_owner),
                                 method_name_has_owner, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListNames", "", , "as", SD_BUS_PARAM(names), method_list_names,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetConnectionUnixUser", "s", SD_BUS_PARAM(name), "u", SD_BUS_PARAM(uid),
                                 method_get_connection_unix_user, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetConnectionUnixProcessID", "s", SD_BUS_PARAM(name), "u",
                                 SD_BUS_PARAM(pid), method_get_connection_unix_process_id,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetId", "", , "s", SD_BUS_PARAM(id), method_get_id, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
