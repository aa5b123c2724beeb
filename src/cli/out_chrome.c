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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/jsonw.h"
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

/* Writes the object sb holds (begun by base or begin), closed, after
 * the separator the array needs. */
static void emit(struct printer *p, struct strbuf *sb)
{
	struct chrome *c = state(p);

	jw_obj_end(sb);
	if (!c->started) {
		fputs("[\n", p->out);
		c->started = true;
		c->first = true;
	}
	if (!c->first)
		fputs(",\n", p->out);
	c->first = false;
	fwrite(sb->buf, 1, sb->len, p->out);
}

/* The printer's line buffer, emptied, an object begun. */
static struct strbuf *begin(struct printer *p)
{
	struct strbuf *sb = printer_line(p);

	jw_obj(sb);
	return sb;
}

/* "ts": microseconds since the first event, as the format wants them
 * (nanoseconds: three decimals). */
static void add_ts(struct chrome *c, struct strbuf *sb, uint64_t ns)
{
	char buf[32];
	double us;

	if (!c->t0)
		c->t0 = ns;
	if (ns > c->last)
		c->last = ns;
	us = ns >= c->t0 ? (double)(ns - c->t0) / 1e3 : 0.0;
	snprintf(buf, sizeof(buf), "%.3f", us);
	jw_key(sb, "ts");
	jw_num_text(sb, buf);
}

static struct strbuf *base(struct printer *p, const char *ph,
			   const char *name, int64_t tid, uint64_t ns)
{
	struct strbuf *sb = begin(p);

	jw_kstr(sb, "name", name);
	jw_kstr(sb, "ph", ph);
	add_ts(state(p), sb, ns);
	jw_kint(sb, "pid", p->proc ? p->proc : 1);
	jw_kint(sb, "tid", tid);
	return sb;
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
	struct strbuf *sb;
	char name[64];

	for (size_t i = 0; i < c->named.len; i++)
		if (c->named.items[i] == track)
			return;
	VEC_PUSH(&c->named, track);
	sb = begin(p);
	jw_kstr(sb, "name", "thread_name");
	jw_kstr(sb, "ph", "M");
	jw_kint(sb, "pid", p->proc ? p->proc : 1);
	jw_kint(sb, "tid", track);
	snprintf(name, sizeof(name), "%s %lld", go ? "goroutine" : "thread",
		 (long long)track);
	jw_key(sb, "args");
	jw_obj(sb);
	jw_kstr(sb, "name", name);
	jw_obj_end(sb);
	emit(p, sb);
}

/* "args": each value's text under its name (argN / resultN when it has
 * none). A name given twice keeps its first place and its last value, as
 * a JSON object built key by key would. */
static void add_args(struct strbuf *sb, const struct value *v, size_t n,
		     int verbose, bool results)
{
	struct strbuf text = STRBUF_INIT;
	char key[32];

	strbuf_init(&text);
	jw_key(sb, "args");
	jw_obj(sb);
	for (size_t i = 0; i < n; i++) {
		const char *k = v[i].name;
		size_t last = i;
		bool seen = false;

		if (!k || !*k) {
			snprintf(key, sizeof(key), results ? "result%zu" : "arg%zu",
				 i);
			k = key;
		} else {
			for (size_t j = 0; j < i && !seen; j++)
				seen = v[j].name && !strcmp(v[j].name, k);
			for (size_t j = i + 1; j < n; j++)
				if (v[j].name && !strcmp(v[j].name, k))
					last = j;
		}
		if (seen)
			continue;
		strbuf_reset(&text);
		value_format_trace(&v[last], verbose, &text);
		jw_kstr(sb, k, text.buf);
	}
	jw_obj_end(sb);
	strbuf_release(&text);
}

void chrome_event(struct printer *p, const struct api_tracepoint_result *ev)
{
	struct chrome *c = state(p);
	int64_t track;
	const char *name = ev->function_name ? ev->function_name : "?";
	struct strbuf *o;
	char sname[128];

	if (ev->note)
		return; /* stderr's business, not the timeline's */
	track = track_of(p, ev);
	name_track(p, track, ev->goroutine_id >= 0);
	if (ev->signal) {
		o = base(p, "i", ev->signal, track, ev->time_ns);
		jw_kstr(o, "s", "t");
		jw_kstr(o, "cat", "signal");
		if (ev->handler) {
			jw_key(o, "args");
			jw_obj(o);
			jw_kstr(o, "handler", ev->handler);
			jw_obj_end(o);
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
		jw_kstr(o, "cat", ev->is_syscall ? "syscall" : "call");
		add_args(o, ev->input_params, ev->ninput, p->verbose, false);
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
				add_args(o, ev->return_params, ev->nreturn,
					 p->verbose, true);
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
	struct strbuf *o = base(p, "i", text, 0, c->last ? c->last : 1);

	jw_kstr(o, "s", "g");
	emit(p, o);
}
