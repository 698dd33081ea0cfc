/* engine/port_ext.h — PORT_NAME (rename, aliases) and PORT_MONITOR requests.
 * Main thread only; each returns the reply's result (0 or -errno, with
 * m->error saying what was wrong). */
#ifndef RILL_PORT_EXT_H
#define RILL_PORT_EXT_H

struct rill_server;
struct rill_conn;
struct rill_msg;

int rill_port_name_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);
int rill_port_monitor_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);

#endif
