/* protoparams: the params and result of a function without DWARF, from its
 * prototype (proto/): a C library function's types as ltrace knows them,
 * placed by the System V calling convention. DWARF always wins: only a
 * function with none gets these. */
#include "sym/internal.h"

#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"
#include "proto/proto.h"

void protoparams_apply(struct symtab *st, struct func *f)
{
	const struct proto *pr;
	struct loc *locs;

	if (f->has_dwarf || f->has_proto || f->lang == LANG_GO ||
	    f->lang == LANG_CPP || getenv("TINYDBG_NO_PROTOS") ||
	    !(pr = proto_set_find(proto_default(), f->name)))
		return;
	locs = xcalloc(pr->nparams + 1, sizeof(*locs));
	/* A type the convention cannot place leaves that param and the
	 * ones after it empty: they print as unreadable, as DWARF's do. */
	x86_sysv_param_locs(pr->params, pr->nparams,
			    x86_sysv_ret_in_memory(pr->ret), locs);
	f->params = arena_alloc(&st->arena,
				(pr->nparams + 1) * sizeof(*f->params));
	for (size_t i = 0; i < pr->nparams; i++) {
		f->params[i].name = arena_strdup(&st->arena, pr->names[i]);
		f->params[i].type = pr->params[i];
		f->params[i].loc = locs[i];
	}
	free(locs);
	f->nparams = pr->nparams;
	f->ret_type = pr->ret;
	f->variadic = pr->variadic;
	f->has_proto = true;
}

void protoparams_drop(struct func *f)
{
	if (!f->has_proto)
		return;
	for (size_t i = 0; i < f->nparams; i++)
		loc_release(&f->params[i].loc);
	f->params = NULL;
	f->nparams = 0;
	f->ret_type = NULL;
	f->variadic = false;
	f->has_proto = false;
}
