/* --follow-calls: tracing what the matched functions call, N levels deep,
 * and printing each call's depth.
 *
 * The static part is Delve's ListFunctions(regexp, N): the direct calls
 * decoded from each function's code, through PLT stubs into libraries.
 * Calls through pointers, Go interfaces and closures have no target in
 * the code: each such call instruction gets a TP_CALLSITE tracepoint,
 * whose hit reads the target from the registers and traces that function
 * (and what it calls) before the call runs, if the caller is shallow
 * enough. Depths are kept in the frame marks of events.c: the distance
 * from the innermost active call of a function the regexp matched, on
 * that thread or goroutine, counted on the real call path (each call's
 * return address must be in its traced caller), whatever the regexp is. */
#include "debugger/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Delve leaves the Go runtime out, but for the three that run user code
 * or decide where a panic goes. */
static bool skipped(const struct module *mod, const char *name)
{
	if (!mod->go)
		return false;
	if (strncmp(name, "runtime.", 8) && strncmp(name, "runtime/internal", 16))
		return false;
	return strcmp(name, "runtime.deferreturn") &&
	       strcmp(name, "runtime.gorecover") &&
	       strcmp(name, "runtime.gopanic");
}

/* The first function named name in a module other than skip, or NULL. */
static const struct func *func_named(struct debugger *d, const char *name,
				     const struct module *skip,
				     struct module **in)
{
	for (size_t m = 0; m < d->mods.len; m++) {
		struct module *mod = d->mods.items[m];

		const struct func *f;

		if (mod == skip || !mod->st ||
		    !(f = symtab_func_named(mod->st, name, 0)))
			continue;
		*in = mod;
		return f;
	}
	return NULL;
}

struct walk_item {
	struct module *mod;
	const struct func *fn;
	int depth;
};

static bool seen(const struct walk_item *v, size_t n, const struct func *f)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].fn == f)
			return true;
	return false;
}

/* Breadth first from the queue's items, appending every function within
 * follow levels (the items' depths count from 1). */
static void walk(struct debugger *d, struct walk_item **items, size_t *n,
		 size_t *cap, int follow)
{
	for (size_t q = 0; q < *n; q++) {
		struct walk_item it = (*items)[q];
		struct call_site *cs = NULL;
		size_t ncs = 0;

		if (it.depth >= follow ||
		    symtab_calls(it.mod->st, it.fn, &cs, &ncs, NULL) < 0)
			continue;
		for (size_t i = 0; i < ncs; i++) {
			struct walk_item c = {.mod = it.mod,
					      .depth = it.depth + 1};

			if (cs[i].indirect)
				continue;
			if (cs[i].callee)
				c.fn = cs[i].callee;
			else if (cs[i].plt_name)
				c.fn = func_named(d, cs[i].plt_name, it.mod,
						  &c.mod);
			if (!c.fn || skipped(c.mod, c.fn->name) ||
			    seen(*items, *n, c.fn))
				continue;
			xgrow((void **)items, cap, *n + 1, sizeof(**items));
			(*items)[(*n)++] = c;
		}
		free(cs);
	}
}

int follow_list(struct debugger *d, const char *filter, int follow,
		char ***names, size_t *n, struct errbuf *eb)
{
	struct walk_item *items = NULL;
	size_t nitems = 0, cap = 0;

	for (size_t m = 0; m < d->mods.len; m++) {
		struct module *mod = d->mods.items[m];
		size_t *idx = NULL, nidx = 0;
		int err;

		if (!mod->st)
			continue;
		if ((err = symtab_match(mod->st, filter, &idx, &nidx, eb))) {
			free(items);
			return err;
		}
		for (size_t i = 0; i < nidx; i++) {
			xgrow((void **)&items, &cap, nitems + 1, sizeof(*items));
			items[nitems++] = (struct walk_item){
				mod, symtab_func(mod->st, idx[i]), 1};
		}
		free(idx);
	}
	walk(d, &items, &nitems, &cap, follow);
	*names = xrealloc(*names, (*n + nitems + 1) * sizeof(**names));
	for (size_t i = 0; i < nitems; i++)
		(*names)[(*n)++] = xstrdup(items[i].fn->name);
	free(items);
	return 0;
}

bool follow_is_root(struct debugger *d, const char *re, const struct func *fn)
{
	if (!re)
		return false;
	if (!d->root_re_str || strcmp(d->root_re_str, re)) {
		name_re_free(d->root_re);
		d->root_re = NULL;
		free(d->root_re_str);
		d->root_re_str = xstrdup(re);
		name_re_compile(&d->root_re, re, NULL);
	}
	return d->root_re && name_re_match_func(d->root_re, fn);
}

void follow_add_callsites(struct debugger *d, struct module *mod,
			  const struct func *fn, const struct tp_opts *o)
{
	struct call_site *cs = NULL;
	size_t ncs = 0;

	if (symtab_calls(mod->st, fn, &cs, &ncs, NULL) < 0)
		return;
	for (size_t i = 0; i < ncs; i++) {
		uint8_t code[16];
		struct tracepoint *tp;

		if (!cs[i].indirect ||
		    symtab_read(mod->st, cs[i].addr, code, sizeof(code)))
			continue;
		tp = xcalloc(1, sizeof(*tp));
		if (x86_decode(code, sizeof(code), cs[i].addr + mod->bias,
			       &tp->call) || tp->call.cls != INSN_CALL_IND) {
			free(tp);
			continue;
		}
		tp->kind = TP_CALLSITE;
		tp->mod = mod;
		tp->fn = fn;
		/* The goroutine from R14, as at fn's entry: a plan can read
		 * that, not the thread pointer (plan.c). */
		tp->probe.g_in_r14 = tracepoints_g_in_r14(mod, fn);
		tp->follow = o->follow;
		tp->stack = o->stack;
		/* The opts for the functions found there. */
		tp->root_re = o->root_re ? xstrdup(o->root_re) : NULL;
		if (o->load)
			tp->load_cfg = *o->load;
		tp->probe.addr = cs[i].addr + mod->bias;
		tp->probe.kind = PROBE_ENTRY;
		tp->probe.sync = true;
		tp->probe.cookie = tp;
		/* Freed there when it fails: the next one may do. */
		tracepoints_insert_internal(d, tp, NULL);
	}
	free(cs);
}

int follow_entry_depth(const struct thread_state *ts,
		       const struct tracepoint *tp, int64_t pos, uint64_t ra)
{
	const struct frame_mark *c;

	if (tp->root)
		return 1;
	if (!ts->stack.len)
		return 0;
	c = &ts->stack.items[ts->stack.len - 1];
	/* Every function within follow - 1 levels of a matched call is
	 * traced, so a call within follow levels has a traced caller, the
	 * innermost activation: its return address is in that caller's code
	 * (ra - 1: the call may be the caller's last instruction). A return
	 * address elsewhere means an untraced function called it: the call
	 * is deeper than follow (a function near a matched one on one path
	 * may be far below it on another), or under no matched call at
	 * all. A tail call's callee has its caller's frame (the same pos)
	 * and returns where its caller would: it counts one below the
	 * caller, as the static walk counts a jump out of a function. */
	if (c->pos != pos && !symtab_in_ranges(c->fn, ra - 1 - c->bias))
		return 0;
	if (!c->depth || c->depth >= tp->follow)
		return 0;
	return c->depth + 1;
}

static int vreg_read(const struct target_access *acc, int reg, uint64_t *v)
{
	*v = 0;
	return acc->read_reg(acc->ctx, reg, v, 8);
}

/* The operand of the call: where it jumps. */
static int call_target(const struct insn *in, const struct target_access *acc,
		       uint64_t *out)
{
	uint64_t base = 0, index = 0, addr;

	if (in->op.base == DREG_RIP)
		base = in->addr + in->len;
	else if (in->op.base >= 0 &&
		 vreg_read(acc, in->op.base, &base))
		return -EINVAL;
	if (in->op.index >= 0 && vreg_read(acc, in->op.index, &index))
		return -EINVAL;
	if (!in->op.mem) {
		*out = base;
		return 0;
	}
	addr = base + index * (uint64_t)in->op.scale + (uint64_t)in->op.disp;
	return acc->read_mem(acc->ctx, addr, out, 8);
}

void follow_on_callsite(struct debugger *d, const struct tracepoint *tp,
			const struct hit *h, struct thread_state *ts)
{
	struct tp_opts o = {.stack = tp->stack, .load = &tp->load_cfg,
			    .follow = tp->follow, .root_re = tp->root_re};
	struct walk_item *items = NULL;
	size_t nitems = 0, cap = 0;
	struct module *mod;
	const struct func *fn;
	uint64_t target;
	int depth;

	/* The caller must be the traced call on top, shown and shallow
	 * enough. */
	if (!ts->stack.len || ts->stack.items[ts->stack.len - 1].fn != tp->fn)
		return;
	depth = ts->stack.items[ts->stack.len - 1].depth;
	if (!depth || depth + 1 > tp->follow ||
	    call_target(&tp->call, h->acc, &target))
		return;
	mod = module_at(d, target);
	if (!mod || !(fn = symtab_func_at(mod->st, target - mod->bias)) ||
	    fn->low_pc != target - mod->bias || skipped(mod, fn->name) ||
	    tracepoints_traced(d, mod, fn))
		return;
	/* It, and what it calls as deep as the callee's depth allows. */
	xgrow((void **)&items, &cap, 1, sizeof(*items));
	items[nitems++] = (struct walk_item){mod, fn, depth + 1};
	walk(d, &items, &nitems, &cap, tp->follow);
	for (size_t i = 0; i < nitems; i++)
		if (!tracepoints_traced(d, items[i].mod, items[i].fn))
			tracepoints_add_function(d, items[i].mod, items[i].fn,
						 &o);
	free(items);
}

void follow_free(struct debugger *d)
{
	name_re_free(d->root_re);
	d->root_re = NULL;
	free(d->root_re_str);
	d->root_re_str = NULL;
}
