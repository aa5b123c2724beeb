/* elfsym: the function symbols of .symtab and .dynsym.
 *
 * They name what DWARF does not describe (crt code, assembly, libraries
 * built without -g) and everything in a stripped binary. */
#include "sym/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_sym(const void *a, const void *b)
{
	const struct elfsym *x = a, *y = b;
	int c;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address, the real name before its .cold alias (there are
	 * none in practice) and otherwise by name, for determinism. */
	if ((c = elfsym_is_cold(x->name) - elfsym_is_cold(y->name)))
		return c;
	return strcmp(x->name, y->name);
}

bool elfsym_is_cold(const char *name)
{
	const char *p = strstr(name, ".cold");

	return p && (p[5] == 0 || p[5] == '.');
}

const char *elfsym_clone_suffix(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot > name && dot[1] ? dot : NULL;
}

struct elfsym_vec {
	struct elfsym *items;
	size_t len, cap;
};

/* Reads one symbol table section. Returns 0 or a negative errno. */
static int load_table(struct symtab *st, Elf *elf, Elf_Scn *scn,
		      GElf_Shdr *sh, struct elfsym_vec *v, struct errbuf *eb)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n;

	if (!data || !sh->sh_entsize)
		return errbuf_set(eb, -ENOEXEC, "%s: corrupt symbol table: %s",
				  st->path, elf_errmsg(-1));
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		VEC_PUSH(v, ((struct elfsym){.addr = sym.st_value,
					     .size = sym.st_size,
					     .name = name,
					     .ifunc = type == STT_GNU_IFUNC,
					     .weak = GELF_ST_BIND(sym.st_info) ==
						     STB_WEAK}));
	}
	return 0;
}

int elfsym_load(struct symtab *st, struct errbuf *eb)
{
	struct elfsym_vec v = {0};
	Elf *elves[2] = {st->elf, st->dbg_elf};
	size_t k = 0;
	int err;

	/* A separate debug file keeps the .symtab strip took away (static
	 * functions, and local ones assembly defines). */
	for (int e = 0; e < 2 && elves[e]; e++) {
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(elves[e], scn))) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type != SHT_SYMTAB &&
			    sh.sh_type != SHT_DYNSYM)
				continue;
			if ((err = load_table(st, elves[e], scn, &sh, &v,
					      eb))) {
				free(v.items);
				return err;
			}
		}
	}
	/* A Go binary stripped of both (-ldflags=-s -w): the function
	 * table the runtime keeps for its tracebacks names them still. */
	if (!v.len && st->file_lang == LANG_GO) {
		struct elfsym *g;
		size_t n = gopclntab_syms(st, &g);

		v.items = g;
		v.len = v.cap = n;
		st->go_pclntab = n > 0;
	}
	if (v.len)
		qsort(v.items, v.len, sizeof(*v.items), cmp_sym);
	/* .dynsym repeats what .symtab says: keep one of each. */
	for (size_t i = 0; i < v.len; i++) {
		if (k && v.items[k - 1].addr == v.items[i].addr &&
		    !strcmp(v.items[k - 1].name, v.items[i].name)) {
			if (!v.items[k - 1].size)
				v.items[k - 1].size = v.items[i].size;
			continue;
		}
		v.items[k++] = v.items[i];
	}
	st->syms = v.items;
	st->nsyms = k;
	return (int)k;
}

/* The first symbol at an address >= addr. */
static size_t lower_bound(const struct symtab *st, uint64_t addr)
{
	size_t lo = 0, hi = st->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct elfsym *elfsym_at(const struct symtab *st, uint64_t addr)
{
	for (size_t i = lower_bound(st, addr);
	     i < st->nsyms && st->syms[i].addr == addr; i++)
		if (!elfsym_is_cold(st->syms[i].name))
			return &st->syms[i];
	return NULL;
}

const struct elfsym *elfsym_containing(const struct symtab *st,
				       uint64_t addr)
{
	size_t i = lower_bound(st, addr + 1);

	/* Symbols may nest or overlap (aliases): look back a little past
	 * the ones that end before addr. */
	for (size_t k = 0; i-- > 0 && k < 16; k++) {
		const struct elfsym *s = &st->syms[i];

		if (addr == s->addr || addr - s->addr < s->size)
			return s;
	}
	return NULL;
}

/* The function named name (without .cold) among the symbol-only ones. */
static struct func *find_parent(struct symtab *st, const char *name,
				size_t len, size_t from)
{
	for (size_t i = from; i < st->funcs.len; i++) {
		struct func *f = &st->funcs.items[i];

		if (f->linkage_name && !strncmp(f->linkage_name, name, len) &&
		    !f->linkage_name[len])
			return f;
	}
	return NULL;
}

static void add_range(struct symtab *st, struct func *f, uint64_t lo,
		      uint64_t hi)
{
	struct addr_range *r = arena_alloc(&st->arena,
					   (f->nranges + 1) * sizeof(*r));

	memcpy(r, f->ranges, f->nranges * sizeof(*r));
	r[f->nranges].lo = lo;
	r[f->nranges].hi = hi;
	f->ranges = r;
	f->nranges++;
}

/* s names code DWARF describes under another name (glibc's malloc is
 * DWARF's __libc_malloc). The alias is a function of its own, the same DIE
 * under the symbol's name, so that '^malloc$' finds it with its
 * parameters. */
static void add_alias(struct symtab *st, const struct func *known,
		      const struct elfsym *s)
{
	struct func f = *known;
	const char *name = cxxname_display(&st->arena, s->name);

	if (!name)
		name = s->name;
	/* The same function (C++'s complete and base constructors share an
	 * address and a name) or a clone DWARF names by its symbol. */
	if (!strcmp(name, known->name) ||
	    (known->linkage_name && !strcmp(s->name, known->linkage_name)))
		return;
	f.linkage_name = arena_strdup(&st->arena, s->name);
	f.name = name == s->name ? f.linkage_name : (char *)name;
	f.base_len = 0;
	VEC_PUSH(&st->funcs, f);
}

void elfsym_add_funcs(struct symtab *st)
{
	size_t first = st->funcs.len;

	for (size_t i = 0; i < st->nsyms; i++) {
		const struct elfsym *s = &st->syms[i];
		const struct func *known;
		struct func f = {0};
		const char *clone = NULL;

		if (!s->size || elfsym_is_cold(s->name))
			continue;
		/* An IFUNC whose resolver DWARF describes (glibc's strlen
		 * is DWARF's strlen_ifunc): the resolver's parameters are
		 * not the function's, so it is known by its symbol alone,
		 * as without DWARF, until it is moved onto its
		 * implementation. */
		if ((known = symtab_func_at(st, s->addr)) && !s->ifunc) {
			/* DWARF knows it, maybe by another name. Go has
			 * no aliases; the index holds DWARF's functions
			 * only (those added here are not in it yet). */
			if (known->has_dwarf && known->low_pc == s->addr &&
			    st->file_lang != LANG_GO &&
			    !(i && st->syms[i - 1].addr == s->addr &&
			      !strcmp(st->syms[i - 1].name, s->name))) {
				struct func copy = *known;

				add_alias(st, &copy, s);
			}
			continue;
		}
		/* Aliases (same address, another name) stay: users may
		 * trace either name. Duplicate names at one address don't. */
		if (i && st->syms[i - 1].addr == s->addr &&
		    !strcmp(st->syms[i - 1].name, s->name))
			continue;
		f.linkage_name = arena_strdup(&st->arena, s->name);
		f.name = cxxname_display(&st->arena, s->name);
		if (!f.name)
			f.name = f.linkage_name;
		if (st->file_lang != LANG_GO)
			clone = elfsym_clone_suffix(s->name);
		/* A clone: its own name, as gdb and uftrace show it
		 * (demangling drops " [clone .part.0]"). */
		if (clone && f.name != f.linkage_name) {
			size_t n = strlen(f.name);
			char *full = arena_alloc(&st->arena, n + strlen(clone) + 1);

			memcpy(full, f.name, n);
			strcpy(full + n, clone);
			f.name = full;
			f.base_len = n;
		} else if (clone) {
			f.base_len = (size_t)(clone - s->name);
		}
		f.low_pc = s->addr;
		f.entry_pc = st->go_pclntab
				     ? gopclntab_entry(st, s->addr,
						       s->addr + s->size)
				     : dwfunc_skip_endbr(st, s->addr);
		f.ranges = arena_alloc(&st->arena, sizeof(*f.ranges));
		f.ranges[0].lo = s->addr;
		f.ranges[0].hi = s->addr + s->size;
		f.nranges = 1;
		f.lang = !strncmp(s->name, "_Z", 2) ? LANG_CPP : st->file_lang;
		if (s->ifunc)
			f.ifunc_resolver = s->addr;
		VEC_PUSH(&st->funcs, f);
	}
	/* Without DWARF saying so, "foo.cold" still belongs to foo. */
	for (size_t i = 0; i < st->nsyms; i++) {
		const struct elfsym *s = &st->syms[i];
		const char *dot = strstr(s->name, ".cold");
		struct func *f;

		if (!s->size || !elfsym_is_cold(s->name) ||
		    symtab_func_at(st, s->addr))
			continue;
		f = find_parent(st, s->name, (size_t)(dot - s->name), first);
		if (f)
			add_range(st, f, s->addr, s->addr + s->size);
	}
}

/* f as a symbol without DWARF: no types, no source position. */
static void func_untyped(struct func *f)
{
	f->has_dwarf = false;
	f->params = NULL;
	f->nparams = 0;
	f->results = NULL;
	f->nresults = 0;
	f->ret_type = NULL;
	f->variadic = false;
	f->file = NULL;
	f->line = 0;
}

/* The end (link-time) of the code starting at impl: its symbol's size, else
 * its .eh_frame FDE's (libc's implementations have no symbol outside
 * libc6-dbg, but every one has an FDE). 0 when unknown. */
static uint64_t impl_end(struct symtab *st, uint64_t impl)
{
	const struct elfsym *s = elfsym_at(st, impl);
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr start, end;
	uint64_t ret = 0;

	if (s && s->size && !s->ifunc)
		return impl + s->size;
	if (st->cfi_eh && dwarf_cfi_addrframe(st->cfi_eh, impl, &frame) == 0 &&
	    dwarf_frame_info(frame, &start, &end, NULL) >= 0 && end > impl)
		ret = end;
	free(frame);
	return ret;
}

int symtab_ifunc_set_impl(struct symtab *st, const struct func *f,
			  uint64_t impl, struct errbuf *eb)
{
	struct func *mf = &st->funcs.items[f - st->funcs.items];
	const struct func *known = symtab_func_at(st, impl);
	uint64_t end, resolver = mf->ifunc_resolver;

	if (!resolver || impl == resolver ||
	    !symtab_addr_exec(st, impl))
		return errbuf_set(eb, -EINVAL, "%s: %#llx is not an "
				  "implementation of %s", st->path,
				  (unsigned long long)impl, mf->name);
	if (known && known->low_pc == impl && known != f && st->dbg_lazy &&
	    !known->complete) {
		/* A symbol of a library whose DWARF is read lazily: loading
		 * it now would read all of that DWARF for each IFUNC the
		 * loader resolved. f takes its extent, and its types (its
		 * DIE, else its prototype) when it is loaded itself. */
		protoparams_drop(mf);
		mf->low_pc = known->low_pc;
		mf->entry_pc = known->entry_pc;
		mf->ranges = known->ranges;
		mf->nranges = known->nranges;
		func_untyped(mf);
		mf->complete = false;
	} else if (known && known->low_pc == impl && known != f) {
		/* A function of its own (DWARF or a symbol): f becomes an
		 * alias of it, with its parameters. */
		struct func keep = *mf;

		known = symtab_func_load(st, known);
		protoparams_drop(mf);
		*mf = *known;
		mf->name = keep.name;
		mf->linkage_name = keep.linkage_name;
		mf->lang = keep.lang;
		/* The implementation's own locs belong to it. */
		if (mf->has_proto) {
			mf->has_proto = false;
			mf->params = NULL;
			mf->nparams = 0;
		}
		protoparams_apply(st, mf);
	} else {
		if (!(end = impl_end(st, impl)))
			return errbuf_set(eb, -ENOENT, "%s: the extent of %s's "
					  "implementation at %#llx is unknown",
					  st->path, mf->name,
					  (unsigned long long)impl);
		mf->low_pc = impl;
		mf->entry_pc = dwfunc_skip_endbr(st, impl);
		mf->ranges = arena_alloc(&st->arena, sizeof(*mf->ranges));
		mf->ranges[0].lo = impl;
		mf->ranges[0].hi = end;
		mf->nranges = 1;
		/* What DWARF said (if anything) was the resolver's. */
		protoparams_drop(mf);
		func_untyped(mf);
		mf->complete = true;
		/* The prototype is the symbol's, whichever code it runs. */
		protoparams_apply(st, mf);
	}
	mf->ifunc_resolver = resolver;
	mf->ifunc_set = true;
	symtab_reindex_func(st, mf);
	return 0;
}
