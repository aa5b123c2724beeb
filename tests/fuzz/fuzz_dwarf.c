/* libFuzzer harness: DWARF. The bytes are .debug_* sections (the format of
 * dwsec.h); they replace the DWARF of a fixed executable embedded at build
 * time (FUZZ_DWARF_BASE: tests/fixtures/sym/symfix.c, gcc -O2 -g), whose ELF
 * headers, symbols and code stay intact. The result goes to symtab_open()
 * and is walked like fuzz_elf's. Seeds: the DWARF of the fixtures compiled
 * by gcc and clang, -O0 and -O2, C and C++ (tests/fuzz/fuzz.mk). */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwsec.h"
#include "fuzz_sym.h"

#ifndef FUZZ_DWARF_BASE
#error "FUZZ_DWARF_BASE: the path of the executable to put the DWARF into"
#endif

__asm__(".pushsection .rodata\n"
	".balign 64\n"
	".globl fuzz_base_start\n.hidden fuzz_base_start\n"
	"fuzz_base_start:\n"
	".incbin \"" FUZZ_DWARF_BASE "\"\n"
	".globl fuzz_base_end\n.hidden fuzz_base_end\n"
	"fuzz_base_end:\n"
	".popsection\n");
extern const uint8_t fuzz_base_start[], fuzz_base_end[];

struct dwsec {
	const char *name;
	const uint8_t *data;
	size_t size;
};

/* Splits the input into at most DWSEC_MAX sections. */
static size_t split(const uint8_t *data, size_t size, struct dwsec *out)
{
	const uint8_t *p = memmem(data, size, DWSEC_SEP, DWSEC_SEP_LEN);
	const uint8_t *end = data + size;
	size_t n = 0;

	while (p && n < DWSEC_MAX) {
		const uint8_t *body = p + DWSEC_SEP_LEN, *nul, *next;

		next = memmem(body, (size_t)(end - body), DWSEC_SEP,
			      DWSEC_SEP_LEN);
		if (!next)
			next = end;
		nul = memchr(body, 0, (size_t)(next - body));
		if (nul && nul - body < DWSEC_NAME_MAX &&
		    dwsec_is_debug((const char *)body)) {
			out[n].name = (const char *)body;
			out[n].data = nul + 1;
			out[n].size = (size_t)(next - (nul + 1));
			n++;
		}
		p = next < end ? next : NULL;
	}
	return n;
}

static void append(uint8_t *img, size_t *len, const void *p, size_t n)
{
	memcpy(img + *len, p, n);
	*len += n;
}

static void align8(uint8_t *img, size_t *len)
{
	while (*len % 8)
		img[(*len)++] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *base = fuzz_base_start;
	size_t base_size = (size_t)(fuzz_base_end - fuzz_base_start);
	const Elf64_Ehdr *beh = (const Elf64_Ehdr *)base;
	const Elf64_Shdr *bsh = (const Elf64_Shdr *)(base + beh->e_shoff);
	const Elf64_Shdr *bstr = &bsh[beh->e_shstrndx];
	struct dwsec secs[DWSEC_MAX];
	size_t nsec = split(data, size, secs), len = 0, cap, names_off;
	size_t names_len, dropped, *name_at, *data_at;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	uint8_t *img;

	/* The image: the base as it is; the sections' bytes; a new section
	 * name table (the old one, ".dropped", the new names); a new section
	 * header table (the old headers, the base's own .debug_* renamed
	 * ".dropped", then one per new section). */
	cap = base_size + size + 8 * (nsec + 4) + bstr->sh_size + 16 +
	      (beh->e_shnum + nsec) * sizeof(Elf64_Shdr);
	img = malloc(cap);
	name_at = malloc((nsec + 1) * sizeof(*name_at));
	data_at = malloc((nsec + 1) * sizeof(*data_at));
	append(img, &len, base, base_size);
	for (size_t i = 0; i < nsec; i++) {
		align8(img, &len);
		data_at[i] = len;
		append(img, &len, secs[i].data, secs[i].size);
	}
	names_off = len;
	append(img, &len, base + bstr->sh_offset, bstr->sh_size);
	dropped = len - names_off;
	append(img, &len, ".dropped", 9);
	for (size_t i = 0; i < nsec; i++) {
		name_at[i] = len - names_off;
		append(img, &len, secs[i].name, strlen(secs[i].name) + 1);
	}
	names_len = len - names_off;
	align8(img, &len);
	eh = (Elf64_Ehdr *)img;
	eh->e_shoff = len;
	eh->e_shnum = (Elf64_Half)(beh->e_shnum + nsec);
	sh = (Elf64_Shdr *)(img + len);
	append(img, &len, bsh, beh->e_shnum * sizeof(*bsh));
	for (size_t i = 0; i < beh->e_shnum; i++)
		if (dwsec_is_debug((const char *)base + bstr->sh_offset +
				   bsh[i].sh_name))
			sh[i].sh_name = (Elf64_Word)dropped;
	sh[beh->e_shstrndx].sh_offset = names_off;
	sh[beh->e_shstrndx].sh_size = names_len;
	for (size_t i = 0; i < nsec; i++) {
		Elf64_Shdr s = {
			.sh_name = (Elf64_Word)name_at[i],
			.sh_type = SHT_PROGBITS,
			.sh_offset = data_at[i],
			.sh_size = secs[i].size,
			.sh_addralign = 1,
		};

		append(img, &len, &s, sizeof(s));
	}
	if (len > cap)
		abort();
	fuzz_symtab(img, len);
	free(data_at);
	free(name_at);
	free(img);
	return 0;
}
