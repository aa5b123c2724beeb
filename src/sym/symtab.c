/* symtab: one ELF executable's functions (see symtab.h).
 *
 * Opening reads everything a trace needs up front (functions, parameters,
 * their types and locations) so that later lookups are plain array
 * searches. The file stays mapped: code bytes for return-site decoding and
 * libdw's strings (source file names) come from it. */
#include "sym/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arch/x86.h"

bool symtab_addr_exec(const struct symtab *st, uint64_t addr)
{
	for (size_t i = 0; i < st->nsegs; i++)
		if (st->segs[i].exec && addr >= st->segs[i].vaddr &&
		    addr - st->segs[i].vaddr < st->segs[i].memsz)
			return true;
	return false;
}

int symtab_read(const struct symtab *st, uint64_t addr, void *buf, size_t len)
{
	for (size_t i = 0; i < st->nsegs; i++) {
		const struct segment *s = &st->segs[i];
		uint64_t rel = addr - s->vaddr;
		size_t have;

		if (addr < s->vaddr || rel >= s->memsz || len > s->memsz - rel)
			continue;
		/* Past the file-backed part (.bss) the image is zeros. */
		have = rel < s->filesz ? s->filesz - rel : 0;
		if (have > len)
			have = len;
		if (have && pread(st->fd, buf, have, (off_t)(s->off + rel)) !=
				    (ssize_t)have)
			return -EFAULT;
		memset((char *)buf + have, 0, len - have);
		return 0;
	}
	return -EFAULT;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range_ent *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->fi < y->fi ? -1 : x->fi > y->fi;
}

void symtab_index_ranges(struct symtab *st)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < st->funcs.len; i++)
		n += st->funcs.items[i].nranges;
	free(st->rindex);
	st->rindex = xmalloc((n ? n : 1) * sizeof(*st->rindex));
	for (size_t i = 0; i < st->funcs.len; i++) {
		const struct func *f = &st->funcs.items[i];

		for (size_t j = 0; j < f->nranges; j++)
			st->rindex[k++] = (struct range_ent){
				f->ranges[j].lo, f->ranges[j].hi, i};
	}
	qsort(st->rindex, n, sizeof(*st->rindex), cmp_range);
	st->nrindex = n;
}

void symtab_reindex_func(struct symtab *st, const struct func *f)
{
	size_t fi = (size_t)(f - st->funcs.items), k = 0, have = 0;

	for (size_t i = 0; i < st->nrindex; i++)
		have += st->rindex[i].fi == fi;
	if (have != f->nranges) {
		symtab_index_ranges(st);
		return;
	}
	for (size_t i = 0; i < st->nrindex; i++)
		if (st->rindex[i].fi == fi) {
			st->rindex[i].lo = f->ranges[k].lo;
			st->rindex[i].hi = f->ranges[k].hi;
			k++;
		}
	/* Sorted but for those few entries: an insertion sort is linear. */
	for (size_t i = 1; i < st->nrindex; i++) {
		struct range_ent e = st->rindex[i];
		size_t j = i;

		while (j > 0 && cmp_range(&st->rindex[j - 1], &e) > 0) {
			st->rindex[j] = st->rindex[j - 1];
			j--;
		}
		st->rindex[j] = e;
	}
}

static int cmp_name(const void *a, const void *b, void *arg)
{
	const struct symtab *st = arg;
	const struct func *x = &st->funcs.items[*(const size_t *)a];
	const struct func *y = &st->funcs.items[*(const size_t *)b];
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->low_pc < y->low_pc ? -1 : x->low_pc > y->low_pc;
}

/* The loadable parts of the image, from the program headers (or, for a
 * file without them, the allocated sections). */
static int load_segments(struct symtab *st, struct errbuf *eb)
{
	size_t nph = 0;

	if (elf_getphdrnum(st->elf, &nph) != 0)
		return errbuf_set(eb, -ENOEXEC, "%s: corrupt ELF program "
				  "headers: %s", st->path, elf_errmsg(-1));
	st->segs = xcalloc(nph ? nph : 1, sizeof(*st->segs));
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		struct segment *s;

		if (!gelf_getphdr(st->elf, (int)i, &ph))
			return errbuf_set(eb, -ENOEXEC, "%s: truncated ELF "
					  "file (program headers)", st->path);
		if (ph.p_type != PT_LOAD)
			continue;
		s = &st->segs[st->nsegs++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->off = ph.p_offset;
		s->filesz = ph.p_filesz < ph.p_memsz ? ph.p_filesz : ph.p_memsz;
		s->exec = ph.p_flags & PF_X;
		/* A truncated file: only what is there can be read. */
		if (s->off > st->image_size)
			s->off = st->image_size, s->filesz = 0;
		if (s->filesz > st->image_size - s->off)
			s->filesz = st->image_size - s->off;
	}
	return 0;
}

bool elf_has_section(Elf *elf, const char *name, bool with_bytes)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) &&
		    (!with_bytes || sh.sh_type != SHT_NOBITS) &&
		    (n = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name))
			return true;
	}
	return false;
}

static bool is_go_elf(Elf *elf)
{
	return elf_has_section(elf, ".gopclntab", false) ||
	       elf_has_section(elf, ".go.buildinfo", false);
}

bool symtab_path_is_go(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool go = false;
	Elf *elf;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		go = is_go_elf(elf);
	elf_end(elf);
	close(fd);
	return go;
}

/* Checks the ELF header and that the tables it points at are inside the
 * file, so that a truncated file fails here with a clear message. */
static int check_header(struct symtab *st, struct errbuf *eb)
{
	GElf_Ehdr eh;
	size_t shnum, shstrndx;

	if (elf_kind(st->elf) != ELF_K_ELF)
		return errbuf_set(eb, -ENOEXEC, "%s: not an ELF file",
				  st->path);
	if (gelf_getclass(st->elf) != ELFCLASS64)
		return errbuf_set(eb, -ENOEXEC, "%s: not a 64-bit ELF file",
				  st->path);
	if (!gelf_getehdr(st->elf, &eh))
		return errbuf_set(eb, -ENOEXEC, "%s: corrupt ELF header: %s",
				  st->path, elf_errmsg(-1));
	if (eh.e_machine != EM_X86_64)
		return errbuf_set(eb, -ENOEXEC, "%s: not an x86-64 ELF file "
				  "(machine %u)", st->path,
				  (unsigned)eh.e_machine);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return errbuf_set(eb, -ENOEXEC, "%s: not an executable or "
				  "shared object (ELF type %u)", st->path,
				  (unsigned)eh.e_type);
	if (eh.e_phnum && (eh.e_phoff > st->image_size ||
			   (uint64_t)eh.e_phnum * eh.e_phentsize >
				   st->image_size - eh.e_phoff))
		return errbuf_set(eb, -ENOEXEC, "%s: truncated ELF file "
				  "(program headers past its end)", st->path);
	if (eh.e_shoff && (eh.e_shoff > st->image_size ||
			   (uint64_t)(eh.e_shnum ? eh.e_shnum : 1) *
					   eh.e_shentsize >
				   st->image_size - eh.e_shoff))
		return errbuf_set(eb, -ENOEXEC, "%s: truncated ELF file "
				  "(section headers past its end)", st->path);
	if (elf_getshdrnum(st->elf, &shnum) != 0 ||
	    elf_getshdrstrndx(st->elf, &shstrndx) != 0)
		return errbuf_set(eb, -ENOEXEC, "%s: corrupt ELF section "
				  "headers: %s", st->path, elf_errmsg(-1));
	st->pie = eh.e_type == ET_DYN;
	st->entry = eh.e_entry;
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when some function with code is name, or a clone of it. */
static bool has_code(const struct symtab *st, const char *name)
{
	size_t n = strlen(name);

	if (symtab_func_named(st, name, 0))
		return true;
	/* Clones sort right after their original's name ("foo" <
	 * "foo.part.0"): look there. */
	for (size_t lo = 0, hi = st->funcs.len;;) {
		if (lo >= hi) {
			for (; lo < st->funcs.len; lo++) {
				const struct func *f =
					&st->funcs.items[st->by_name[lo]];

				if (strncmp(f->name, name, n))
					return false;
				if (f->base_len == n)
					return true;
			}
			return false;
		}
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(st->funcs.items[st->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
}

/* st->inlined: from every abstract inline function DWARF describes to the
 * names no function with code answers to (a static inline function of a
 * header may be inlined in one unit and out of line in another; gcc's
 * clones carry their original's DW_AT_inline). */
static void keep_inlined_only(struct symtab *st)
{
	size_t k = 0;

	if (st->inlined.len)
		qsort(st->inlined.items, st->inlined.len,
		      sizeof(*st->inlined.items), cmp_strp);
	for (size_t i = 0; i < st->inlined.len; i++) {
		char *name = st->inlined.items[i];

		if ((k && !strcmp(st->inlined.items[k - 1], name)) ||
		    has_code(st, name))
			continue;
		st->inlined.items[k++] = name;
	}
	st->inlined.len = k;
}

static void drop_funcs(struct symtab *st)
{
	for (size_t i = 0; i < st->funcs.len; i++) {
		struct func *f = &st->funcs.items[i];

		for (size_t j = 0; j < f->nparams; j++)
			loc_release(&f->params[j].loc);
		for (size_t j = 0; j < f->nresults; j++)
			loc_release(&f->results[j].loc);
		loc_release(&f->go_dict);
		loc_release(&f->go_dict_ret);
	}
	st->funcs.len = 0;
	st->inlined.len = 0;
}

/* The file pages of compressed sections, once libdw has inflated them into
 * buffers of its own, are read no more: let them go (3 MB of a large Go
 * program's peak memory). Their places are taken before: inflating a
 * section rewrites its header. */
struct file_range {
	uint64_t lo, hi;
};

static size_t compressed_ranges(struct symtab *st, struct file_range *out,
				size_t max)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0, size;
	Elf_Scn *scn = NULL;

	if (!elf_rawfile(st->elf, &size) || !page)
		return 0;
	while ((scn = elf_nextscn(st->elf, scn)) && n < max) {
		GElf_Shdr sh;
		uint64_t lo, hi;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED) ||
		    sh.sh_type == SHT_NOBITS || sh.sh_offset >= size)
			continue;
		/* Whole pages inside the section only: a neighbour's bytes
		 * may still be in use. */
		lo = (sh.sh_offset + page - 1) / page * page;
		hi = sh.sh_offset + (sh.sh_size < size - sh.sh_offset
					     ? sh.sh_size
					     : size - sh.sh_offset);
		hi = hi / page * page;
		if (hi > lo)
			out[n++] = (struct file_range){lo, hi};
	}
	return n;
}

static void load_dwarf(struct symtab *st)
{
	struct errbuf ignored;
	struct file_range drop[16];
	size_t ndrop = st->dbg_elf ? 0 : compressed_ranges(st, drop, 16), size;
	char *map;

	st->cfi_eh = dwarf_getcfi_elf(st->elf);
	st->dw = dwarf_begin_elf(st->dbg_elf ? st->dbg_elf : st->elf,
				 DWARF_C_READ, NULL);
	if (!st->dw)
		return; /* no DWARF (or none we can read): symbols only */
	st->cfi_dbg = dwarf_getcfi(st->dw);
	map = elf_rawfile(st->elf, &size);
	for (size_t i = 0; map && i < ndrop; i++)
		madvise(map + drop[i].lo, drop[i].hi - drop[i].lo,
			MADV_DONTNEED);
	/* Corrupt DWARF: fall back to the symbol tables rather than fail,
	 * since the functions are still there to trace. */
	if (dwfunc_load(st, &ignored) < 0) {
		drop_funcs(st);
		dwarf_end(st->dw);
		st->dw = NULL;
		st->cfi_dbg = NULL;
	}
}

static int open_flags(struct symtab **out, const char *path, bool lazy,
		      struct errbuf *eb)
{
	struct symtab *st;
	struct stat sb;
	int err;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->dbg_fd = -1;
	st->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (st->fd < 0) {
		err = errbuf_set(eb, -errno, "open %s: %s", path,
				 strerror(errno));
		goto out;
	}
	if (fstat(st->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		err = errbuf_set(eb, -EISDIR, "%s: is a directory", path);
		goto out;
	}
	elf_version(EV_CURRENT);
	/* Mapped, not read into buffers: libdw reads strings up to their
	 * NUL, which a corrupt file's section may lack; in a mapping such a
	 * read runs into the next bytes of the file, not off a heap block. */
	st->elf = elf_begin(st->fd, ELF_C_READ_MMAP, NULL);
	if (!st->elf) {
		err = errbuf_set(eb, -ENOEXEC, "%s: not an ELF file", path);
		goto out;
	}
	if (fstat(st->fd, &sb) == 0 && sb.st_size > 0)
		st->image_size = (size_t)sb.st_size;
	if ((err = check_header(st, eb)))
		goto out;
	if ((err = load_segments(st, eb)))
		goto out;
	st->file_lang = is_go_elf(st->elf) ? LANG_GO : LANG_C;
	/* No DWARF of its own: a separate debug file, if one is around,
	 * gives it (and the symbols strip took). None is no error. */
	if (debugfile_needed(st))
		debugfile_open(st);
	if ((err = elfsym_load(st, eb)) < 0)
		goto out;
	/* A C library's separate DWARF is megabytes of compressed sections
	 * (libc6-dbg): inflating and walking it costs more than the rest of
	 * a start, for the few functions a trace may take from it. */
	st->dbg_lazy = lazy && st->dbg_elf && st->file_lang != LANG_GO;
	if (st->dbg_lazy)
		st->cfi_eh = dwarf_getcfi_elf(st->elf);
	else
		load_dwarf(st);
	symtab_index_ranges(st);
	elfsym_add_funcs(st);
	symtab_index_ranges(st);
	/* No functions of its own (a stripped executable: its .dynsym
	 * names only what it imports) is no error: its libraries may have
	 * what the regexp asks for. */
	st->by_name = xmalloc(st->funcs.len * sizeof(*st->by_name));
	for (size_t i = 0; i < st->funcs.len; i++)
		st->by_name[i] = i;
	qsort_r(st->by_name, st->funcs.len, sizeof(*st->by_name), cmp_name,
		st);
	keep_inlined_only(st);
	*out = st;
	return 0;
out:
	symtab_close(st);
	return err;
}

int symtab_open(struct symtab **out, const char *path, struct errbuf *eb)
{
	return open_flags(out, path, false, eb);
}

int symtab_open_lazy(struct symtab **out, const char *path,
		     struct errbuf *eb)
{
	return open_flags(out, path, true, eb);
}

void symtab_close(struct symtab *st)
{
	if (!st)
		return;
	drop_funcs(st);
	free(st->funcs.items);
	free(st->by_name);
	VEC_FREE(&st->inlined);
	free(st->rindex);
	free(st->syms);
	free(st->segs);
	VEC_FREE(&st->inline_names);
	gotype_free(st);
	calls_free(st);
	dwtype_free(st);
	arena_release(&st->arena);
	if (st->cfi_eh)
		dwarf_cfi_end(st->cfi_eh);
	if (st->dw)
		dwarf_end(st->dw);
	debugfile_close(st);
	if (st->elf)
		elf_end(st->elf);
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	free(st);
}

bool symtab_has_dwarf(const struct symtab *st)
{
	if (st->dbg_lazy)
		return true;
	for (size_t i = 0; i < st->funcs.len; i++)
		if (st->funcs.items[i].has_dwarf)
			return true;
	return false;
}

bool symtab_same_file(const struct symtab *st, const char *path)
{
	struct stat a, b;

	return fstat(st->fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool symtab_is_go(const struct symtab *st)
{
	return st->file_lang == LANG_GO;
}

bool symtab_is_pie(const struct symtab *st)
{
	return st->pie;
}

uint64_t symtab_entry(const struct symtab *st)
{
	return st->entry;
}

const char *symtab_path(const struct symtab *st)
{
	return st->path;
}

size_t symtab_nfuncs(const struct symtab *st)
{
	return st->funcs.len;
}

const struct func *symtab_func(const struct symtab *st, size_t i)
{
	return i < st->funcs.len ? &st->funcs.items[i] : NULL;
}

const struct func *symtab_func_named(const struct symtab *st,
				     const char *name, size_t nth)
{
	size_t lo = 0, hi = st->funcs.len;

	/* The first of the name in by_name (sorted by name, then address). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(st->funcs.items[st->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	lo += nth;
	if (lo >= st->funcs.len ||
	    strcmp(st->funcs.items[st->by_name[lo]].name, name))
		return NULL;
	return &st->funcs.items[st->by_name[lo]];
}

const struct func *symtab_func_load(struct symtab *st, const struct func *f)
{
	struct func *mf;

	if (!f || f->complete)
		return f;
	mf = &st->funcs.items[f - st->funcs.items];
	dwfunc_complete(st, mf);
	return mf;
}

struct name_re {
	pcre2_code *re;
	pcre2_match_data *md;
};

int name_re_compile(struct name_re **out, const char *regexp,
		    struct errbuf *eb)
{
	struct name_re *r;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re;

	*out = NULL;
	if (!regexp)
		regexp = "";
	re = pcre2_compile((PCRE2_SPTR)regexp, PCRE2_ZERO_TERMINATED, 0,
			   &errcode, &erroff, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return errbuf_set(eb, -EINVAL, "invalid regexp '%s': %s at "
				  "offset %zu", regexp, (char *)msg,
				  (size_t)erroff);
	}
	/* JIT is an optimization: without it matching still works. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	r = xcalloc(1, sizeof(*r));
	r->re = re;
	r->md = pcre2_match_data_create_from_pattern(re, NULL);
	if (!r->md) {
		name_re_free(r);
		return errbuf_set(eb, -ENOMEM, "out of memory matching '%s'",
				  regexp);
	}
	*out = r;
	return 0;
}

bool name_re_match(struct name_re *r, const char *name)
{
	return pcre2_match(r->re, (PCRE2_SPTR)name, strlen(name), 0, 0, r->md,
			   NULL) >= 0;
}

/* name_re_match on the first len bytes of name. */
static bool name_re_match_n(struct name_re *r, const char *name, size_t len)
{
	return pcre2_match(r->re, (PCRE2_SPTR)name, len, 0, 0, r->md,
			   NULL) >= 0;
}

bool name_re_match_func(struct name_re *r, const struct func *f)
{
	return name_re_match(r, f->name) ||
	       (f->base_len && name_re_match_n(r, f->name, f->base_len));
}

void name_re_free(struct name_re *r)
{
	if (!r)
		return;
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->re);
	free(r);
}

int symtab_match(const struct symtab *st, const char *regexp, size_t **idx,
		 size_t *n, struct errbuf *eb)
{
	struct name_re *re;
	size_t k = 0;
	int err;

	*idx = NULL;
	*n = 0;
	if ((err = name_re_compile(&re, regexp, eb)))
		return err;
	*idx = xmalloc((st->funcs.len ? st->funcs.len : 1) * sizeof(**idx));
	for (size_t i = 0; i < st->funcs.len; i++) {
		const struct func *f = &st->funcs.items[st->by_name[i]];

		if (name_re_match_func(re, f))
			(*idx)[k++] = st->by_name[i];
	}
	name_re_free(re);
	*n = k;
	return 0;
}

int symtab_match_inlined(const struct symtab *st, const char *regexp,
			 const char ***names, size_t *n, struct errbuf *eb)
{
	struct name_re *re;
	size_t k = 0;
	int err;

	*names = NULL;
	*n = 0;
	if ((err = name_re_compile(&re, regexp, eb)))
		return err;
	for (size_t i = 0; i < st->inlined.len; i++) {
		if (!name_re_match(re, st->inlined.items[i]))
			continue;
		if (!*names)
			*names = xmalloc(st->inlined.len * sizeof(**names));
		(*names)[k++] = st->inlined.items[i];
	}
	name_re_free(re);
	*n = k;
	return 0;
}

const struct func *symtab_func_at(const struct symtab *st, uint64_t addr)
{
	size_t lo = 0, hi = st->nrindex;

	/* The last range starting at or before addr... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->rindex[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ...or one a little before it that encloses it (ranges of
	 * different functions may nest: aliases, symbol-only ones). */
	for (size_t k = 0; lo-- > 0 && k < 32; k++)
		if (addr < st->rindex[lo].hi)
			return &st->funcs.items[st->rindex[lo].fi];
	return NULL;
}

const char *symtab_name_at(const struct symtab *st, uint64_t addr)
{
	const struct func *f = symtab_func_at(st, addr);
	const struct elfsym *s;

	if (f)
		return f->name;
	s = elfsym_containing(st, addr);
	return s ? s->name : NULL;
}

bool symtab_in_ranges(const struct func *f, uint64_t addr)
{
	for (size_t i = 0; i < f->nranges; i++)
		if (addr >= f->ranges[i].lo && addr < f->ranges[i].hi)
			return true;
	return false;
}

int symtab_walk_code(const struct symtab *st, const struct func *f,
		     int (*fn)(void *ctx, const struct insn *in), void *ctx,
		     struct errbuf *eb)
{
	for (size_t r = 0; r < f->nranges; r++) {
		uint64_t lo = f->ranges[r].lo, len = f->ranges[r].hi - lo;
		uint8_t *code;
		size_t off = 0;
		int err = 0;

		if (len > (64u << 20))
			return errbuf_set(eb, -EFBIG, "%s: a code range of %llu "
					  "bytes", f->name,
					  (unsigned long long)len);
		code = xmalloc(len ? len : 1);
		if (symtab_read(st, lo, code, len)) {
			free(code);
			return errbuf_set(eb, -EFAULT, "%s: cannot read its "
					  "code at %#llx", f->name,
					  (unsigned long long)lo);
		}
		while (off < len && !err) {
			struct insn in;

			/* Undecodable bytes: we cannot find the next
			 * instruction boundary, so this range ends here. */
			if (x86_decode(code + off, len - off, lo + off, &in) ||
			    !in.len)
				break;
			off += in.len;
			err = fn(ctx, &in);
		}
		free(code);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct ret_site *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* How far back a jump-table dispatch is looked for: the bound check, the
 * entry's load and the jump are a few instructions of one block. */
#define JT_WINDOW 16
/* The largest table believed: a bound above it is no switch's. */
#define JT_MAX 4096

/* One instruction of the function, as ret-site patching needs it. */
struct site_insn {
	uint64_t addr;
	uint8_t len;
	bool plain; /* runs anywhere: no branch, call, ret or trap */
};

struct sites_ctx {
	const struct symtab *st;
	const struct func *f;
	VEC(struct ret_site) v;
	/* For patch_lo: every instruction, every address a branch of the
	 * function may land on, and whether some jump goes we know not
	 * where. */
	VEC(struct site_insn) insns;
	VEC(uint64_t) targets;
	bool unknown_jump;
	/* The instructions since the last unconditional jump or ret (the
	 * latest JT_WINDOW of them), newest at win[(nwin - 1) % JT_WINDOW]. */
	struct insn win[JT_WINDOW];
	size_t nwin;
	/* Per register, the address the latest rip-relative lea into it
	 * loaded (0: none): PIC code loads a table's address once, before
	 * the loop whose switch uses it. */
	uint64_t lea[DREG_RIP];
};

static const struct insn *win_at(const struct sites_ctx *c, size_t back)
{
	return &c->win[(c->nwin - 1 - back) % JT_WINDOW];
}

/* The address of a memory operand's table: its displacement plus the
 * address a lea put in its base or index register (PIC), or the
 * displacement alone (non-PIC). 0 when neither is known. */
static uint64_t jt_base(const struct sites_ctx *c, const struct insn_operand *m)
{
	if (m->base < 0)
		return m->index >= 0 ? (uint64_t)m->disp : 0;
	if (m->base < DREG_RIP && c->lea[m->base])
		return c->lea[m->base] + (uint64_t)m->disp;
	/* gcc -O0: (%rdx,%rax,1), the table's address in the index. */
	if (m->index >= 0 && m->index < DREG_RIP && m->scale == 1 &&
	    c->lea[m->index])
		return c->lea[m->index] + (uint64_t)m->disp;
	return 0;
}

/* Is the indirect jump jmp a switch's dispatch through a jump table whose
 * every entry lies inside the function? Then it is no way out. Recognised
 * (the window before the jump): a bound check (cmp or sub with an
 * immediate, then ja/jae; or an and with a mask), and the entry loaded
 * either by the jump itself (jmp *table(,%rI,8)) or into its register
 * (movslq (%rT,%rI,4),%rX; add %rT,%rX: entries relative to the table;
 * mov table(,%rI,8),%rX: absolute ones). Anything else stays a possible
 * tail call. */
static bool jump_table_inside(struct sites_ctx *c, const struct insn *jmp)
{
	const struct insn_operand *m = NULL;
	uint64_t table, n = 0;
	size_t esize = 8, have = c->nwin < JT_WINDOW ? c->nwin : JT_WINDOW;
	int ja = -1;
	uint8_t *buf;
	bool inside = true;

	if (jmp->op.mem) {
		m = &jmp->op;
	} else {
		for (size_t k = 0; k < have && !m; k++) {
			const struct insn *in = win_at(c, k);
			if (in->data.kind == DATA_LOAD &&
			    in->data.dreg == jmp->op.base) {
				m = &in->data.mem;
				esize = in->data.size;
			}
		}
	}
	if (!m || m->base == DREG_RIP || !(table = jt_base(c, m)))
		return false;
	/* The bound: the compare before the nearest ja (cond 7) or jae (3). */
	for (size_t k = 0; k < have && !n; k++) {
		const struct insn *in = win_at(c, k);
		if (in->cls == INSN_JCC && ja < 0 &&
		    (in->cond == 7 || in->cond == 3))
			ja = in->cond == 7;
		else if (in->data.kind == DATA_CMP_IMM && ja >= 0 &&
			 in->data.imm >= 0 && in->data.imm < JT_MAX)
			n = (uint64_t)in->data.imm + (uint64_t)ja;
		else if (in->data.kind == DATA_AND_IMM && ja < 0 &&
			 in->data.imm > 0 && in->data.imm < JT_MAX &&
			 !((in->data.imm + 1) & in->data.imm))
			n = (uint64_t)in->data.imm + 1;
	}
	if (!n)
		return false;
	buf = xmalloc(n * esize);
	if (symtab_read(c->st, table, buf, n * esize)) {
		free(buf);
		return false;
	}
	for (uint64_t i = 0; i < n && inside; i++) {
		uint64_t to;
		if (esize == 8) {
			memcpy(&to, buf + i * 8, 8);
		} else {
			int32_t rel;
			memcpy(&rel, buf + i * 4, 4);
			to = table + (uint64_t)(int64_t)rel;
		}
		inside = symtab_in_ranges(c->f, to);
		VEC_PUSH(&c->targets, to);
	}
	free(buf);
	return inside;
}

/* Keeps the window and the lea addresses up to date with in. */
static void note_window(struct sites_ctx *c, const struct insn *in)
{
	const struct insn_data *d = &in->data;

	if (d->dreg >= 0 && d->dreg < DREG_RIP)
		c->lea[d->dreg] = d->kind == DATA_LEA && d->mem.base == DREG_RIP &&
					  d->mem.index < 0
				  ? in->addr + in->len + (uint64_t)d->mem.disp
				  : 0;
	if (in->cls == INSN_RET || in->cls == INSN_JMP ||
	    in->cls == INSN_JMP_IND) {
		c->nwin = 0;
		return;
	}
	c->win[c->nwin++ % JT_WINDOW] = *in;
	/* Keep the ring's index meaningful without overflow. */
	if (c->nwin >= 2 * JT_WINDOW)
		c->nwin -= JT_WINDOW;
}

static int note_site(void *ctx, const struct insn *in)
{
	struct sites_ctx *c = ctx;
	struct site_insn si = {in->addr, in->len,
			       in->cls == INSN_OTHER || in->cls == INSN_RIPREL};
	bool table = in->cls == INSN_JMP_IND && c->f->lang != LANG_GO &&
		     jump_table_inside(c, in);

	VEC_PUSH(&c->insns, si);
	if (in->cls == INSN_JMP || in->cls == INSN_JCC ||
	    in->cls == INSN_LOOP || in->cls == INSN_CALL)
		VEC_PUSH(&c->targets, in->target);

	/* An indirect jump not through a table we read (Go's are not
	 * looked for) may land anywhere in the function. */
	if (in->cls == INSN_JMP_IND && !table)
		c->unknown_jump = true;
	/* Go: ret instructions only, as Delve does. Its stacks move, so a
	 * return address must never be rewritten; a Go function left by a
	 * jump (an optimized method wrapper's tail call) reports its
	 * callee's return only. */
	if (in->cls == INSN_RET ||
	    (c->f->lang != LANG_GO &&
	     ((in->cls == INSN_JMP_IND && !table) ||
	      ((in->cls == INSN_JMP || in->cls == INSN_JCC) &&
	       !symtab_in_ranges(c->f, in->target)))))
		VEC_PUSH(&c->v, ((struct ret_site){
			.addr = in->addr,
			.kind = in->cls == INSN_RET ? RET_SITE_RET
						    : RET_SITE_TAILJMP}));
	note_window(c, in);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_insn(const void *a, const void *b)
{
	const struct site_insn *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Whether some branch lands in (lo, hi]. */
static bool landed_in(const struct sites_ctx *c, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = c->targets.len;

	while (a < b) { /* the first target above lo */
		size_t m = (a + b) / 2;

		if (c->targets.items[m] <= lo)
			a = m + 1;
		else
			b = m;
	}
	return a < c->targets.len && c->targets.items[a] <= hi;
}

/* The index of the instruction at addr in c->insns (sorted), or
 * c->insns.len when none starts there. */
static size_t insn_at(const struct sites_ctx *c, uint64_t addr)
{
	size_t a = 0, b = c->insns.len;

	while (a < b) {
		size_t m = (a + b) / 2;

		if (c->insns.items[m].addr < addr)
			a = m + 1;
		else
			b = m;
	}
	return a < c->insns.len && c->insns.items[a].addr == addr
		       ? a
		       : c->insns.len;
}

/* Whether [lo, hi) is padding between functions: in no function and no
 * symbol, and only int3 or nop bytes (what compilers align with). Never
 * run, so a jump may spill into it. */
static bool is_padding(const struct symtab *st, uint64_t lo, uint64_t hi)
{
	uint8_t b[16];
	size_t n = (size_t)(hi - lo), i = 0;

	if (hi <= lo || n > sizeof(b) || symtab_read(st, lo, b, n))
		return false;
	for (uint64_t a = lo; a < hi; a++)
		if (symtab_func_at(st, a) || elfsym_containing(st, a))
			return false;
	while (i < n) {
		size_t k = i;

		if (b[i] == 0xcc || b[i] == 0x90) {
			i++;
			continue;
		}
		/* Multi-byte nops: [66...] [2e] 0f 1f /0 ..., or 66 90. */
		while (k < n && b[k] == 0x66)
			k++;
		if (k < n && b[k] == 0x90 && k > i) {
			i = k + 1;
			continue;
		}
		if (k < n && b[k] == 0x2e)
			k++;
		if (k + 1 < n && b[k] == 0x0f && b[k + 1] == 0x1f)
			return true; /* its operand bytes run past hi: fine */
		return false;
	}
	return true;
}

/* The patch_lo of ret site s reached backwards: the ret and the plain
 * instructions just before it. 0: none. */
static uint64_t patch_lo_back(const struct sites_ctx *c, const struct ret_site *s)
{
	size_t a = insn_at(c, s->addr);
	uint64_t lo, end;

	if (a == c->insns.len)
		return 0;
	lo = s->addr;
	end = s->addr + c->insns.items[a].len;
	while (end - lo < 5) {
		const struct site_insn *in;

		if (!a--)
			return 0;
		in = &c->insns.items[a];
		if (!in->plain || in->addr + in->len != lo)
			return 0;
		lo = in->addr;
	}
	return landed_in(c, lo, s->addr) ? 0 : lo;
}

/* The patch_lo of ret site s (struct ret_site). */
static uint64_t patch_lo_of(const struct sites_ctx *c, const struct ret_site *s)
{
	size_t i = insn_at(c, s->addr);
	uint8_t len = i < c->insns.len ? c->insns.items[i].len : 0;

	/* The ret alone, the jump spilling into the padding after it (the
	 * function's last ret): nothing to run elsewhere, and nothing near
	 * the function's entry, whose own jump may need those bytes. */
	if (len && len < 5 && !symtab_in_ranges(c->f, s->addr + 4) &&
	    is_padding(c->st, s->addr + len, s->addr + 5) &&
	    !landed_in(c, s->addr, s->addr + 4))
		return s->addr;
	return patch_lo_back(c, s);
}


int symtab_return_sites(const struct symtab *st, const struct func *f,
			struct ret_site **sites, size_t *n, struct errbuf *eb)
{
	struct sites_ctx *c = xcalloc(1, sizeof(*c));
	int err;

	c->st = st;
	c->f = f;
	err = symtab_walk_code(st, f, note_site, c, eb);
	*sites = NULL;
	*n = 0;
	if (err) {
		free(c->v.items);
		free(c->insns.items);
		free(c->targets.items);
		free(c);
		return err;
	}
	if (c->v.len)
		qsort(c->v.items, c->v.len, sizeof(*c->v.items), cmp_site);
	if (c->targets.len)
		qsort(c->targets.items, c->targets.len, sizeof(uint64_t),
		      cmp_u64);
	if (c->insns.len) /* ranges may come in any order */
		qsort(c->insns.items, c->insns.len, sizeof(*c->insns.items),
		      cmp_insn);
	for (size_t i = 0; i < c->v.len && !c->unknown_jump; i++)
		if (c->v.items[i].kind == RET_SITE_RET)
			c->v.items[i].patch_lo = patch_lo_of(c, &c->v.items[i]);
	free(c->insns.items);
	free(c->targets.items);
	*sites = c->v.items;
	*n = c->v.len;
	free(c);
	return (int)*n;
}

int symtab_cfa_rule(struct symtab *st, uint64_t pc, int *reg, int64_t *off)
{
	struct frame_base fb = {.reg = -1};

	dwloc_cfa_at(st, pc, &fb);
	if (!fb.known)
		return -ENOENT;
	*reg = fb.reg;
	*off = fb.off;
	return 0;
}
