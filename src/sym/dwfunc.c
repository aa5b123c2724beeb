/* dwfunc: functions from DWARF subprograms.
 *
 * A function is a DW_TAG_subprogram with code. Its name, type and declared
 * parameters may live elsewhere (DW_AT_abstract_origin for out-of-line
 * copies and gcc's .constprop/.isra clones, DW_AT_specification for C++
 * methods); its own DIE holds the code ranges, the frame base and the
 * parameters' locations.
 *
 * The entry tracepoint goes on the first instruction (Go: after the
 * prologue). A parameter's location there comes from DWARF when DWARF has
 * one valid there (a register, the caller's stack, a location list entry
 * covering it), else from the System V calling convention: at the first
 * instruction every argument is where the caller put it, while -O0's frame
 * slots (and gcc -O2's occasional frame slot for a struct it never spills)
 * are not written yet. */
#include "sym/internal.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"
#include "base/strbuf.h"

/* What we keep of one compile unit while walking it. */
struct cu_ctx {
	Dwarf_Die cudie;
	enum sym_lang lang;
	Dwarf_Lines *lines;
	size_t nlines;
	bool lines_tried;
	Dwarf_Off last; /* the DIE walk() visited last (see there) */
};

static enum sym_lang lang_of(int l)
{
	switch (l) {
	case DW_LANG_C89:
	case DW_LANG_C:
	case DW_LANG_C99:
	case DW_LANG_C11:
	case 0x2c: /* DW_LANG_C17 */
		return LANG_C;
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
	case 0x2a: /* DW_LANG_C_plus_plus_17 */
	case 0x2b: /* DW_LANG_C_plus_plus_20 */
		return LANG_CPP;
	case DW_LANG_Go:
		return LANG_GO;
	default:
		return LANG_UNKNOWN;
	}
}

static bool flag(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute a;
	bool b = false;

	if (!dwarf_attr_integrate(die, at, &a) || dwarf_formflag(&a, &b))
		return false;
	return b;
}

uint64_t dwfunc_skip_endbr(const struct symtab *st, uint64_t addr)
{
	static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	uint8_t b[4];

	if (symtab_read(st, addr, b, sizeof(b)) == 0 &&
	    !memcmp(b, endbr64, sizeof(b)))
		return addr + 4;
	return addr;
}

/* The end of the prologue of the function at [low, hi): the line-table row
 * marked prologue_end. */
static bool prologue_end(struct cu_ctx *cu, uint64_t low, uint64_t hi,
			 uint64_t *out)
{
	size_t lo = 0, h, i;

	if (!cu->lines_tried) {
		cu->lines_tried = true;
		if (dwarf_getsrclines(&cu->cudie, &cu->lines, &cu->nlines))
			cu->nlines = 0;
	}
	/* libdw sorts the rows by address: find the first at >= low. */
	h = cu->nlines;
	while (lo < h) {
		size_t mid = lo + (h - lo) / 2;
		Dwarf_Addr a = 0;

		dwarf_lineaddr(dwarf_onesrcline(cu->lines, mid), &a);
		if (a < low)
			lo = mid + 1;
		else
			h = mid;
	}
	for (i = lo; i < cu->nlines; i++) {
		Dwarf_Line *l = dwarf_onesrcline(cu->lines, i);
		Dwarf_Addr a;
		bool pe = false, end = false;

		if (!l || dwarf_lineaddr(l, &a) || a >= hi)
			break;
		dwarf_lineendsequence(l, &end);
		if (end)
			continue;
		if (dwarf_lineprologueend(l, &pe) == 0 && pe) {
			*out = a;
			return true;
		}
	}
	return false;
}

/* die's DW_AT_decl_file. libdw 0.188's dwarf_decl_file refuses index 0,
 * which DWARF 5 makes valid and clang uses for the primary source file. */
static const char *decl_file(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t nfiles;
	Dwarf_Die cu;

	if (!dwarf_attr_integrate(die, DW_AT_decl_file, &a) ||
	    dwarf_formudata(&a, &idx) != 0)
		return NULL;
	if (!dwarf_cu_die(a.cu, &cu, NULL, NULL, NULL, NULL, NULL, NULL) ||
	    dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/* Appends "ns::Klass::" for the scopes around die (the DIE that carries
 * the name, which for a method is its declaration inside the class). */
static void scope_prefix(Dwarf_Die *die, struct strbuf *sb)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes_die(die, &scopes);

	for (int i = n - 1; i >= 1; i--) {
		const char *name;

		switch (dwarf_tag(&scopes[i])) {
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			name = dwarf_diename(&scopes[i]);
			strbuf_adds(sb, name ? name : "(anonymous namespace)");
			strbuf_adds(sb, "::");
			break;
		default:
			break;
		}
	}
	free(scopes);
}

/* The DIE that carries die's DW_AT_name, through origins and
 * specifications. */
static bool named_die(Dwarf_Die *die, Dwarf_Die *out)
{
	*out = *die;
	for (int hop = 0; hop < 8; hop++) {
		Dwarf_Attribute a;

		if (dwarf_hasattr(out, DW_AT_name))
			return true;
		if (!dwarf_attr(out, DW_AT_abstract_origin, &a) &&
		    !dwarf_attr(out, DW_AT_specification, &a))
			return false;
		if (!dwarf_formref_die(&a, out))
			return false;
	}
	return false;
}

static char *func_name(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *die,
		       const char *scope, const char *link,
		       const struct elfsym *sym)
{
	const char *dn;
	char *name = NULL;

	if (link && (cu->lang == LANG_CPP || !strncmp(link, "_Z", 2)))
		name = cxxname_display(&st->arena, link);
	if (name)
		return name;
	dn = dwarf_diename(die);
	if (dn && cu->lang == LANG_CPP) {
		struct strbuf sb = STRBUF_INIT;
		Dwarf_Die nd;

		strbuf_init(&sb);
		if (named_die(die, &nd) && dwarf_dieoffset(&nd) !=
						   dwarf_dieoffset(die))
			scope_prefix(&nd, &sb);
		else
			strbuf_adds(&sb, scope);
		strbuf_adds(&sb, dn);
		name = arena_strdup(&st->arena, sb.buf);
		strbuf_release(&sb);
		return name;
	}
	if (dn)
		return arena_strdup(&st->arena, dn);
	if (sym) {
		name = cxxname_display(&st->arena, sym->name);
		return name ? name : arena_strdup(&st->arena, sym->name);
	}
	return NULL;
}

/* A clone (foo.part.0, foo.isra.0, foo.constprop.0) takes its name from
 * its original through DW_AT_abstract_origin: both would print as foo,
 * and foo calling foo.part.0 would look like recursion. Name it as its
 * symbol does, keeping where the original's name ends (f->base_len). */
static void clone_name(struct symtab *st, struct cu_ctx *cu,
		       const struct elfsym *sym, struct func *f)
{
	const char *suf;
	size_t n, m;
	char *full;

	if (cu->lang == LANG_GO || !sym ||
	    !(suf = elfsym_clone_suffix(sym->name)))
		return;
	n = strlen(f->name);
	m = strlen(suf);
	if (n >= m && !strcmp(f->name + n - m, suf))
		return; /* the DWARF name has it already */
	full = arena_alloc(&st->arena, n + m + 1);
	memcpy(full, f->name, n);
	memcpy(full + n, suf, m + 1);
	f->name = full;
	f->base_len = n;
}

/* One parameter while the function is being read. */
struct pdesc {
	Dwarf_Die decl;     /* name and type */
	Dwarf_Die conc;     /* location; valid when has_conc */
	bool has_conc;
};

struct pdesc_vec {
	struct pdesc *items;
	size_t len, cap;
};

static bool is_result(struct cu_ctx *cu, Dwarf_Die *p)
{
	/* Go lists its results as parameters marked variable_parameter:
	 * they have no value at entry. */
	return cu->lang == LANG_GO && flag(p, DW_AT_variable_parameter);
}

/* The declared parameters of die (Go: its results instead, when results),
 * each paired with the DIE that holds its location in this instance. */
static void collect_params(struct cu_ctx *cu, Dwarf_Die *die,
			   struct pdesc_vec *out, bool *variadic, bool results)
{
	Dwarf_Die abs = *die, c;
	bool concrete = false;

	for (int hop = 0; hop < 8; hop++) {
		Dwarf_Attribute a;
		Dwarf_Die o;

		if (!dwarf_attr(&abs, DW_AT_abstract_origin, &a) ||
		    !dwarf_formref_die(&a, &o))
			break;
		abs = o;
		concrete = true;
	}
	if (dwarf_child(&abs, &c) == 0) {
		do {
			struct pdesc p = {.decl = c};

			if (dwarf_tag(&c) == DW_TAG_unspecified_parameters)
				*variadic = true;
			if (dwarf_tag(&c) != DW_TAG_formal_parameter ||
			    is_result(cu, &c) != results)
				continue;
			if (!concrete) {
				p.conc = c;
				p.has_conc = true;
			}
			VEC_PUSH(out, p);
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (!concrete || dwarf_child(die, &c) != 0)
		return;
	/* Match the instance's parameters to the declared ones. A clone
	 * may lack some: those stay without location (optimized out). */
	do {
		Dwarf_Attribute a;
		Dwarf_Die o;
		Dwarf_Off off;

		if (dwarf_tag(&c) == DW_TAG_unspecified_parameters)
			*variadic = true;
		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		/* Optimised Go lists unnamed results (~r0) in the
		 * out-of-line instance only, not in the abstract function. */
		if (!dwarf_attr(&c, DW_AT_abstract_origin, &a)) {
			if (results && is_result(cu, &c)) {
				struct pdesc p = {.decl = c, .conc = c,
						  .has_conc = true};
				VEC_PUSH(out, p);
			}
			continue;
		}
		if (!dwarf_formref_die(&a, &o))
			continue;
		off = dwarf_dieoffset(&o);
		for (size_t i = 0; i < out->len; i++) {
			if (dwarf_dieoffset(&out->items[i].decl) == off) {
				out->items[i].conc = c;
				out->items[i].has_conc = true;
				break;
			}
		}
	} while (dwarf_siblingof(&c, &c) == 0);
}

/* Chooses f->entry_pc (see symtab.h). C and C++: the first instruction,
 * where the caller's registers and stack still hold every argument as the
 * ABI placed them, whatever the function does next. */
static void choose_entry(struct cu_ctx *cu, struct func *f)
{
	uint64_t pe, hi = f->low_pc + 1;

	if (cu->lang != LANG_GO)
		return;
	for (size_t i = 0; i < f->nranges; i++)
		if (f->low_pc >= f->ranges[i].lo && f->low_pc < f->ranges[i].hi)
			hi = f->ranges[i].hi;
	/* After the stack-growth check: at the first address a stack growth
	 * would run the prologue, and report the call, twice. */
	if (prologue_end(cu, f->low_pc, hi, &pe) && pe > f->entry_pc)
		f->entry_pc = pe;
}

/* True when l leaves part of a value of type t without a location (a
 * LOC_OPTIMIZED piece, or pieces shorter than the value). */
static bool loc_partial(const struct loc *l, const struct ctype *t)
{
	const struct ctype *st = ctype_strip(t);
	uint64_t have = 0;

	for (size_t i = 0; i < l->npieces; i++) {
		if (l->pieces[i].kind == LOC_OPTIMIZED)
			return true;
		if (!l->pieces[i].size)
			return false;
		have += l->pieces[i].size;
	}
	return st && have < st->size;
}

enum ploc {
	PLOC_DWARF,   /* DWARF's location, valid at entry_pc, is in l */
	PLOC_ABI,     /* DWARF has none valid at entry_pc: ask the ABI */
	PLOC_PARTIAL, /* DWARF's (in l) lacks part of the value at entry_pc:
	               * the ABI knows it whole */
	PLOC_NONE,    /* no location at all (an unused parameter) */
};

/* The location DWARF gives pd at f->entry_pc. */
static enum ploc param_loc(struct symtab *st, Dwarf_Die *fn, struct func *f,
			   struct pdesc *pd, const struct ctype *t,
			   struct loc *l)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	struct frame_base fb = {.reg = -1};
	bool at_entry = f->entry_pc == f->low_pc ||
			f->entry_pc == dwfunc_skip_endbr(st, f->low_pc);

	l->pieces = NULL;
	l->npieces = 0;
	if (!pd->has_conc)
		return PLOC_NONE;
	if (dwarf_attr(&pd->conc, DW_AT_location, &a)) {
		dwloc_block_as_exprloc(&a);
		if (dwarf_getlocation_addr(&a, f->entry_pc, &ops, &n, 1) <= 0 ||
		    !n)
			return PLOC_ABI; /* a list that starts later */
		/* -O0's spill slots, and gcc -O2's single "fbreg -24" for a
		 * struct passed in registers: frame slots the code writes
		 * after entry_pc, if ever. */
		if (f->lang != LANG_GO &&
		    dwloc_in_frame(ops, n, dwloc_frame_is_cfa(fn)))
			return PLOC_ABI;
		if (dwloc_uses_fbreg(ops, n))
			dwloc_frame_base(st, fn, f->entry_pc, &fb);
		dwloc_translate(&st->arena, &a, ops, n, &fb, at_entry, l);
		return loc_partial(l, t) ? PLOC_PARTIAL : PLOC_DWARF;
	}
	if (dwarf_attr_integrate(&pd->conc, DW_AT_const_value, &a)) {
		dwloc_const(&a, t, l);
		return PLOC_DWARF;
	}
	return PLOC_NONE;
}

/* True when f's arguments arrive as the System V ABI says at entry_pc:
 * not for Go (its own ABI), not past the first instruction, and not for
 * copies whose signature the compiler changed (gcc's foo.isra.0,
 * foo.constprop.0; clang marks the functions it rewrote DW_CC_nocall). */
static bool abi_applies(struct symtab *st, Dwarf_Die *die,
			const struct func *f)
{
	const char *sym = f->linkage_name;
	Dwarf_Attribute a;
	Dwarf_Word cc;

	if (f->lang == LANG_GO ||
	    f->entry_pc != dwfunc_skip_endbr(st, f->low_pc))
		return false;
	if (dwarf_attr_integrate(die, DW_AT_calling_convention, &a) &&
	    dwarf_formudata(&a, &cc) == 0 && cc != DW_CC_normal)
		return false;
	return !sym || (!strstr(sym, ".isra") && !strstr(sym, ".constprop") &&
			!strstr(sym, ".part"));
}

static void optimized_loc(struct loc *l)
{
	l->pieces = xcalloc(1, sizeof(*l->pieces));
	l->pieces[0].kind = LOC_OPTIMIZED;
	l->pieces[0].reg = -1;
	l->npieces = 1;
}

/* Gives the parameters DWARF cannot place at entry_pc their location from
 * the ABI. The registers a parameter takes depend on every parameter
 * before it, so the assignment is computed for all of them. */
static void abi_locs(struct symtab *st, Dwarf_Die *die, struct func *f,
		     const enum ploc *how)
{
	const struct ctype **types = NULL;
	struct loc *abi = NULL;

	if (abi_applies(st, die, f)) {
		types = xcalloc(f->nparams, sizeof(*types));
		abi = xcalloc(f->nparams, sizeof(*abi));
		for (size_t i = 0; i < f->nparams; i++)
			types[i] = f->params[i].type;
		/* On failure the params from the unplaceable one on have
		 * empty locs: they keep what DWARF says. */
		x86_sysv_param_locs(types, f->nparams,
				    x86_sysv_ret_in_memory(f->ret_type), abi);
	}
	for (size_t i = 0; i < f->nparams; i++) {
		struct loc *l = &f->params[i].loc;

		if (how[i] != PLOC_ABI && how[i] != PLOC_PARTIAL)
			continue;
		if (abi && abi[i].npieces) {
			loc_release(l);
			*l = abi[i];
			abi[i].pieces = NULL;
			abi[i].npieces = 0;
		} else if (how[i] == PLOC_ABI) {
			optimized_loc(l);
		}
	}
	for (size_t i = 0; abi && i < f->nparams; i++)
		loc_release(&abi[i]);
	free(abi);
	free(types);
}

/* p's name and type, from its declaration. */
static void name_param(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *decl,
		       struct param *p)
{
	const char *name = dwarf_diename(decl);

	p->name = arena_strdup(&st->arena, name ? name : "");
	p->type = dwtype_of(st, decl, cu->lang);
	if (!p->type)
		p->type = dwtype_unknown(st);
}

static bool loc_same(const struct loc *a, const struct loc *b)
{
	if (a->npieces != b->npieces)
		return false;
	for (size_t i = 0; i < a->npieces; i++) {
		const struct loc_piece *x = &a->pieces[i], *y = &b->pieces[i];

		if (x->kind != y->kind || x->reg != y->reg || x->off != y->off ||
		    x->size != y->size)
			return false;
	}
	return true;
}

/* Go: the location DWARF gives pd at every one of the rets (ret
 * instructions of fn), when it is one and the same in memory at all of
 * them: the frame slots of code built with -N -l, which hold the results
 * (and .dict) until the ret, and where Delve reads them. Optimised code's
 * location lists end before the rets: false, l empty. */
static bool ret_loc(struct symtab *st, Dwarf_Die *fn, struct pdesc *pd,
		    const struct ctype *t, const struct ret_site *rets,
		    size_t nrets, struct loc *l)
{
	Dwarf_Attribute a;
	bool ok = nrets > 0;

	l->pieces = NULL;
	l->npieces = 0;
	if (!pd->has_conc || !dwarf_attr(&pd->conc, DW_AT_location, &a))
		return false;
	dwloc_block_as_exprloc(&a);
	for (size_t i = 0; ok && i < nrets; i++) {
		struct frame_base fb = {.reg = -1};
		struct loc one = {0};
		Dwarf_Op *ops;
		size_t n;

		if (rets[i].kind != RET_SITE_RET ||
		    dwarf_getlocation_addr(&a, rets[i].addr, &ops, &n, 1) <= 0 ||
		    !n) {
			ok = false;
			break;
		}
		if (dwloc_uses_fbreg(ops, n))
			dwloc_frame_base(st, fn, rets[i].addr, &fb);
		dwloc_translate(NULL, &a, ops, n, &fb, false, &one);
		for (size_t j = 0; j < one.npieces; j++)
			if (one.pieces[j].kind != LOC_MEM)
				ok = false;
		if (!one.npieces || loc_partial(&one, t) ||
		    (i && !loc_same(l, &one)))
			ok = false;
		if (i || !ok)
			loc_release(&one);
		else
			*l = one;
	}
	if (!ok)
		loc_release(l);
	return ok;
}

/* Go: the results at the ret instructions: in their frame slots when
 * DWARF places them there (-N -l), else where the register ABI puts them
 * (DWARF gives optimised code's results no location there). */
static void read_results(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *die,
			 struct func *f, const struct ret_site *rets,
			 size_t nrets)
{
	struct pdesc_vec rs = {0};
	const struct ctype **at, **rt;
	struct loc *locs;
	bool variadic = false;

	collect_params(cu, die, &rs, &variadic, true);
	if (!rs.len)
		return;
	f->results = arena_alloc(&st->arena, rs.len * sizeof(*f->results));
	f->nresults = rs.len;
	at = xcalloc(f->nparams + 1, sizeof(*at));
	rt = xcalloc(rs.len, sizeof(*rt));
	locs = xcalloc(rs.len, sizeof(*locs));
	for (size_t i = 0; i < f->nparams; i++)
		at[i] = f->params[i].type;
	for (size_t i = 0; i < rs.len; i++) {
		name_param(st, cu, &rs.items[i].decl, &f->results[i]);
		rt[i] = f->results[i].type;
	}
	/* Unplaceable: the results stay without location (optimized out). */
	x86_go_result_locs(at, f->nparams, rt, rs.len, locs);
	for (size_t i = 0; i < rs.len; i++) {
		struct loc *l = &f->results[i].loc;

		if (ret_loc(st, die, &rs.items[i], rt[i], rets, nrets, l))
			loc_release(&locs[i]);
		else if (locs[i].npieces)
			*l = locs[i];
		else
			optimized_loc(l);
	}
	free(locs);
	free(rt);
	free(at);
	free(rs.items);
}

/* Go: a generic function's hidden first parameter, .dict (the address of
 * its instantiation's dictionary), leaves params for go_dict: Delve does
 * not show it, and reads the type parameters' types through it. */
static void take_dict(struct symtab *st, Dwarf_Die *die, struct func *f,
		      struct pdesc_vec *ps, const struct ret_site *rets,
		      size_t nrets)
{
	size_t i;

	for (i = 0; i < f->nparams; i++)
		if (!strcmp(f->params[i].name, ".dict"))
			break;
	if (i == f->nparams)
		return;
	f->has_go_dict = true;
	f->go_dict = f->params[i].loc;
	ret_loc(st, die, &ps->items[i], f->params[i].type, rets, nrets,
		&f->go_dict_ret);
	memmove(&f->params[i], &f->params[i + 1],
		(f->nparams - i - 1) * sizeof(*f->params));
	f->nparams--;
}

static void read_params(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *die,
			struct func *f)
{
	struct pdesc_vec ps = {0};
	enum ploc *how = NULL;
	bool need_abi = false;

	collect_params(cu, die, &ps, &f->variadic, false);
	choose_entry(cu, f);
	if (ps.len) {
		f->params = arena_alloc(&st->arena, ps.len * sizeof(*f->params));
		f->nparams = ps.len;
		how = xcalloc(ps.len, sizeof(*how));
	}
	for (size_t i = 0; i < ps.len; i++) {
		struct param *p = &f->params[i];

		name_param(st, cu, &ps.items[i].decl, p);
		how[i] = param_loc(st, die, f, &ps.items[i], p->type, &p->loc);
		if (how[i] == PLOC_ABI || how[i] == PLOC_PARTIAL)
			need_abi = true;
	}
	if (need_abi)
		abi_locs(st, die, f, how);
	free(how);
	if (cu->lang == LANG_GO) {
		struct ret_site *rets = NULL;
		size_t nrets = 0;

		if (symtab_return_sites(st, f, &rets, &nrets, NULL) < 0)
			nrets = 0;
		/* the ABI places the results after every parameter, .dict
		 * included */
		read_results(st, cu, die, f, rets, nrets);
		take_dict(st, die, f, &ps, rets, nrets);
		free(rets);
	}
	free(ps.items);
}

struct range_vec {
	struct addr_range *items;
	size_t len, cap;
};

/* die has no code: when it is the abstract description of a function
 * the compiler inlined (DW_AT_inline), remember its name. Whether some
 * copy of it has code of its own is known only once every unit is read
 * (symtab_open drops those). */
static void add_inlined(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *die,
			const char *scope)
{
	Dwarf_Attribute a;
	Dwarf_Word inl;
	const char *link = NULL;
	char *name;

	if (!dwarf_attr(die, DW_AT_inline, &a) ||
	    dwarf_formudata(&a, &inl) != 0 ||
	    (inl != DW_INL_inlined && inl != DW_INL_declared_inlined))
		return;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		link = dwarf_formstring(&a);
	name = func_name(st, cu, die, scope, link, NULL);
	if (name)
		VEC_PUSH(&st->inlined, name);
}

static void add_func(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *die,
		     const char *scope)
{
	struct range_vec rv = {0};
	struct func f = {0};
	const struct elfsym *sym;
	Dwarf_Addr base, lo, hi, pc;
	Dwarf_Attribute a;
	const char *link = NULL;
	ptrdiff_t off = 0;
	int line;

	/* Not flag(): that would follow DW_AT_specification to the
	 * declaration every C++ definition points at. */
	if (dwarf_hasattr(die, DW_AT_declaration))
		return;
	/* Discarded copies (COMDAT, --gc-sections) keep their DIEs with
	 * addresses 0 or -1: only code in executable segments counts. */
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0)
		if (hi > lo && symtab_addr_exec(st, lo))
			VEC_PUSH(&rv, ((struct addr_range){lo, hi}));
	if (!rv.len) {
		add_inlined(st, cu, die, scope);
		return;
	}
	/* The entry: low_pc, else the first range listed (gcc lists the hot
	 * part first; the .cold part may sit at a lower address). */
	if (dwarf_entrypc(die, &pc) != 0 || !symtab_addr_exec(st, pc))
		pc = rv.items[0].lo;
	if (!elfsym_at(st, pc)) {
		for (size_t i = 0; i < rv.len; i++) {
			if (elfsym_at(st, rv.items[i].lo)) {
				pc = rv.items[i].lo;
				break;
			}
		}
	}
	sym = elfsym_at(st, pc);
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		link = dwarf_formstring(&a);
	f.name = func_name(st, cu, die, scope, link, sym);
	if (!f.name) {
		free(rv.items);
		return;
	}
	clone_name(st, cu, sym, &f);
	if (link)
		f.linkage_name = arena_strdup(&st->arena, link);
	else if (sym)
		f.linkage_name = arena_strdup(&st->arena, sym->name);
	f.low_pc = pc;
	f.entry_pc = pc; /* final in dwfunc_complete: reading the code of
	                  * every function would page in all of .text */
	f.ranges = arena_alloc(&st->arena, rv.len * sizeof(*rv.items));
	memcpy(f.ranges, rv.items, rv.len * sizeof(*rv.items));
	f.nranges = rv.len;
	free(rv.items);
	f.has_dwarf = true;
	f.lang = cu->lang;
	if (dwarf_decl_line(die, &line) == 0)
		f.line = line;
	/* The rest (entry_pc past a Go prologue, params, results, their
	 * types, the file name, which costs parsing the CU's whole line
	 * table) waits for dwfunc_complete: a trace needs them for a few
	 * functions, and a big program has tens of thousands. */
	f.die = dwarf_dieoffset(die);
	VEC_PUSH(&st->funcs, f);
}

/* The subprogram DIE with code at low_pc under parent (a few levels: C's
 * nested scopes, C++'s namespaces and classes). */
static bool find_subprogram(Dwarf_Die *parent, uint64_t low_pc,
			    Dwarf_Die *out, int depth)
{
	Dwarf_Die c;

	if (depth > 8 || dwarf_child(parent, &c) != 0)
		return false;
	do {
		Dwarf_Addr lo;

		switch (dwarf_tag(&c)) {
		case DW_TAG_subprogram:
			if (!dwarf_hasattr(&c, DW_AT_declaration) &&
			    dwarf_lowpc(&c, &lo) == 0 && lo == low_pc) {
				*out = c;
				return true;
			}
			if (dwarf_haschildren(&c) &&
			    find_subprogram(&c, low_pc, out, depth + 1))
				return true;
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
			if (find_subprogram(&c, low_pc, out, depth + 1))
				return true;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

/* A library's separate debug file is read only when one of its functions
 * is traced (symtab_open_lazy): then its DWARF is opened, once, and f
 * takes the DIE of the subprogram starting where it does, found through
 * the address ranges of the units. Its name stays its symbol's. */
static void attach_lazy(struct symtab *st, struct func *f)
{
	Dwarf_Die cu, die;
	int lang;

	if (!st->dbg_lazy)
		return;
	if (!st->dw && !st->dbg_tried) {
		st->dbg_tried = true;
		st->dw = dwarf_begin_elf(st->dbg_elf, DWARF_C_READ, NULL);
		if (st->dw)
			st->cfi_dbg = dwarf_getcfi(st->dw);
	}
	if (!st->dw || !dwarf_addrdie(st->dw, f->low_pc, &cu))
		return;
	lang = dwarf_srclang(&cu);
	if (lang == DW_LANG_Mips_Assembler || lang_of(lang) == LANG_UNKNOWN ||
	    lang_of(lang) == LANG_GO || !find_subprogram(&cu, f->low_pc, &die, 0))
		return;
	f->has_dwarf = true;
	f->die = dwarf_dieoffset(&die);
	f->lang = lang_of(lang);
}

void dwfunc_complete(struct symtab *st, struct func *f)
{
	struct cu_ctx cu = {.lang = f->lang};
	Dwarf_Die die;

	if (f->complete)
		return;
	f->complete = true;
	/* An IFUNC's symbol is its resolver's code (no DIE of it is the
	 * function's) until it is moved onto its implementation. */
	if (!f->has_dwarf && (!f->ifunc_resolver || f->ifunc_set))
		attach_lazy(st, f);
	if (!f->has_dwarf)
		protoparams_apply(st, f);
	if (!f->has_dwarf || !st->dw || !dwarf_offdie(st->dw, f->die, &die) ||
	    !dwarf_diecu(&die, &cu.cudie, NULL, NULL))
		return;
	f->entry_pc = dwfunc_skip_endbr(st, f->low_pc);
	f->file = decl_file(&die);
	if (cu.lang != LANG_GO)
		f->ret_type = dwtype_of(st, &die, cu.lang);
	read_params(st, &cu, &die, f);
}

static void walk(struct symtab *st, struct cu_ctx *cu, Dwarf_Die *parent,
		 struct strbuf *scope, int depth)
{
	Dwarf_Die c;

	if (depth > 64 || dwarf_child(parent, &c) != 0)
		return;
	do {
		size_t mark = scope->len;
		const char *name;

		/* In a tree, DIEs come in the order of a pre-order walk: each
		 * after the one before. A DW_AT_sibling that points back (a
		 * loop) or into a subtree already walked (one DIE reached
		 * twice, 2^depth times over nested levels) breaks that;
		 * stopping there keeps the walk linear in the DIEs. */
		if (dwarf_dieoffset(&c) <= cu->last)
			break;
		cu->last = dwarf_dieoffset(&c);

		switch (dwarf_tag(&c)) {
		case DW_TAG_subprogram:
			add_func(st, cu, &c, scope->buf);
			/* GNU C nested functions, C++ local classes. Go
			 * has neither, and many functions. */
			if (cu->lang != LANG_GO && dwarf_haschildren(&c))
				walk(st, cu, &c, scope, depth + 1);
			break;
		case DW_TAG_lexical_block:
			walk(st, cu, &c, scope, depth + 1);
			break;
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_module:
			if (cu->lang != LANG_CPP || !dwarf_haschildren(&c))
				break;
			name = dwarf_diename(&c);
			strbuf_adds(scope, name ? name
						: "(anonymous namespace)");
			strbuf_adds(scope, "::");
			walk(st, cu, &c, scope, depth + 1);
			scope->len = mark;
			scope->buf[mark] = 0;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
}

/* Sorting keys: qsort on the functions themselves would copy them all to a
 * temporary array (megabytes for a large program's peak), so the keys are
 * sorted and the functions moved once. */
struct low_key {
	uint64_t low_pc;
	const char *name;
	size_t i;
};

static int cmp_low(const void *a, const void *b)
{
	const struct low_key *x = a, *y = b;
	int c;

	if (x->low_pc != y->low_pc)
		return x->low_pc < y->low_pc ? -1 : 1;
	/* The same code described twice: keep one, the same one each time. */
	c = strcmp(x->name, y->name);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* One function per entry address, sorted by it. */
static void dedupe(struct symtab *st)
{
	size_t n = st->funcs.len, k = 0;
	struct func *f = st->funcs.items, tmp;
	struct low_key *keys;
	size_t *dest;

	if (!n)
		return;
	keys = xmalloc(n * sizeof(*keys));
	dest = xmalloc(n * sizeof(*dest));
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct low_key){f[i].low_pc, f[i].name, i};
	qsort(keys, n, sizeof(*keys), cmp_low);
	/* dest[i]: where function i goes; duplicates go past the end. */
	for (size_t r = 0; r < n; r++)
		dest[keys[r].i] = r;
	/* Apply the permutation in place, one cycle at a time. */
	for (size_t i = 0; i < n; i++) {
		while (dest[i] != i) {
			size_t j = dest[i];

			tmp = f[j];
			f[j] = f[i];
			f[i] = tmp;
			dest[i] = dest[j];
			dest[j] = j;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (k && f[k - 1].low_pc == f[i].low_pc)
			continue; /* not complete yet: nothing to free */
		f[k++] = f[i];
	}
	st->funcs.len = k;
	free(dest);
	free(keys);
}

int dwfunc_load(struct symtab *st, struct errbuf *eb)
{
	struct strbuf scope = STRBUF_INIT;
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half ver;
	uint8_t ut;
	Dwarf_Die cudie, sub;
	Dwarf_Off last = 0;
	int rc, units = 0;

	strbuf_init(&scope);
	while ((rc = dwarf_get_units(st->dw, cu, &next, &ver, &ut, &cudie,
				     &sub)) == 0) {
		struct cu_ctx ctx = {.cudie = cudie};

		cu = next;
		units++;
		if (ut != DW_UT_compile && ut != DW_UT_partial)
			continue;
		if (dwarf_tag(&cudie) != DW_TAG_compile_unit &&
		    dwarf_tag(&cudie) != DW_TAG_partial_unit)
			continue;
		/* The assembler's units (glibc's string functions, in
		 * libc6-dbg) name functions but give them no parameters
		 * nor result: the symbol table says as much, and leaves
		 * them to the prototypes. */
		if (dwarf_srclang(&cudie) == DW_LANG_Mips_Assembler)
			continue;
		ctx.lang = lang_of(dwarf_srclang(&cudie));
		ctx.last = last;
		walk(st, &ctx, &cudie, &scope, 0);
		last = ctx.last;
	}
	strbuf_release(&scope);
	if (rc < 0 && !st->funcs.len)
		return errbuf_set(eb, -ENOEXEC, "%s: corrupt DWARF: %s",
				  st->path, dwarf_errmsg(-1));
	dedupe(st);
	return (int)st->funcs.len;
}

int symtab_line_at(struct symtab *st, uint64_t addr, const char **file,
		   int *line)
{
	const struct func *f = symtab_func_at(st, addr);
	Dwarf_Die die, cu;
	Dwarf_Line *l;

	*file = NULL;
	*line = 0;
	if (!f || !f->has_dwarf || !st->dw ||
	    !dwarf_offdie(st->dw, f->die, &die) ||
	    !dwarf_diecu(&die, &cu, NULL, NULL) ||
	    !(l = dwarf_getsrc_die(&cu, addr)))
		return -ENOENT;
	*file = dwarf_linesrc(l, NULL, NULL);
	if (dwarf_lineno(l, line) || !*file)
		return -ENOENT;
	return 0;
}

/* ---- inlined calls at a pc (--stack) ---- */

/* The file a DW_AT_call_file (or decl_file) index names, in die's CU's
 * line table: as decl_file, index 0 included. */
static const char *file_attr(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute a;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t nfiles;
	Dwarf_Die cu;

	if (!dwarf_attr(die, at, &a) || dwarf_formudata(&a, &idx) != 0)
		return NULL;
	if (!dwarf_cu_die(a.cu, &cu, NULL, NULL, NULL, NULL, NULL, NULL) ||
	    dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/* The name of the function an inlined_subroutine DIE is a copy of, named
 * as add_func names functions; once per abstract origin. */
static const char *inline_name(struct symtab *st, Dwarf_Die *inl,
			       enum sym_lang lang)
{
	struct cu_ctx cu = {.lang = lang};
	struct strbuf scope = STRBUF_INIT;
	Dwarf_Attribute a;
	Dwarf_Die origin;
	const char *link = NULL, *name;

	if (!dwarf_attr(inl, DW_AT_abstract_origin, &a) ||
	    !dwarf_formref_die(&a, &origin))
		origin = *inl;
	for (size_t i = 0; i < st->inline_names.len; i++)
		if (st->inline_names.items[i].origin == dwarf_dieoffset(&origin))
			return st->inline_names.items[i].name;
	if (dwarf_attr_integrate(&origin, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(&origin, DW_AT_MIPS_linkage_name, &a))
		link = dwarf_formstring(&a);
	strbuf_init(&scope);
	if (lang == LANG_CPP)
		scope_prefix(&origin, &scope);
	name = func_name(st, &cu, &origin, scope.buf, link, NULL);
	strbuf_release(&scope);
	if (!name)
		name = "?";
	VEC_PUSH(&st->inline_names,
		 ((struct inline_name){dwarf_dieoffset(&origin), name}));
	return name;
}

/* True when die's code (low_pc/high_pc or ranges) holds addr; a scope
 * without any (a lexical block that only groups variables) holds what
 * its children hold, so it counts too. */
static bool scope_has(Dwarf_Die *die, uint64_t addr)
{
	if (!dwarf_hasattr(die, DW_AT_low_pc) &&
	    !dwarf_hasattr(die, DW_AT_ranges))
		return dwarf_tag(die) == DW_TAG_lexical_block;
	return dwarf_haspc(die, addr) == 1;
}

size_t symtab_frames_at(struct symtab *st, uint64_t addr,
			struct symtab_frame *out, size_t max)
{
	const struct func *f = symtab_func_at(st, addr);
	/* The inlined_subroutine DIEs holding addr, outermost first. */
	VEC(Dwarf_Die) inl = {0};
	Dwarf_Die die, cu, scope, c;
	size_t n = 0;
	const char *file = NULL;
	int line = 0;

	if (!f) {
		const char *name = symtab_name_at(st, addr);

		if (!name)
			return 0;
		if (max)
			out[0] = (struct symtab_frame){.function = name};
		return 1;
	}
	symtab_line_at(st, addr, &file, &line);
	if (f->has_dwarf && st->dw && dwarf_offdie(st->dw, f->die, &die) &&
	    dwarf_diecu(&die, &cu, NULL, NULL)) {
		/* Down from the function through the scopes holding addr;
		 * the depth bound guards against a malformed tree. */
		scope = die;
		for (int depth = 0; depth < 64; depth++) {
			bool found = false;

			if (dwarf_child(&scope, &c) != 0)
				break;
			do {
				int tag = dwarf_tag(&c);

				if ((tag == DW_TAG_inlined_subroutine ||
				     tag == DW_TAG_lexical_block) &&
				    scope_has(&c, addr)) {
					if (tag == DW_TAG_inlined_subroutine)
						VEC_PUSH(&inl, c);
					scope = c;
					found = true;
					break;
				}
			} while (dwarf_siblingof(&c, &c) == 0);
			if (!found)
				break;
		}
	}
	/* Innermost first: the inlined function at addr's line, then each
	 * caller at the line of the call it holds. */
	for (size_t i = inl.len + 1; i-- > 0;) {
		struct symtab_frame fr = {.file = file, .line = line,
					  .inlined = (int)i};

		fr.function = i ? inline_name(st, &inl.items[i - 1],
					      lang_of(dwarf_srclang(&cu)))
				: f->name;
		if (n < max)
			out[n] = fr;
		n++;
		if (i) {
			Dwarf_Attribute a;
			Dwarf_Word w = 0;

			file = file_attr(&inl.items[i - 1], DW_AT_call_file);
			if (dwarf_attr(&inl.items[i - 1], DW_AT_call_line, &a))
				dwarf_formudata(&a, &w);
			line = (int)w;
		}
	}
	VEC_FREE(&inl);
	return n;
}
