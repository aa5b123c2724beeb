/* out_json: --format json, one JSON object per event and line (schema in
 * docs/formats.md). Values are trees: each has its name, its type, its
 * text as the text format prints it, and its children when it has any. */
#include "cli/cli.h"

#include <json.h>
#include <signal.h>
#include <string.h>

#include "base/strbuf.h"

static void add_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static struct json_object *value_json(const struct value *v, int verbose)
{
	struct json_object *o = json_object_new_object();
	struct strbuf sb = STRBUF_INIT;

	strbuf_init(&sb);
	value_format_trace(v, verbose, &sb);
	add_str(o, "name", v->name);
	add_str(o, "type", v->type);
	add_str(o, "value", sb.buf);
	strbuf_release(&sb);
	if (v->unreadable)
		add_str(o, "unreadable", v->unreadable);
	if (v->nchildren) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < v->nchildren; i++)
			json_object_array_add(a, value_json(&v->children[i],
							    verbose));
		json_object_object_add(o, "children", a);
	}
	return o;
}

static struct json_object *values_json(const struct value *v, size_t n,
				       int verbose)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, value_json(&v[i], verbose));
	return a;
}

/* Writes o as one line and frees it. */
static void emit(struct printer *p, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	fputs(s, p->out);
	fputc('\n', p->out);
	json_object_put(o);
}

/* What every event says of where it happened. */
static void add_where(struct printer *p, struct json_object *o,
		      const struct api_tracepoint_result *ev)
{
	if (p->proc)
		add_int(o, "process", p->proc);
	add_int(o, "thread", printer_thread_id(p, ev->thread_id));
	if (ev->goroutine_id >= 0)
		add_int(o, "goroutine", ev->goroutine_id);
	add_int(o, "time_ns", (int64_t)ev->time_ns);
}

static const char *kind_of(const struct api_tracepoint_result *ev)
{
	if (ev->note)
		return "note";
	if (ev->signal)
		return "signal";
	if (ev->is_syscall)
		return ev->is_ret ? "syscall_return" : "syscall";
	return ev->is_ret ? "return" : "call";
}

void json_event(struct printer *p, const struct api_tracepoint_result *ev)
{
	struct json_object *o;

	if (ev->note && p->notes_off)
		return;
	o = json_object_new_object();
	add_str(o, "kind", kind_of(ev));
	if (ev->note) {
		add_str(o, "text", ev->note);
		emit(p, o);
		return;
	}
	add_where(p, o, ev);
	if (ev->signal) {
		add_str(o, "signal", ev->signal);
		add_str(o, "handler", ev->handler);
		emit(p, o);
		return;
	}
	add_str(o, ev->is_syscall ? "syscall" : "function",
		ev->function_name ? ev->function_name : "?");
	if (ev->depth > 0)
		add_int(o, "depth", ev->depth);
	if (!ev->is_ret) {
		if (p->durations)
			printer_duration_enter(p, ev);
		json_object_object_add(o, "args",
				       values_json(ev->input_params, ev->ninput,
						   p->verbose));
	} else {
		json_object_object_add(o, "results",
				       values_json(ev->return_params,
						   ev->nreturn, p->verbose));
		if (p->durations) {
			uint64_t t0 = printer_duration_leave(p, ev);

			if (t0)
				add_int(o, "duration_ns",
					ev->time_ns > t0 ? (int64_t)(ev->time_ns - t0) : 0);
		}
	}
	if (ev->nstack) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < ev->nstack; i++) {
			const struct api_frame *f = &ev->stack[i];
			struct json_object *fo = json_object_new_object();

			add_int(fo, "pc", (int64_t)f->pc);
			add_str(fo, "function", f->function ? f->function : "?");
			add_str(fo, "file", f->file ? f->file : "?");
			add_int(fo, "line", f->line);
			if (f->inlined)
				add_int(fo, "inlined", f->inlined);
			json_object_array_add(a, fo);
		}
		json_object_object_add(o, "stack", a);
		if (ev->stack_truncated)
			json_object_object_add(o, "stack_truncated",
					       json_object_new_boolean(1));
	}
	emit(p, o);
}

void json_lost(struct printer *p, uint64_t n, bool total)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "kind", total ? "lost_total" : "lost");
	add_int(o, "count", (int64_t)n);
	emit(p, o);
}

void json_end(struct printer *p, int pid, bool exited, int status, int signo,
	      bool launched)
{
	struct json_object *o = json_object_new_object();
	const char *name = signo ? sigabbrev_np(signo) : NULL;
	char sig[32];

	add_str(o, "kind", signo ? "killed" : exited ? "exited"
					   : launched ? "killed" : "detached");
	add_int(o, "process", pid);
	if (signo) {
		snprintf(sig, sizeof(sig), "SIG%s", name ? name : "?");
		add_str(o, "signal", sig);
	} else if (exited) {
		add_int(o, "status", status);
	}
	emit(p, o);
}
