/* The eBPF engine's entry trampolines (src/engine/jump/tramp.c,
 * tramp_nop_entry): a function whose first instructions include a
 * rip-relative load and a short conditional jump, patched with a jump to
 * [nop5; those instructions relocated; jmp back], computes exactly what
 * it did before, on both branches. Runs in this process: the function
 * and its trampoline are written into one mapping of ours. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "engine/jump/tramp.h"

/* f(x): x == 0 ? -1 : *(int *)data + x.
 *   0: 85 ff              test %edi,%edi
 *   2: 74 09              je 13                 (a short jcc: relocated)
 *   4: 8b 05 rel32        mov data(%rip),%eax   (rip-relative)
 *  10: 01 f8              add %edi,%eax
 *  12: c3                 ret
 *  13: b8 ff ff ff ff     mov $-1,%eax
 *  18: c3                 ret                                        */
static const uint8_t f_code[] = {0x85, 0xff, 0x74, 0x09, 0x8b, 0x05, 0, 0,
				 0,    0,    0x01, 0xf8, 0xc3, 0xb8, 0xff,
				 0xff, 0xff, 0xff, 0xc3};

int main(void)
{
	uint8_t *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *f = m, *tr = m + 4096, jmp[5];
	int32_t *data = (int32_t *)(m + 2048), rel;
	struct tramp_buf b = {tr, 0, 128, (uint64_t)(uintptr_t)tr};
	int (*call)(int);
	int dlen;

	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		goto out;
	memcpy(f, f_code, sizeof(f_code));
	rel = (int32_t)((uint8_t *)data - (f + 10));
	memcpy(f + 6, &rel, 4);
	*data = 40;
	call = (int (*)(int))(uintptr_t)f;
	CHECK_INT(call(0), -1);
	CHECK_INT(call(2), 42);

	/* test and je are 4 bytes: the mov moves too. */
	dlen = tramp_displaced(f, sizeof(f_code), (uint64_t)(uintptr_t)f);
	CHECK_INT(dlen, 10);
	CHECK_INT(tramp_nop_entry(&b, (uint64_t)(uintptr_t)f, f, (size_t)dlen),
		  0);
	/* The nop first: the kernel's uprobe optimises exactly this one. */
	CHECK(!memcmp(tr, "\x0f\x1f\x44\x00\x00", 5));
	tramp_jmp5(jmp, (uint64_t)(uintptr_t)f, (uint64_t)(uintptr_t)tr);
	memcpy(f, jmp, 5);
	memset(f + 5, 0xcc, (size_t)dlen - 5);
	CHECK(f[0] == 0xe9);
	CHECK_INT(call(0), -1);
	CHECK_INT(call(2), 42);
	*data = 7;
	CHECK_INT(call(1), 8);

	/* Too small a buffer: nothing written. */
	b = (struct tramp_buf){tr + 512, 0, 10, (uint64_t)(uintptr_t)(tr + 512)};
	CHECK_INT(tramp_nop_entry(&b, (uint64_t)(uintptr_t)f, f_code, 8),
		  -ENOSPC);
	CHECK_INT(b.len, 0);
	munmap(m, 8192);
out:
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
