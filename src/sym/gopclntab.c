/* gopclntab: the functions of a Go binary built without a symbol table
 * and without DWARF (-ldflags=-s -w), from the function table the Go
 * runtime itself keeps (.gopclntab: names and entries, for its tracebacks),
 * and its version from .go.buildinfo.
 *
 * The table's layout since Go 1.18 (magic 0xfffffff0; 0xfffffff1 since
 * 1.20, the same for what we read): a header of 8 bytes then pointer-sized
 * fields (nfunc, nfiles, textStart, funcnameOffset, cuOffset,
 * filetabOffset, pctabOffset, pclnOffset); at pclnOffset, nfunc + 1 pairs
 * {entryoff, funcoff} of uint32 (the last: the end of the text); at
 * pclnOffset + funcoff, a _func whose second uint32 is its name's offset in
 * the name table. Entries are textStart + entryoff. */
#include "sym/internal.h"

#include <errno.h>
#include <string.h>

#include "arch/x86.h"

/* A section's data by name (NULL: none). */
static Elf_Data *section(struct symtab *st, const char *name)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(st->elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(st->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
		    (n = elf_strptr(st->elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name))
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

static uint64_t word(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return v;
}

size_t gopclntab_syms(struct symtab *st, struct elfsym **out)
{
	Elf_Data *d = section(st, ".gopclntab");
	const uint8_t *b;
	size_t n, ps, nfunc;
	uint64_t text, names, pcln;
	struct elfsym *v;
	size_t k = 0;
	uint32_t magic;

	*out = NULL;
	if (!d || !d->d_buf || d->d_size < 8 + 8 * 8)
		return 0;
	b = d->d_buf;
	n = d->d_size;
	memcpy(&magic, b, 4);
	ps = b[7];
	if ((magic != 0xfffffff0 && magic != 0xfffffff1) || ps != 8)
		return 0;
	nfunc = (size_t)word(b + 8, ps);
	text = word(b + 8 + 2 * ps, ps);
	names = word(b + 8 + 3 * ps, ps);
	pcln = word(b + 8 + 7 * ps, ps);
	if (!nfunc || pcln >= n || names >= n ||
	    nfunc > (n - pcln) / 8 - 1)
		return 0;
	v = xcalloc(nfunc, sizeof(*v));
	for (size_t i = 0; i < nfunc; i++) {
		const uint8_t *ft = b + pcln + 8 * i;
		uint32_t entry, funcoff, next, nameoff;
		const char *name;

		memcpy(&entry, ft, 4);
		memcpy(&funcoff, ft + 4, 4);
		memcpy(&next, ft + 8, 4);
		if (pcln + funcoff + 8 > n || next <= entry)
			continue;
		memcpy(&nameoff, b + pcln + funcoff + 4, 4);
		if (names + nameoff >= n)
			continue;
		name = (const char *)b + names + nameoff;
		/* The name must end inside the table. */
		if (!memchr(name, 0, n - (names + nameoff)) || !*name)
			continue;
		v[k].addr = text + entry;
		v[k].size = next - entry;
		v[k].name = name;
		k++;
	}
	*out = v;
	return k;
}

/* Where a Go function's entry tracepoint goes without DWARF's
 * prologue_end: after its stack-growth check (cmp against g's stack guard,
 * then a conditional jump to the morestack call at its end), which a
 * growth would run twice; the first instruction when it has none
 * (NOSPLIT). */
uint64_t gopclntab_entry(struct symtab *st, uint64_t lo, uint64_t hi)
{
	uint8_t code[48];
	size_t len = hi - lo < sizeof(code) ? (size_t)(hi - lo) : sizeof(code);
	size_t off = 0;

	if (symtab_read(st, lo, code, len))
		return lo;
	for (int k = 0; k < 4 && off < len; k++) {
		struct insn in;

		if (x86_decode(code + off, len - off, lo + off, &in))
			break;
		off += in.len;
		if (in.cls == INSN_JCC && in.target > lo + off &&
		    in.target < hi)
			return lo + off;
		if (in.cls != INSN_OTHER && in.cls != INSN_RIPREL)
			break;
	}
	return lo;
}

int gobuildinfo_version(struct symtab *st, char *buf, size_t size)
{
	static const char magic[] = "\xff Go buildinf:";
	Elf_Data *d = section(st, ".go.buildinfo");
	const uint8_t *b;
	uint64_t len = 0;
	size_t off = 32;
	int shift = 0;

	/* Since Go 1.18 the version follows the 32-byte header inline, as
	 * a varint length and its bytes (flags bit 2). */
	if (!d || !d->d_buf || d->d_size < 33 ||
	    memcmp(d->d_buf, magic, sizeof(magic) - 1))
		return -ENOENT;
	b = d->d_buf;
	if (!(b[15] & 2))
		return -ENOTSUP;
	while (off < d->d_size && shift < 63) {
		len |= (uint64_t)(b[off] & 0x7f) << shift;
		shift += 7;
		if (!(b[off++] & 0x80))
			break;
	}
	if (!len || len >= size || off + len > d->d_size)
		return -EINVAL;
	memcpy(buf, b + off, len);
	buf[len] = 0;
	return 0;
}
