/* Choosing functions and placing tracepoints: ListFunctions,
 * CreateBreakpoint, FunctionReturnLocations. */
#include "debugger/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int debugger_list_functions(struct debugger *d, const char *filter,
			    int follow_calls, char ***names, size_t *n,
			    struct errbuf *eb)
{
	size_t *idx = NULL, nidx = 0, k = 0;
	char **out;
	int err;

	*names = NULL;
	*n = 0;
	err = symtab_match(d->st, filter ? filter : "", &idx, &nidx, eb);
	if (err)
		return err;
	out = xcalloc(nidx + 1, sizeof(*out));
	for (size_t i = 0; i < nidx; i++)
		out[k++] = xstrdup(symtab_func(d->st, idx[i])->name);
	free(idx);
	qsort(out, k, sizeof(*out), cmp_str);
	/* Several functions may share a name (C static functions, C++
	 * overloads): a name stands for all of them. */
	size_t u = 0;
	for (size_t i = 0; i < k; i++) {
		if (u && !strcmp(out[u - 1], out[i])) {
			free(out[i]);
			continue;
		}
		out[u++] = out[i];
	}
	*names = out;
	*n = u;
	return 0;
}

struct insert_args {
	struct tracepoint *tp;
};

static int job_insert(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct insert_args *a = arg;

	return d->ops->insert_probe(d->eng, &a->tp->probe, eb);
}

static struct tracepoint *tracepoint_new(struct debugger *d,
					 const struct func *fn, int bp_id)
{
	struct tracepoint *tp = xcalloc(1, sizeof(*tp));

	tp->bp_id = bp_id;
	tp->fn = fn;
	tp->rt_ranges = xcalloc(fn->nranges ? fn->nranges : 1,
				sizeof(*tp->rt_ranges));
	for (size_t i = 0; i < fn->nranges; i++) {
		tp->rt_ranges[i].lo = fn->ranges[i].lo + d->bias;
		tp->rt_ranges[i].hi = fn->ranges[i].hi + d->bias;
	}
	tp->probe.ranges = tp->rt_ranges;
	tp->probe.nranges = fn->nranges;
	tp->probe.cookie = tp;
	return tp;
}

static int add_tracepoint(struct debugger *d, struct tracepoint *tp,
			  struct errbuf *eb)
{
	struct insert_args a = {.tp = tp};
	int err;

	err = debugger_run_job(d, job_insert, &a, eb);
	if (err) {
		loc_release(&tp->ret_loc);
		free(tp->rt_ranges);
		free(tp);
		return err;
	}
	pthread_mutex_lock(&d->mu);
	VEC_PUSH(&d->tps, tp);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* An entry and a return tracepoint may share an address (a function that
 * is a lone ret); two of one kind may not. */
static bool has_tracepoint_at(struct debugger *d, uint64_t addr, bool is_ret)
{
	bool found = false;

	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->tps.len && !found; i++)
		found = d->tps.items[i]->probe.addr == addr &&
			d->tps.items[i]->is_ret == is_ret;
	pthread_mutex_unlock(&d->mu);
	return found;
}

static void fill_out(struct debugger *d, const struct api_breakpoint *req,
		     struct api_breakpoint *out, int id, const struct func *fn,
		     uint64_t *addrs, size_t naddrs)
{
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->addr = naddrs ? addrs[0] : 0;
	out->addrs = addrs;
	out->naddrs = naddrs;
	out->function_name = xstrdup(fn->name);
	if (fn->file)
		out->file = xstrdup(fn->file);
	out->line = fn->line;
	out->tracepoint = req->tracepoint;
	out->trace_return = req->trace_return;
	out->load_args = req->load_args;
	out->stacktrace = req->stacktrace;
	out->trace_follow_calls = req->trace_follow_calls;
	if (req->root_func_name)
		out->root_func_name = xstrdup(req->root_func_name);
	if (req->name)
		out->name = xstrdup(req->name);
}

/* An entry tracepoint on every function named req->function_name. */
static int create_entry(struct debugger *d, const struct api_breakpoint *req,
			struct api_breakpoint *out, struct errbuf *eb)
{
	const struct func *first = NULL;
	uint64_t *addrs = NULL;
	size_t naddrs = 0;
	int id = d->next_bp_id++, err = 0;

	for (size_t i = 0; i < symtab_nfuncs(d->st); i++) {
		const struct func *fn = symtab_func(d->st, i);
		struct tracepoint *tp;

		if (strcmp(fn->name, req->function_name))
			continue;
		if (has_tracepoint_at(d, fn->entry_pc + d->bias, false)) {
			err = errbuf_set(eb, -EEXIST,
					 "Breakpoint exists at %s",
					 fn->name);
			break;
		}
		tp = tracepoint_new(d, fn, id);
		tp->probe.addr = fn->entry_pc + d->bias;
		tp->probe.kind = PROBE_ENTRY;
		err = add_tracepoint(d, tp, eb);
		if (err)
			break;
		addrs = xrealloc(addrs, (naddrs + 1) * sizeof(*addrs));
		addrs[naddrs++] = fn->entry_pc + d->bias;
		first = first ? first : fn;
	}
	if (!first && !err)
		err = errbuf_set(eb, -ENOENT, "location \"%s\" not found",
				 req->function_name);
	if (err) {
		free(addrs);
		return err;
	}
	fill_out(d, req, out, id, first, addrs, naddrs);
	return 0;
}

/* A return tracepoint at req->addr, one of FunctionReturnLocations. */
static int create_return(struct debugger *d, const struct api_breakpoint *req,
			 struct api_breakpoint *out, struct errbuf *eb)
{
	const struct func *fn = symtab_func_at(d->st, req->addr - d->bias);
	struct ret_site *sites = NULL;
	size_t nsites = 0;
	struct tracepoint *tp;
	const struct ret_site *site = NULL;
	uint64_t *addrs;
	int err;

	if (!fn)
		return errbuf_set(eb, -ENOENT,
				  "no function at address %#llx",
				  (unsigned long long)req->addr);
	err = symtab_return_sites(d->st, fn, &sites, &nsites, eb);
	if (err < 0)
		return err;
	for (size_t i = 0; i < nsites && !site; i++)
		if (sites[i].addr + d->bias == req->addr)
			site = &sites[i];
	if (!site) {
		free(sites);
		return errbuf_set(eb, -EINVAL,
				  "%#llx is not a return location of %s",
				  (unsigned long long)req->addr, fn->name);
	}
	if (has_tracepoint_at(d, req->addr, true)) {
		free(sites);
		return errbuf_set(eb, -EEXIST, "Breakpoint exists at %#llx",
				  (unsigned long long)req->addr);
	}
	tp = tracepoint_new(d, fn, d->next_bp_id++);
	tp->is_ret = true;
	tp->probe.addr = req->addr;
	tp->probe.kind = site->kind == RET_SITE_RET ? PROBE_RETURN
						    : PROBE_TAILJMP;
	free(sites);
	/* Where the caller finds the result, by the ABI: DWARF does not say. */
	tp->ret_known = fn->has_dwarf &&
			x86_sysv_result_loc(fn->ret_type, &tp->ret_loc) == 0;
	err = add_tracepoint(d, tp, eb);
	if (err)
		return err;
	addrs = xmalloc(sizeof(*addrs));
	addrs[0] = req->addr;
	fill_out(d, req, out, tp->bp_id, fn, addrs, 1);
	return 0;
}

int debugger_create_breakpoint(struct debugger *d,
			       const struct api_breakpoint *req,
			       struct api_breakpoint *out, struct errbuf *eb)
{
	if (req->function_name && req->function_name[0])
		return create_entry(d, req, out, eb);
	if (req->addr)
		return create_return(d, req, out, eb);
	return errbuf_set(eb, -EINVAL,
			  "a breakpoint needs a function name or an address");
}

int debugger_return_locations(struct debugger *d, const char *fn_name,
			      uint64_t **addrs, size_t *n, struct errbuf *eb)
{
	bool found = false;
	uint64_t *out = NULL;
	size_t k = 0;

	*addrs = NULL;
	*n = 0;
	for (size_t i = 0; i < symtab_nfuncs(d->st); i++) {
		const struct func *fn = symtab_func(d->st, i);
		struct ret_site *sites = NULL;
		size_t nsites = 0;
		int err;

		if (strcmp(fn->name, fn_name))
			continue;
		found = true;
		err = symtab_return_sites(d->st, fn, &sites, &nsites, eb);
		if (err < 0) {
			free(out);
			return err;
		}
		out = xrealloc(out, (k + nsites + 1) * sizeof(*out));
		for (size_t j = 0; j < nsites; j++)
			out[k++] = sites[j].addr + d->bias;
		free(sites);
	}
	if (!found)
		return errbuf_set(eb, -ENOENT, "function %s not found",
				  fn_name);
	*addrs = out;
	*n = k;
	return 0;
}
