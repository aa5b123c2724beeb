/* out_json: --format json, one JSON object per event and line (schema in
 * docs/formats.md). Values are trees: each has its name, its type, its
 * text as the text format prints it, and its children when it has any. */
#include "cli/cli.h"

#include <signal.h>
#include <string.h>

#include "rpc/jsonw.h"
#include "base/strbuf.h"

/* One value as a tree; text: a buffer to format into. */
static void value_json(struct strbuf *sb, const struct value *v,
		       int verbose, struct strbuf *text)
{
	jw_obj(sb);
	strbuf_reset(text);
	value_format_trace(v, verbose, text);
	if (v->name)
		jw_kstr(sb, "name", v->name);
	if (v->type)
		jw_kstr(sb, "type", v->type);
	jw_kstr(sb, "value", text->buf);
	if (v->unreadable)
		jw_kstr(sb, "unreadable", v->unreadable);
	if (v->nchildren) {
		jw_key(sb, "children");
		jw_arr(sb);
		for (size_t i = 0; i < v->nchildren; i++)
			value_json(sb, &v->children[i], verbose, text);
		jw_arr_end(sb);
	}
	jw_obj_end(sb);
}

static void values_json(struct strbuf *sb, const char *key,
			const struct value *v, size_t n, int verbose)
{
	struct strbuf text = STRBUF_INIT;

	strbuf_init(&text);
	jw_key(sb, key);
	jw_arr(sb);
	for (size_t i = 0; i < n; i++)
		value_json(sb, &v[i], verbose, &text);
	jw_arr_end(sb);
	strbuf_release(&text);
}

/* The printer's line buffer, emptied for a new object. */
static struct strbuf *begin(struct printer *p)
{
	struct strbuf *sb = printer_line(p);

	jw_obj(sb);
	return sb;
}

/* Closes the object and writes it as one line. */
static void emit(struct printer *p, struct strbuf *sb)
{
	jw_obj_end(sb);
	strbuf_addch(sb, '\n');
	fwrite(sb->buf, 1, sb->len, p->out);
}

/* What every event says of where it happened. */
static void add_where(struct printer *p, struct strbuf *sb,
		      const struct api_tracepoint_result *ev)
{
	if (p->proc)
		jw_kint(sb, "process", p->proc);
	jw_kint(sb, "thread", printer_thread_id(p, ev->thread_id));
	if (ev->goroutine_id >= 0)
		jw_kint(sb, "goroutine", ev->goroutine_id);
	jw_kint(sb, "time_ns", (int64_t)ev->time_ns);
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
	struct strbuf *sb;

	if (ev->note && p->notes_off)
		return;
	sb = begin(p);
	jw_kstr(sb, "kind", kind_of(ev));
	if (ev->note) {
		jw_kstr(sb, "text", ev->note);
		emit(p, sb);
		return;
	}
	add_where(p, sb, ev);
	if (ev->signal) {
		jw_kstr(sb, "signal", ev->signal);
		if (ev->handler)
			jw_kstr(sb, "handler", ev->handler);
		emit(p, sb);
		return;
	}
	jw_kstr(sb, ev->is_syscall ? "syscall" : "function",
		ev->function_name ? ev->function_name : "?");
	if (ev->depth > 0)
		jw_kint(sb, "depth", ev->depth);
	if (!ev->is_ret) {
		if (p->durations)
			printer_duration_enter(p, ev);
		values_json(sb, "args", ev->input_params, ev->ninput,
			    p->verbose);
	} else {
		values_json(sb, "results", ev->return_params, ev->nreturn,
			    p->verbose);
		if (p->durations) {
			uint64_t t0 = printer_duration_leave(p, ev);

			if (t0)
				jw_kint(sb, "duration_ns",
					ev->time_ns > t0 ? (int64_t)(ev->time_ns - t0) : 0);
		}
	}
	if (ev->nstack) {
		jw_key(sb, "stack");
		jw_arr(sb);
		for (size_t i = 0; i < ev->nstack; i++) {
			const struct api_frame *f = &ev->stack[i];

			jw_obj(sb);
			jw_kint(sb, "pc", (int64_t)f->pc);
			jw_kstr(sb, "function", f->function ? f->function : "?");
			jw_kstr(sb, "file", f->file ? f->file : "?");
			jw_kint(sb, "line", f->line);
			if (f->inlined)
				jw_kint(sb, "inlined", f->inlined);
			jw_obj_end(sb);
		}
		jw_arr_end(sb);
		if (ev->stack_truncated) {
			jw_key(sb, "stack_truncated");
			jw_bool(sb, true);
		}
	}
	emit(p, sb);
}

void json_lost(struct printer *p, uint64_t n, bool total)
{
	struct strbuf *sb = begin(p);

	jw_kstr(sb, "kind", total ? "lost_total" : "lost");
	jw_kint(sb, "count", (int64_t)n);
	emit(p, sb);
}

void json_end(struct printer *p, int pid, bool exited, int status, int signo,
	      bool launched)
{
	struct strbuf *sb = begin(p);
	const char *name = signo ? sigabbrev_np(signo) : NULL;
	char sig[32];

	jw_kstr(sb, "kind", signo ? "killed" : exited ? "exited"
					   : launched ? "killed" : "detached");
	jw_kint(sb, "process", pid);
	if (signo) {
		snprintf(sig, sizeof(sig), "SIG%s", name ? name : "?");
		jw_kstr(sb, "signal", sig);
	} else if (exited) {
		jw_kint(sb, "status", status);
	}
	emit(p, sb);
}
