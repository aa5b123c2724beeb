/* One function per first instruction a uprobe may sit on, called argv[2]
 * times through a pointer: which ones this kernel emulates (push, nops),
 * which it single-steps (endbr64, mov, sub), and whether a 5-byte nop gets
 * its optimised uprobes. Used by bench/ebpf.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define F(name, body) __attribute__((naked, noinline)) int name(int x) { __asm__(body); }
F(f_push, "push %rbp\n mov %edi,%eax\n pop %rbp\n ret")
F(f_endbr, "endbr64\n mov %edi,%eax\n ret")
F(f_nop5, ".byte 0x0f,0x1f,0x44,0x00,0x00\n mov %edi,%eax\n ret")
F(f_nop1, "nop\n mov %edi,%eax\n ret")
F(f_mov, "mov %edi,%eax\n ret")
F(f_sub, "sub $8,%rsp\n mov %edi,%eax\n add $8,%rsp\n ret")
int main(int argc, char **argv) {
	int (*volatile fp)(int) = 0;
	const char *w = argv[1]; long n = atol(argv[2]); int s = 0;
	if (!strcmp(w, "push")) fp = f_push; else if (!strcmp(w, "endbr")) fp = f_endbr;
	else if (!strcmp(w, "nop5")) fp = f_nop5; else if (!strcmp(w, "nop1")) fp = f_nop1;
	else if (!strcmp(w, "mov")) fp = f_mov; else fp = f_sub;
	for (long i = 0; i < n; i++) s += fp(i);
	return s == 42;
}
