/* out_chrome: --format chrome, the Trace Event Format that Perfetto UI and
 * chrome://tracing open: one JSON array; a track per thread (per goroutine
 * in a Go program) named by a metadata event; each call a "B"/"E" slice
 * pair with its arguments and result, each system call a slice of
 * category "syscall", each signal an instant event.
 *
 * Slices stay balanced per track: a return closes the innermost open call
 * of its function on its track (and those opened above it, which a throw
 * or a longjmp left); a return whose call was never seen (attached in the
 * middle of it) is left out; at the end every call still open is closed at
 * the last time seen. The closing "]" is written at the end, Ctrl-C and
 * SIGTERM included (the trace ends in order then). */
#include "cli/cli.h"

#include <json.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

/* One open slice. */
struct open_slice {
	int64_t track;
	char *name;
};

struct chrome {
	bool started;   /* "[" written */
	bool first;     /* no event yet after it */
	uint64_t t0;    /* the first event's time: ts counts from it */
	uint64_t last;  /* the last event's time */
	VEC(struct open_slice) open;
	VEC(int64_t) named; /* tracks given a name */
};

static struct chrome *state(struct printer *p)
{
	if (!p->chrome)
		p->chrome = xcalloc(1, sizeof(struct chrome));
	return p->chrome;
}

static void emit(struct printer *p, struct json_object *o)
{
	struct chrome *c = state(p);

	if (!c->started) {
		fputs("[\n", p->out);
		c->started = true;
		c->first = true;
	}
	if (!c->first)
		fputs(",\n", p->out);
	c->first = false;
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE),
	      p->out);
	json_object_put(o);
}

/* Microseconds since the first event, as the format wants them. */
static struct json_object *ts_of(struct chrome *c, uint64_t ns)
{
	if (!c->t0)
		c->t0 = ns;
	if (ns > c->last)
		c->last = ns;
	char buf[32];
	double us = ns >= c->t0 ? (double)(ns - c->t0) / 1e3 : 0.0;

	/* Nanoseconds, as microseconds with three decimals. */
	snprintf(buf, sizeof(buf), "%.3f", us);
	return json_object_new_double_s(us, buf);
}

static struct json_object *base(struct printer *p, const char *ph,
				const char *name, int64_t tid, uint64_t ns)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "ph", json_object_new_string(ph));
	json_object_object_add(o, "ts", ts_of(state(p), ns));
	json_object_object_add(o, "pid", json_object_new_int(p->proc ? p->proc : 1));
	json_object_object_add(o, "tid", json_object_new_int64(tid));
	return o;
}

/* The track of an event: its goroutine, else its thread. */
static int64_t track_of(struct printer *p,
			const struct api_tracepoint_result *ev)
{
	return ev->goroutine_id >= 0 ? ev->goroutine_id
				     : printer_thread_id(p, ev->thread_id);
}

static void name_track(struct printer *p, int64_t track, bool go)
{
	struct chrome *c = state(p);
	struct json_object *o, *a;
	char name[64];

	for (size_t i = 0; i < c->named.len; i++)
		if (c->named.items[i] == track)
			return;
	VEC_PUSH(&c->named, track);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string("thread_name"));
	json_object_object_add(o, "ph", json_object_new_string("M"));
	json_object_object_add(o, "pid", json_object_new_int(p->proc ? p->proc : 1));
	json_object_object_add(o, "tid", json_object_new_int64(track));
	snprintf(name, sizeof(name), "%s %lld", go ? "goroutine" : "thread",
		 (long long)track);
	a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(o, "args", a);
	emit(p, o);
}

static struct json_object *args_of(const struct value *v, size_t n,
				   int verbose, bool results)
{
	struct json_object *a = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		char key[32];
		const char *k = v[i].name;

		strbuf_init(&sb);
		value_format_trace(&v[i], verbose, &sb);
		if (!k || !*k) {
			snprintf(key, sizeof(key), results ? "result%zu" : "arg%zu",
				 i);
			k = key;
		}
		json_object_object_add(a, k, json_object_new_string(sb.buf));
		strbuf_release(&sb);
	}
	return a;
}

void chrome_event(struct printer *p, const struct api_tracepoint_result *ev)
{
	struct chrome *c = state(p);
	int64_t track;
	const char *name = ev->function_name ? ev->function_name : "?";
	struct json_object *o;
	char sname[128];

	if (ev->note)
		return; /* stderr's business, not the timeline's */
	track = track_of(p, ev);
	name_track(p, track, ev->goroutine_id >= 0);
	if (ev->signal) {
		o = base(p, "i", ev->signal, track, ev->time_ns);
		json_object_object_add(o, "s", json_object_new_string("t"));
		json_object_object_add(o, "cat", json_object_new_string("signal"));
		if (ev->handler) {
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "handler",
					       json_object_new_string(ev->handler));
			json_object_object_add(o, "args", a);
		}
		emit(p, o);
		return;
	}
	if (ev->is_syscall) {
		snprintf(sname, sizeof(sname), "syscall %s", name);
		name = sname;
	}
	if (!ev->is_ret) {
		struct open_slice s = {track, xstrdup(name)};

		VEC_PUSH(&c->open, s);
		o = base(p, "B", name, track, ev->time_ns);
		json_object_object_add(o, "cat", json_object_new_string(
							ev->is_syscall ? "syscall" : "call"));
		json_object_object_add(o, "args", args_of(ev->input_params,
							 ev->ninput, p->verbose,
							 false));
		emit(p, o);
		return;
	}
	/* The innermost open call it ends; those above it never returned. */
	for (size_t i = c->open.len; i-- > 0;) {
		if (c->open.items[i].track != track ||
		    strcmp(c->open.items[i].name, name))
			continue;
		for (size_t j = c->open.len; j-- > i;) {
			struct open_slice *s = &c->open.items[j];

			if (s->track != track)
				continue;
			o = base(p, "E", s->name, track, ev->time_ns);
			if (j == i)
				json_object_object_add(o, "args",
						       args_of(ev->return_params,
							       ev->nreturn,
							       p->verbose, true));
			emit(p, o);
			free(s->name);
			memmove(s, s + 1, (c->open.len - j - 1) * sizeof(*s));
			c->open.len--;
		}
		return;
	}
}

/* Every call still open, closed at the last time seen, innermost first. */
static void close_all(struct printer *p)
{
	struct chrome *c = state(p);

	while (c->open.len) {
		struct open_slice *s = &c->open.items[c->open.len - 1];

		emit(p, base(p, "E", s->name, s->track, c->last));
		free(s->name);
		c->open.len--;
	}
}

void chrome_lost(struct printer *p, const char *text)
{
	/* Which returns were lost is not known: the calls open now are
	 * closed here rather than left to nest every later call. */
	close_all(p);
	chrome_instant(p, text);
}

void chrome_end(struct printer *p)
{
	struct chrome *c = state(p);

	/* Calls still open (killed inside them). */
	close_all(p);
	if (!c->started)
		fputs("[", p->out);
	fputs("\n]\n", p->out);
	VEC_FREE(&c->open);
	VEC_FREE(&c->named);
	free(c);
	p->chrome = NULL;
}

void chrome_instant(struct printer *p, const char *text)
{
	struct chrome *c = state(p);
	struct json_object *o = base(p, "i", text, 0, c->last ? c->last : 1);

	json_object_object_add(o, "s", json_object_new_string("g"));
	emit(p, o);
}
