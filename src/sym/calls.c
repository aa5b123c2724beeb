/* calls: what a function calls, read from its code — for --follow-calls.
 *
 * Direct calls name their target; a call into the PLT is followed through
 * the stub's jump slot to the name the dynamic linker will bind it to (the
 * function itself lives in a library). Indirect calls (function pointers,
 * Go interfaces and closures) are listed by address: their targets are
 * only known when they run. */
#include "sym/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"

static const struct func *irelative_func(struct symtab *st, uint64_t slot);

/* The GOT slot a PLT stub at addr jumps through (its first indirect jmp
 * reads it), or 0. */
static uint64_t plt_slot(struct symtab *st, uint64_t addr)
{
	uint8_t code[32];
	size_t off = 0;
	uint64_t slot = 0;

	if (symtab_read(st, addr, code, sizeof(code)))
		return 0;
	while (off < sizeof(code)) {
		struct insn in;

		if (x86_decode(code + off, sizeof(code) - off, addr + off, &in) ||
		    !in.len)
			return 0;
		if (in.cls == INSN_JMP_IND) {
			if (!in.op.mem || in.op.base != DREG_RIP || in.op.index >= 0)
				return 0;
			slot = addr + off + in.len + (uint64_t)in.op.disp;
			break;
		}
		/* endbr64, bnd prefixes: a stub is a handful of bytes. */
		if (in.cls != INSN_OTHER)
			return 0;
		off += in.len;
	}
	return slot;
}

struct calls_ctx {
	struct symtab *st;
	const struct func *f;
	VEC(struct call_site) v;
};

static int note_call(void *ctx, const struct insn *in)
{
	struct calls_ctx *c = ctx;
	struct call_site cs = {.addr = in->addr};
	uint64_t slot;

	if (in->cls == INSN_CALL_IND) {
		cs.indirect = true;
	} else if (in->cls == INSN_CALL ||
		   /* a tail call: a jump out of f */
		   ((in->cls == INSN_JMP || in->cls == INSN_JCC) &&
		    !symtab_in_ranges(c->f, in->target))) {
		const struct func *t = symtab_func_at(c->st, in->target);

		cs.target = in->target;
		if (t && t->low_pc == in->target)
			cs.callee = t;
		else if (!t && (slot = plt_slot(c->st, in->target))) {
			/* JUMP_SLOT: a symbol the loader binds (in another
			 * image); IRELATIVE: an IFUNC of this one (a static
			 * program's memcpy). */
			cs.plt_name = symtab_reloc_name(c->st, slot);
			if (!cs.plt_name)
				cs.callee = irelative_func(c->st, slot);
		}
		if (!cs.callee && !cs.plt_name)
			return 0; /* mid-function: not a call */
	} else {
		return 0;
	}
	VEC_PUSH(&c->v, cs);
	return 0;
}

int symtab_calls(struct symtab *st, const struct func *f,
		 struct call_site **out, size_t *n, struct errbuf *eb)
{
	struct calls_ctx c = {.st = st, .f = f};
	int err = symtab_walk_code(st, f, note_call, &c, eb);

	*out = NULL;
	*n = 0;
	if (err) {
		free(c.v.items);
		return err;
	}
	*out = c.v.items;
	*n = c.v.len;
	return (int)c.v.len;
}

/* ---- jump slots ---- */

struct reloc_ent {
	uint64_t slot;    /* the GOT slot's link-time address */
	const char *name; /* the symbol (in libelf's copy of .dynstr); NULL
	                   * for IRELATIVE */
	uint64_t addend;  /* IRELATIVE: the IFUNC resolver's address */
};

struct reloc_index {
	VEC(struct reloc_ent) ents; /* sorted by slot */
};

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc_ent *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static void index_relocs(struct symtab *st, struct reloc_index *ri)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(st->elf, scn))) {
		Elf_Scn *symscn;
		GElf_Shdr symsh;
		Elf_Data *data, *syms;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    !sh.sh_entsize || !(symscn = elf_getscn(st->elf, sh.sh_link)) ||
		    !gelf_getshdr(symscn, &symsh) || !symsh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)) ||
		    !(syms = elf_getdata(symscn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			const char *name;
			unsigned type;

			if (!gelf_getrela(data, (int)i, &r))
				break;
			type = GELF_R_TYPE(r.r_info);
			/* An IFUNC's slot without a symbol (calls inside its
			 * own image, a static executable's IFUNCs). */
			if (type == R_X86_64_IRELATIVE) {
				VEC_PUSH(&ri->ents, ((struct reloc_ent){
					r.r_offset, NULL, (uint64_t)r.r_addend}));
				continue;
			}
			if ((type != R_X86_64_JUMP_SLOT &&
			     type != R_X86_64_GLOB_DAT) ||
			    !GELF_R_SYM(r.r_info) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) ||
			    !(name = elf_strptr(st->elf, symsh.sh_link,
						sym.st_name)) || !*name)
				continue;
			VEC_PUSH(&ri->ents, ((struct reloc_ent){r.r_offset,
								name, 0}));
		}
	}
	if (ri->ents.len)
		qsort(ri->ents.items, ri->ents.len, sizeof(*ri->ents.items),
		      cmp_reloc);
}

static struct reloc_index *relocs_of(struct symtab *st)
{
	if (!st->relocs) {
		st->relocs = xcalloc(1, sizeof(*st->relocs));
		index_relocs(st, st->relocs);
	}
	return st->relocs;
}

const char *symtab_reloc_name(struct symtab *st, uint64_t slot)
{
	struct reloc_index *ri = relocs_of(st);
	size_t lo = 0, hi;

	hi = ri->ents.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ri->ents.items[mid].slot < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ri->ents.len && ri->ents.items[lo].slot == slot
		       ? ri->ents.items[lo].name
		       : NULL;
}

size_t symtab_ifunc_slots(struct symtab *st, uint64_t resolver,
			  const char *name, uint64_t *slots, size_t max)
{
	struct reloc_index *ri = relocs_of(st);
	size_t n = 0;

	/* IRELATIVE first: the image's own slot, filled when the image was
	 * relocated, whatever the binding mode of the others. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ri->ents.len && n < max; i++) {
			const struct reloc_ent *e = &ri->ents.items[i];

			if (pass == 0 ? !e->name && resolver &&
						e->addend == resolver
				      : e->name && name && !strcmp(e->name, name))
				slots[n++] = e->slot;
		}
	}
	return n;
}

/* Of two symbols of one IFUNC, the one a program writes: no leading
 * underscore (memcpy, not __new_memcpy), global rather than weak (memcmp,
 * not bcmp), then the shortest. */
static bool better_sym(const struct elfsym *a, const struct elfsym *b)
{
	if ((a->name[0] == '_') != (b->name[0] == '_'))
		return b->name[0] == '_';
	if (a->weak != b->weak)
		return b->weak;
	return strlen(a->name) < strlen(b->name);
}

/* The IFUNC whose IRELATIVE slot is at slot, or NULL. */
static const struct func *irelative_func(struct symtab *st, uint64_t slot)
{
	struct reloc_index *ri = relocs_of(st);
	const struct elfsym *best = NULL;
	uint64_t resolver = 0;

	for (size_t i = 0; i < ri->ents.len && !resolver; i++)
		if (ri->ents.items[i].slot == slot && !ri->ents.items[i].name)
			resolver = ri->ents.items[i].addend;
	for (size_t i = 0; resolver && i < st->nsyms; i++) {
		const struct elfsym *s = &st->syms[i];

		if (s->addr == resolver && s->ifunc &&
		    (!best || better_sym(s, best)))
			best = s;
	}
	for (size_t k = 0; best && k < st->funcs.len; k++) {
		const struct func *f = &st->funcs.items[k];

		if (f->ifunc_resolver == resolver && f->linkage_name &&
		    !strcmp(f->linkage_name, best->name))
			return f;
	}
	return NULL;
}

const char *symtab_call_name(struct symtab *st, uint64_t ra)
{
	uint8_t c[6];
	uint64_t slot = 0;
	const struct func *f;
	const char *name;
	int32_t rel;

	if (ra < sizeof(c) || symtab_read(st, ra - sizeof(c), c, sizeof(c)))
		return NULL;
	/* Both forms end with a rel32 at ra - 4: ff 15 disp32, e8 rel32. */
	memcpy(&rel, c + 2, sizeof(rel));
	if (c[0] == 0xff && c[1] == 0x15) {
		slot = ra + (uint64_t)(int64_t)rel;
	} else if (c[1] == 0xe8) {
		uint64_t target = ra + (uint64_t)(int64_t)rel;

		f = symtab_func_at(st, target);
		if (f && f->low_pc == target)
			return f->ifunc_set ? NULL : f->name;
		if (!f)
			slot = plt_slot(st, target);
	}
	if (!slot)
		return NULL;
	if ((name = symtab_reloc_name(st, slot)))
		return name;
	f = irelative_func(st, slot);
	return f ? f->name : NULL;
}

void calls_free(struct symtab *st)
{
	if (!st->relocs)
		return;
	VEC_FREE(&st->relocs->ents);
	free(st->relocs);
	st->relocs = NULL;
}
