/* Choosing functions and placing tracepoints: ListFunctions,
 * CreateBreakpoint, FunctionReturnLocations — over every loaded image — and
 * the rules that trace images loaded later.
 *
 * Everything here that reads symbols or inserts probes runs on the worker
 * thread (the engine must be used from there, and the image list changes
 * there while the target runs). */
#include "debugger/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"

static bool on_worker(struct debugger *d)
{
	return pthread_equal(pthread_self(), d->worker_tid);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- ListFunctions ---- */

struct list_args {
	const char *filter;
	int follow;
	char **names;
	size_t n;
};

/* Sorts NAMES and frees the repeats: returns how many stay, in order. */
static size_t sort_unique(char **names, size_t n)
{
	size_t u = 0;

	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (u && !strcmp(names[u - 1], names[i])) {
			free(names[i]);
			continue;
		}
		names[u++] = names[i];
	}
	return u;
}

static int job_list(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct list_args *a = arg;
	VEC(char *) out = {0};

	if (a->follow > 0) {
		int err = follow_list(d, a->filter, a->follow, &out.items,
				      &out.len, eb);
		if (err)
			return err;
		out.cap = out.len;
	}
	for (size_t m = 0; m < d->mods.len && a->follow <= 0; m++) {
		struct module *mod = d->mods.items[m];
		size_t *idx = NULL, nidx = 0;
		int err;

		if (!mod->st)
			continue;
		err = symtab_match(mod->st, a->filter, &idx, &nidx, eb);
		if (err) {
			for (size_t i = 0; i < out.len; i++)
				free(out.items[i]);
			VEC_FREE(&out);
			return err;
		}
		for (size_t i = 0; i < nidx; i++)
			VEC_PUSH(&out, xstrdup(symtab_func(mod->st, idx[i])->name));
		free(idx);
	}
	/* Several functions may share a name (static functions, C++
	 * overloads, the same name in two libraries): a name stands for all. */
	a->names = out.items;
	a->n = sort_unique(out.items, out.len);
	return 0;
}

int debugger_list_functions(struct debugger *d, const char *filter,
			    int follow_calls, char ***names, size_t *n,
			    struct errbuf *eb)
{
	struct list_args a = {.filter = filter ? filter : "",
			      .follow = follow_calls};
	int err = debugger_run_job(d, job_list, &a, eb);

	*names = err ? NULL : a.names;
	*n = err ? 0 : a.n;
	return err;
}

/* True when some image has code for a function named name (ld.so's
 * DWARF has malloc inlined everywhere, while libc's malloc is real). */
static bool has_code_anywhere(struct debugger *d, const char *name)
{
	for (size_t m = 0; m < d->mods.len; m++) {
		struct module *mod = d->mods.items[m];

		if (mod->st && symtab_func_named(mod->st, name, 0))
			return true;
	}
	return false;
}

static int job_inlined(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct list_args *a = arg;
	VEC(char *) out = {0};

	for (size_t m = 0; m < d->mods.len; m++) {
		struct module *mod = d->mods.items[m];
		const char **names;
		size_t n;
		int err;

		if (!mod->st)
			continue;
		err = symtab_match_inlined(mod->st, a->filter, &names, &n, eb);
		if (err) {
			for (size_t i = 0; i < out.len; i++)
				free(out.items[i]);
			VEC_FREE(&out);
			return err;
		}
		for (size_t i = 0; i < n; i++)
			if (!has_code_anywhere(d, names[i]))
				VEC_PUSH(&out, xstrdup(names[i]));
		free(names);
	}
	a->names = out.items;
	a->n = sort_unique(out.items, out.len);
	return 0;
}

int debugger_list_inlined(struct debugger *d, const char *filter,
			  char ***names, size_t *n, struct errbuf *eb)
{
	struct list_args a = {.filter = filter ? filter : ""};
	int err = debugger_run_job(d, job_inlined, &a, eb);

	*names = err ? NULL : a.names;
	*n = err ? 0 : a.n;
	return err;
}

/* ---- tracepoints ---- */

/* Go code compiled for the register ABI (ABIInternal) keeps the current g
 * in R14 at every call and return; assembly (file.s) and ABI0 functions
 * (symbol "name.abi0") need not. */
static bool go_regabi(const struct func *fn)
{
	const char *sym = fn->linkage_name, *file = fn->file;
	size_t n;

	if (sym && (n = strlen(sym)) >= 5 && !strcmp(sym + n - 5, ".abi0"))
		return false;
	return file && (n = strlen(file)) >= 3 && strcmp(file + n - 2, ".s");
}

static struct tracepoint *tracepoint_new(struct module *mod,
					 const struct func *fn, int bp_id)
{
	struct tracepoint *tp = xcalloc(1, sizeof(*tp));

	tp->kind = TP_USER;
	tp->mod = mod;
	tp->cfa_off = 8; /* the return address just pushed */
	tp->bp_id = bp_id;
	tp->fn = fn;
	if (fn) {
		tp->rt_ranges = xcalloc(fn->nranges ? fn->nranges : 1,
					sizeof(*tp->rt_ranges));
		for (size_t i = 0; i < fn->nranges; i++) {
			tp->rt_ranges[i].lo = fn->ranges[i].lo + mod->bias;
			tp->rt_ranges[i].hi = fn->ranges[i].hi + mod->bias;
		}
		tp->probe.ranges = tp->rt_ranges;
		tp->probe.nranges = fn->nranges;
	}
	tp->probe.cookie = tp;
	tp->probe.go = (fn && fn->lang == LANG_GO) ||
		       (mod && mod->st && symtab_is_go(mod->st));
	tp->probe.g_in_r14 = tracepoints_g_in_r14(mod, fn);
	return tp;
}

bool tracepoints_g_in_r14(struct module *mod, const struct func *fn)
{
	return fn && mod->go && go_regabi(symtab_func_load(mod->st, fn));
}

static void tracepoint_free(struct tracepoint *tp)
{
	free(tp->root_re);
	loc_release(&tp->ret_loc);
	free(tp->rt_ranges);
	VEC_FREE(&tp->also);
	free(tp->sites);
	free(tp->plan);
	free(tp);
}

/* Inserts tp's probe (we are on the worker) and keeps it. */
static int tracepoint_insert(struct debugger *d, struct tracepoint *tp,
			     struct errbuf *eb)
{
	int err;

	plan_compile(tp);
	err = d->ops->insert_probe(d->eng, &tp->probe, eb);

	if (err) {
		tracepoint_free(tp);
		return err;
	}
	pthread_mutex_lock(&d->mu);
	VEC_PUSH(&d->tps, tp);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* The live tracepoint of that kind at addr, or NULL. */
static struct tracepoint *tracepoint_at(struct debugger *d, uint64_t addr,
					bool is_ret)
{
	for (size_t i = 0; i < d->tps.len; i++) {
		struct tracepoint *tp = d->tps.items[i];
		if (!tp->dead && tp->probe.addr == addr && tp->is_ret == is_ret)
			return tp;
	}
	return NULL;
}

/* An entry and a return tracepoint may share an address (a function that
 * is a lone ret); two of one kind may not. */
static bool has_tracepoint_at(struct debugger *d, uint64_t addr, bool is_ret)
{
	return tracepoint_at(d, addr, is_ret) != NULL;
}

/* tp (at fn's address) traces fn's code as another IFUNC of fn's image:
 * both run the implementation one resolver chose (memcpy and memmove on
 * many CPUs). One tracepoint carries both names. */
static bool ifunc_sibling(const struct tracepoint *tp, const struct module *mod,
			  const struct func *fn)
{
	return tp->kind == TP_USER && tp->mod == mod && tp->fn &&
	       tp->fn->ifunc_set && fn->ifunc_set &&
	       tp->fn->low_pc == fn->low_pc;
}

/* tp carries fn's name: its own function, or one it was joined by. */
static bool carries(const struct tracepoint *tp, const struct func *fn)
{
	if (tp->fn == fn)
		return true;
	for (size_t i = 0; i < tp->also.len; i++)
		if (tp->also.items[i] == fn)
			return true;
	return false;
}

int tracepoints_insert_internal(struct debugger *d, struct tracepoint *tp,
				struct errbuf *eb)
{
	uint64_t addr = tp->probe.addr;

	if (has_tracepoint_at(d, addr, false)) {
		tracepoint_free(tp);
		return errbuf_set(eb, -EEXIST, "Breakpoint exists at %#llx",
				  (unsigned long long)addr);
	}
	return tracepoint_insert(d, tp, eb);
}

bool tracepoints_traced(struct debugger *d, struct module *mod,
			const struct func *fn)
{
	const struct tracepoint *tp;

	fn = symtab_func_load(mod->st, fn);
	tp = tracepoint_at(d, fn->entry_pc + mod->bias, false);
	return tp && (!fn->ifunc_set || !ifunc_sibling(tp, mod, fn) ||
		      carries(tp, fn));
}

int tracepoints_add_internal(struct debugger *d, enum tp_kind kind,
			     struct module *mod, uint64_t addr,
			     struct errbuf *eb)
{
	struct tracepoint *tp = tracepoint_new(mod, NULL, 0);

	tp->kind = kind;
	tp->probe.addr = addr;
	tp->probe.kind = PROBE_ENTRY;
	/* The loader's rendezvous, the launch's entry, an IFUNC resolver's
	 * return: the mappings or the probes change here. */
	tp->probe.sync = true;
	return tracepoint_insert(d, tp, eb);
}

/* The loader's limits for a client's LoadArgs. All zero is Delve's
 * ShortLoadConfig: ours, LOAD_SHORT, which shows a few elements where Delve
 * shows "[...]"; so does a config that asks for no elements. The C loader
 * counts the value itself as a level of nesting, Delve does not. Go values
 * nest as Delve's trace loads them whatever the config (goload.c).
 * FollowPointers (-v 4) follows Go's pointers and C's to structs and
 * unions. */
static struct load_config load_config_of(const struct api_load_config *c)
{
	struct load_config l = LOAD_SHORT;

	if (!c || (!c->follow_pointers && !c->max_variable_recurse &&
		   !c->max_string_len && !c->max_array_values &&
		   !c->max_struct_fields))
		return l;
	l.max_string = c->max_string_len;
	l.max_fields = c->max_struct_fields;
	if (c->max_array_values)
		l.max_array = c->max_array_values;
	l.max_recurse = c->max_variable_recurse + 1;
	l.follow_pointers = c->follow_pointers;
	return l;
}

/* What a client's request asks of its tracepoints. */
static struct tp_opts tp_opts_of(const struct api_breakpoint *req)
{
	return (struct tp_opts){
		.stack = req->stacktrace,
		.load = &req->load_cfg,
		.follow = req->trace_follow_calls,
		.root_re = req->root_func_name,
	};
}

static int add_entry(struct debugger *d, struct module *mod,
		     const struct func *fn, int id, const struct tp_opts *o,
		     struct errbuf *eb)
{
	struct tracepoint *tp;

	fn = symtab_func_load(mod->st, fn);
	if ((tp = tracepoint_at(d, fn->entry_pc + mod->bias, false))) {
		/* An alias of a traced function (another name for its
		 * code: glibc's __libc_malloc and malloc, ld.so's memcpy
		 * and memmove): traced already, under the first name. */
		if (tp->kind == TP_USER && tp->mod == mod && tp->fn &&
		    tp->fn != fn && !tp->fn->ifunc_resolver &&
		    !fn->ifunc_resolver && tp->fn->low_pc == fn->low_pc &&
		    strcmp(tp->fn->name, fn->name))
			return 0;
		if (!ifunc_sibling(tp, mod, fn) || carries(tp, fn))
			return errbuf_set(eb, -EEXIST,
					  "Breakpoint exists at %s", fn->name);
		/* Its calls are told apart at each hit (events.c). */
		VEC_PUSH(&tp->also, fn);
		tp->shared = 2;
		/* Its call sites were not traced calls until now. */
		if (tp->sites)
			memset(tp->sites, 0, SITE_CACHE * sizeof(*tp->sites));
		return 0;
	}
	tp = tracepoint_new(mod, fn, id);
	tp->probe.addr = fn->entry_pc + mod->bias;
	tp->probe.kind = PROBE_ENTRY;
	tp->stack = o->stack;
	tp->load = load_config_of(o->load);
	tp->follow = o->follow;
	tp->root = o->follow <= 0 || follow_is_root(d, o->root_re, fn);
	/* Past a prologue (Go's entry) the frame is already allocated. */
	if (fn->entry_pc != fn->low_pc) {
		int reg;
		int64_t off;

		if (symtab_cfa_rule(mod->st, fn->entry_pc, &reg, &off) == 0 &&
		    reg == DREG_RSP)
			tp->cfa_off = off;
	}
	return tracepoint_insert(d, tp, eb);
}

/* The function an entry tracepoint already names at fn's address, else
 * fn: aliases (strtol and strtoq) share their code, and a return found by
 * address must carry the name its entry printed. */
static const struct func *same_as_entry(struct debugger *d,
					const struct module *mod,
					const struct func *fn)
{
	for (size_t i = 0; i < d->tps.len; i++) {
		const struct tracepoint *tp = d->tps.items[i];

		if (tp->kind == TP_USER && !tp->is_ret && !tp->dead &&
		    tp->mod == mod && tp->fn && tp->fn != fn &&
		    tp->fn->low_pc == fn->low_pc)
			return tp->fn;
	}
	return fn;
}

/* Whether fn's returns may be caught by rewriting its return address (see
 * struct probe): C, calls nothing, no stack shown. Asked once per return
 * site: the last answer is kept. */
static bool may_hijack(struct module *mod, const struct func *fn,
		       const struct tp_opts *o)
{
	static __thread const struct func *last_fn;
	static __thread uint64_t last_pc;
	static __thread bool last;
	struct call_site *cs = NULL;
	size_t n = 0;

	if (fn->lang != LANG_C || o->stack > 0 || fn->entry_pc != fn->low_pc)
		return false;
	if (fn == last_fn && fn->low_pc == last_pc)
		return last;
	last = symtab_calls(mod->st, fn, &cs, &n, NULL) == 0 && n == 0;
	free(cs);
	last_fn = fn;
	last_pc = fn->low_pc;
	return last;
}

static int add_return(struct debugger *d, struct module *mod,
		      const struct func *fn, const struct ret_site *site,
		      int id, const struct tp_opts *o, struct errbuf *eb)
{
	struct tracepoint *tp;
	uint64_t addr = site->addr + mod->bias;
	const struct func *asked = fn;

	fn = symtab_func_load(mod->st, same_as_entry(d, mod, fn));
	if ((tp = tracepoint_at(d, addr, true))) {
		/* An IFUNC sharing its implementation with a traced one:
		 * the return is named by its entry's call (events.c). */
		if (ifunc_sibling(tp, mod, fn))
			return 0;
		/* An alias's: traced already, as its entry is (add_entry). */
		if (asked != fn && tp->fn == fn && !fn->ifunc_resolver)
			return 0;
		return errbuf_set(eb, -EEXIST, "Breakpoint exists at %#llx",
				  (unsigned long long)addr);
	}
	tp = tracepoint_new(mod, fn, id);
	tp->is_ret = true;
	tp->stack = o->stack;
	tp->load = load_config_of(o->load);
	tp->follow = o->follow;
	tp->root = o->follow <= 0 || follow_is_root(d, o->root_re, fn);
	tp->probe.addr = addr;
	tp->probe.kind = site->kind == RET_SITE_RET ? PROBE_RETURN
						    : PROBE_TAILJMP;
	tp->probe.ret_hijack = may_hijack(mod, fn, o);
	tp->probe.hijack_at = fn->low_pc + mod->bias;
	tp->probe.patch_lo = site->patch_lo ? site->patch_lo + mod->bias : 0;
	/* Where the caller finds the result, by the ABI: DWARF does not say.
	 * (Go's results carry their own locs, from Go's ABI.) */
	tp->ret_known = func_typed(fn) &&
			(fn->lang == LANG_GO ||
			 x86_sysv_result_loc(fn->ret_type, &tp->ret_loc) == 0);
	return tracepoint_insert(d, tp, eb);
}

void tracepoints_apply_rule(struct debugger *d, struct module *mod,
			    const struct trace_rule *r)
{
	size_t *idx = NULL, nidx = 0;

	if (!mod->st || symtab_match(mod->st, r->regexp, &idx, &nidx, NULL))
		return;
	struct tp_opts o = {.stack = r->stacktrace, .load = &r->load_cfg,
			    .follow = r->follow_calls, .root_re = r->regexp};

	for (size_t i = 0; i < nidx; i++)
		tracepoints_add_function(d, mod, symtab_func(mod->st, idx[i]),
					 &o);
	free(idx);
}

/* An IFUNC whose resolver has not run yet (a static program before its
 * start code relocated itself; a library being loaded; a slot bound
 * lazily, with no IRELATIVE one): TP_RESOLVER tracepoints on the
 * resolver's returns, which trace fn where the result points. The
 * resolver's run itself is never shown as a call of fn. */
static bool ifunc_pending(const struct func *fn)
{
	return fn->ifunc_resolver && !fn->ifunc_set;
}

static void watch_resolver(struct debugger *d, struct module *mod,
			   const struct func *fn, const struct tp_opts *o)
{
	struct ret_site *sites = NULL;
	size_t nsites = 0;

	if (symtab_return_sites(mod->st, fn, &sites, &nsites, NULL) < 0)
		return;
	for (size_t j = 0; j < nsites; j++) {
		struct tracepoint *tp;

		/* A tail jump leaves with no result in rax. */
		if (sites[j].kind != RET_SITE_RET ||
		    has_tracepoint_at(d, sites[j].addr + mod->bias, true))
			continue;
		tp = tracepoint_new(mod, fn, 0);
		tp->kind = TP_RESOLVER;
		tp->is_ret = true;
		tp->probe.addr = sites[j].addr + mod->bias;
		tp->probe.kind = PROBE_RETURN;
		tp->stack = o->stack;
		if (o->load)
			tp->load_cfg = *o->load;
		tp->follow = o->follow;
		tp->root_re = o->root_re ? xstrdup(o->root_re) : NULL;
		tracepoint_insert(d, tp, NULL);
	}
	free(sites);
}

void tracepoints_on_resolver(struct debugger *d, const struct tracepoint *tp,
			     const struct hit *h)
{
	struct tp_opts o = {.stack = tp->stack, .load = &tp->load_cfg,
			    .follow = tp->follow, .root_re = tp->root_re};
	uint64_t impl = 0;

	if (!ifunc_pending(tp->fn) ||
	    h->acc->read_reg(h->acc->ctx, DREG_RAX, &impl, 8) ||
	    impl < tp->mod->lo || impl >= tp->mod->hi ||
	    symtab_ifunc_set_impl(tp->mod->st, tp->fn, impl - tp->mod->bias,
				  NULL))
		return;
	if (!tracepoints_traced(d, tp->mod, tp->fn))
		tracepoints_add_function(d, tp->mod, tp->fn, &o);
}

/* Whether another IFUNC of tp's image (by another name) runs tp's code:
 * one resolved, by its address; one not yet, by the GOT slot that holds its
 * resolver's choice (read, nothing changed: its own tracing, if any, is
 * its resolver's tracepoints' business). */
static bool ifunc_shares(struct debugger *d, const struct tracepoint *tp)
{
	struct symtab *st = tp->mod->st;
	size_t n = symtab_nfuncs(st);

	for (size_t i = 0; i < n; i++) {
		const struct func *f = symtab_func(st, i);

		if (f == tp->fn || !f->ifunc_resolver ||
		    !strcmp(f->name, tp->fn->name))
			continue;
		if (f->ifunc_set ? f->low_pc == tp->fn->low_pc
				 : modules_ifunc_chosen(d, tp->mod, f) ==
					   tp->fn->low_pc + tp->mod->bias)
			return true;
	}
	return false;
}

/* The traced function a call returning to ra was made by: what
 * tracepoints_ifunc_called returns, decoded. */
static const struct func *ifunc_site_fn(struct debugger *d,
					const struct tracepoint *tp,
					uint64_t ra)
{
	const struct func *f;
	struct module *m;
	const char *name = NULL;

	if ((m = module_at(d, ra)) && m->st)
		name = symtab_call_name(m->st, ra - m->bias);
	if (name && !strcmp(name, tp->fn->name))
		return tp->fn;
	for (size_t i = 0; name && i < tp->also.len; i++)
		if (!strcmp(name, tp->also.items[i]->name))
			return tp->also.items[i];
	/* Called by the name of another IFUNC of this image, not traced:
	 * memmove's call when only memcpy is. */
	for (size_t nth = 0;
	     name && (f = symtab_func_named(tp->mod->st, name, nth)); nth++)
		if (f->ifunc_resolver)
			return NULL;
	/* libc's own calls, a tail jump here: by the first of its names in
	 * alphabetical order, whichever order they were traced in (the
	 * images loaded later are traced in their symbols' order). */
	f = tp->fn;
	for (size_t i = 0; i < tp->also.len; i++)
		if (strcmp(tp->also.items[i]->name, f->name) < 0)
			f = tp->also.items[i];
	return f;
}

const struct func *tracepoints_ifunc_called(struct debugger *d,
					    struct tracepoint *tp,
					    const struct target_access *acc,
					    uint64_t ra_at)
{
	struct site_name *s;
	uint64_t ra;

	/* Found out at the first hit: every IFUNC that will run this code
	 * has been resolved by then (the loader, or a static program's
	 * start code, applies them before main). */
	if (!tp->shared)
		tp->shared = ifunc_shares(d, tp) ? 2 : 1;
	if (tp->shared == 1)
		return tp->fn;
	if (acc->read_mem(acc->ctx, ra_at, &ra, sizeof(ra)) || !ra)
		return ifunc_site_fn(d, tp, 0);
	/* A program calls from a few places, many times: decoding the call
	 * costs more than the stop, so each site is decoded once. */
	if (!tp->sites)
		tp->sites = xcalloc(SITE_CACHE, sizeof(*tp->sites));
	s = &tp->sites[(ra ^ ra >> 7) % SITE_CACHE];
	if (s->ra != ra) {
		s->ra = ra;
		s->fn = ifunc_site_fn(d, tp, ra);
	}
	return s->fn;
}

int tracepoints_add_function(struct debugger *d, struct module *mod,
			     const struct func *fn, const struct tp_opts *o)
{
	struct ret_site *sites = NULL;
	size_t nsites = 0;
	int id, err;

	if (ifunc_pending(fn)) {
		watch_resolver(d, mod, fn, o);
		return 0;
	}
	id = d->next_bp_id++;

	/* A function we cannot probe is skipped, as the frontend skips it
	 * at the start. */
	if ((err = add_entry(d, mod, fn, id, o, NULL)))
		return err;
	if (o->follow > 0)
		follow_add_callsites(d, mod, symtab_func_load(mod->st, fn), o);
	if (symtab_return_sites(mod->st, fn, &sites, &nsites, NULL) < 0)
		return 0;
	for (size_t j = 0; j < nsites; j++)
		add_return(d, mod, fn, &sites[j], d->next_bp_id++, o, NULL);
	free(sites);
	return 0;
}

void tracepoints_forget_module(struct debugger *d, struct module *mod)
{
	if (mod->hi > mod->lo && d->eng && d->ops->forget_probes)
		d->ops->forget_probes(d->eng, mod->lo, mod->hi);
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->tps.len; i++) {
		struct tracepoint *tp = d->tps.items[i];

		if (tp->mod == mod)
			tp->dead = true;
		/* A call site it named may have been mod's code. */
		if (tp->sites)
			memset(tp->sites, 0, SITE_CACHE * sizeof(*tp->sites));
	}
	pthread_mutex_unlock(&d->mu);
}

/* Remembers the regexp a trace client put in RootFuncName, to trace the
 * images loaded later the same way. */
static void remember_rule(struct debugger *d, const struct api_breakpoint *req)
{
	struct trace_rule r;

	if (!req->tracepoint || !req->root_func_name || !*req->root_func_name)
		return;
	for (size_t i = 0; i < d->rules.len; i++)
		if (!strcmp(d->rules.items[i].regexp, req->root_func_name))
			return;
	/* Only a regexp that compiles becomes a rule. */
	if (d->mods.len && d->mods.items[0]->st) {
		size_t *idx = NULL, n = 0;
		if (symtab_match(d->mods.items[0]->st, req->root_func_name,
				 &idx, &n, NULL))
			return;
		free(idx);
	}
	r.regexp = xstrdup(req->root_func_name);
	r.load_args = req->load_args;
	r.load_cfg = req->load_cfg;
	r.stacktrace = req->stacktrace;
	r.follow_calls = req->trace_follow_calls;
	VEC_PUSH(&d->rules, r);
}

static void fill_out(const struct api_breakpoint *req,
		     struct api_breakpoint *out, int id, struct module *mod,
		     const struct func *fn, uint64_t *addrs, size_t naddrs)
{
	const char *file = NULL;
	int line = 0;

	memset(out, 0, sizeof(*out));
	out->id = id;
	out->addr = naddrs ? addrs[0] : 0;
	out->addrs = addrs;
	out->naddrs = naddrs;
	out->function_name = xstrdup(fn->name);
	if (fn->file)
		out->file = xstrdup(fn->file);
	out->line = fn->line;
	/* No declaration line (Go's DWARF has none): the line of the
	 * tracepoint's address, as Delve gives it. */
	if (!fn->line && mod && mod->st && naddrs &&
	    !symtab_line_at(mod->st, addrs[0] - mod->bias, &file, &line) &&
	    file) {
		free(out->file);
		out->file = xstrdup(file);
		out->line = line;
	}
	out->tracepoint = req->tracepoint;
	out->trace_return = req->trace_return;
	out->load_args = req->load_args;
	out->load_cfg = req->load_cfg;
	out->stacktrace = req->stacktrace;
	out->trace_follow_calls = req->trace_follow_calls;
	if (req->root_func_name)
		out->root_func_name = xstrdup(req->root_func_name);
	if (req->name)
		out->name = xstrdup(req->name);
}

struct create_args {
	const struct api_breakpoint *req;
	struct api_breakpoint *out;
};

/* An entry tracepoint on every function named req->function_name, in every
 * image. */
static int create_entry(struct debugger *d, struct create_args *a,
			struct errbuf *eb)
{
	const struct api_breakpoint *req = a->req;
	const struct func *first = NULL;
	struct module *first_mod = NULL;
	uint64_t *addrs = NULL;
	size_t naddrs = 0;
	int id = d->next_bp_id, err = 0;
	struct tp_opts o = tp_opts_of(req);

	for (size_t m = 0; m < d->mods.len && !err; m++) {
		struct module *mod = d->mods.items[m];
		const struct func *fn;

		for (size_t nth = 0; mod->st && (fn = symtab_func_named(
				mod->st, req->function_name, nth)); nth++) {
			if (ifunc_pending(fn)) {
				watch_resolver(d, mod, fn, &o);
				first = first ? first : fn;
				continue;
			}
			fn = symtab_func_load(mod->st, fn);
			err = add_entry(d, mod, fn, id, &o, eb);
			if (err)
				break;
			if (o.follow > 0)
				follow_add_callsites(d, mod, fn, &o);
			addrs = xrealloc(addrs, (naddrs + 1) * sizeof(*addrs));
			addrs[naddrs++] = fn->entry_pc + mod->bias;
			if (!first_mod)
				first_mod = mod;
			first = first ? first : fn;
		}
	}
	if (!first && !err)
		err = errbuf_set(eb, -ENOENT, "location \"%s\" not found",
				 req->function_name);
	if (err) {
		free(addrs);
		return err;
	}
	d->next_bp_id++;
	remember_rule(d, req);
	fill_out(req, a->out, id, first_mod, first, addrs, naddrs);
	return 0;
}

/* A return tracepoint at req->addr, one of FunctionReturnLocations. */
static int create_return(struct debugger *d, struct create_args *a,
			 struct errbuf *eb)
{
	const struct api_breakpoint *req = a->req;
	struct module *mod = module_at(d, req->addr);
	const struct func *fn;
	struct tp_opts o = tp_opts_of(req);
	struct ret_site *sites = NULL;
	const struct ret_site *site = NULL;
	size_t nsites = 0;
	uint64_t *addrs;
	int err;

	fn = mod ? symtab_func_load(mod->st, symtab_func_at(
				   mod->st, req->addr - mod->bias)) : NULL;
	if (!fn)
		return errbuf_set(eb, -ENOENT, "no function at address %#llx",
				  (unsigned long long)req->addr);
	err = symtab_return_sites(mod->st, fn, &sites, &nsites, eb);
	if (err < 0)
		return err;
	for (size_t i = 0; i < nsites && !site; i++)
		if (sites[i].addr + mod->bias == req->addr)
			site = &sites[i];
	if (!site) {
		free(sites);
		return errbuf_set(eb, -EINVAL,
				  "%#llx is not a return location of %s",
				  (unsigned long long)req->addr, fn->name);
	}
	err = add_return(d, mod, fn, site, d->next_bp_id, &o, eb);
	free(sites);
	if (err)
		return err;
	addrs = xmalloc(sizeof(*addrs));
	addrs[0] = req->addr;
	fill_out(req, a->out, d->next_bp_id++, mod, fn, addrs, 1);
	return 0;
}

static int job_create(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct create_args *a = arg;

	if (d->gone)
		return errbuf_set(eb, -ESRCH, "the process is no longer traced");
	if (a->req->function_name && a->req->function_name[0])
		return create_entry(d, a, eb);
	/* Delve's own client places an entry tracepoint by the address
	 * FindLocation gave (Tracepoint, no TraceReturn): the function
	 * there, by its name. */
	if (a->req->addr && a->req->tracepoint && !a->req->trace_return) {
		struct module *mod = module_at(d, a->req->addr);
		const struct func *fn =
			mod && mod->st ? symtab_func_at(mod->st,
							a->req->addr - mod->bias)
				       : NULL;
		struct api_breakpoint r;
		struct create_args by_name;

		if (!fn)
			return errbuf_set(eb, -ENOENT,
					  "no function at %#llx",
					  (unsigned long long)a->req->addr);
		r = *a->req;
		r.function_name = (char *)fn->name;
		r.addr = 0;
		r.addrs = NULL;
		r.naddrs = 0;
		by_name = (struct create_args){.req = &r, .out = a->out};
		return create_entry(d, &by_name, eb);
	}
	if (a->req->addr)
		return create_return(d, a, eb);
	return errbuf_set(eb, -EINVAL,
			  "a breakpoint needs a function name or an address");
}

int debugger_create_breakpoint(struct debugger *d,
			       const struct api_breakpoint *req,
			       struct api_breakpoint *out, struct errbuf *eb)
{
	struct create_args a = {.req = req, .out = out};

	return on_worker(d) ? job_create(d, &a, eb)
			    : debugger_run_job(d, job_create, &a, eb);
}

/* ---- FunctionReturnLocations ---- */

struct retloc_args {
	const char *fn;
	uint64_t *addrs;
	size_t n;
};

static int job_retloc(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct retloc_args *a = arg;
	bool found = false;
	uint64_t *out = NULL;
	size_t k = 0;

	for (size_t m = 0; m < d->mods.len; m++) {
		struct module *mod = d->mods.items[m];
		const struct func *fn;

		for (size_t nth = 0; mod->st && (fn = symtab_func_named(
				mod->st, a->fn, nth)); nth++) {
			struct ret_site *sites = NULL;
			size_t nsites = 0;
			int err;

			found = true;
			/* Its returns are traced once its resolver ran. */
			if (ifunc_pending(fn))
				continue;
			err = symtab_return_sites(mod->st, fn, &sites, &nsites,
						  eb);
			if (err < 0) {
				free(out);
				return err;
			}
			out = xrealloc(out, (k + nsites + 1) * sizeof(*out));
			for (size_t j = 0; j < nsites; j++)
				out[k++] = sites[j].addr + mod->bias;
			free(sites);
		}
	}
	if (!found)
		return errbuf_set(eb, -ENOENT, "function %s not found", a->fn);
	a->addrs = out;
	a->n = k;
	return 0;
}

int debugger_return_locations(struct debugger *d, const char *fn_name,
			      uint64_t **addrs, size_t *n, struct errbuf *eb)
{
	struct retloc_args a = {.fn = fn_name};
	int err = debugger_run_job(d, job_retloc, &a, eb);

	*addrs = err ? NULL : a.addrs;
	*n = err ? 0 : a.n;
	return err;
}

/* ---- FindLocation ---- */

struct findloc_args {
	const char *fn;
	struct api_location *locs;
	size_t n;
};

static int job_findloc(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct findloc_args *a = arg;

	for (size_t m = 0; m < d->mods.len; m++) {
		struct module *mod = d->mods.items[m];
		const struct func *fn;

		for (size_t nth = 0; mod->st && (fn = symtab_func_named(
				mod->st, a->fn, nth)); nth++) {
			struct api_location *l;

			fn = symtab_func_load(mod->st, fn);
			a->locs = xrealloc(a->locs, (a->n + 1) * sizeof(*a->locs));
			l = &a->locs[a->n++];
			memset(l, 0, sizeof(*l));
			l->pc = fn->entry_pc + mod->bias;
			l->entry = fn->low_pc + mod->bias;
			l->file = fn->file ? xstrdup(fn->file) : NULL;
			l->line = fn->line;
			l->function = xstrdup(fn->name);
		}
	}
	if (!a->n)
		return errbuf_set(eb, -ENOENT, "location \"%s\" not found",
				  a->fn);
	return 0;
}

int debugger_find_location(struct debugger *d, const char *fn_name,
			   struct api_location **locs, size_t *n,
			   struct errbuf *eb)
{
	struct findloc_args a = {.fn = fn_name};
	int err = on_worker(d) ? job_findloc(d, &a, eb)
			       : debugger_run_job(d, job_findloc, &a, eb);

	if (err) {
		api_locations_release(a.locs, a.n);
		a.locs = NULL;
		a.n = 0;
	}
	*locs = a.locs;
	*n = a.n;
	return err;
}

/* ---- ListBreakpoints, ClearBreakpoint ---- */

struct bplist_args {
	int clear_id;              /* ClearBreakpoint's, else 0 */
	struct api_breakpoint *bps;
	size_t n;
};

/* The api.Breakpoint of bp_id from its tracepoints (its entries' or its
 * return's addresses), or NULL when it has none left. */
static bool bp_of(struct debugger *d, int id, struct api_breakpoint *out)
{
	VEC(uint64_t) addrs = {0};
	const struct tracepoint *first = NULL;

	for (size_t i = 0; i < d->tps.len; i++) {
		const struct tracepoint *tp = d->tps.items[i];

		if (tp->bp_id != id || tp->kind != TP_USER || tp->dead ||
		    tp->cleared)
			continue;
		if (!first)
			first = tp;
		VEC_PUSH(&addrs, tp->probe.addr);
	}
	if (!first) {
		VEC_FREE(&addrs);
		return false;
	}
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->addr = addrs.items[0];
	out->addrs = addrs.items;
	out->naddrs = addrs.len;
	if (first->fn) {
		const char *file = NULL;
		int line = 0;

		out->function_name = xstrdup(first->fn->name);
		if (first->fn->file)
			out->file = xstrdup(first->fn->file);
		out->line = first->fn->line;
		/* No declaration line (Go): the line of its address. */
		if (!out->line && first->mod && first->mod->st &&
		    !symtab_line_at(first->mod->st,
				    out->addr - first->mod->bias, &file,
				    &line) && file) {
			free(out->file);
			out->file = xstrdup(file);
			out->line = line;
		}
	}
	out->tracepoint = true;
	out->trace_return = first->is_ret;
	out->load_args = true;
	out->load_cfg = first->load_cfg;
	out->stacktrace = first->stack;
	out->trace_follow_calls = first->follow;
	return true;
}

static int job_bplist(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct bplist_args *a = arg;

	if (a->clear_id) {
		a->bps = xcalloc(1, sizeof(*a->bps));
		if (!bp_of(d, a->clear_id, a->bps)) {
			free(a->bps);
			a->bps = NULL;
			return errbuf_set(eb, -ENOENT,
					  "Breakpoint %d does not exist",
					  a->clear_id);
		}
		a->n = 1;
		for (size_t i = 0; i < d->tps.len; i++)
			if (d->tps.items[i]->bp_id == a->clear_id &&
			    d->tps.items[i]->kind == TP_USER)
				d->tps.items[i]->cleared = true;
		return 0;
	}
	for (int id = 1; id < d->next_bp_id; id++) {
		a->bps = xrealloc(a->bps, (a->n + 1) * sizeof(*a->bps));
		if (bp_of(d, id, &a->bps[a->n]))
			a->n++;
	}
	return 0;
}

int debugger_list_breakpoints(struct debugger *d, struct api_breakpoint **bps,
			      size_t *n, struct errbuf *eb)
{
	struct bplist_args a = {0};
	int err = on_worker(d) ? job_bplist(d, &a, eb)
			       : debugger_run_job(d, job_bplist, &a, eb);

	*bps = a.bps;
	*n = a.n;
	return err;
}

int debugger_clear_breakpoint(struct debugger *d, int id,
			      struct api_breakpoint *out, struct errbuf *eb)
{
	struct bplist_args a = {.clear_id = id};
	int err;

	if (id <= 0)
		return errbuf_set(eb, -EINVAL, "Breakpoint %d does not exist",
				  id);
	err = on_worker(d) ? job_bplist(d, &a, eb)
			   : debugger_run_job(d, job_bplist, &a, eb);
	if (!err) {
		*out = a.bps[0];
		free(a.bps);
	}
	return err;
}
