/* The images in the target's address space: the executable, and the shared
 * libraries the dynamic loader maps and unmaps. We learn of changes from a
 * tracepoint on the loader's rendezvous function (_dl_debug_state, which it
 * calls after every change, for debuggers) and read /proc/PID/maps then. */
#include "debugger/internal.h"

#include "unwind/unwind.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t modules_interp_base(pid_t pid)
{
	char path[64];
	uint64_t av[2];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, av, sizeof(av)) == sizeof(av) && av[0] != AT_NULL) {
		if (av[0] == AT_BASE) {
			close(fd);
			return av[1];
		}
	}
	close(fd);
	return 0;
}

/* Closes st, and forgets what the unwinder cached about it first. */
static void forget_symtab(struct debugger *d, struct symtab *st)
{
	if (d->unwinder)
		unwinder_forget(d->unwinder, st);
	symtab_close(st);
}

static struct module *module_add(struct debugger *d, const char *path,
				 struct symtab *st, uint64_t bias,
				 uint64_t lo, uint64_t hi, bool main)
{
	struct module *m = xcalloc(1, sizeof(*m));

	m->path = xstrdup(path);
	m->st = st;
	m->bias = bias;
	m->lo = lo;
	m->hi = hi;
	m->main = main;
	m->seen = true;
	m->go = st && symtab_is_go(st) && symtab_go_g_layout(st, &m->g) == 0;
	VEC_PUSH(&d->mods, m);
	return m;
}

struct module *module_at(struct debugger *d, uint64_t addr)
{
	for (size_t i = 0; i < d->mods.len; i++) {
		struct module *m = d->mods.items[i];
		if (m->st && addr >= m->lo && addr < m->hi)
			return m;
	}
	return NULL;
}

/* One file-backed image as /proc/PID/maps shows it. */
struct mapping {
	char path[4096];
	uint64_t lo, hi;
	uint64_t base; /* start of the mapping at file offset 0 */
	bool exec;
};

/* Reads the mappings, one entry per file (its extent merged). Returns a
 * malloc'd array. */
static size_t read_maps(pid_t pid, struct mapping **out)
{
	char path[64], line[4096 + 128];
	VEC(struct mapping) v = {0};
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		*out = NULL;
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, hi, off;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64
			   " %*s %*s %n", &lo, &hi, perms, &off, &pos) < 4 ||
		    !pos)
			continue;
		char *p = line + pos;
		p[strcspn(p, "\n")] = 0;
		/* Only files: not [heap], [vdso], anonymous or deleted. */
		if (p[0] != '/' || strstr(p, " (deleted)"))
			continue;
		struct mapping *m = NULL;
		for (size_t i = 0; i < v.len; i++)
			if (!strcmp(v.items[i].path, p))
				m = &v.items[i];
		if (!m) {
			struct mapping nm = {.lo = lo, .hi = hi, .base = ~0ull};
			snprintf(nm.path, sizeof(nm.path), "%s", p);
			VEC_PUSH(&v, nm);
			m = &v.items[v.len - 1];
		}
		if (lo < m->lo)
			m->lo = lo;
		if (hi > m->hi)
			m->hi = hi;
		if (off == 0 && lo < m->base)
			m->base = lo;
		if (perms[2] == 'x')
			m->exec = true;
	}
	fclose(f);
	*out = v.items;
	return v.len;
}

/* The implementation (run-time address) that the resolver of m's IFUNC f
 * chose, read from a GOT slot the dynamic loader filled: m's own IRELATIVE
 * slot for it, else a bound JUMP_SLOT or GLOB_DAT slot naming it in any
 * image. 0 when none is filled yet (a static program before its start
 * code relocated it; a library being loaded, before its relocation): a
 * slot still holding its link-time value or a lazy PLT stub's address is
 * outside m or is the resolver. symtab_ifunc_set_impl checks the rest. */
uint64_t modules_ifunc_chosen(struct debugger *d, struct module *m,
			      const struct func *f)
{
	uint64_t slots[8], resolver = f->ifunc_resolver + m->bias;

	for (size_t k = 0; k < d->mods.len; k++) {
		struct module *o = d->mods.items[k];
		size_t n;

		/* m itself first: its IRELATIVE slots. */
		o = k == 0 ? m : o == m ? d->mods.items[0] : o;
		if (!o->st)
			continue;
		n = symtab_ifunc_slots(o->st, o == m ? f->ifunc_resolver : 0,
				       f->linkage_name, slots, 8);
		for (size_t i = 0; i < n; i++) {
			uint64_t v;

			if (d->ops->read_mem(d->eng, slots[i] + o->bias, &v,
					     sizeof(v)) ||
			    v == resolver || v < m->lo || v >= m->hi)
				continue;
			return v;
		}
	}
	return 0;
}

/* Points m's IFUNCs at the implementations their resolvers chose, so that
 * tracing "memcpy" traces the code the program's calls run, not the
 * resolver the loader called once. Those not chosen yet stay as they are.
 * Before any rule is applied to m. */
static void resolve_ifuncs(struct debugger *d, struct module *m)
{
	size_t n = m->st ? symtab_nfuncs(m->st) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct func *f = symtab_func(m->st, i);
		uint64_t impl;

		if (!f->ifunc_resolver || f->ifunc_set ||
		    !(impl = modules_ifunc_chosen(d, m, f)))
			continue;
		symtab_ifunc_set_impl(m->st, f, impl - m->bias, NULL);
	}
}

/* Opens a library found in the maps and traces what the rules ask for. */
static void module_load(struct debugger *d, const struct mapping *mp)
{
	struct symtab *st;
	struct module *m;

	/* A file that is no ELF we can read (or has no symbols at all) is
	 * simply not traceable: it is not an error of the trace. */
	if (symtab_open_lazy(&st, mp->path, NULL))
		return;
	/* Shared objects are linked at 0: the bias is where the file's start
	 * was mapped. */
	m = module_add(d, mp->path, st, mp->base == ~0ull ? mp->lo : mp->base,
		       mp->lo, mp->hi, false);
	resolve_ifuncs(d, m);
	for (size_t i = 0; i < d->rules.len; i++)
		tracepoints_apply_rule(d, m, &d->rules.items[i]);
}

void modules_scan(struct debugger *d)
{
	struct mapping *maps;
	size_t n = read_maps(d->pid, &maps);

	for (size_t i = 0; i < d->mods.len; i++)
		d->mods.items[i]->seen = d->mods.items[i]->main;
	for (size_t i = 0; i < n; i++) {
		struct module *found = NULL;

		if (!maps[i].exec)
			continue;
		for (size_t j = 0; j < d->mods.len && !found; j++) {
			struct module *m = d->mods.items[j];
			if (m->st && !strcmp(m->path, maps[i].path) &&
			    (m->main || m->lo == maps[i].lo))
				found = m;
		}
		if (found) {
			found->seen = true;
			if (found->main) {
				found->lo = maps[i].lo;
				found->hi = maps[i].hi;
			}
			continue;
		}
		module_load(d, &maps[i]);
	}
	/* Images that went away (dlclose): their code is gone, so their
	 * tracepoints are forgotten, never written again. */
	for (size_t i = 0; i < d->mods.len; i++) {
		struct module *m = d->mods.items[i];
		if (m->st && !m->seen) {
			tracepoints_forget_module(d, m);
			forget_symtab(d, m->st);
			m->st = NULL;
		}
	}
	free(maps);
}

/* The executable and, for a dynamic program, the loader and its
 * rendezvous tracepoint. */
int modules_init(struct debugger *d, struct errbuf *eb)
{
	char exe[64], path[4096];
	struct symtab *st;
	struct module *main_mod;
	uint64_t interp;
	ssize_t n;
	int err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)d->pid);
	n = readlink(exe, path, sizeof(path) - 1);
	if (n <= 0)
		return errbuf_set(eb, -errno, "cannot read %s: %s", exe,
				  strerror(errno));
	path[n] = 0;
	/* The file debugger_new read, unless the process runs another. */
	st = d->first_st;
	d->first_st = NULL;
	if (st && !symtab_same_file(st, exe)) {
		symtab_close(st);
		st = NULL;
	}
	if (!st && (err = symtab_open(&st, exe, eb)))
		return err;
	d->no_dwarf = !symtab_has_dwarf(st);
	main_mod = module_add(d, path, st, d->ops->load_bias(d->eng), 0, 0,
			      true);
	/* Its extent comes from the maps. */
	modules_scan(d);
	resolve_ifuncs(d, main_mod);
	for (size_t i = 0; i < d->rules.len; i++)
		tracepoints_apply_rule(d, main_mod, &d->rules.items[i]);

	interp = modules_interp_base(d->pid);
	if (!interp)
		return 0; /* static: no libraries will ever come */
	/* The loader is mapped from the start; find it among the maps. */
	struct module *ld = module_at(d, interp);
	const struct func *fn;

	if (!ld)
		return 0;
	/* Without it we still trace what is loaded now; say nothing below
	 * the frontend, just go on. */
	fn = symtab_func_named(ld->st, "_dl_debug_state", 0);
	if (fn)
		tracepoints_add_internal(d, TP_RENDEZVOUS, ld,
					 fn->low_pc + ld->bias, NULL);
	return 0;
}

int modules_reset(struct debugger *d, struct errbuf *eb)
{
	/* The old images went with the exec; the engine has forgotten their
	 * probes already. */
	for (size_t i = 0; i < d->mods.len; i++) {
		struct module *m = d->mods.items[i];
		m->main = false;
		if (m->st) {
			tracepoints_forget_module(d, m);
			forget_symtab(d, m->st);
			m->st = NULL;
		}
	}
	/* Keep the dead ones (their tracepoints point at them) but put the
	 * new executable first. */
	size_t old = d->mods.len;
	int err = modules_init(d, eb);
	if (d->mods.len > old) {
		struct module *tmp = d->mods.items[0];
		d->mods.items[0] = d->mods.items[old];
		d->mods.items[old] = tmp;
	}
	return err;
}

void modules_free(struct debugger *d)
{
	for (size_t i = 0; i < d->mods.len; i++) {
		struct module *m = d->mods.items[i];
		if (m->st)
			forget_symtab(d, m->st);
		free(m->path);
		free(m);
	}
	VEC_FREE(&d->mods);
	for (size_t i = 0; i < d->rules.len; i++)
		free(d->rules.items[i].regexp);
	VEC_FREE(&d->rules);
}
