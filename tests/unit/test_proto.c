/* The prototype language (src/proto): ltrace's statements, our additions,
 * what is skipped, precedence, and the built-in table's size and types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "proto/proto.h"

static void test_ltrace_lines(void)
{
	struct proto_set *s = proto_set_new();
	const struct proto *p;
	size_t skipped;

	skipped = proto_set_parse(s,
		"; a comment line\n"
		"\n"
		"typedef fd = int;\n"
		"int open(string,int,octal);\t\t; WARNING: a trailing comment\n"
		"hex(uint) inet_addr(string);\n"
		"typedef in_addr = struct(hex(uint));\n"
		"string inet_ntoa(in_addr);\n"
		"long mq_receive(int, +string0, ulong, addr);\n"
		"string setlocale(enum(LC_CTYPE=0, LC_NUMERIC=1, LC_ALL=6), string);\n"
		"void bfd_init();\n"
		"int  waddch(addr, char);\n"
		"fd dup(fd);\n"
		"int printf(format);\n"
		"addr array_thing(array(int, arg2), int);\n"
		"int **pp(int*);\n"
		"garbage here\n",
		false);
	/* in_addr (a struct), inet_ntoa (uses it), array_thing, garbage. */
	CHECK_INT(skipped, 4);
	CHECK((p = proto_set_find(s, "open")) != NULL);
	if (p) {
		CHECK_INT(p->nparams, 3);
		CHECK_STR(p->names[0], "arg1");
		CHECK_INT(p->params[0]->kind, CT_PTR);
		CHECK_INT(p->params[0]->target->kind, CT_CHAR);
		CHECK_INT(p->params[2]->fmt, CTF_OCTAL);
		CHECK_INT(p->ret->kind, CT_INT);
		CHECK(!p->variadic);
	}
	CHECK((p = proto_set_find(s, "inet_addr@GLIBC_2.2.5")) != NULL);
	if (p) {
		CHECK_INT(p->ret->fmt, CTF_HEX);
		CHECK_INT(p->ret->size, 4);
		CHECK(!p->ret->is_signed);
	}
	CHECK(proto_set_find(s, "inet_ntoa") == NULL);
	CHECK(proto_set_find(s, "array_thing") == NULL);
	CHECK((p = proto_set_find(s, "mq_receive")) != NULL);
	CHECK((p = proto_set_find(s, "setlocale")) != NULL);
	if (p) {
		CHECK_INT(p->params[0]->kind, CT_ENUM);
		CHECK_INT(p->params[0]->nenums, 3);
		CHECK_STR(p->params[0]->enums[2].name, "LC_ALL");
		CHECK_INT(p->params[0]->enums[2].value, 6);
	}
	CHECK((p = proto_set_find(s, "bfd_init")) != NULL);
	if (p) {
		CHECK(p->ret == NULL);
		CHECK_INT(p->nparams, 0);
	}
	CHECK((p = proto_set_find(s, "dup")) != NULL);
	if (p)
		CHECK_INT(p->params[0]->kind, CT_INT);
	CHECK((p = proto_set_find(s, "printf")) != NULL);
	if (p)
		CHECK(p->variadic);
	CHECK((p = proto_set_find(s, "pp")) != NULL);
	if (p) {
		CHECK_STR(p->ret->name, "int * *");
		CHECK_INT(p->ret->target->kind, CT_PTR);
		CHECK_STR(p->params[0]->name, "int *");
	}
	CHECK_INT(proto_set_count(s), 9);
	proto_set_free(s);
}

static void test_ours(void)
{
	struct proto_set *s = proto_set_new();
	const struct proto *p;

	CHECK_INT(proto_set_parse(s,
		"typedef of = flags(O_RDONLY=0/3, O_WRONLY=1/3, O_CLOEXEC=02000000);\n"
		"int open(string path, of flags, ...);\n"
		"int f(void);\n"
		"int open(string path);\n", false), 0);
	CHECK((p = proto_set_find(s, "open")) != NULL);
	/* The later statement replaced the first. */
	if (p)
		CHECK_INT(p->nparams, 1);
	proto_set_free(s);

	s = proto_set_new();
	proto_set_parse(s,
		"typedef of = flags(O_RDONLY=0/3, O_WRONLY=1/3, O_CLOEXEC=02000000);\n"
		"int open(string path, of flags, ...);\n", false);
	/* keep_old: a lower-priority file does not replace it. */
	proto_set_parse(s, "int open(string);\n", true);
	CHECK((p = proto_set_find(s, "open")) != NULL);
	if (p) {
		CHECK_INT(p->nparams, 2);
		CHECK(p->variadic);
		CHECK_STR(p->names[0], "path");
		CHECK_INT(p->params[1]->fmt, CTF_FLAGS);
		CHECK_INT(p->params[1]->enums[0].mask, 3);
		CHECK_INT(p->params[1]->enums[2].value, 02000000);
	}
	CHECK((p = proto_set_find(s, "f")) == NULL);
	proto_set_free(s);
}

static void test_builtin(void)
{
	struct proto_set *s = proto_set_new();
	const struct proto *p;

	/* Every statement of ours is understood. */
	CHECK_INT(proto_set_parse(s, proto_libc_types, false), 0);
	CHECK_INT(proto_set_parse(s, proto_libc_text, false), 0);
	CHECK(proto_set_count(s) >= 80);
	CHECK((p = proto_set_find(s, "malloc")) != NULL);
	if (p) {
		CHECK_INT(p->ret->kind, CT_PTR);
		CHECK_STR(p->names[0], "size");
		CHECK_INT(p->params[0]->size, 8);
	}
	CHECK((p = proto_set_find(s, "mmap")) != NULL);
	if (p)
		CHECK_INT(p->nparams, 6);
	CHECK((p = proto_set_find(s, "umask")) != NULL);
	if (p)
		CHECK_INT(p->ret->fmt, CTF_OCTAL);
	printf("built-in prototypes: %zu\n", proto_set_count(s));
	proto_set_free(s);
}

/* ~/.ltrace.conf wins over ours, ours over /etc/ltrace.conf. */
static void test_default(void)
{
	char dir[] = "/tmp/tinydbg-proto.XXXXXX", path[64];
	const struct proto *p;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/.ltrace.conf", dir);
	f = fopen(path, "w");
	fputs("int strlen(addr);\nint my_own(string, int);\n", f);
	fclose(f);
	setenv("HOME", dir, 1);
	CHECK((p = proto_set_find(proto_default(), "my_own")) != NULL);
	CHECK((p = proto_set_find(proto_default(), "strlen")) != NULL);
	if (p)
		CHECK_STR(p->params[0]->name, "void *");
	CHECK((p = proto_set_find(proto_default(), "open")) != NULL);
	if (p)
		CHECK_INT(p->params[1]->fmt, CTF_FLAGS);
	proto_default_free();
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_ltrace_lines();
	test_ours();
	test_builtin();
	test_default();
	return check_report();
}
