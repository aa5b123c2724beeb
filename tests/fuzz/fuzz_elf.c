/* libFuzzer harness: the bytes are an executable handed to symtab_open()
 * (ELF headers, program and section headers, symbol tables, DWARF, code).
 * Seeds: the fixtures compiled by gcc and clang (tests/fuzz/fuzz.mk). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_sym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_symtab(data, size);
	return 0;
}
