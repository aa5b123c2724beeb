/* The in-process engine: tracepoints as jumps to trampolines in the
 * target, whose agent copies what the probe's capture plan names into a
 * ring shared with us; the target never stops for them.
 *
 * Like the eBPF engine it is built on the ptrace engine, which keeps the
 * launch and attach, threads, exec, forks, the program's output in order,
 * and every probe we do not patch (inserted once the run has started, a
 * function too short or jumped into, a probe that needs a stop). Records
 * are drained on the engine thread between the ptrace engine's stops
 * (ptrace.h), so the debugger sees one stream in order per thread.
 *
 * Probes inserted before the run are queued; the run's start places them
 * all at once, with every thread stopped (setup.c). Leaving restores every
 * patched byte with every thread stopped; trampolines and the return
 * trampoline stay mapped, so a thread still inside one, or returning
 * through a rewritten return address, goes on unharmed. */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "engine/inproc/internal.h"
#include "engine/ptrace/ptrace.h"

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int ops_insert_probe(struct engine *e, const struct probe *p,
			    struct errbuf *eb)
{
	struct ip_eprobe q = {.p = p, .how = HOW_QUEUED};

	/* During a run threads may be anywhere: only a breakpoint can go
	 * in without stopping them all, except into an image mapped since
	 * the loader's last rendezvous (decided after this hit: ip_late).
	 * Between runs, the next one's start places it. */
	if (e->running)
		q.how = e->in_sync_hit ? HOW_LATE : HOW_PTRACE;
	if (e->probes.len >= IP_MAX_PROBES)
		q.how = HOW_PTRACE;
	VEC_PUSH(&e->probes, q);
	if (q.how == HOW_PTRACE)
		return ptrace_engine_ops.insert_probe(e->pt, p, eb);
	return 0;
}

static void ops_forget_probes(struct engine *e, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < e->probes.len; i++) {
		struct ip_eprobe *q = &e->probes.items[i];

		if (q->p->addr >= lo && q->p->addr < hi)
			q->dead = true;
	}
	/* The code is gone: nothing to put back there. */
	for (size_t i = 0; i < e->patches.len; i++)
		if (e->patches.items[i].addr >= lo &&
		    e->patches.items[i].addr < hi)
			e->patches.items[i--] =
				e->patches.items[--e->patches.len];
	ptrace_engine_ops.forget_probes(e->pt, lo, hi);
}

/* ---- around the debugger's callbacks (ptrace_overlay) ---- */

static void thread_gone(void *ctx, pid_t tid)
{
	ip_thread_gone(ctx, tid);
}

static void before_hit(void *ctx, const struct hit *h)
{
	struct engine *e = ctx;

	e->in_sync_hit = h->probe->sync;
}

/* A sync hit (the loader's rendezvous) may have inserted probes: in
 * before the thread goes on. */
static void after_hit(void *ctx, const struct hit *h)
{
	struct engine *e = ctx;

	if (e->in_sync_hit)
		ip_late(e);
	e->in_sync_hit = false;
}

/* Not the reader: it may be waiting for this thread to drain. */
static void before_exec(void *ctx)
{
	ip_drop(ctx);
}

static void hook_restore(void *ctx)
{
	ip_restore(ctx);
}

static void hook_restore_child(void *ctx, pid_t child)
{
	ip_restore_child(ctx, child);
}

/* Says once how many functions, and how many of their ret sites, take
 * breakpoints instead of jumps. */
static void note_fallbacks(struct engine *e)
{
	char buf[512];
	int n = 0;

	if ((!e->nfallback && !e->nretfallback) || e->noted || !e->cb->on_note)
		return;
	e->noted = true;
	if (e->nfallback)
		n = snprintf(buf, sizeof(buf),
			     "inproc: %zu of %zu functions could not be patched with a jump (too short, jumped into, or a value that needs a stop); their calls stop at breakpoints",
			     e->nfallback, e->nfallback + e->npatched);
	if (e->nretfallback)
		snprintf(buf + n, sizeof(buf) - (size_t)n,
			 "%s%zu of %zu ret sites could not be patched (too short a tail, jumped into, or a switch's table unread): their returns stop at breakpoints",
			 n ? "; " : "inproc: ", e->nretfallback,
			 e->nretfallback + e->nretpatched);
	e->cb->on_note(e->cb->ctx, buf);
}

static int ops_run(struct engine *e, const struct engine_callbacks *cb,
		   struct exit_info *ex, struct errbuf *eb)
{
	struct ptrace_hooks hooks = {.ctx = e,
				     .restore = hook_restore,
				     .restore_child = hook_restore_child};
	int err;

	e->cb = cb;
	e->ov = (struct ptrace_overlay){.cb = cb, .ctx = e, .drain = ip_drain,
					.before_hit = before_hit,
					.after_hit = after_hit,
					.thread_gone = thread_gone,
					.before_exec = before_exec};
	ptrace_overlay_callbacks(&e->ov, &e->wrap);
	ip_setup(e);
	note_fallbacks(e);
	e->running = true;
	ptrace_engine_set_hooks(e->pt, &hooks);
	ptrace_engine_set_drain(e->pt, ip_drain, e);
	ptrace_engine_set_drain_some(e->pt, ip_drain_some);
	ip_reader_start(e);
	err = ptrace_engine_ops.run(e->pt, &e->wrap, ex, eb);
	ip_reader_stop(e);
	ip_drain(e);
	ptrace_engine_set_drain(e->pt, NULL, NULL);
	ptrace_engine_set_drain_some(e->pt, NULL);
	e->running = false;
	e->cb = NULL;
	return err;
}

/* ---- lifecycle ---- */

static struct engine *ip_new(size_t ring_bytes)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->ring_bytes = ring_bytes;
	e->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	return e;
}

static int ops_launch(struct engine **out, const struct launch_opts *o,
		      struct errbuf *eb)
{
	struct launch_opts lo = *o;
	struct engine *e = ip_new(o->ring_bytes);
	int err;

	lo.cpus_free = true;
	if ((err = ptrace_engine_ops.launch(&e->pt, &lo, eb))) {
		free(e);
		return err;
	}
	e->pid = ptrace_engine_ops.pid(e->pt);
	*out = e;
	return 0;
}

static int ops_attach(struct engine **out, const struct attach_opts *o,
		      struct errbuf *eb)
{
	struct engine *e = ip_new(o->ring_bytes);
	int err;

	if ((err = ptrace_engine_ops.attach(&e->pt, o, eb))) {
		free(e);
		return err;
	}
	e->pid = o->pid;
	*out = e;
	return 0;
}

static pid_t ops_pid(const struct engine *e)
{
	return e->pid;
}

static uint64_t ops_load_bias(const struct engine *e)
{
	return ptrace_engine_ops.load_bias(e->pt);
}

static int ops_read_mem(struct engine *e, uint64_t addr, void *buf,
			size_t len)
{
	int err = ptrace_engine_ops.read_mem(e->pt, addr, buf, len);

	/* Our jumps are not the program's code: show what was there. */
	for (size_t i = 0; !err && i < e->patches.len; i++) {
		const struct ip_patch *p = &e->patches.items[i];

		for (size_t k = 0; k < p->len; k++)
			if (p->addr + k >= addr && p->addr + k < addr + len)
				((uint8_t *)buf)[p->addr + k - addr] =
					p->orig[k];
	}
	return err;
}

static void ops_request_stop(struct engine *e)
{
	ptrace_engine_ops.request_stop(e->pt);
}

static int ops_detach(struct engine *e, bool kill, struct exit_info *ex,
		      struct errbuf *eb)
{
	struct ptrace_hooks hooks = {.ctx = e,
				     .restore = hook_restore,
				     .restore_child = hook_restore_child};

	/* The ptrace engine stops every thread, then calls ip_restore. */
	ptrace_engine_set_hooks(e->pt, &hooks);
	return ptrace_engine_ops.detach(e->pt, kill, ex, eb);
}

static void ops_close(struct engine *e)
{
	if (!e)
		return;
	ip_reader_stop(e);
	if (e->pt)
		ptrace_engine_ops.close(e->pt);
	for (size_t i = 0; i < e->regions.len; i++)
		munmap(e->regions.items[i].ours, e->regions.items[i].size);
	VEC_FREE(&e->regions);
	if (e->shm)
		munmap(e->shm, e->shm_size);
	for (size_t i = 0; i < e->retired.len; i++)
		munmap(e->retired.items[i].p, e->retired.items[i].size);
	VEC_FREE(&e->retired);
	VEC_FREE(&e->probes);
	VEC_FREE(&e->patches);
	site_known_free(&e->known);
	free(e->expand);
	free(e);
}

const struct engine_ops inproc_engine_ops = {
	.name = "inproc",
	.launch = ops_launch,
	.attach = ops_attach,
	.pid = ops_pid,
	.load_bias = ops_load_bias,
	.read_mem = ops_read_mem,
	.insert_probe = ops_insert_probe,
	.forget_probes = ops_forget_probes,
	.run = ops_run,
	.request_stop = ops_request_stop,
	.detach = ops_detach,
	.close = ops_close,
};
