#include "client/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/xalloc.h"
#include "rpc/conn.h"
#include "rpc/handoff.h"
#include "rpc/msg.h"
#include "rpc/wire.h"

/* An answer that came while we waited for another one. */
struct client_stashed {
	uint64_t id;
	struct json_object *answer;
};

struct client {
	int fd;
	struct conn *conn;
	uint64_t next_id;
	VEC(struct client_stashed) stash;
	VEC(int) forked; /* "tinydbgForked" of the batches, not yet taken */
	struct handoff *handoff; /* borrowed: client_set_handoff */
	/* Delve's server (GetVersion says so, asked at the first continue):
	 * it stops at each hit and a continue's answer carries it, so the
	 * client runs Delve's loop, a Command continue per hit, and hands the
	 * hits out as batches; the caller's continue (user_id) is answered
	 * with the state that has none. */
	bool detected, delve;
	bool cont_pending, final_set;
	uint64_t cont_id, user_id;
	struct api_state final;
};

struct client *client_new(int fd)
{
	struct client *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->conn = conn_new(fd);
	if (!c->conn) {
		free(c);
		return NULL;
	}
	return c;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->stash.len; i++)
		json_object_put(c->stash.items[i].answer);
	VEC_FREE(&c->stash);
	VEC_FREE(&c->forked);
	conn_free(c->conn);
	close(c->fd);
	free(c);
}

void client_set_handoff(struct client *c, struct handoff *h)
{
	c->handoff = h;
}

void client_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Sends method(params) (params taken; NULL sends {}); *id names it. */
static int client_send(struct client *c, const char *method,
		       struct json_object *params, uint64_t *id,
		       struct errbuf *eb)
{
	struct json_object *req;
	int err;

	*id = c->next_id++;
	req = msg_request_new(method, *id, params);
	err = conn_write(c->conn, req, eb);
	json_object_put(req);
	if (err)
		return errbuf_prefix(eb, err, "%s", method);
	return 0;
}

static bool client_stashed(const struct client *c, uint64_t id)
{
	for (size_t i = 0; i < c->stash.len; i++)
		if (c->stash.items[i].id == id)
			return true;
	return false;
}

/* Takes the answer to id out of the stash, or NULL. */
static struct json_object *client_unstash(struct client *c, uint64_t id)
{
	for (size_t i = 0; i < c->stash.len; i++) {
		struct json_object *a = c->stash.items[i].answer;

		if (c->stash.items[i].id != id)
			continue;
		c->stash.items[i] = c->stash.items[--c->stash.len];
		return a;
	}
	return NULL;
}

/* Waits for the answer to id (timeout_ms as in conn_read; a timeout is
 * -EAGAIN). Returns 0 with *answer (caller puts it) and *result borrowed
 * from it, or a negative errno; a server-side error is -EREMOTEIO. */
static int client_await(struct client *c, uint64_t id, int timeout_ms,
			struct json_object **answer,
			struct json_object **result, struct errbuf *eb)
{
	struct json_object *a = client_unstash(c, id);
	struct msg_response resp;
	int r;

	*answer = *result = NULL;
	while (!a) {
		struct json_object *v;

		r = conn_read(c->conn, timeout_ms, &v, eb);
		if (r == -ETIMEDOUT) {
			errbuf_clear(eb);
			return -EAGAIN;
		}
		if (r < 0)
			return r;
		if (r == 0)
			return errbuf_set(eb, -ECONNRESET,
					  "rpc: connection closed by the server");
		r = msg_response_parse(v, &resp, eb);
		if (r) {
			json_object_put(v);
			return r;
		}
		if (resp.null_id) {
			/* About the connection, not a call: the server
			 * refused us, or our bytes (a request too large). */
			r = errbuf_set(eb, -ECONNREFUSED, "%s", resp.error);
			json_object_put(v);
			return r;
		}
		if (resp.id == id) {
			a = v;
		} else if (resp.id < c->next_id && !client_stashed(c, resp.id)) {
			struct client_stashed s = { resp.id, v };

			VEC_PUSH(&c->stash, s);
		} else {
			/* Not an id we sent, or a second answer to one:
			 * nobody will ask for it. */
			json_object_put(v);
		}
	}
	msg_response_parse(a, &resp, NULL);
	if (resp.error) {
		r = errbuf_set(eb, -EREMOTEIO, "%s", resp.error);
		json_object_put(a);
		return r;
	}
	*answer = a;
	*result = resp.result;
	return 0;
}

/* One synchronous call. */
static int client_call(struct client *c, const char *method,
		       struct json_object *params, struct json_object **answer,
		       struct json_object **result, struct errbuf *eb)
{
	uint64_t id;
	int err;

	err = client_send(c, method, params, &id, eb);
	if (err)
		return err;
	return client_await(c, id, -1, answer, result, eb);
}

int client_set_api_version(struct client *c, struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res;
	int err;

	json_object_object_add(p, "APIVersion", json_object_new_int(2));
	err = client_call(c, "RPCServer.SetApiVersion", p, &a, &res, eb);
	json_object_put(a);
	return err;
}

int client_process_pid(struct client *c, int *pid, struct errbuf *eb)
{
	struct json_object *a, *res;
	int err;

	*pid = 0;
	err = client_call(c, "RPCServer.ProcessPid", NULL, &a, &res, eb);
	if (!err)
		err = wire_get_int(res, "Pid", pid, eb);
	json_object_put(a);
	return err;
}

/* Decodes {"State": {...}} into *st (st may be NULL: ignored). */
static int client_state_out(struct json_object *res, struct api_state *st,
			    struct errbuf *eb)
{
	struct json_object *o;
	struct api_state tmp;
	int err;

	err = wire_get_obj(res, "State", &o, eb);
	if (!err)
		err = wire_state_from_json(o, st ? st : &tmp, eb);
	return err;
}

int client_state(struct client *c, struct api_state *st, struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res;
	int err;

	memset(st, 0, sizeof(*st));
	/* Delve's State fails once the process has exited: the last state. */
	if (c->delve && c->final_set) {
		json_object_put(p);
		*st = c->final;
		return 0;
	}
	json_object_object_add(p, "NonBlocking", json_object_new_boolean(1));
	err = client_call(c, "RPCServer.State", p, &a, &res, eb);
	if (!err)
		err = client_state_out(res, st, eb);
	json_object_put(a);
	return err;
}

int client_list_functions(struct client *c, const char *filter,
			  int follow_calls, char ***names, size_t *n,
			  char ***inlined, size_t *ninlined,
			  struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res;
	int err;

	*names = NULL;
	*n = 0;
	if (inlined) {
		*inlined = NULL;
		*ninlined = 0;
	}
	json_object_object_add(p, "Filter", wire_str(filter));
	json_object_object_add(p, "FollowCalls",
			       json_object_new_int(follow_calls));
	err = client_call(c, "RPCServer.ListFunctions", p, &a, &res, eb);
	if (!err)
		err = wire_get_str_array(res, "Funcs", names, n, eb);
	if (!err && inlined)
		err = wire_get_str_array(res, "tinydbgInlined", inlined,
					 ninlined, eb);
	json_object_put(a);
	return err;
}

int client_create_breakpoint(struct client *c, const struct api_breakpoint *req,
			     struct api_breakpoint *out, struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res, *bp;
	int err;

	memset(out, 0, sizeof(*out));
	json_object_object_add(p, "Breakpoint", wire_breakpoint_to_json(req));
	json_object_object_add(p, "LocExpr", wire_str(""));
	json_object_object_add(p, "SubstitutePathRules", NULL);
	json_object_object_add(p, "Suspended", json_object_new_boolean(0));
	err = client_call(c, "RPCServer.CreateBreakpoint", p, &a, &res, eb);
	if (!err)
		err = wire_get_obj(res, "Breakpoint", &bp, eb);
	if (!err)
		err = wire_breakpoint_from_json(bp, out, eb);
	json_object_put(a);
	return err;
}

int client_function_return_locations(struct client *c, const char *fn,
				     uint64_t **addrs, size_t *n,
				     struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res;
	int err;

	*addrs = NULL;
	*n = 0;
	json_object_object_add(p, "FnName", wire_str(fn));
	err = client_call(c, "RPCServer.FunctionReturnLocations", p, &a, &res,
			  eb);
	if (!err)
		err = wire_get_u64_array(res, "Addrs", addrs, n, eb);
	json_object_put(a);
	return err;
}

static int client_command_send(struct client *c, const char *name,
			       uint64_t *id, struct errbuf *eb)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "name", json_object_new_string(name));
	return client_send(c, "RPCServer.Command", p, id, eb);
}

/* Whether the server is Delve's own (GetVersion's DelveVersion is not
 * ours). */
static void client_detect(struct client *c)
{
	struct json_object *a, *res;
	char *v = NULL;

	if (c->detected)
		return;
	c->detected = true;
	if (client_call(c, "RPCServer.GetVersion", NULL, &a, &res, NULL))
		return;
	if (!wire_get_str(res, "DelveVersion", &v, NULL) && v &&
	    strcmp(v, "tinydbg"))
		c->delve = true;
	free(v);
	json_object_put(a);
}

int client_continue_start(struct client *c, uint64_t *id, struct errbuf *eb)
{
	int err;

	client_detect(c);
	if (!c->delve)
		return client_command_send(c, "continue", id, eb);
	err = client_command_send(c, "continue", &c->cont_id, eb);
	if (err)
		return err;
	c->cont_pending = true;
	c->final_set = false;
	*id = c->user_id = c->next_id++; /* answered by the last state */
	return 0;
}

/* Delve's loop, one step: the pending continue's answer within wait_ms;
 * its hits into *out, and the next continue sent, or the last state kept
 * for client_command_result. */
static int client_delve_step(struct client *c, int wait_ms,
			     struct api_tracepoint_result **out, size_t *n,
			     struct errbuf *eb)
{
	struct json_object *a, *res, *so = NULL;
	struct api_state st;
	int err;

	*out = NULL;
	*n = 0;
	if (!c->cont_pending)
		return 0;
	err = client_await(c, c->cont_id, wait_ms, &a, &res, eb);
	if (err == -EAGAIN)
		return 0;
	c->cont_pending = false;
	if (err) {
		/* The target ended between two continues, as Delve says. */
		memset(&c->final, 0, sizeof(c->final));
		c->final.exited = strstr(eb->msg, "has exited") != NULL;
		c->final_set = true;
		return c->final.exited ? 0 : err;
	}
	err = wire_get_obj(res, "State", &so, eb);
	if (!err)
		err = wire_state_from_json(so, &st, eb);
	if (!err && !st.exited)
		*n = wire_state_hits_from_json(so, out, eb);
	json_object_put(a);
	if (err)
		return err;
	if (*n && !st.exited)
		return client_command_send(c, "continue", &c->cont_id, eb) ?:
		       (c->cont_pending = true, 0);
	c->final = st;
	c->final_set = true;
	return 0;
}

int client_command_result(struct client *c, uint64_t id, bool wait,
			  struct api_state *st, struct errbuf *eb)
{
	struct json_object *a, *res;
	int err;

	memset(st, 0, sizeof(*st));
	if (c->delve && id == c->user_id) {
		if (!c->final_set)
			return -EAGAIN;
		*st = c->final;
		return 0;
	}
	err = client_await(c, id, wait ? -1 : 0, &a, &res, eb);
	if (!err)
		err = client_state_out(res, st, eb);
	json_object_put(a);
	return err;
}

int client_halt(struct client *c, struct api_state *st, struct errbuf *eb)
{
	struct json_object *a, *res;
	uint64_t id;
	int err;

	if (st)
		memset(st, 0, sizeof(*st));
	err = client_command_send(c, "halt", &id, eb);
	if (err)
		return err;
	err = client_await(c, id, -1, &a, &res, eb);
	if (!err)
		err = client_state_out(res, st, eb);
	json_object_put(a);
	return err;
}

static void client_release_events(struct api_tracepoint_result *evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		api_tracepoint_result_release(&evs[i]);
	free(evs);
}

void client_events_done(struct client *c, struct api_tracepoint_result *evs,
			size_t n)
{
	if (c->handoff && n)
		handoff_done(c->handoff, evs, n);
	else
		client_release_events(evs, n);
}

int client_get_buffered_tracepoints(struct client *c, int wait_ms,
				    struct api_tracepoint_result **out,
				    size_t *n, uint64_t *lost,
				    struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res;
	uint64_t nlost = 0, seq = 0;
	int err;

	*out = NULL;
	*n = 0;
	if (lost)
		*lost = 0;
	if (c->delve) {
		json_object_put(p);
		return client_delve_step(c, wait_ms, out, n, eb);
	}
	json_object_object_add(p, "WaitMs",
			       json_object_new_int(wait_ms > 0 ? wait_ms : 0));
	/* Ours: each batch's frames once, events naming them (wire.c). */
	json_object_object_add(p, "tinydbgFrameTable",
			       json_object_new_boolean(true));
	if (c->handoff)
		json_object_object_add(p, "tinydbgHandoff",
				       json_object_new_boolean(true));
	err = client_call(c, "RPCServer.GetBufferedTracepoints", p, &a, &res,
			  eb);
	if (err)
		return err;
	err = wire_tracepoints_from_json(res, out, n, &nlost, eb);
	if (!err && c->handoff && !(err = wire_get_handoff(res, &seq, eb)) &&
	    seq) {
		/* The events came the short way (rpc/handoff.h); a server
		 * that ignored the flag sent them above. */
		client_release_events(*out, *n);
		err = handoff_pop(c->handoff, seq, out, n);
		if (err)
			err = errbuf_set(eb, -EPROTO, "GetBufferedTracepoints: no "
				   "batch %llu in the handoff",
				   (unsigned long long)seq);
	}
	if (!err && lost)
		*lost = nlost;
	if (!err) {
		int *pids;
		size_t np;

		if (!wire_get_forked(res, &pids, &np, NULL)) {
			for (size_t i = 0; i < np; i++)
				VEC_PUSH(&c->forked, pids[i]);
			free(pids);
		}
	}
	json_object_put(a);
	return err;
}

size_t client_take_forked(struct client *c, int **pids)
{
	size_t n = c->forked.len;

	*pids = c->forked.items;
	c->forked.items = NULL;
	c->forked.len = c->forked.cap = 0;
	return n;
}

int client_detach(struct client *c, bool kill, struct errbuf *eb)
{
	struct json_object *p = json_object_new_object(), *a, *res;
	int err;

	json_object_object_add(p, "Kill", json_object_new_boolean(kill));
	err = client_call(c, "RPCServer.Detach", p, &a, &res, eb);
	json_object_put(a);
	return err;
}
