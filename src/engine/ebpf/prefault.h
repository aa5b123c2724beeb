/* prefault: makes the pages of a target's images present in its page
 * tables, so a BPF program can copy from them.
 *
 * A uprobe's BPF program cannot take a page fault: a string literal on a
 * page of .rodata the program has not touched yet reads as unreadable,
 * where a ptrace stop (which faults the page in) reads it fine. Reading
 * one byte of each such page through process_vm_readv faults it into the
 * target's page tables (the kernel pins it for the target's mm), once. */
#ifndef TINYDBG_ENGINE_EBPF_PREFAULT_H
#define TINYDBG_ENGINE_EBPF_PREFAULT_H

#include <stdint.h>
#include <sys/types.h>

#include "base/xalloc.h"

struct prefault_range {
	uint64_t lo, hi;
};

/* The mappings already done, so each is read once. */
struct prefault {
	VEC(struct prefault_range) done;
};

/* Faults in every page of pid's readable, non-executable file mappings
 * (.rodata, .data, relro: what a traced call's pointers point into) not
 * done before. Best effort: a page that cannot be read stays as it is.
 * Returns the number of pages read. */
size_t prefault_images(struct prefault *pf, pid_t pid);

void prefault_free(struct prefault *pf);

#endif
