/* Trace events: what a hit becomes, and the queue the frontend drains.
 *
 * A hit is turned into data at once (the values are read while the thread is
 * stopped, since memory changes as soon as it runs) and queued; the engine
 * never waits for the frontend unless the queue is full, and then it waits
 * rather than drop: a slower target beats a lost event. */
#include "debugger/internal.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unwind/unwind.h"

/* Events held before the engine waits for the frontend to catch up. */
#define QUEUE_MAX (1u << 14)
/* Events handed out per call at most: a batch sent to a remote client is
 * held three times over on its way (as data, as JSON text, as parsed
 * JSON), so its size is what the frontend's memory grows with. (A local
 * client's come as they are: rpc/handoff.h.) */
#define BATCH_MAX 4096
/* A batch smaller than this waits BATCH_GATHER_MS for company. */
#define BATCH_MIN 4096
#define BATCH_GATHER_MS 20

/* The debugger whose hit is being handled, for name_at (which only gets the
 * engine's ctx). Hits are handled on the worker thread only. */
static __thread struct debugger *hit_dbg;

static const char *name_at(void *ctx, uint64_t addr)
{
	struct debugger *d = hit_dbg;
	struct module *m = d ? module_at(d, addr) : NULL;

	return m ? symtab_name_at(m->st, addr - m->bias) : NULL;
}

/* The module of the hit being handled, whose types the values have. */
static __thread const struct module *hit_mod;

static size_t go_consts(void *ctx, const struct ctype *t,
			const struct ctype_enumerator **out)
{
	const struct module *m = hit_mod;

	*out = NULL;
	return m && m->st ? symtab_go_consts(m->st, t, out) : 0;
}

static const struct ctype *go_type(void *ctx, uint64_t addr)
{
	struct debugger *d = hit_dbg;
	struct module *m = d ? module_at(d, addr) : NULL;

	return m && m->st ? symtab_go_rtype(m->st, addr - m->bias) : NULL;
}

/* The states are found by key through an open-addressed index of their
 * positions: a Go server may have thousands of goroutines inside traced
 * calls, and every hit looks one up. */
static size_t key_slot(const struct debugger *d, int64_t key)
{
	return (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ull) & (d->tcap - 1);
}

/* The index slot holding key, or the empty slot where it would go. */
static size_t index_find(const struct debugger *d, int64_t key)
{
	size_t h = key_slot(d, key);

	while (d->tpos[h] && d->threads.items[d->tpos[h] - 1].key != key)
		h = (h + 1) & (d->tcap - 1);
	return h;
}

static void index_rebuild(struct debugger *d, size_t cap)
{
	free(d->tpos);
	d->tcap = cap;
	d->tpos = xcalloc(cap, sizeof(*d->tpos));
	for (size_t i = 0; i < d->threads.len; i++)
		d->tpos[index_find(d, d->threads.items[i].key)] = i + 1;
}

static struct thread_state *state_get(struct debugger *d, int64_t key)
{
	struct thread_state ts = {.key = key};
	size_t h;

	if (!d->tcap)
		index_rebuild(d, 64);
	h = index_find(d, key);
	if (d->tpos[h])
		return &d->threads.items[d->tpos[h] - 1];
	VEC_PUSH(&d->threads, ts);
	if (d->threads.len * 2 > d->tcap)
		index_rebuild(d, d->tcap * 2);
	else
		d->tpos[h] = d->threads.len;
	return &d->threads.items[d->threads.len - 1];
}

/* Removes state i: the last one takes its place, and the index is
 * mended by shifting back the entries after the emptied slot. */
static void state_drop(struct debugger *d, size_t i)
{
	size_t h = index_find(d, d->threads.items[i].key), last;

	VEC_FREE(&d->threads.items[i].stack);
	d->tpos[h] = 0;
	for (size_t j = (h + 1) & (d->tcap - 1); d->tpos[j];
	     j = (j + 1) & (d->tcap - 1)) {
		size_t want = key_slot(d, d->threads.items[d->tpos[j] - 1].key);

		/* Can j's entry move to the hole at h? Only if its home is
		 * not in (h, j] (cyclically). */
		if ((j > h && (want <= h || want > j)) ||
		    (j < h && want <= h && want > j)) {
			d->tpos[h] = d->tpos[j];
			d->tpos[j] = 0;
			h = j;
		}
	}
	last = d->threads.len - 1;
	if (i != last) {
		d->threads.items[i] = d->threads.items[last];
		d->tpos[index_find(d, d->threads.items[i].key)] = i + 1;
	}
	d->threads.len--;
}

void debugger_on_thread(void *ctx, pid_t tid, bool started)
{
	struct debugger *d = ctx;

	size_t h;

	if (started || !d->tcap)
		return;
	h = index_find(d, tid);
	if (d->tpos[h])
		state_drop(d, d->tpos[h] - 1);
}

/* Entry: the activations recorded at or below this frame are gone
 * (longjmp, an exception, a recovered panic, a tail call's frame reused): a
 * live caller's frame is always above. Entry tracepoints sit where each
 * hit is a new call. Returns the call's depth (--follow-calls, else 0);
 * ra is its return address, read only when following calls. */
static int note_entry(struct thread_state *ts, const struct tracepoint *tp,
		      const struct func *fn, int64_t pos, uint64_t ra)
{
	struct frame_mark m = {.fn = fn, .bias = tp->mod->bias,
			       .pos = pos};

	/* A frame at the same place is kept: a tail call's callee reuses
	 * its caller's, and the caller's return is still to come. */
	while (ts->stack.len && ts->stack.items[ts->stack.len - 1].pos < pos)
		ts->stack.len--;
	if (tp->follow > 0)
		m.depth = follow_entry_depth(ts, tp, pos, ra);
	VEC_PUSH(&ts->stack, m);
	return m.depth;
}

/* The innermost active call of fn, or -1. */
static ssize_t mark_of(const struct thread_state *ts, const struct func *fn)
{
	for (size_t i = ts->stack.len; i-- > 0;)
		if (ts->stack.items[i].fn == fn)
			return (ssize_t)i;
	return -1;
}

/* The innermost active call of the IFUNC implementation tp traces, by
 * whichever name it was called (memcpy and memmove may share one). */
static ssize_t mark_of_code(const struct thread_state *ts,
			    const struct tracepoint *tp)
{
	for (size_t i = ts->stack.len; i-- > 0;) {
		const struct frame_mark *m = &ts->stack.items[i];

		if (m->bias == tp->mod->bias && m->fn->ifunc_set &&
		    m->fn->low_pc == tp->fn->low_pc)
			return (ssize_t)i;
	}
	return -1;
}

static void note_return(struct thread_state *ts, const struct func *fn)
{
	for (size_t i = ts->stack.len; i-- > 0;) {
		if (ts->stack.items[i].fn == fn) {
			ts->stack.len = i;
			return;
		}
	}
}

/* Go: the goroutine running on the hit's thread, from its runtime.g: in
 * R14 in functions of Go's register ABI, else in the thread's TLS
 * (fs_base - 8, or where the system's linker put it), a read more. On a system stack (g0, id 0) the
 * runtime works for the goroutine the thread runs (m.curg), which is the
 * one named, as Delve does; 0 when there is none (the scheduler) or before
 * the runtime set g up. *own: the goroutine's own stack is the one in use;
 * *stack_hi is then its top, which a stack move keeps the frames' distance
 * from. */
static int64_t goroutine_of(const struct module *m, bool g_in_r14,
			    const struct target_access *acc, bool *own,
			    uint64_t *stack_hi)
{
	const struct go_g_layout *l = &m->g;
	uint64_t fs = 0, g = 0, goid = 0, mp = 0, curg = 0;
	uint64_t gbuf[64];
	size_t span = l->goid_off;

	/* The g's fields we need, in one read: each read is a system call,
	 * and this runs on every hit. */
	if (l->stack_hi_off > span)
		span = l->stack_hi_off;
	if (l->m_off > span)
		span = l->m_off;
	span += 8;
	*own = false;
	if (span > sizeof(gbuf))
		return 0;
	if (g_in_r14) {
		if (acc->read_reg(acc->ctx, DREG_R14, &g, 8))
			return 0;
	} else if (acc->read_reg(acc->ctx, DREG_FS_BASE, &fs, 8) || !fs ||
		   acc->read_mem(acc->ctx, fs + (uint64_t)l->tls_off, &g, 8)) {
		return 0;
	}
	if (!g || acc->read_mem(acc->ctx, g, gbuf, span))
		return 0;
	memcpy(&goid, (const char *)gbuf + l->goid_off, 8);
	if (goid) {
		memcpy(stack_hi, (const char *)gbuf + l->stack_hi_off, 8);
		*own = true;
		return (int64_t)goid;
	}
	memcpy(&mp, (const char *)gbuf + l->m_off, 8);
	if (!mp || acc->read_mem(acc->ctx, mp + l->curg_off, &curg, 8) ||
	    !curg || acc->read_mem(acc->ctx, curg + l->goid_off, &goid, 8))
		return 0;
	return (int64_t)goid;
}

/* A function without DWARF: we know its name, not its arguments. */
static void unknown_value(struct value *v, uint32_t flags)
{
	memset(v, 0, sizeof(*v));
	v->name = xstrdup("");
	v->type = xstrdup("");
	v->value = xstrdup("?");
	v->flags = flags | VF_C;
}

/* The values of n params (arguments or Go results), flagged as such. A
 * generic Go function's type parameters are loaded as the concrete types
 * its dictionary (at dict; empty: not known, the shapes then) names; NULL
 * dict: not Go. */
static struct value *load_params(const struct param *ps, size_t n,
				 const struct loc *dict,
				 const struct target_access *acc,
				 const struct load_config *cfg, uint32_t flags)
{
	struct value *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		const struct ctype *t = ps[i].type;

		if (dict)
			t = value_go_param_type(t, dict, acc);
		value_load(&v[i], ps[i].name, t, &ps[i].loc, acc, cfg);
		v[i].flags |= flags;
	}
	return v;
}

/* A Go function's dictionary when it has none, or DWARF does not say
 * where it is (optimised code drops .dict when the code does not use it). */
static const struct loc no_dict;

static void load_event(struct debugger *d, const struct tracepoint *tp,
		       const struct hit *h, const struct target_access *acc,
		       struct api_tracepoint_result *ev)
{
	const struct func *fn = tp->fn;

	memset(ev, 0, sizeof(*ev));
	ev->addr = h->probe->addr;
	ev->is_ret = h->is_return;
	ev->function_name = xstrdup(fn->name);
	if (fn->file)
		ev->file = xstrdup(fn->file);
	ev->line = fn->line;
	ev->goroutine_id = -1;
	ev->thread_id = h->tid;
	ev->time_ns = h->time_ns;

	if (!h->is_return) {
		/* Without DWARF the return shows an unknown value. */
		ev->has_results = !func_typed(fn) || fn->ret_type ||
				  fn->nresults;
		if (!func_typed(fn)) {
			ev->input_params = xcalloc(1, sizeof(struct value));
			unknown_value(&ev->input_params[0], VF_ARGUMENT);
			ev->ninput = 1;
			return;
		}
		ev->input_params = load_params(fn->params, fn->nparams,
					       fn->lang != LANG_GO ? NULL
					       : fn->has_go_dict ? &fn->go_dict
								 : &no_dict,
					       acc, &tp->load, VF_ARGUMENT);
		ev->ninput = fn->nparams;
		return;
	}
	if (!func_typed(fn) || (!tp->ret_known && fn->ret_type)) {
		ev->return_params = xcalloc(1, sizeof(struct value));
		unknown_value(&ev->return_params[0], VF_RETURN);
		ev->nreturn = 1;
		return;
	}
	if (fn->lang == LANG_GO) {
		ev->return_params = load_params(fn->results, fn->nresults,
						fn->has_go_dict
							? &fn->go_dict_ret
							: &no_dict,
						acc, &tp->load, VF_RETURN);
		ev->nreturn = fn->nresults;
		return;
	}
	if (!fn->ret_type)
		return;
	ev->return_params = xcalloc(1, sizeof(struct value));
	value_load(&ev->return_params[0], "", fn->ret_type, &tp->ret_loc, acc,
		   &tp->load);
	ev->return_params[0].flags |= VF_RETURN;
	ev->nreturn = 1;
}

/* ---- --stack ---- */

static int unwind_module_at(void *ctx, uint64_t pc, struct symtab **st,
			    uint64_t *bias)
{
	struct module *m = module_at(ctx, pc);

	if (!m || !m->st)
		return -ENOENT;
	*st = m->st;
	*bias = m->bias;
	return 0;
}

/* Frames 0..tp->stack (Delve's Stacktrace depth counts the frames past
 * the hit), unwound with the call frame information and named; a call
 * inlined at a frame's pc is a frame of its own, as gdb and Delve show
 * it, and counts in the depth. */
static void load_stack(struct debugger *d, const struct tracepoint *tp,
		       const struct target_access *acc,
		       struct api_tracepoint_result *ev)
{
	struct unwind_modules mods = {.ctx = d, .module_at = unwind_module_at};
	/* One frame more than shown: whether the stack goes on. Each
	 * physical frame gives one logical frame at least, so as many
	 * physical ones are enough. */
	size_t max = (size_t)tp->stack + 2, n = 0, k = 0;
	struct unwind_frame *fr;
	struct symtab_frame *sf;
	enum unwind_end end;

	if (!d->unwinder)
		d->unwinder = unwinder_new();
	fr = xcalloc(max, sizeof(*fr));
	sf = xcalloc(max, sizeof(*sf));
	unwind_stack(d->unwinder, acc, &mods, fr, max, &n, &end);
	ev->stack = n ? xcalloc(max, sizeof(*ev->stack)) : NULL;
	for (size_t i = 0; i < n && k < max; i++) {
		uint64_t at = unwind_frame_lookup_pc(&fr[i]);
		struct module *m = module_at(d, at);
		size_t nl = 0;

		if (m && m->st)
			nl = symtab_frames_at(m->st, at - m->bias, sf,
					      max - k);
		if (!nl) {
			sf[0] = (struct symtab_frame){0};
			nl = 1;
		}
		for (size_t j = 0; j < nl && k < max; j++, k++) {
			struct api_frame *f = &ev->stack[k];

			f->pc = fr[i].pc;
			f->function = xstrdup(sf[j].function ? sf[j].function
							     : "?");
			f->file = xstrdup(sf[j].file ? sf[j].file : "?");
			f->line = sf[j].line;
			f->inlined = sf[j].inlined;
		}
	}
	ev->stack_truncated = k == max || end != UNWIND_END_OUTERMOST;
	if (k == max)
		api_frame_release(&ev->stack[--k]);
	ev->nstack = k;
	free(sf);
	free(fr);
}

/* CLOCK_REALTIME (the condition variables' clock) ms from now. */
static struct timespec deadline_in(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Events queued and not taken. */
static size_t queue_len(const struct debugger *d)
{
	return d->events.len - d->ev_head;
}

void debugger_recycle(struct debugger *d, struct api_tracepoint_result *evs,
		      size_t n)
{
	pthread_mutex_lock(&d->mu);
	VEC_PUSH(&d->recycled, ((struct recycled){evs, n}));
	pthread_mutex_unlock(&d->mu);
}

void debugger_enqueue(struct debugger *d, struct api_tracepoint_result *ev)
{
	struct recycled *old = NULL;
	size_t nold = 0;

	pthread_mutex_lock(&d->mu);
	if (d->recycled.len) {
		old = d->recycled.items;
		nold = d->recycled.len;
		d->recycled.items = NULL;
		d->recycled.len = d->recycled.cap = 0;
	}
	while (queue_len(d) >= QUEUE_MAX && !d->quit && !d->stopping) {
		struct timespec ts = deadline_in(1000);
		pthread_cond_timedwait(&d->room_cv, &d->mu, &ts);
	}
	/* Full with room at its head: moved down once, not at each take. */
	if (d->ev_head && d->events.len == d->events.cap) {
		memmove(d->events.items, d->events.items + d->ev_head,
			queue_len(d) * sizeof(*d->events.items));
		d->events.len -= d->ev_head;
		d->ev_head = 0;
	}
	VEC_PUSH(&d->events, *ev);
	d->queued++;
	/* Wake the reader on the first event of a batch only: it drains all. */
	if (queue_len(d) == 1)
		pthread_cond_broadcast(&d->ev_cv);
	pthread_mutex_unlock(&d->mu);
	/* Here, on the thread that allocated them (debugger_recycle); the
	 * largest array kept for the queue. */
	for (size_t i = 0; i < nold; i++) {
		size_t cap = malloc_usable_size(old[i].evs) /
			     sizeof(*old[i].evs);

		for (size_t k = 0; k < old[i].n; k++)
			api_tracepoint_result_release(&old[i].evs[k]);
		pthread_mutex_lock(&d->mu);
		if (cap > d->spare_cap) {
			struct api_tracepoint_result *t = d->spare;

			d->spare = old[i].evs;
			d->spare_cap = cap;
			old[i].evs = t;
		}
		pthread_mutex_unlock(&d->mu);
		free(old[i].evs);
	}
	free(old);
}

int debugger_on_hit(void *ctx, const struct hit *h)
{
	struct debugger *d = ctx;
	const struct tracepoint *tp = h->probe->cookie;
	struct thread_state *ts;
	struct api_tracepoint_result ev;
	struct target_access acc = *h->acc;
	int64_t pos, key, goid = 0;
	uint64_t stack_hi = 0, ra_at, ra = 0;
	const struct func *fn = tp->fn;
	unsigned fake_n = 0;
	bool own = false;
	int depth = 0;

	switch (tp->kind) {
	case TP_RENDEZVOUS:
		/* The loader changed the image list: trace what the rules
		 * ask for in new images, forget the tracepoints of gone ones. */
		modules_scan(d);
		return 0;
	case TP_ENTRY_STOP:
		return 0; /* only the launch's first run stops there */
	case TP_RESOLVER:
		if (!tp->dead)
			tracepoints_on_resolver(d, tp, h);
		return 0;
	case TP_USER:
	case TP_CALLSITE:
		break;
	}
	if (tp->dead || tp->cleared)
		return 0;
	hit_dbg = d;
	acc.name_at = name_at;
	acc.go_type = go_type;
	acc.go_consts = go_consts;
	acc.go_fake_n = &fake_n; /* per stop, as Delve's fake addresses */
	hit_mod = tp->mod;
	acc.bias = tp->mod->bias;
	ra_at = h->sp + (uint64_t)tp->cfa_off - 8;
	pos = (int64_t)(h->sp + (uint64_t)tp->cfa_off);
	key = h->tid;
	if (tp->mod->go) {
		goid = goroutine_of(tp->mod, tp->probe.g_in_r14, &acc, &own,
				    &stack_hi);
		/* A system stack is the thread's: its frames are the
		 * thread's, at fixed addresses. */
		if (own) {
			key = -(goid + 1);
			pos -= (int64_t)stack_hi;
		}
	}
	ts = state_get(d, key);
	if (tp->kind == TP_CALLSITE) {
		follow_on_callsite(d, tp, h, ts);
		goto out;
	}
	if (!h->is_return) {
		/* An IFUNC's implementation: by the name it was called by
		 * (tp is ours, on the worker: its first hit fills in
		 * whether its code is shared). */
		if (tp->fn->ifunc_set &&
		    !(fn = tracepoints_ifunc_called(
			      d, (struct tracepoint *)tp, &acc, ra_at)))
			goto out;
		/* Following calls, who called: the return address, just
		 * below the CFA (one read, no stop; a matched call needs
		 * none). Unreadable, it names no caller. */
		if (tp->follow > 0 && !tp->root &&
		    acc.read_mem(acc.ctx, ra_at, &ra, 8))
			ra = 0;
		depth = note_entry(ts, tp, fn, pos, ra);
	} else {
		ssize_t i = tp->fn->ifunc_set ? mark_of_code(ts, tp)
			    : tp->follow > 0  ? mark_of(ts, tp->fn)
					      : -1;

		/* An IFUNC's implementation is shared code: other entries
		 * (mempcpy, __memcpy_chk) jump into it and leave by its
		 * returns. Only a return of a call seen entering counts. */
		if (i < 0 && tp->fn->ifunc_set)
			goto out;
		if (i >= 0 && tp->follow > 0)
			depth = ts->stack.items[i].depth;
		/* Named as its entry was. */
		if (i >= 0 && tp->fn->ifunc_set)
			fn = ts->stack.items[i].fn;
		note_return(ts, fn);
	}
	/* Following calls, only what runs within the depth under a call
	 * the regexp matched is shown (a callee called from elsewhere, or
	 * deeper, is not; nor is its return). */
	if (tp->follow > 0 && !depth)
		goto out;
	load_event(d, tp, h, &acc, &ev);
	if (fn != tp->fn) {
		free(ev.function_name);
		ev.function_name = xstrdup(fn->name);
	}
	ev.depth = depth;
	if (tp->stack > 0)
		load_stack(d, tp, &acc, &ev);
	if (tp->mod->go)
		ev.goroutine_id = goid;
	debugger_enqueue(d, &ev);
out:
	/* A goroutine with no traced call active is forgotten: goroutines
	 * come and go by the million, unlike threads. */
	if (key < 0 && !ts->stack.len)
		state_drop(d, (size_t)(ts - d->threads.items));
	return 0;
}

size_t debugger_take_events(struct debugger *d, int wait_ms,
			    struct api_tracepoint_result **out,
			    uint64_t *lost)
{
	struct timespec until = deadline_in(wait_ms);
	size_t n;

	pthread_mutex_lock(&d->mu);
	/* The frontend prints a batch, flushes, then asks again: what it
	 * took before is shown now, and a write waiting for it may go. */
	d->shown = d->taken;
	pthread_cond_broadcast(&d->room_cv);
	while (!queue_len(d) && !d->lost.len && !d->forked.len && !d->gone &&
	       d->running &&
	       wait_ms > 0) {
		if (pthread_cond_timedwait(&d->ev_cv, &d->mu, &until) ==
		    ETIMEDOUT)
			break;
	}
	/* Events travel in batches: once one has arrived, let more gather for
	 * a moment, so a busy target costs one round trip per batch rather
	 * than per event. Only when they came in numbers last time: the
	 * first event, and a trickle, go out at once. */
	if (queue_len(d) && queue_len(d) < BATCH_MIN && d->running &&
	    wait_ms > 0 && d->last_batch > 1 && !d->output_waits) {
		struct timespec soon = deadline_in(BATCH_GATHER_MS);
		if (soon.tv_sec > until.tv_sec ||
		    (soon.tv_sec == until.tv_sec && soon.tv_nsec > until.tv_nsec))
			soon = until;
		while (d->running && !d->gone && !d->output_waits &&
		       pthread_cond_timedwait(&d->ev_cv, &d->mu, &soon) !=
			       ETIMEDOUT)
			;
	}
	n = queue_len(d);
	/* Up to the first loss: the loss is reported after them. */
	if (d->lost.len && d->lost.items[0].at < n)
		n = d->lost.items[0].at;
	d->last_batch = n;
	d->taken += n > BATCH_MAX ? BATCH_MAX : n;
	if (n > BATCH_MAX)
		n = BATCH_MAX;
	if (n && n == d->events.len && !d->ev_head) {
		/* All of it: the array itself, and a new one as large, so
		 * that the next batch does not grow one from nothing. */
		*out = d->events.items;
		d->events.items = d->spare;
		d->events.cap = d->spare_cap;
		d->events.len = 0;
		d->spare = NULL;
		d->spare_cap = 0;
	} else {
		*out = n ? xmalloc(n * sizeof(**out)) : NULL;
		if (n)
			memcpy(*out, d->events.items + d->ev_head,
			       n * sizeof(**out));
		d->ev_head += n;
		if (d->ev_head == d->events.len)
			d->ev_head = d->events.len = 0;
	}
	/* The loss that ends this batch (or, with no caller to take it,
	 * every one so far, in order). */
	if (lost) {
		*lost = 0;
		if (d->lost.len && d->lost.items[0].at == n) {
			*lost = d->lost.items[0].n;
			memmove(d->lost.items, d->lost.items + 1,
				(d->lost.len - 1) * sizeof(*d->lost.items));
			d->lost.len--;
		}
	}
	for (size_t i = 0; i < d->lost.len; i++)
		d->lost.items[i].at -= n;
	pthread_cond_broadcast(&d->room_cv);
	pthread_mutex_unlock(&d->mu);
	return n;
}

void debugger_on_output(void *ctx, pid_t tid)
{
	struct debugger *d = ctx;
	uint64_t upto;

	pthread_mutex_lock(&d->mu);
	/* Every event that happened before this write is queued (each was
	 * queued while its thread was stopped): wait until the frontend has
	 * shown them all. Nothing else to wait for when it has. */
	upto = d->queued;
	while (d->shown < upto && !d->stopping && !d->quit && !d->gone) {
		struct timespec ts = deadline_in(1000);

		d->output_waits = true;
		pthread_cond_broadcast(&d->ev_cv); /* no gathering: now */
		pthread_cond_timedwait(&d->room_cv, &d->mu, &ts);
	}
	d->output_waits = false;
	pthread_mutex_unlock(&d->mu);
}

void debugger_on_fork(void *ctx, pid_t parent, pid_t child)
{
	struct debugger *d = ctx;

	(void)parent;
	pthread_mutex_lock(&d->mu);
	VEC_PUSH(&d->forked, (int)child);
	/* Now: the child waits, stopped, for its own debugger. */
	pthread_cond_broadcast(&d->ev_cv);
	pthread_mutex_unlock(&d->mu);
}

size_t debugger_take_forked(struct debugger *d, int **pids)
{
	size_t n;

	pthread_mutex_lock(&d->mu);
	n = d->forked.len;
	*pids = d->forked.items;
	d->forked.items = NULL;
	d->forked.len = d->forked.cap = 0;
	pthread_mutex_unlock(&d->mu);
	return n;
}

void debugger_on_lost(void *ctx, uint64_t n)
{
	struct debugger *d = ctx;

	pthread_mutex_lock(&d->mu);
	if (d->lost.len &&
	    d->lost.items[d->lost.len - 1].at == queue_len(d))
		d->lost.items[d->lost.len - 1].n += n;
	else
		VEC_PUSH(&d->lost, ((struct lost_mark){queue_len(d), n}));
	pthread_cond_broadcast(&d->ev_cv);
	pthread_mutex_unlock(&d->mu);
}

int debugger_on_exec(void *ctx, pid_t tid)
{
	struct debugger *d = ctx;

	/* The thread stacks belong to the old image; the new one starts
	 * afresh, with the same rules. */
	for (size_t i = 0; i < d->threads.len; i++)
		VEC_FREE(&d->threads.items[i].stack);
	d->threads.len = 0;
	if (d->tcap)
		memset(d->tpos, 0, d->tcap * sizeof(*d->tpos));
	modules_reset(d, NULL);
	return 0;
}

void debugger_on_note(void *ctx, const char *text)
{
	struct debugger *d = ctx;
	struct api_tracepoint_result ev;

	memset(&ev, 0, sizeof(ev));
	ev.note = xstrdup(text);
	ev.function_name = xstrdup("");
	ev.goroutine_id = -1;
	debugger_enqueue(d, &ev);
}
