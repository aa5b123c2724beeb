/* overlay: the debugger's callbacks as an engine built on the ptrace
 * engine forwards them (ptrace.h). */
#include "engine/ptrace/ptrace.h"

static int o_on_hit(void *ctx, const struct hit *h)
{
	struct ptrace_overlay *o = ctx;
	int r;

	o->drain(o->ctx);
	if (o->before_hit)
		o->before_hit(o->ctx, h);
	r = o->cb->on_hit(o->cb->ctx, h);
	if (o->after_hit)
		o->after_hit(o->ctx, h);
	return r;
}

static void o_on_thread(void *ctx, pid_t tid, bool started)
{
	struct ptrace_overlay *o = ctx;

	if (!started) {
		o->drain(o->ctx);
		if (o->thread_gone)
			o->thread_gone(o->ctx, tid);
	}
	if (o->cb->on_thread)
		o->cb->on_thread(o->cb->ctx, tid, started);
}

static int o_on_exec(void *ctx, pid_t tid)
{
	struct ptrace_overlay *o = ctx;
	int r = 0;

	o->drain(o->ctx);
	if (o->before_exec)
		o->before_exec(o->ctx);
	if (o->cb->on_exec)
		r = o->cb->on_exec(o->cb->ctx, tid);
	if (o->after_exec)
		o->after_exec(o->ctx);
	return r;
}

static void o_on_output(void *ctx, pid_t tid)
{
	struct ptrace_overlay *o = ctx;

	o->drain(o->ctx);
	if (o->cb->on_output)
		o->cb->on_output(o->cb->ctx, tid);
}

static void o_on_lost(void *ctx, uint64_t n)
{
	struct ptrace_overlay *o = ctx;

	if (o->cb->on_lost)
		o->cb->on_lost(o->cb->ctx, n);
}

static void o_on_syscall(void *ctx, const struct syscall_event *s)
{
	struct ptrace_overlay *o = ctx;

	o->drain(o->ctx);
	if (o->cb->on_syscall)
		o->cb->on_syscall(o->cb->ctx, s);
}

static void o_on_fork(void *ctx, pid_t parent, pid_t child)
{
	struct ptrace_overlay *o = ctx;

	o->drain(o->ctx);
	if (o->cb->on_fork)
		o->cb->on_fork(o->cb->ctx, parent, child);
}

static void o_on_signal(void *ctx, const struct signal_event *s)
{
	struct ptrace_overlay *o = ctx;

	o->drain(o->ctx);
	if (o->cb->on_signal)
		o->cb->on_signal(o->cb->ctx, s);
}

static void o_on_note(void *ctx, const char *text)
{
	struct ptrace_overlay *o = ctx;

	if (o->cb->on_note)
		o->cb->on_note(o->cb->ctx, text);
}

void ptrace_overlay_callbacks(struct ptrace_overlay *o,
			      struct engine_callbacks *out)
{
	*out = (struct engine_callbacks){
		.ctx = o,
		.on_hit = o_on_hit,
		.on_thread = o_on_thread,
		.on_exec = o_on_exec,
		.on_output = o_on_output,
		.on_lost = o_on_lost,
		.on_syscall = o_on_syscall,
		.on_fork = o_on_fork,
		.on_signal = o_on_signal,
		.on_note = o_on_note,
	};
}
