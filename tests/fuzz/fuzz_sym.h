/* Shared by fuzz_elf.c and fuzz_dwarf.c: hands bytes to symtab_open() as a
 * file, and walks everything the symtab then hands out the way the debugger
 * and the frontend do, so that a bad pointer or length read from the file
 * shows up under ASan here rather than in a trace. */
#ifndef TINYDBG_FUZZ_SYM_H
#define TINYDBG_FUZZ_SYM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sym/symtab.h"

/* One memfd for the whole run, refilled for each input: symtab_open()
 * reopens it through /proc/self/fd/N, as it would open a path. */
static int fuzz_memfd = -1;
static char fuzz_path[64];

static const char *fuzz_file(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (fuzz_memfd < 0) {
		fuzz_memfd = memfd_create("tinydbg-fuzz", MFD_CLOEXEC);
		if (fuzz_memfd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d",
			 fuzz_memfd);
	}
	if (ftruncate(fuzz_memfd, 0) != 0) {
		perror("ftruncate");
		abort();
	}
	while (off < size) {
		ssize_t n = pwrite(fuzz_memfd, data + off, size - off,
				   (off_t)off);

		if (n <= 0) {
			perror("pwrite");
			abort();
		}
		off += (size_t)n;
	}
	return fuzz_path;
}

/* Reads every byte of s, so that ASan sees a dangling or unterminated one. */
static size_t fuzz_touch_str(const char *s)
{
	return s ? strlen(s) : 0;
}

/* The type graph may be cyclic (through pointers): a depth bound. */
static size_t fuzz_touch_type(const struct ctype *t, int depth)
{
	size_t h = 0;

	if (!t || depth > 6)
		return 0;
	h += fuzz_touch_str(t->name) + t->kind + t->size;
	for (size_t i = 0; i < t->nmembers; i++) {
		h += fuzz_touch_str(t->members[i].name) +
		     t->members[i].offset + t->members[i].bit_size;
		h += fuzz_touch_type(t->members[i].type, depth + 1);
	}
	for (size_t i = 0; i < t->nenums; i++)
		h += fuzz_touch_str(t->enums[i].name) +
		     (size_t)t->enums[i].value;
	h += fuzz_touch_type(ctype_strip(t), depth + 1);
	return h + fuzz_touch_type(t->target, depth + 1);
}

static size_t fuzz_touch_loc(const struct loc *l)
{
	size_t h = loc_is_optimized(l);

	for (size_t i = 0; i < l->npieces; i++) {
		const struct loc_piece *p = &l->pieces[i];

		h += p->kind + (size_t)p->reg + (size_t)p->off + p->size;
		for (size_t j = 0; j < p->nops; j++)
			h += p->ops[j].atom + p->ops[j].n1 + p->ops[j].n2;
	}
	return h;
}

/* Functions whose return sites are decoded per input: each costs a read and
 * an x86 decode of its code, up to 64 MiB of it. */
#define FUZZ_RET_FUNCS 8
#define FUZZ_WALK_FUNCS 256

static volatile size_t fuzz_sink;

static void fuzz_symtab(const uint8_t *data, size_t size)
{
	struct symtab *st;
	struct errbuf eb;
	size_t *idx = NULL, n = 0, h = 0;
	uint8_t code[16];

	if (symtab_open(&st, fuzz_file(data, size), &eb) < 0) {
		/* The message must be a string, whatever failed. */
		fuzz_sink = strnlen(eb.msg, sizeof(eb.msg));
		return;
	}
	h += symtab_has_dwarf(st) + symtab_is_pie(st) + symtab_entry(st);
	h += fuzz_touch_str(symtab_path(st));
	h += fuzz_touch_str(symtab_name_at(st, symtab_entry(st)));
	if (symtab_match(st, ".", &idx, &n, &eb) != 0)
		abort(); /* "." always compiles */
	if (n > symtab_nfuncs(st))
		abort();
	for (size_t k = 0; k < n && k < FUZZ_WALK_FUNCS; k++) {
		const struct func *f = symtab_func(st, idx[k]);
		struct ret_site *sites = NULL;
		size_t nsites = 0;

		if (!f)
			abort(); /* match returned an index out of range */
		f = symtab_func_load(st, f);
		h += fuzz_touch_str(f->name) + fuzz_touch_str(f->linkage_name);
		h += fuzz_touch_str(f->file) + (size_t)f->line + f->lang;
		h += f->low_pc + f->entry_pc + f->has_dwarf + f->variadic;
		for (size_t i = 0; i < f->nranges; i++)
			h += f->ranges[i].lo ^ f->ranges[i].hi;
		for (size_t i = 0; i < f->nparams; i++) {
			h += fuzz_touch_str(f->params[i].name);
			if (!f->params[i].type)
				abort(); /* symtab.h: never NULL */
			h += fuzz_touch_type(f->params[i].type, 0);
			h += fuzz_touch_loc(&f->params[i].loc);
		}
		h += fuzz_touch_type(f->ret_type, 0);
		for (size_t i = 0; i < f->nresults; i++) {
			h += fuzz_touch_str(f->results[i].name);
			h += fuzz_touch_type(f->results[i].type, 0);
			h += fuzz_touch_loc(&f->results[i].loc);
		}
		h += fuzz_touch_str(symtab_name_at(st, f->low_pc));
		h += fuzz_touch_str(symtab_name_at(st, f->entry_pc));
		if (symtab_func_at(st, f->entry_pc))
			h++;
		if (symtab_read(st, f->entry_pc, code, sizeof(code)) == 0)
			h += code[0];
		if (k < FUZZ_RET_FUNCS &&
		    symtab_return_sites(st, f, &sites, &nsites, &eb) >= 0) {
			for (size_t i = 0; i < nsites; i++)
				h += sites[i].addr + sites[i].kind;
		}
		free(sites);
	}
	free(idx);
	/* A regexp that does not compile fails cleanly, with nothing to free. */
	if (symtab_match(st, "(", &idx, &n, &eb) == 0 || idx || n)
		abort();
	fuzz_sink = h;
	symtab_close(st);
}

#endif
