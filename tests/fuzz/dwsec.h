/* The input format of fuzz_dwarf: the .debug_* sections of an ELF file, as
 *
 *	DWSEC_SEP name '\0' bytes   DWSEC_SEP name '\0' bytes   ...
 *
 * (bytes before the first separator are ignored). fuzz_dwarf puts these
 * sections into a fixed executable in place of its own, so that mutations
 * land in DWARF rather than in ELF headers; dwseed.c writes the seeds. */
#ifndef TINYDBG_FUZZ_DWSEC_H
#define TINYDBG_FUZZ_DWSEC_H

#include <stdbool.h>
#include <string.h>

#define DWSEC_SEP "\xff\xff" "DWSEC" "\xff"
#define DWSEC_SEP_LEN 8
#define DWSEC_MAX 32       /* sections taken from one input */
#define DWSEC_NAME_MAX 64

static bool dwsec_is_debug(const char *name)
{
	return !strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8);
}

#endif
