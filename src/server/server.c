#include "server/server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/xalloc.h"
#include "rpc/conn.h"
#include "rpc/handoff.h"
#include "rpc/msg.h"
#include "rpc/wire.h"

/* A handler's answer will be sent later, by a thread it started. */
#define SERVER_DEFERRED 1

/* Answers owed by threads at once, at most: a client that floods us with
 * long polls gets errors, not a thread each. */
#define SERVER_MAX_INFLIGHT 32

/* A remote client's request is a few hundred bytes (Delve's largest, a
 * CreateBreakpoint, 1 KiB); this bounds what a peer can make us hold: the
 * bytes, and the objects parsed from them as they come (an array of small
 * numbers costs ~40 bytes of objects a byte). A local client gets conn.h's
 * CONN_MAX_MSG. */
#define SERVER_MAX_REQUEST (256u << 10)
/* A remote client has this long to send the rest of a request it began,
 * and to take an answer we write (a peer that stopped reading). */
#define SERVER_STALL_MS 5000
#define SERVER_WRITE_MS 10000

/* One connection being served. */
struct session {
	struct debugger *d;
	struct conn *conn;
	struct server_session_opts o;
	/* Set only on the session of server_start_local, whose client lives
	 * in our process: a GetBufferedTracepoints that asks for it
	 * ("tinydbgHandoff") gets its events through it. A remote peer has
	 * none, whatever it asks. */
	struct handoff *handoff;
	bool v2_seen;    /* a JSON-RPC 2.0 request came: errors about the
			  * stream itself are sent in its shape */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int inflight;    /* answers owed by threads still running */
	bool continuing; /* a Command continue is pending */
	/* Delve's own client, which asks for one tracepoint hit per
	 * Command continue (per-hit mode, server_hit_continue): the target
	 * runs on in the background; the events taken from the debugger and
	 * not yet answered; the state it ended in. */
	struct {
		bool started, done;
		struct api_tracepoint_result *evs;
		size_t n, pos;
		struct api_state final;
	} hit;
};

/* One request. id and params borrow from req, which the call owns. */
struct call {
	struct session *s;
	struct json_object *req;
	struct json_object *id;
	struct json_object *params;
	bool v2;     /* answered in JSON-RPC 2.0's shape */
	bool silent; /* a 2.0 notification (no id): never answered */
	int code;    /* the 2.0 code of an error found before the method ran */
};

/* A handler fills *result (a new object, sent as "result") and returns 0,
 * or returns a negative errno with eb's message sent as "error", or
 * SERVER_DEFERRED when a thread of its own will answer. */
typedef int (*server_handler)(struct call *c, struct json_object **result,
			      struct errbuf *eb);

struct server {
	struct debugger *d;
	struct handoff *handoff;
	int fd;
	pthread_t thread;
};

/* The 2.0 code of a handler's error: a value of the wrong type or out of
 * range (wire.h's errors) and a request the method cannot take are bad
 * params; what went wrong in the debugger is an internal error, its
 * message saying what. */
static int server_code(const struct call *c, int err)
{
	if (c->code)
		return c->code;
	if (err == -EINVAL || err == -ERANGE)
		return MSG_INVALID_PARAMS;
	return MSG_INTERNAL_ERROR;
}

/* Writes a; a peer that does not take it in time (it stopped reading) has
 * its connection shut, which ends the reading loop. */
static void server_write(struct session *s, struct json_object *a)
{
	if (conn_write(s->conn, a, NULL) == -ETIMEDOUT)
		shutdown(conn_fd(s->conn), SHUT_RDWR);
}

static void server_answer(struct call *c, int err, struct json_object *result,
			  struct errbuf *eb)
{
	const char *msg = eb->msg[0] ? eb->msg : strerror(-err);
	struct json_object *a;

	if (c->silent) {
		json_object_put(result);
		return;
	}
	if (err < 0) {
		json_object_put(result);
		a = c->v2 ? msg_error_new2(c->id, server_code(c, err), msg)
			  : msg_error_new(c->id, msg);
	} else {
		a = c->v2 ? msg_result_new2(c->id, result)
			  : msg_result_new(c->id, result);
	}
	/* A failed write means the peer has gone: the reading loop sees the
	 * end of the stream and ends the session, nothing to do here. */
	server_write(c->s, a);
	json_object_put(a);
}

/* ---- answering from a thread ---- */

struct job {
	struct call call;
	server_handler fn;
};

static void *server_job_main(void *arg)
{
	struct job *j = arg;
	struct session *s = j->call.s;
	struct json_object *result = NULL;
	struct errbuf eb = { "" };
	int err;

	err = j->fn(&j->call, &result, &eb);
	server_answer(&j->call, err, result, &eb);
	json_object_put(j->call.req);
	free(j);
	/* Last: once inflight drops, the session may be freed. */
	pthread_mutex_lock(&s->lock);
	s->inflight--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Runs fn(c) on a thread of its own, which answers; the call's request
 * moves to it. fn must not return SERVER_DEFERRED. */
static int server_defer(struct call *c, server_handler fn, struct errbuf *eb)
{
	struct job *j = xmalloc(sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	int err;

	pthread_mutex_lock(&c->s->lock);
	if (c->s->inflight >= SERVER_MAX_INFLIGHT) {
		pthread_mutex_unlock(&c->s->lock);
		free(j);
		return errbuf_set(eb, -EBUSY, "too many requests in progress");
	}
	c->s->inflight++;
	pthread_mutex_unlock(&c->s->lock);
	j->call = *c;
	j->fn = fn;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, server_job_main, j);
	pthread_attr_destroy(&attr);
	if (err) {
		pthread_mutex_lock(&c->s->lock);
		c->s->inflight--;
		pthread_mutex_unlock(&c->s->lock);
		free(j);
		return errbuf_set(eb, -err, "cannot start a thread: %s",
				  strerror(err));
	}
	c->req = NULL; /* the job's now */
	return SERVER_DEFERRED;
}

/* ---- methods ---- */

static int m_set_api_version(struct call *c, struct json_object **result,
			     struct errbuf *eb)
{
	int v = 0, err;

	err = wire_get_int(c->params, "APIVersion", &v, eb);
	if (err)
		return err;
	/* Delve turns anything below 2 into v1, which we do not speak. */
	if (v != 2)
		return errbuf_set(eb, -EINVAL, "unknown API version");
	*result = json_object_new_object();
	return 0;
}

static int m_get_version(struct call *c, struct json_object **result,
			 struct errbuf *eb)
{
	*result = json_object_new_object();
	json_object_object_add(*result, "DelveVersion",
			       json_object_new_string("tinydbg"));
	json_object_object_add(*result, "APIVersion", json_object_new_int(2));
	return 0;
}

static int m_is_multiclient(struct call *c, struct json_object **result,
			    struct errbuf *eb)
{
	*result = json_object_new_object();
	json_object_object_add(*result, "IsMulticlient",
			       json_object_new_boolean(c->s->o.multiclient));
	return 0;
}

static int m_process_pid(struct call *c, struct json_object **result,
			 struct errbuf *eb)
{
	*result = json_object_new_object();
	json_object_object_add(*result, "Pid",
			       json_object_new_int(debugger_pid(c->s->d)));
	return 0;
}

static struct json_object *server_state_out(const struct api_state *st)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "State", wire_state_to_json(st));
	return o;
}

static int m_state(struct call *c, struct json_object **result,
		   struct errbuf *eb)
{
	struct api_state st;
	bool nonblocking = false;
	int err;

	/* Read to refuse a mistyped one; our state never blocks. */
	err = wire_get_bool(c->params, "NonBlocking", &nonblocking, eb);
	if (err)
		return err;
	debugger_state(c->s->d, &st);
	*result = server_state_out(&st);
	return 0;
}

static int m_list_functions(struct call *c, struct json_object **result,
			    struct errbuf *eb)
{
	char *filter = NULL, **names = NULL, **inl = NULL;
	int follow = 0, err;
	size_t n = 0, ninl = 0;

	if ((err = wire_get_str(c->params, "Filter", &filter, eb)) ||
	    (err = wire_get_int(c->params, "FollowCalls", &follow, eb)))
		goto out;
	err = debugger_list_functions(c->s->d, filter ? filter : "", follow,
				      &names, &n, eb);
	if (!err)
		err = debugger_list_inlined(c->s->d, filter ? filter : "",
					    &inl, &ninl, eb);
	if (err)
		goto out;
	*result = json_object_new_object();
	json_object_object_add(*result, "Funcs", wire_str_array(names, n));
	/* Ours: what matched but has no code (inlined at every call), for
	 * the frontend to say so; only when there is any. */
	if (ninl)
		json_object_object_add(*result, "tinydbgInlined",
				       wire_str_array(inl, ninl));
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; i < ninl; i++)
		free(inl[i]);
	free(inl);
	free(filter);
	return err;
}

static int m_create_breakpoint(struct call *c, struct json_object **result,
			       struct errbuf *eb)
{
	struct api_breakpoint req, out;
	struct json_object *o;
	char *locexpr = NULL;
	int err;

	memset(&out, 0, sizeof(out));
	err = wire_get_obj(c->params, "Breakpoint", &o, eb);
	if (err)
		return err;
	err = wire_get_str(c->params, "LocExpr", &locexpr, eb);
	if (err)
		return err;
	err = wire_breakpoint_from_json(o, &req, eb);
	if (err)
		goto out;
	/* Delve clients may name the place only in Addrs, or only in LocExpr
	 * (when it is a function name): bring both to what we take. */
	if (!req.addr && req.naddrs)
		req.addr = req.addrs[0];
	if (!req.addr && !(req.function_name && *req.function_name) &&
	    locexpr && *locexpr) {
		free(req.function_name);
		req.function_name = locexpr;
		locexpr = NULL;
	}
	if (!req.addr && !(req.function_name && *req.function_name)) {
		err = errbuf_set(eb, -EINVAL,
				 "breakpoint has neither a function name nor an address");
		goto out;
	}
	err = debugger_create_breakpoint(c->s->d, &req, &out, eb);
	if (!err) {
		*result = json_object_new_object();
		json_object_object_add(*result, "Breakpoint",
				       wire_breakpoint_to_json(&out));
	}
	api_breakpoint_release(&out);
out:
	api_breakpoint_release(&req);
	free(locexpr);
	return err;
}

static int m_function_return_locations(struct call *c,
				       struct json_object **result,
				       struct errbuf *eb)
{
	uint64_t *addrs = NULL;
	char *fn = NULL;
	size_t n = 0;
	int err;

	err = wire_get_str(c->params, "FnName", &fn, eb);
	if (err)
		return err;
	if (!fn || !*fn) {
		err = errbuf_set(eb, -EINVAL, "no function name (FnName)");
		goto out;
	}
	err = debugger_return_locations(c->s->d, fn, &addrs, &n, eb);
	if (err)
		goto out;
	*result = json_object_new_object();
	json_object_object_add(*result, "Addrs", wire_u64_array(addrs, n));
	free(addrs);
out:
	free(fn);
	return err;
}

/* On a job thread: blocks until the target exits or is halted. */
static int server_run_continue(struct call *c, struct json_object **result,
			       struct errbuf *eb)
{
	struct session *s = c->s;
	struct api_state st;
	int err;

	memset(&st, 0, sizeof(st));
	err = debugger_continue(s->d, &st, eb);
	pthread_mutex_lock(&s->lock);
	s->continuing = false;
	pthread_mutex_unlock(&s->lock);
	if (err)
		return err;
	*result = server_state_out(&st);
	return 0;
}

/* ---- Delve's own client (dlv connect) ---- */

static int m_recorded(struct call *c, struct json_object **result,
		      struct errbuf *eb)
{
	(void)c;
	(void)eb;
	*result = json_object_new_object();
	json_object_object_add(*result, "Recorded",
			       json_object_new_boolean(0));
	json_object_object_add(*result, "TraceDirectory",
			       json_object_new_string(""));
	return 0;
}

static struct json_object *function_json(const char *name, uint64_t value)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "name", json_object_new_string(name ? name : ""));
	json_object_object_add(f, "value", json_object_new_uint64(value));
	json_object_object_add(f, "type", json_object_new_int(0));
	json_object_object_add(f, "goType", json_object_new_int(0));
	json_object_object_add(f, "optimized", json_object_new_boolean(0));
	return f;
}

/* Where Delve's "trace NAME" and "break NAME" go: by a function's name. */
static int m_find_location(struct call *c, struct json_object **result,
			   struct errbuf *eb)
{
	struct api_location *locs = NULL;
	struct json_object *a;
	char *loc = NULL;
	size_t n = 0;
	int err;

	if ((err = wire_get_str(c->params, "Loc", &loc, eb)))
		return err;
	if (!loc || !*loc) {
		free(loc);
		return errbuf_set(eb, -EINVAL, "FindLocation: no Loc");
	}
	err = debugger_find_location(c->s->d, loc, &locs, &n, eb);
	free(loc);
	if (err)
		return err;
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_new_object();
		uint64_t pid = (uint64_t)debugger_pid(c->s->d);

		json_object_object_add(l, "pc", json_object_new_uint64(locs[i].pc));
		json_object_object_add(l, "file", json_object_new_string(
						locs[i].file ? locs[i].file : ""));
		json_object_object_add(l, "line", json_object_new_int(locs[i].line));
		json_object_object_add(l, "function",
				       function_json(locs[i].function,
						     locs[i].entry));
		json_object_object_add(l, "pcs", wire_u64_array(&locs[i].pc, 1));
		json_object_object_add(l, "pcpids", wire_u64_array(&pid, 1));
		json_object_array_add(a, l);
	}
	api_locations_release(locs, n);
	*result = json_object_new_object();
	json_object_object_add(*result, "Locations", a);
	return 0;
}

static int m_list_breakpoints(struct call *c, struct json_object **result,
			      struct errbuf *eb)
{
	struct api_breakpoint *bps = NULL;
	struct json_object *a;
	size_t n = 0;
	int err = debugger_list_breakpoints(c->s->d, &bps, &n, eb);

	if (err)
		return err;
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object_array_add(a, wire_breakpoint_to_json(&bps[i]));
		api_breakpoint_release(&bps[i]);
	}
	free(bps);
	*result = json_object_new_object();
	json_object_object_add(*result, "Breakpoints", a);
	return 0;
}

/* By its id (Delve's client sends the id, and the name, which breakpoints
 * set by a trace do not have). */
static int m_clear_breakpoint(struct call *c, struct json_object **result,
			      struct errbuf *eb)
{
	struct api_breakpoint bp;
	int id = 0, err;

	if ((err = wire_get_int(c->params, "Id", &id, eb)))
		return err;
	if ((err = debugger_clear_breakpoint(c->s->d, id, &bp, eb)))
		return err;
	*result = json_object_new_object();
	json_object_object_add(*result, "Breakpoint",
			       wire_breakpoint_to_json(&bp));
	api_breakpoint_release(&bp);
	return 0;
}

/* A thread stopped on the tracepoint of event ev, as Delve's server
 * describes it: its breakpoint (a tracepoint, or a return tracepoint),
 * the arguments, and the results of a return. */
static struct json_object *hit_thread(const struct api_tracepoint_result *ev)
{
	struct json_object *t = json_object_new_object(), *info, *args;
	struct api_breakpoint bp;
	uint64_t addr = ev->addr;

	memset(&bp, 0, sizeof(bp));
	bp.addr = ev->addr;
	bp.addrs = &addr;
	bp.naddrs = 1;
	bp.file = ev->file;
	bp.line = ev->line;
	bp.function_name = ev->function_name;
	bp.tracepoint = !ev->is_ret;
	bp.trace_return = ev->is_ret;
	/* The config Delve's trace command sets (its ShortLoadConfig): its
	 * client prints the arguments only when it finds it here. */
	bp.load_args = true;
	bp.load_cfg = (struct api_load_config){.max_string_len = 64,
					       .max_struct_fields = 3};
	json_object_object_add(t, "id", json_object_new_int(ev->thread_id));
	json_object_object_add(t, "pc", json_object_new_uint64(ev->addr));
	json_object_object_add(t, "file", json_object_new_string(ev->file ? ev->file : ""));
	json_object_object_add(t, "line", json_object_new_int(ev->line));
	json_object_object_add(t, "function", function_json(ev->function_name, ev->addr));
	json_object_object_add(t, "goroutineID", json_object_new_int64(
						ev->goroutine_id > 0 ? ev->goroutine_id : 0));
	json_object_object_add(t, "breakPoint", wire_breakpoint_to_json(&bp));
	info = json_object_new_object();
	args = json_object_new_array();
	/* Delve's client prints the values flagged as arguments. */
	for (size_t i = 0; i < ev->ninput; i++) {
		struct value v = ev->input_params[i];

		v.flags |= VF_ARGUMENT;
		json_object_array_add(args, wire_value_to_json(&v));
	}
	json_object_object_add(info, "arguments", args);
	json_object_object_add(t, "breakPointInfo", info);
	if (ev->is_ret) {
		struct json_object *rv = json_object_new_array();

		for (size_t i = 0; i < ev->nreturn; i++) {
			struct value v = ev->return_params[i];

			v.flags |= VF_RETURN;
			json_object_array_add(rv, wire_value_to_json(&v));
		}
		json_object_object_add(t, "ReturnValues", rv);
	} else {
		json_object_object_add(t, "ReturnValues", NULL);
	}
	json_object_object_add(t, "CallReturn", json_object_new_boolean(0));
	return t;
}

static struct json_object *hit_state(struct session *s,
				     const struct api_tracepoint_result *ev)
{
	struct json_object *st = json_object_new_object(), *th, *ths, *r;

	th = hit_thread(ev);
	ths = json_object_new_array();
	json_object_object_add(st, "Pid", json_object_new_int(debugger_pid(s->d)));
	json_object_object_add(st, "Running", json_object_new_boolean(0));
	json_object_object_add(st, "Recording", json_object_new_boolean(0));
	json_object_object_add(st, "CoreDumping", json_object_new_boolean(0));
	json_object_object_add(st, "currentThread", json_object_get(th));
	json_object_array_add(ths, th);
	json_object_object_add(st, "Threads", ths);
	json_object_object_add(st, "NextInProgress", json_object_new_boolean(0));
	json_object_object_add(st, "WatchOutOfScope", NULL);
	json_object_object_add(st, "exited", json_object_new_boolean(0));
	json_object_object_add(st, "exitStatus", json_object_new_int(0));
	json_object_object_add(st, "When", json_object_new_string(""));
	r = json_object_new_object();
	json_object_object_add(r, "State", st);
	return r;
}

/* The target's run behind a per-hit client: counted as a job (the
 * session waits for it, halting it, when the client goes). */
static void *hit_run_main(void *arg)
{
	struct session *s = arg;
	struct api_state st;
	struct errbuf eb;

	memset(&st, 0, sizeof(st));
	if (debugger_continue(s->d, &st, &eb))
		debugger_state(s->d, &st);
	pthread_mutex_lock(&s->lock);
	s->hit.final = st;
	s->hit.done = true;
	s->continuing = false;
	s->inflight--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void hit_release(struct session *s)
{
	for (size_t i = 0; i < s->hit.n; i++)
		api_tracepoint_result_release(&s->hit.evs[i]);
	free(s->hit.evs);
	s->hit.evs = NULL;
	s->hit.n = s->hit.pos = 0;
}

/* Delve's client's Command continue: the next tracepoint hit, as a state
 * stopped there (the target does not wait for it: it runs on, its events
 * queued), or the state it ended in. */
static int server_hit_continue(struct call *c, struct json_object **result,
			       struct errbuf *eb)
{
	struct session *s = c->s;
	pthread_attr_t attr;
	pthread_t t;
	bool done;

	pthread_mutex_lock(&s->lock);
	if (!s->hit.started) {
		s->hit.started = true;
		s->hit.done = false;
		s->continuing = true;
		s->inflight++;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, hit_run_main, s)) {
			s->hit.started = false;
			s->continuing = false;
			s->inflight--;
			pthread_attr_destroy(&attr);
			pthread_mutex_unlock(&s->lock);
			return errbuf_set(eb, -EAGAIN, "cannot start the target's run");
		}
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&s->lock);
	for (;;) {
		uint64_t lost;
		size_t n;

		if (s->hit.pos < s->hit.n) {
			*result = hit_state(s, &s->hit.evs[s->hit.pos++]);
			return 0;
		}
		hit_release(s);
		pthread_mutex_lock(&s->lock);
		done = s->hit.done;
		pthread_mutex_unlock(&s->lock);
		n = debugger_take_events(s->d, done ? 0 : 200, &s->hit.evs,
					 &lost);
		s->hit.n = n;
		/* A batch may be a loss alone: more may follow it. */
		if (n || lost)
			continue;
		free(s->hit.evs);
		s->hit.evs = NULL;
		if (done) {
			pthread_mutex_lock(&s->lock);
			s->hit.started = false;
			*result = server_state_out(&s->hit.final);
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
	}
}

static int m_command(struct call *c, struct json_object **result,
		     struct errbuf *eb)
{
	struct session *s = c->s;
	struct api_state st;
	char *name = NULL;
	int err;

	err = wire_get_str(c->params, "name", &name, eb);
	if (err)
		return err;
	/* Delve's own client sends the config of the return values it
	 * wants with each continue, and expects one hit per call. */
	if (name && !strcmp(name, "continue") &&
	    json_object_object_get_ex(c->params, "ReturnInfoLoadConfig", NULL)) {
		err = server_defer(c, server_hit_continue, eb);
	} else if (name && !strcmp(name, "continue")) {
		pthread_mutex_lock(&s->lock);
		if (s->continuing)
			err = errbuf_set(eb, -EBUSY,
					 "a continue is already in progress");
		else
			s->continuing = true;
		pthread_mutex_unlock(&s->lock);
		if (!err) {
			err = server_defer(c, server_run_continue, eb);
			if (err < 0) {
				pthread_mutex_lock(&s->lock);
				s->continuing = false;
				pthread_mutex_unlock(&s->lock);
			}
		}
	} else if (name && !strcmp(name, "halt")) {
		debugger_halt(s->d);
		debugger_state(s->d, &st);
		*result = server_state_out(&st);
	} else {
		err = errbuf_set(eb, -EINVAL, "unsupported command \"%s\"",
				 name ? name : "");
	}
	free(name);
	return err;
}

/* Inline, or on a job thread when it may wait. */
static int server_take_events(struct call *c, struct json_object **result,
			      struct errbuf *eb)
{
	struct api_tracepoint_result *evs = NULL;
	uint64_t lost = 0;
	int wait = 0;
	bool table = false, handoff = false;
	size_t n;

	wire_get_int(c->params, "WaitMs", &wait, NULL); /* checked already */
	if (wait < 0)
		wait = 0;
	if (wait > SERVER_MAX_WAIT_MS)
		wait = SERVER_MAX_WAIT_MS;
	wire_get_bool(c->params, "tinydbgFrameTable", &table, NULL);
	wire_get_bool(c->params, "tinydbgHandoff", &handoff, NULL);
	/* What the client printed: released by the thread that made it. */
	if (c->s->handoff) {
		struct api_tracepoint_result *done;
		size_t nd;

		while (handoff_take_done(c->s->handoff, &done, &nd))
			debugger_recycle(c->s->d, done, nd);
	}
	n = debugger_take_events(c->s->d, wait, &evs, &lost);
	if (handoff && c->s->handoff && n) {
		/* The structs go as they are; the answer names them. */
		for (size_t i = 0; i < n; i++)
			wire_tracepoint_result_as_sent(&evs[i]);
		*result = wire_tracepoints_to_json(NULL, 0, lost, false);
		wire_add_handoff(*result, handoff_push(c->s->handoff, evs, n));
		evs = NULL;
		n = 0;
	} else {
		*result = wire_tracepoints_to_json(evs, n, lost, table);
	}
	{
		int *pids = NULL;
		size_t nf = debugger_take_forked(c->s->d, &pids);

		wire_add_forked(*result, pids, nf);
		free(pids);
	}
	for (size_t i = 0; i < n; i++)
		api_tracepoint_result_release(&evs[i]);
	free(evs);
	return 0;
}

static int m_get_buffered_tracepoints(struct call *c,
				      struct json_object **result,
				      struct errbuf *eb)
{
	int wait = 0, err;

	err = wire_get_int(c->params, "WaitMs", &wait, eb);
	if (err)
		return err;
	if (wait > 0)
		return server_defer(c, server_take_events, eb);
	return server_take_events(c, result, eb);
}

static int m_detach(struct call *c, struct json_object **result,
		    struct errbuf *eb)
{
	bool kill = false;
	int err;

	err = wire_get_bool(c->params, "Kill", &kill, eb);
	if (err)
		return err;
	err = debugger_detach(c->s->d, kill, eb);
	if (err)
		return err;
	if (c->s->o.detached)
		atomic_store(c->s->o.detached, true);
	*result = json_object_new_object();
	return 0;
}

static const struct {
	const char *name;
	server_handler fn;
} server_methods[] = {
	{ "RPCServer.SetApiVersion", m_set_api_version },
	{ "RPCServer.GetVersion", m_get_version },
	{ "RPCServer.IsMulticlient", m_is_multiclient },
	{ "RPCServer.ProcessPid", m_process_pid },
	{ "RPCServer.State", m_state },
	{ "RPCServer.ListFunctions", m_list_functions },
	{ "RPCServer.CreateBreakpoint", m_create_breakpoint },
	{ "RPCServer.FunctionReturnLocations", m_function_return_locations },
	{ "RPCServer.Command", m_command },
	{ "RPCServer.GetBufferedTracepoints", m_get_buffered_tracepoints },
	{ "RPCServer.Detach", m_detach },
	{ "RPCServer.Recorded", m_recorded },
	{ "RPCServer.FindLocation", m_find_location },
	{ "RPCServer.ListBreakpoints", m_list_breakpoints },
	{ "RPCServer.ClearBreakpoint", m_clear_breakpoint },
};

/* ---- the loop ---- */

/* Serves one request; takes v. Returns 0, or -EPROTO when v cannot be
 * answered at all (the connection should end). */
static int server_dispatch(struct session *s, struct json_object *v)
{
	struct json_object *result = NULL;
	struct msg_request req;
	struct errbuf eb = { "" };
	struct call c = { s, v, NULL, NULL };
	server_handler fn = NULL;
	int err;

	err = msg_request_parse(v, &req, &eb);
	c.id = req.id;
	c.params = req.params;
	c.v2 = req.v2;
	if (req.v2)
		s->v2_seen = true;
	if (err) {
		/* Like Go's codec: a value that is not even an object ends
		 * the connection; an object gets an answer (id null when it
		 * had none). A client that speaks 2.0 gets its "invalid
		 * request" (a batch, say) and the session goes on. */
		if (!json_object_is_type(v, json_type_object) && !s->v2_seen) {
			json_object_put(v);
			return -EPROTO;
		}
		c.v2 = s->v2_seen;
		c.code = req.code;
		goto answer;
	}
	c.silent = req.v2 && !req.has_id;
	for (size_t i = 0; i < sizeof(server_methods) / sizeof(*server_methods); i++)
		if (!strcmp(server_methods[i].name, req.method))
			fn = server_methods[i].fn;
	if (!fn) {
		err = errbuf_set(&eb, -ENOSYS, "rpc: can't find method %s",
				 req.method);
		c.code = MSG_METHOD_NOT_FOUND;
		goto answer;
	}
	err = fn(&c, &result, &eb);
	if (err == SERVER_DEFERRED)
		return 0; /* the job owns v now */
answer:
	server_answer(&c, err, result, &eb);
	json_object_put(v);
	return 0;
}

/* Waits until no job thread is left. A continue still pending is halted,
 * again and again: a halt that came before the continue reached the
 * debugger may have been missed. */
static void server_drain(struct session *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->inflight) {
		struct timespec ts;

		if (s->continuing)
			debugger_halt(s->d);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->idle, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
}

/* The stream broke (ret, eb's message): a last word, with no id since
 * none can be known, when it helps the peer (a request too large; bytes
 * that are not JSON from a 2.0 client, whose spec asks for it). */
static void server_last_word(struct session *s, int ret, struct errbuf *eb)
{
	struct json_object *a;
	int code;

	if (ret == -EMSGSIZE)
		code = MSG_INVALID_REQUEST;
	else if (ret == -EPROTO && s->v2_seen)
		code = MSG_PARSE_ERROR;
	else
		return;
	a = s->v2_seen ? msg_error_new2(NULL, code, eb->msg)
		       : msg_error_new(NULL, eb->msg);
	server_write(s, a);
	json_object_put(a);
}

void server_linger_close(int fd)
{
	char buf[4096];
	size_t drained = 0;

	/* Closing with unread bytes makes the kernel reset the connection,
	 * and a reset may discard our last word before the peer reads it:
	 * say we are done, then take (and drop) what the peer still sends,
	 * briefly. */
	shutdown(fd, SHUT_WR);
	while (drained < (16u << 20)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 500) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			drained += (size_t)n;
	}
	close(fd);
}

static int server_serve(struct debugger *d, int fd,
			const struct server_session_opts *o,
			struct handoff *handoff)
{
	struct session s = { .d = d, .handoff = handoff };
	struct errbuf eb;
	int ret = 0;

	if (o)
		s.o = *o;
	s.conn = conn_new(fd);
	if (!s.conn) {
		close(fd);
		return -ENOMEM;
	}
	if (s.o.untrusted)
		conn_set_limits(s.conn, SERVER_MAX_REQUEST, SERVER_STALL_MS,
				SERVER_WRITE_MS);
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.idle, NULL);
	for (;;) {
		struct json_object *v;
		int r = conn_read(s.conn, -1, &v, &eb);

		if (r <= 0) {
			ret = r;
			if (r < 0)
				server_last_word(&s, r, &eb);
			break;
		}
		r = server_dispatch(&s, v);
		if (r < 0) {
			ret = r;
			break;
		}
	}
	/* Answers still owed go out (or fail) before the fd closes. */
	server_drain(&s);
	hit_release(&s);
	conn_free(s.conn);
	server_linger_close(fd);
	pthread_cond_destroy(&s.idle);
	pthread_mutex_destroy(&s.lock);
	return ret;
}

int server_serve_fd(struct debugger *d, int fd,
		    const struct server_session_opts *o)
{
	return server_serve(d, fd, o, NULL);
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	server_serve(s->d, s->fd, NULL, s->handoff);
	return NULL;
}

int server_start_local(const struct debugger_config *cfg, int *client_fd,
		       struct server **out, struct errbuf *eb)
{
	struct debugger *d = NULL;
	struct server *s;
	sigset_t all, old;
	int fds[2], err;

	*out = NULL;
	*client_fd = -1;
	err = debugger_new(&d, cfg, eb);
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
		err = errbuf_set(eb, -errno, "socketpair: %s", strerror(errno));
		debugger_free(d);
		return err;
	}
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->handoff = handoff_new();
	s->fd = fds[1];
	/* Our threads take no signals (their mask is inherited by the job
	 * threads): ^C and friends go to the frontend's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, server_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(fds[0]);
		close(fds[1]);
		debugger_free(d);
		handoff_free(s->handoff);
		free(s);
		return errbuf_set(eb, -err, "cannot start the server thread: %s",
				  strerror(err));
	}
	*client_fd = fds[0];
	*out = s;
	return 0;
}

struct handoff *server_handoff(struct server *s)
{
	return s->handoff;
}

void server_wait(struct server *s)
{
	if (!s)
		return;
	pthread_join(s->thread, NULL);
	debugger_free(s->d);
	handoff_free(s->handoff);
	free(s);
}
