/* dwseed ELF > SEED: writes the .debug_* sections of ELF in the input format
 * of fuzz_dwarf (dwsec.h). A build tool: its input is a fixture we just
 * compiled, so it trusts the file (bounds are checked, nothing more). */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwsec.h"

int main(int argc, char **argv)
{
	FILE *f;
	unsigned char *img;
	long size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *names;

	if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: dwseed ELF > SEED\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	img = malloc((size_t)size);
	if (!img || fread(img, 1, (size_t)size, f) != (size_t)size)
		return 1;
	fclose(f);
	eh = (const Elf64_Ehdr *)img;
	if ((size_t)size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || !eh->e_shoff ||
	    eh->e_shoff + (unsigned long)eh->e_shnum * sizeof(*sh) > (size_t)size ||
	    eh->e_shstrndx >= eh->e_shnum) {
		fprintf(stderr, "dwseed: %s: not an ELF64 file with sections\n",
			argv[1]);
		return 1;
	}
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	names = (const char *)img + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *name = names + sh[i].sh_name;

		if (!dwsec_is_debug(name) || sh[i].sh_type == SHT_NOBITS ||
		    sh[i].sh_offset + sh[i].sh_size > (size_t)size)
			continue;
		fwrite(DWSEC_SEP, 1, DWSEC_SEP_LEN, stdout);
		fwrite(name, 1, strlen(name) + 1, stdout);
		fwrite(img + sh[i].sh_offset, 1, sh[i].sh_size, stdout);
	}
	free(img);
	return fflush(stdout) != 0;
}
