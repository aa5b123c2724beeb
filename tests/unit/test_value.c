/* Unit tests of value_load/value_format against a fake target (a few pages
 * of memory and a register file), of the DWARF expression evaluator behind
 * LOC_EXPR, and of x86_sysv_result_loc and x86_sysv_param_locs. */
#include <dwarf.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"
#include "base/strbuf.h"
#include "check.h"
#include "value/internal.h"
#include "value/value.h"

/* ---- the fake target ---- */

#define FAKE_BASE 0x10000ull
#define FAKE_PAGES 3
#define FAKE_SIZE (FAKE_PAGES * 4096)
#define FAKE_END (FAKE_BASE + FAKE_SIZE)
#define FN_ADD 0x401000ull

struct fake {
	uint8_t mem[FAKE_SIZE];
	uint8_t regs[64][16];
	int reads; /* read_mem calls, to see that loading is lazy */
};

static struct fake F;

static int fake_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	f->reads++;
	if (addr < FAKE_BASE || addr > FAKE_END || len > FAKE_END - addr)
		return -EIO;
	memcpy(buf, f->mem + (addr - FAKE_BASE), len);
	return 0;
}

static size_t fake_reg_size(int reg)
{
	if (reg >= 17 && reg <= 32)
		return 16;
	if (reg >= 33 && reg <= 40)
		return 10;
	return 8;
}

static int fake_read_reg(void *ctx, int reg, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (reg < 0 || reg > 40 || len > fake_reg_size(reg))
		return -EINVAL;
	memcpy(buf, f->regs[reg], len);
	return 0;
}

static const char *fake_name_at(void *ctx, uint64_t addr)
{
	return addr == FN_ADD ? "add" : NULL;
}

static const struct target_access acc = {
	.ctx = &F,
	.read_mem = fake_read_mem,
	.read_reg = fake_read_reg,
	.name_at = fake_name_at,
	.bias = 0x1000,
};

static void set_reg(int reg, const void *p, size_t n)
{
	memset(F.regs[reg], 0, sizeof(F.regs[reg]));
	memcpy(F.regs[reg], p, n);
}

static void set_gpr(int reg, uint64_t x)
{
	set_reg(reg, &x, sizeof(x));
}

static void poke(uint64_t addr, const void *p, size_t n)
{
	memcpy(F.mem + (addr - FAKE_BASE), p, n);
}

/* ---- locs ---- */

#define LOC(...)                                                               \
	(&(struct loc){                                                        \
		.pieces = (struct loc_piece[]){__VA_ARGS__},                   \
		.npieces = sizeof((struct loc_piece[]){__VA_ARGS__}) /         \
			   sizeof(struct loc_piece)})
#define REG(r, sz) {.kind = LOC_REG, .reg = (r), .size = (sz)}
#define MEM(r, o) {.kind = LOC_MEM, .reg = (r), .off = (o)}
#define MEMADDR(o) {.kind = LOC_MEM_ADDR, .off = (o)}
#define DEREF(r, o) {.kind = LOC_MEM_DEREF, .reg = (r), .off = (o)}
#define VREG(r, o) {.kind = LOC_VALUE_REG, .reg = (r), .off = (o)}
#define CONST(v) {.kind = LOC_CONST, .off = (v)}
#define OPT(sz) {.kind = LOC_OPTIMIZED, .size = (sz)}

#define RAX 0
#define RDX 1
#define RSI 4
#define RDI 5
#define RSP 7
#define XMM0 17
#define XMM1 18
#define XMM2 19
#define ST0 33
#define ST1 34

/* ---- types ---- */

static struct ctype t_void = {.kind = CT_VOID, .name = "void"};
static struct ctype t_int = {.kind = CT_INT, .name = "int", .size = 4, .is_signed = true};
static struct ctype t_uint = {.kind = CT_INT, .name = "unsigned int", .size = 4};
static struct ctype t_short = {.kind = CT_INT, .name = "short", .size = 2, .is_signed = true};
static struct ctype t_ushort = {.kind = CT_INT, .name = "unsigned short", .size = 2};
static struct ctype t_long = {.kind = CT_INT, .name = "long", .size = 8, .is_signed = true};
static struct ctype t_ulong = {.kind = CT_INT, .name = "unsigned long", .size = 8};
static struct ctype t_i128 = {.kind = CT_INT, .name = "__int128", .size = 16, .is_signed = true};
static struct ctype t_u128 = {.kind = CT_INT, .name = "unsigned __int128", .size = 16};
static struct ctype t_char = {.kind = CT_CHAR, .name = "char", .size = 1, .is_signed = true};
static struct ctype t_cchar = {.kind = CT_CHAR, .name = "const char", .size = 1, .is_signed = true, .is_const = true};
static struct ctype t_schar = {.kind = CT_CHAR, .name = "signed char", .size = 1, .is_signed = true};
static struct ctype t_uchar = {.kind = CT_CHAR, .name = "unsigned char", .size = 1};
static struct ctype t_bool = {.kind = CT_BOOL, .name = "_Bool", .size = 1};
static struct ctype t_float = {.kind = CT_FLOAT, .name = "float", .size = 4};
static struct ctype t_double = {.kind = CT_FLOAT, .name = "double", .size = 8};
static struct ctype t_ldouble = {.kind = CT_FLOAT, .name = "long double", .size = 16};
static struct ctype t_f128 = {.kind = CT_FLOAT, .name = "_Float128", .size = 16};
static struct ctype t_cfloat = {.kind = CT_COMPLEX, .name = "complex float", .size = 8};
static struct ctype t_cdouble = {.kind = CT_COMPLEX, .name = "complex double", .size = 16};
static struct ctype t_cldouble = {.kind = CT_COMPLEX, .name = "complex long double", .size = 32};
static struct ctype t_myint = {.kind = CT_TYPEDEF, .name = "myint", .size = 4, .target = &t_int};

static struct ctype_enumerator color_enums[] = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
static struct ctype t_color = {.kind = CT_ENUM, .name = "enum color", .size = 4, .is_signed = false,
			       .target = &t_uint, .enums = color_enums, .nenums = 3};

static struct ctype t_voidp = {.kind = CT_PTR, .name = "void *", .size = 8};
static struct ctype t_intp = {.kind = CT_PTR, .name = "int *", .size = 8, .target = &t_int};
static struct ctype t_charp = {.kind = CT_PTR, .name = "char *", .size = 8, .target = &t_char};
static struct ctype t_ccharp = {.kind = CT_PTR, .name = "const char *", .size = 8, .target = &t_cchar};
static struct ctype t_ucharp = {.kind = CT_PTR, .name = "unsigned char *", .size = 8, .target = &t_uchar};
static struct ctype t_fn = {.kind = CT_FUNC, .name = "int (int, int)", .target = &t_int};
static struct ctype t_fnp = {.kind = CT_PTR, .name = "int (*)(int, int)", .size = 8, .target = &t_fn};

static struct ctype_member point_m[] = {
	{"x", 0, &t_int, 0, 0},
	{"y", 4, &t_int, 0, 0},
};
static struct ctype t_point = {.kind = CT_STRUCT, .name = "struct point", .size = 8,
			       .members = point_m, .nmembers = 2};
static struct ctype t_point_t = {.kind = CT_TYPEDEF, .name = "point_t", .size = 8, .target = &t_point};

static struct ctype_member big_m[] = {
	{"a", 0, &t_long, 0, 0},
	{"b", 8, &t_long, 0, 0},
	{"c", 16, &t_long, 0, 0},
	{"d", 24, &t_long, 0, 0},
};
static struct ctype t_big = {.kind = CT_STRUCT, .name = "struct big", .size = 32,
			     .members = big_m, .nmembers = 4};

static struct ctype_member u_m[] = {
	{"i", 0, &t_int, 0, 0},
	{"f", 0, &t_float, 0, 0},
};
static struct ctype t_union = {.kind = CT_UNION, .name = "union u", .size = 4,
			       .members = u_m, .nmembers = 2};

static struct ctype t_int3 = {.kind = CT_ARRAY, .name = "int [3]", .size = 12, .target = &t_int, .count = 3};
static struct ctype t_int12 = {.kind = CT_ARRAY, .name = "int [12]", .size = 48, .target = &t_int, .count = 12};
static struct ctype t_char8 = {.kind = CT_ARRAY, .name = "char [8]", .size = 8, .target = &t_char, .count = 8};
static struct ctype t_char100 = {.kind = CT_ARRAY, .name = "char [100]", .size = 100, .target = &t_char, .count = 100};

static struct ctype_member arr_m[] = {{"v", 0, &t_int3, 0, 0}};
static struct ctype t_arr = {.kind = CT_STRUCT, .name = "struct arr", .size = 12,
			     .members = arr_m, .nmembers = 1};

static struct ctype_member name_m[] = {
	{"s", 0, &t_char8, 0, 0},
	{"n", 8, &t_int, 0, 0},
};
static struct ctype t_name = {.kind = CT_STRUCT, .name = "struct name", .size = 12,
			      .members = name_m, .nmembers = 2};

static struct ctype_member bits_m[] = {
	{"a", 0, &t_uint, 3, 0},
	{"b", 0, &t_int, 5, 3},
	{"c", 0, &t_color, 2, 8},
	{"d", 0, &t_bool, 1, 10},
};
static struct ctype t_bits = {.kind = CT_STRUCT, .name = "struct bits", .size = 4,
			      .members = bits_m, .nmembers = 4};

/* struct outer { int k; struct mid { struct inner { int z; } in; } m; } */
static struct ctype_member inner_m[] = {{"z", 0, &t_int, 0, 0}};
static struct ctype t_inner = {.kind = CT_STRUCT, .name = "struct inner", .size = 4,
			       .members = inner_m, .nmembers = 1};
static struct ctype_member mid_m[] = {{"in", 0, &t_inner, 0, 0}};
static struct ctype t_mid = {.kind = CT_STRUCT, .name = "struct mid", .size = 4,
			     .members = mid_m, .nmembers = 1};
static struct ctype_member outer_m[] = {
	{"k", 0, &t_int, 0, 0},
	{"m", 4, &t_mid, 0, 0},
};
static struct ctype t_outer = {.kind = CT_STRUCT, .name = "struct outer", .size = 8,
			       .members = outer_m, .nmembers = 2};

/* struct anon { int a; union { int b; float c; }; } */
static struct ctype_member anonu_m[] = {
	{"b", 0, &t_int, 0, 0},
	{"c", 0, &t_float, 0, 0},
};
static struct ctype t_anonu = {.kind = CT_UNION, .name = "union {...}", .size = 4,
			       .members = anonu_m, .nmembers = 2};
static struct ctype_member anon_m[] = {
	{"a", 0, &t_int, 0, 0},
	{"", 4, &t_anonu, 0, 0},
};
static struct ctype t_anon = {.kind = CT_STRUCT, .name = "struct anon", .size = 8,
			      .members = anon_m, .nmembers = 2};

/* struct withp { char *s; int (*f)(int, int); int *p; } */
static struct ctype_member withp_m[] = {
	{"s", 0, &t_charp, 0, 0},
	{"f", 8, &t_fnp, 0, 0},
	{"p", 16, &t_intp, 0, 0},
};
static struct ctype t_withp = {.kind = CT_STRUCT, .name = "struct withp", .size = 24,
			       .members = withp_m, .nmembers = 3};

/* ABI shapes */
static struct ctype_member ii_m[] = {{"a", 0, &t_int, 0, 0}, {"b", 4, &t_int, 0, 0}};
static struct ctype t_ii = {.kind = CT_STRUCT, .name = "struct ii", .size = 8, .members = ii_m, .nmembers = 2};
static struct ctype_member iii_m[] = {{"a", 0, &t_int, 0, 0}, {"b", 4, &t_int, 0, 0}, {"c", 8, &t_int, 0, 0}};
static struct ctype t_iii = {.kind = CT_STRUCT, .name = "struct iii", .size = 12, .members = iii_m, .nmembers = 3};
static struct ctype_member dd_m[] = {{"a", 0, &t_double, 0, 0}, {"b", 8, &t_double, 0, 0}};
static struct ctype t_dd = {.kind = CT_STRUCT, .name = "struct dd", .size = 16, .members = dd_m, .nmembers = 2};
static struct ctype_member ffi_m[] = {{"a", 0, &t_float, 0, 0}, {"b", 4, &t_float, 0, 0}, {"c", 8, &t_int, 0, 0}};
static struct ctype t_ffi = {.kind = CT_STRUCT, .name = "struct ffi", .size = 12, .members = ffi_m, .nmembers = 3};
static struct ctype_member fff_m[] = {{"a", 0, &t_float, 0, 0}, {"b", 4, &t_float, 0, 0}, {"c", 8, &t_float, 0, 0}};
static struct ctype t_fff = {.kind = CT_STRUCT, .name = "struct ff", .size = 12, .members = fff_m, .nmembers = 3};
static struct ctype_member cd_m[] = {{"c", 0, &t_char, 0, 0}, {"d", 8, &t_double, 0, 0}};
static struct ctype t_cd = {.kind = CT_STRUCT, .name = "struct cd", .size = 16, .members = cd_m, .nmembers = 2};
static struct ctype_member dl_m[] = {{"d", 0, &t_double, 0, 0}, {"l", 8, &t_long, 0, 0}};
static struct ctype t_dl = {.kind = CT_STRUCT, .name = "struct dl", .size = 16, .members = dl_m, .nmembers = 2};
static struct ctype_member lll_m[] = {{"a", 0, &t_long, 0, 0}, {"b", 8, &t_long, 0, 0}, {"c", 16, &t_long, 0, 0}};
static struct ctype t_lll = {.kind = CT_STRUCT, .name = "struct lll", .size = 24, .members = lll_m, .nmembers = 3};
static struct ctype_member ld_m[] = {{"x", 0, &t_ldouble, 0, 0}};
static struct ctype t_sld = {.kind = CT_STRUCT, .name = "struct sld", .size = 16, .members = ld_m, .nmembers = 1};
static struct ctype_member packed_m[] = {{"c", 0, &t_char, 0, 0}, {"i", 1, &t_int, 0, 0}};
static struct ctype t_packed = {.kind = CT_STRUCT, .name = "struct packed", .size = 5, .members = packed_m, .nmembers = 2};
static struct ctype t_klass = {.kind = CT_STRUCT, .name = "Klass", .size = 8, .members = ii_m, .nmembers = 2,
			       .pass_by_ref = true};
static struct ctype_member uid_m[] = {{"i", 0, &t_int, 0, 0}, {"d", 0, &t_double, 0, 0}};
static struct ctype t_uid = {.kind = CT_UNION, .name = "union uid", .size = 8, .members = uid_m, .nmembers = 2};
static struct ctype_member ufd_m[] = {{"f", 0, &t_float, 0, 0}, {"d", 0, &t_double, 0, 0}};
static struct ctype t_ufd = {.kind = CT_UNION, .name = "union ufd", .size = 8, .members = ufd_m, .nmembers = 2};
static struct ctype t_dd_t = {.kind = CT_TYPEDEF, .name = "dd_t", .size = 16, .target = &t_dd};
static struct ctype t_decl = {.kind = CT_STRUCT, .name = "struct opaque", .declaration = true};

/* ---- helpers ---- */

static bool all_c(const struct value *v)
{
	if (!(v->flags & VF_C))
		return false;
	for (size_t i = 0; i < v->nchildren; i++)
		if (!all_c(&v->children[i]))
			return false;
	return true;
}

static char shown[8192];

static const char *fmt(const struct value *v)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_init(&sb);
	value_format(v, &sb);
	snprintf(shown, sizeof(shown), "%s", sb.buf);
	strbuf_release(&sb);
	return shown;
}

/* Loads t at l with LOAD_SHORT, checks VF_C on the whole tree and a deep
 * copy's text, and returns the text. */
static const char *show(const struct ctype *t, const struct loc *l)
{
	struct value v, c;
	char *a;

	value_load(&v, "x", t, l, &acc, &LOAD_SHORT);
	CHECK(all_c(&v));
	value_copy(&c, &v);
	a = strdup(fmt(&v));
	value_release(&v);
	CHECK_STR(fmt(&c), a);
	value_release(&c);
	snprintf(shown, sizeof(shown), "%s", a);
	free(a);
	return shown;
}

/* ---- integers, chars, bools, enums ---- */

static void test_ints(void)
{
	set_gpr(RDI, (uint64_t)42);
	CHECK_STR(show(&t_int, LOC(REG(RDI, 0))), "42");
	set_gpr(RDI, (uint64_t)-7);
	CHECK_STR(show(&t_int, LOC(REG(RDI, 0))), "-7");
	CHECK_STR(show(&t_uint, LOC(REG(RDI, 0))), "4294967289");
	set_gpr(RDI, (uint64_t)(uint16_t)-300);
	CHECK_STR(show(&t_short, LOC(REG(RDI, 0))), "-300");
	set_gpr(RDI, 65534);
	CHECK_STR(show(&t_ushort, LOC(REG(RDI, 0))), "65534");
	set_gpr(RDI, (uint64_t)-1234567890123LL);
	CHECK_STR(show(&t_long, LOC(REG(RDI, 0))), "-1234567890123");
	set_gpr(RDI, UINT64_MAX);
	CHECK_STR(show(&t_ulong, LOC(REG(RDI, 0))), "18446744073709551615");
	CHECK_STR(show(&t_myint, LOC(REG(RDI, 0))), "-1");

	/* __int128 in rax:rdx */
	set_gpr(RAX, (uint64_t)-2);
	set_gpr(RDX, UINT64_MAX);
	CHECK_STR(show(&t_i128, LOC(REG(RAX, 8), REG(RDX, 8))), "-2");
	set_gpr(RAX, 0);
	set_gpr(RDX, 1);
	CHECK_STR(show(&t_u128, LOC(REG(RAX, 8), REG(RDX, 8))),
		  "18446744073709551616");
	set_gpr(RAX, UINT64_MAX);
	set_gpr(RDX, INT64_MAX);
	CHECK_STR(show(&t_i128, LOC(REG(RAX, 8), REG(RDX, 8))),
		  "170141183460469231731687303715884105727");
	set_gpr(RAX, 0);
	set_gpr(RDX, (uint64_t)INT64_MIN);
	CHECK_STR(show(&t_i128, LOC(REG(RAX, 8), REG(RDX, 8))),
		  "-170141183460469231731687303715884105728");

	/* kinds */
	struct value v;
	set_gpr(RDI, 5);
	value_load(&v, "n", &t_long, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_INT64);
	CHECK_STR(v.name, "n");
	CHECK_STR(v.type, "long");
	value_release(&v);
	value_load(&v, "n", &t_myint, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_INT32);
	CHECK_STR(v.type, "myint");
	value_release(&v);
	value_load(&v, "n", &t_ushort, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_UINT16);
	value_release(&v);
}

static void test_chars(void)
{
	set_gpr(RDI, 'a');
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "97 'a'");
	set_gpr(RDI, '\n');
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "10 '\\n'");
	set_gpr(RDI, 0);
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "0 '\\0'");
	set_gpr(RDI, '\'');
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "39 '\\''");
	set_gpr(RDI, '\\');
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "92 '\\\\'");
	set_gpr(RDI, '"');
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "34 '\"'");
	set_gpr(RDI, 200);
	CHECK_STR(show(&t_uchar, LOC(REG(RDI, 0))), "200 '\\310'");
	CHECK_STR(show(&t_schar, LOC(REG(RDI, 0))), "-56 '\\310'");
	CHECK_STR(show(&t_cchar, LOC(REG(RDI, 0))), "-56 '\\310'");
	set_gpr(RDI, 0xfb);
	CHECK_STR(show(&t_schar, LOC(REG(RDI, 0))), "-5 '\\373'");
	set_gpr(RDI, 0x1b);
	CHECK_STR(show(&t_char, LOC(REG(RDI, 0))), "27 '\\033'");
}

static void test_bool_enum(void)
{
	set_gpr(RDI, 1);
	CHECK_STR(show(&t_bool, LOC(REG(RDI, 0))), "true");
	set_gpr(RDI, 0x100); /* only the low byte is the bool */
	CHECK_STR(show(&t_bool, LOC(REG(RDI, 0))), "false");
	set_gpr(RDI, 1);
	CHECK_STR(show(&t_color, LOC(REG(RDI, 0))), "GREEN");
	set_gpr(RDI, 2);
	CHECK_STR(show(&t_color, LOC(REG(RDI, 0))), "BLUE");
	set_gpr(RDI, 7);
	CHECK_STR(show(&t_color, LOC(REG(RDI, 0))), "7");
}

/* ---- floating point ---- */

static const char *show_double(double d)
{
	set_reg(XMM0, &d, sizeof(d));
	return show(&t_double, LOC(REG(XMM0, 0)));
}

static void test_floats(void)
{
	float f = 1.5f;
	long double ld = 2.5L;
	uint8_t buf[16];

	set_reg(XMM0, &f, sizeof(f));
	CHECK_STR(show(&t_float, LOC(REG(XMM0, 0))), "1.5");
	f = 0.1f;
	set_reg(XMM0, &f, sizeof(f));
	CHECK_STR(show(&t_float, LOC(REG(XMM0, 0))), "0.1");
	f = 16777216.0f;
	set_reg(XMM0, &f, sizeof(f));
	CHECK_STR(show(&t_float, LOC(REG(XMM0, 0))), "16777216");

	CHECK_STR(show_double(1.5), "1.5");
	CHECK_STR(show_double(0.1), "0.1");
	CHECK_STR(show_double(0.2), "0.2");
	CHECK_STR(show_double(3), "3");
	CHECK_STR(show_double(-2.25), "-2.25");
	CHECK_STR(show_double(1e100), "1e+100");
	CHECK_STR(show_double(1.0 / 3), "0.3333333333333333");
	CHECK_STR(show_double(INFINITY), "inf");
	CHECK_STR(show_double(-INFINITY), "-inf");
	CHECK_STR(show_double(NAN), "nan");
	CHECK_STR(show_double(-NAN), "nan");
	CHECK_STR(show_double(-0.0), "-0");

	/* long double: st0 holds 10 bytes */
	set_reg(ST0, &ld, 10);
	CHECK_STR(show(&t_ldouble, LOC(REG(ST0, 10))), "2.5");
	CHECK_STR(show(&t_ldouble, LOC(REG(ST0, 0))), "2.5");
	ld = 0.1L;
	set_reg(ST0, &ld, 10);
	CHECK_STR(show(&t_ldouble, LOC(REG(ST0, 10))), "0.1");
	/* and 16 bytes in memory, of which 6 are padding (garbage here) */
	ld = -3.5L;
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &ld, 10);
	poke(FAKE_BASE + 0x100, buf, 16);
	set_gpr(RSP, FAKE_BASE + 0xf8);
	CHECK_STR(show(&t_ldouble, LOC(MEM(RSP, 8))), "-3.5");

	struct value v;
	set_reg(XMM0, &f, sizeof(f));
	value_load(&v, "f", &t_float, LOC(REG(XMM0, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_FLOAT32);
	value_release(&v);
	value_load(&v, "f", &t_ldouble, LOC(REG(ST0, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_FLOAT64);
	CHECK_STR(v.type, "long double");
	value_release(&v);
}

static void test_complex(void)
{
	double re = 1, im = 2;
	float cf[2] = {0.5f, -0.25f};
	long double lre = 1.5L, lim = -2.5L;
	struct value v;

	set_reg(XMM0, &re, 8);
	set_reg(XMM1, &im, 8);
	CHECK_STR(show(&t_cdouble, LOC(REG(XMM0, 8), REG(XMM1, 8))),
		  "(1 + 2i)");
	im = -2;
	set_reg(XMM1, &im, 8);
	CHECK_STR(show(&t_cdouble, LOC(REG(XMM0, 8), REG(XMM1, 8))),
		  "(1 - 2i)");
	set_reg(XMM0, cf, 8);
	CHECK_STR(show(&t_cfloat, LOC(REG(XMM0, 8))), "(0.5 - 0.25i)");
	value_load(&v, "c", &t_cfloat, LOC(REG(XMM0, 8)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_COMPLEX64);
	CHECK_INT(v.nchildren, 2);
	CHECK_STR(v.children[1].value, "-0.25");
	value_release(&v);

	/* complex long double in st0:st1, placed by the ABI code */
	struct loc l;
	set_reg(ST0, &lre, 10);
	set_reg(ST1, &lim, 10);
	CHECK_INT(x86_sysv_result_loc(&t_cldouble, &l), 0);
	CHECK_STR(show(&t_cldouble, &l), "(1.5 - 2.5i)");
	free(l.pieces);
}

/* ---- pointers and strings ---- */

static void test_pointers(void)
{
	set_gpr(RDI, 0x7ffd1234);
	CHECK_STR(show(&t_voidp, LOC(REG(RDI, 0))), "0x7ffd1234");
	CHECK_STR(show(&t_intp, LOC(REG(RDI, 0))), "0x7ffd1234");
	set_gpr(RDI, 0);
	CHECK_STR(show(&t_voidp, LOC(REG(RDI, 0))), "NULL");
	CHECK_STR(show(&t_intp, LOC(REG(RDI, 0))), "NULL");

	set_gpr(RDI, FN_ADD);
	CHECK_STR(show(&t_fnp, LOC(REG(RDI, 0))), "add");
	set_gpr(RDI, 0);
	CHECK_STR(show(&t_fnp, LOC(REG(RDI, 0))), "NULL");
	set_gpr(RDI, 0x401234);
	CHECK_STR(show(&t_fnp, LOC(REG(RDI, 0))), "0x401234");

	struct value v;
	set_gpr(RDI, 0x1234);
	value_load(&v, "p", &t_intp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_PTR);
	CHECK_STR(v.value, "0x1234");
	CHECK_INT(v.addr, 0x1234);
	value_release(&v);
	set_gpr(RDI, FN_ADD);
	value_load(&v, "f", &t_fnp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_FUNC);
	CHECK_STR(v.value, "add");
	value_release(&v);
	set_gpr(RDI, 0);
	value_load(&v, "f", &t_fnp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_STR(v.value, "0x0");
	value_release(&v);
}

static void test_strings(void)
{
	const uint64_t s1 = FAKE_BASE + 0x200, s2 = FAKE_BASE + 0x300;
	const uint64_t s3 = FAKE_BASE + 0x400;
	char longstr[100];
	struct value v;

	poke(s1, "hello", 6);
	set_gpr(RDI, s1);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))), "\"hello\"");
	CHECK_STR(show(&t_ccharp, LOC(REG(RDI, 0))), "\"hello\"");
	CHECK_STR(show(&t_ucharp, LOC(REG(RDI, 0))), "\"hello\"");
	value_load(&v, "s", &t_ccharp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_STRING);
	CHECK_INT(v.len, 5);
	CHECK_INT(v.addr, s1);
	CHECK_STR(v.value, "hello");
	value_release(&v);

	poke(s2, "tab\there \"q\"\n\\\r\x01\xc8", 18);
	set_gpr(RDI, s2);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))),
		  "\"tab\\there \\\"q\\\"\\n\\\\\\r\\001\\310\"");

	set_gpr(RDI, 0);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))), "NULL");
	value_load(&v, "s", &t_charp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_PTR);
	CHECK_STR(v.value, "0x0");
	value_release(&v);

	/* longer than max_string: 64 shown, the length counted */
	memset(longstr, 'x', sizeof(longstr) - 1);
	longstr[99] = 0;
	poke(s3, longstr, sizeof(longstr));
	set_gpr(RDI, s3);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))),
		  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"...+35 more");
	value_load(&v, "s", &t_charp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.len, 99);
	CHECK_INT(strlen(v.value), 64);
	value_release(&v);

	/* a long string across a page boundary, the NUL on the next page */
	{
		uint64_t s = FAKE_BASE + 4096 - 30;
		char text[200];
		memset(text, 'y', 150);
		text[150] = 0;
		poke(s, text, 151);
		set_gpr(RDI, s);
		value_load(&v, "s", &t_charp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
		CHECK_INT(v.len, 150);
		CHECK_INT(strlen(v.value), 64);
		value_release(&v);
	}

	/* a short string right before the end of readable memory */
	poke(FAKE_END - 3, "ab", 3);
	set_gpr(RDI, FAKE_END - 3);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))), "\"ab\"");
	/* an unterminated one: its length stops at the hole */
	poke(FAKE_END - 4, "wxyz", 4);
	set_gpr(RDI, FAKE_END - 4);
	value_load(&v, "s", &t_charp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK(!v.unreadable);
	CHECK_INT(v.len, 4);
	CHECK_STR(v.value, "wxyz");
	value_release(&v);

	/* unreadable pointer */
	set_gpr(RDI, 0x10);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))), "0x10 <unreadable>");
	value_load(&v, "s", &t_ccharp, LOC(REG(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_STR(v.unreadable, "Input/output error");
	CHECK_INT(v.addr, 0x10);
	value_release(&v);

	/* an empty string */
	poke(s1, "", 1);
	set_gpr(RDI, s1);
	CHECK_STR(show(&t_charp, LOC(REG(RDI, 0))), "\"\"");

	/* char arrays */
	poke(s1, "bob\0junk", 8);
	CHECK_STR(show(&t_char8, LOC(MEMADDR(s1 - 0x1000))), "\"bob\"");
	poke(s3, longstr, sizeof(longstr));
	CHECK_STR(show(&t_char100, LOC(MEMADDR(s3 - 0x1000))),
		  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"...+35 more");
	poke(s1, "abcdefgh", 8); /* no NUL: the array's end */
	CHECK_STR(show(&t_char8, LOC(MEMADDR(s1 - 0x1000))), "\"abcdefgh\"");
}

/* ---- aggregates ---- */

static void test_structs(void)
{
	const uint64_t a = FAKE_BASE + 0x800;
	int32_t pt[2] = {3, 4};
	int64_t big[4] = {1, 2, 3, 4};
	struct value v;
	uint64_t x;

	/* struct point in the caller's frame */
	poke(a, pt, sizeof(pt));
	set_gpr(RSP, a - 8);
	CHECK_STR(show(&t_point, LOC(MEM(RSP, 8))), "struct point {x: 3, y: 4}");
	value_load(&v, "p", &t_point, LOC(MEM(RSP, 8)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_STRUCT);
	CHECK_INT(v.addr, a);
	CHECK_INT(v.len, 2);
	CHECK_INT(v.nchildren, 2);
	CHECK_STR(v.children[1].name, "y");
	CHECK_STR(v.children[1].type, "int");
	CHECK_INT(v.children[1].addr, a + 4);
	value_release(&v);

	/* typedef'd, in a register */
	x = 5 | (uint64_t)6 << 32;
	set_gpr(RAX, x);
	CHECK_STR(show(&t_point_t, LOC(REG(RAX, 8))), "point_t {x: 5, y: 6}");

	/* four fields, three shown; passed by invisible reference; read once */
	poke(a, big, sizeof(big));
	set_gpr(RDI, a - 16);
	poke(a - 16, &(uint64_t){a}, 8);
	F.reads = 0;
	value_load(&v, "b", &t_big, LOC(DEREF(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(F.reads, 2); /* the pointer, then the struct */
	CHECK_INT(v.len, 4);
	CHECK_INT(v.nchildren, 3);
	CHECK_STR(fmt(&v), "struct big {a: 1, b: 2, c: 3, ...}");
	value_release(&v);

	/* a struct with a big tail: only the shown part is read */
	{
		static struct ctype huge = {.kind = CT_ARRAY, .name = "char [8000]",
					    .size = 8000, .target = &t_char, .count = 8000};
		static struct ctype_member tail_m[] = {
			{"a", 0, &t_long, 0, 0}, {"b", 8, &t_long, 0, 0},
			{"c", 16, &t_long, 0, 0}, {"buf", 24, &huge, 0, 0},
		};
		static struct ctype tail = {.kind = CT_STRUCT, .name = "struct tail",
					    .size = 8024, .members = tail_m, .nmembers = 4};
		/* on the last page: 8024 bytes would run past its end */
		poke(FAKE_END - 4096, big, sizeof(big));
		set_gpr(RDI, FAKE_END - 4096);
		F.reads = 0;
		CHECK_STR(show(&tail, LOC(MEM(RDI, 0))),
			  "struct tail {a: 1, b: 2, c: 3, ...}");
		CHECK_INT(F.reads, 1);
	}

	/* union */
	set_gpr(RDI, 0x3fc00000);
	CHECK_STR(show(&t_union, LOC(REG(RDI, 0))),
		  "union u {i: 1069547520, f: 1.5}");

	/* an array member */
	{
		int32_t v3[3] = {1, 2, 3};
		poke(a, v3, sizeof(v3));
		CHECK_STR(show(&t_arr, LOC(MEM(RSP, 8))), "struct arr {v: [1, 2, 3]}");
	}

	/* a char array member, in registers */
	set_gpr(RDI, 0x626f62); /* "bob" */
	set_gpr(RSI, 7);
	CHECK_STR(show(&t_name, LOC(REG(RDI, 8), REG(RSI, 4))),
		  "struct name {s: \"bob\", n: 7}");

	/* bit-fields: a=5 (3 bits), b=-3 (5 bits), c=BLUE (2 bits), d=1 */
	{
		uint32_t w = 5u | (uint32_t)(-3 & 0x1f) << 3 | 2u << 8 | 1u << 10;
		set_gpr(RDI, w);
		struct load_config all = LOAD_SHORT;
		all.max_fields = 10;
		value_load(&v, "b", &t_bits, LOC(REG(RDI, 4)), &acc, &all);
		CHECK_STR(fmt(&v), "struct bits {a: 5, b: -3, c: BLUE, d: true}");
		value_release(&v);
		CHECK_STR(show(&t_bits, LOC(REG(RDI, 4))),
			  "struct bits {a: 5, b: -3, c: BLUE, ...}");
	}

	/* nesting deeper than max_recurse */
	{
		int32_t o[2] = {1, 9};
		poke(a, o, sizeof(o));
		CHECK_STR(show(&t_outer, LOC(MEM(RSP, 8))),
			  "struct outer {k: 1, m: struct mid {in: struct inner {...}}}");
		value_load(&v, "o", &t_outer, LOC(MEM(RSP, 8)), &acc, &LOAD_SHORT);
		CHECK_INT(v.children[1].children[0].len, 1);
		CHECK_INT(v.children[1].children[0].nchildren, 0);
		value_release(&v);
	}

	/* an anonymous member prints just its value */
	{
		int32_t o[2] = {1, 2};
		poke(a, o, sizeof(o));
		CHECK_STR(show(&t_anon, LOC(MEM(RSP, 8))),
			  "struct anon {a: 1, union {...} {b: 2, c: 3e-45}}");
	}

	/* pointers inside a struct: strings and functions named, others hex */
	{
		uint64_t w[3] = {FAKE_BASE + 0x200, FN_ADD, 0x5678};
		poke(FAKE_BASE + 0x200, "hi", 3);
		poke(a, w, sizeof(w));
		CHECK_STR(show(&t_withp, LOC(MEM(RSP, 8))),
			  "struct withp {s: \"hi\", f: add, p: 0x5678}");
	}
}

static void test_arrays(void)
{
	const uint64_t a = FAKE_BASE + 0x900;
	int32_t v12[12];
	struct value v;

	for (int i = 0; i < 12; i++)
		v12[i] = i + 1;
	poke(a, v12, sizeof(v12));
	set_gpr(RDI, a);
	CHECK_STR(show(&t_int12, LOC(MEM(RDI, 0))),
		  "[1, 2, 3, 4, 5, 6, 7, 8, ...+4 more]");
	value_load(&v, "a", &t_int12, LOC(MEM(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_INT(v.kind, VK_ARRAY);
	CHECK_INT(v.len, 12);
	CHECK_INT(v.nchildren, 8);
	CHECK_INT(v.children[7].addr, a + 28);
	value_release(&v);
	CHECK_STR(show(&t_int3, LOC(MEM(RDI, 0))), "[1, 2, 3]");
}

/* ---- where values are: the loc pieces ---- */

static void test_locs(void)
{
	struct value v;
	int32_t n = 77;

	CHECK_STR(show(&t_int, &(struct loc){0}), "<optimized out>");
	CHECK_STR(show(&t_int, LOC(OPT(0))), "<optimized out>");
	value_load(&v, "x", &t_int, NULL, &acc, &LOAD_SHORT);
	CHECK_STR(v.unreadable, "optimized out");
	CHECK_STR(v.type, "int");
	value_release(&v);

	CHECK_STR(show(&t_int, LOC(CONST(-5))), "-5");
	CHECK_STR(show(&t_long, LOC(CONST(123456789012LL))), "123456789012");
	set_gpr(6, 0x7ffd0000);
	CHECK_STR(show(&t_voidp, LOC(VREG(6, 16))), "0x7ffd0010");
	CHECK_STR(show(&t_int, LOC({.kind = LOC_BYTES, .size = 4,
				    .bytes = {0x39, 0x30, 0, 0}})), "12345");

	/* a link-time address plus the bias */
	poke(FAKE_BASE + 0x40, &n, 4);
	CHECK_STR(show(&t_int, LOC(MEMADDR(FAKE_BASE + 0x40 - 0x1000))), "77");

	/* half of a struct optimized out */
	set_gpr(RDI, 8);
	CHECK_STR(show(&t_point, LOC(REG(RDI, 4), OPT(4))),
		  "struct point {x: 8, y: <optimized out>}");

	/* a piece made of memory among registers */
	poke(FAKE_BASE + 0x50, &n, 4);
	set_gpr(RSP, FAKE_BASE + 0x50);
	CHECK_STR(show(&t_point, LOC(REG(RDI, 4), {.kind = LOC_MEM, .reg = RSP, .size = 4})),
		  "struct point {x: 8, y: 77}");

	/* unreadable memory */
	set_gpr(RDI, 0xdead0000);
	CHECK_STR(show(&t_int, LOC(MEM(RDI, 0))), "0xdead0000 <unreadable>");
	CHECK_STR(show(&t_point, LOC(MEM(RDI, 0))), "0xdead0000 <unreadable>");
	value_load(&v, "x", &t_point, LOC(MEM(RDI, 0)), &acc, &LOAD_SHORT);
	CHECK_STR(v.unreadable, "Input/output error");
	CHECK_INT(v.addr, 0xdead0000);
	CHECK_STR(v.type, "struct point");
	value_release(&v);
	/* a bad pointer to a by-reference struct */
	CHECK_STR(show(&t_point, LOC(DEREF(RDI, 0))), "0xdead0000 <unreadable>");
	/* a struct running off the end of the mapping: the first fields
	 * still load */
	{
		int32_t x = 11;
		poke(FAKE_END - 4, &x, 4);
		set_gpr(RDI, FAKE_END - 4);
		CHECK_STR(show(&t_point, LOC(MEM(RDI, 0))),
			  "struct point {x: 11, y: 0x13000 <unreadable>}");
		CHECK_STR(show(&t_int3, LOC(MEM(RDI, 0))),
			  "[11, 0x13000 <unreadable>, 0x13004 <unreadable>]");
	}
	/* an unreadable register */
	CHECK_STR(show(&t_int, LOC(REG(99, 0))), "0x0 <unreadable>");
	value_load(&v, "x", &t_int, LOC(REG(99, 0)), &acc, &LOAD_SHORT);
	CHECK_STR(v.unreadable, "Invalid argument");
	value_release(&v);

	/* no type: void */
	value_load(&v, "x", NULL, LOC(CONST(0)), &acc, &LOAD_SHORT);
	CHECK_STR(v.type, "void");
	value_release(&v);
	/* an unknown type */
	{
		struct ctype unk = {.kind = CT_UNKNOWN, .name = "vec4", .size = 16};
		CHECK_STR(show(&unk, LOC(CONST(0))), "?");
	}
	/* the load config is honoured */
	{
		struct load_config c = {.max_string = 3, .max_fields = 1,
					.max_array = 2, .max_recurse = 0};
		int32_t v3[3] = {1, 2, 3};
		poke(FAKE_BASE + 0x60, v3, sizeof(v3));
		set_gpr(RDI, FAKE_BASE + 0x60);
		value_load(&v, "a", &t_int3, LOC(MEM(RDI, 0)), &acc, &c);
		CHECK_STR(fmt(&v), "[1, 2, ...+1 more]");
		value_release(&v);
		value_load(&v, "a", &t_arr, LOC(MEM(RDI, 0)), &acc, &c);
		CHECK_STR(fmt(&v), "struct arr {v: [...]}");
		value_release(&v);
		poke(FAKE_BASE + 0x60, "hello", 6);
		value_load(&v, "s", &t_charp, LOC(REG(RDI, 0)), &acc, &c);
		CHECK_STR(fmt(&v), "\"hel\"...+2 more");
		value_release(&v);
	}
}

/* ---- formatting values that crossed the wire, and Go values ---- */

static void test_format(void)
{
	struct value v = {0}, kids[2] = {{0}};

	/* unknown_value() of the debugger */
	v.name = "";
	v.type = "";
	v.value = "?";
	v.flags = VF_C;
	CHECK_STR(fmt(&v), "?");

	/* a char array that is all text up to max_string */
	v.kind = VK_STRING;
	v.value = "ab";
	v.len = 2;
	CHECK_STR(fmt(&v), "\"ab\"");

	/* Go (no VF_C) */
	memset(&v, 0, sizeof(v));
	v.kind = VK_INT;
	v.type = "int";
	v.value = "42";
	CHECK_STR(fmt(&v), "42");
	v.kind = VK_STRING;
	v.type = "string";
	v.value = "hi\n\"x\"";
	v.len = 6;
	CHECK_STR(fmt(&v), "\"hi\\n\\\"x\\\"\"");
	v.value = "abc";
	v.len = 10;
	CHECK_STR(fmt(&v), "\"abc...+7 more\"");
	v.value = "h\xc3\xa9\xff";
	v.len = 4;
	CHECK_STR(fmt(&v), "\"h\xc3\xa9\\xff\"");

	kids[0] = (struct value){.name = "X", .type = "int", .kind = VK_INT, .value = "1"};
	kids[1] = (struct value){.name = "Y", .type = "int", .kind = VK_INT, .value = "2"};
	v = (struct value){.type = "main.Point", .kind = VK_STRUCT, .len = 2,
			   .children = kids, .nchildren = 2, .addr = 0xc000012345};
	CHECK_STR(fmt(&v), "main.Point {X: 1, Y: 2}");
	v.nchildren = 0;
	CHECK_STR(fmt(&v), "(*main.Point)(0xc000012345)");

	{
		struct value pointee = {.type = "main.Point", .kind = VK_STRUCT,
					.addr = 0xc000012345, .len = 2,
					.flags = VF_GO_ONLYADDR};
		v = (struct value){.type = "*main.Point", .kind = VK_PTR,
				   .children = &pointee, .nchildren = 1};
		CHECK_STR(fmt(&v), "(*main.Point)(0xc000012345)");
		/* loaded, but its fields not: Delve's "*(*T)(addr)" */
		pointee.flags = 0;
		CHECK_STR(fmt(&v), "*(*main.Point)(0xc000012345)");
		pointee.children = kids;
		pointee.nchildren = 2;
		CHECK_STR(fmt(&v), "*main.Point {X: 1, Y: 2}");
		v.nchildren = 0;
		CHECK_STR(fmt(&v), "nil");
	}

	kids[0] = (struct value){.type = "int", .kind = VK_INT, .value = "1", .addr = 0x10};
	kids[1] = (struct value){.type = "int", .kind = VK_INT, .value = "2", .addr = 0x18};
	v = (struct value){.type = "[]int", .kind = VK_SLICE, .len = 3, .cap = 3,
			   .children = kids, .nchildren = 2};
	CHECK_STR(fmt(&v), "[]int len: 3, cap: 3, [1,2,...+1 more]");
	v = (struct value){.type = "[]int", .kind = VK_SLICE};
	CHECK_STR(fmt(&v), "[]int len: 0, cap: 0, nil");
	v = (struct value){.type = "error", .kind = VK_INTERFACE};
	CHECK_STR(fmt(&v), "nil");
	v = (struct value){.type = "main.T", .kind = VK_STRUCT, .unreadable = "bad"};
	CHECK_STR(fmt(&v), "(unreadable bad)");
	v = (struct value){.type = "float64", .kind = VK_FLOAT64, .value = "1.5"};
	CHECK_STR(fmt(&v), "1.5");
	v = (struct value){.type = "func()", .kind = VK_FUNC};
	CHECK_STR(fmt(&v), "nil");
	v = (struct value){.type = "func()", .kind = VK_FUNC, .value = "main.f"};
	CHECK_STR(fmt(&v), "main.f");
}

/* ---- System V result locations ---- */

static bool piece_is(const struct loc *l, size_t i, enum loc_piece_kind k,
		     int reg, uint32_t size)
{
	return i < l->npieces && l->pieces[i].kind == k &&
	       l->pieces[i].reg == reg && l->pieces[i].size == size;
}

#define CHECK_LOC1(t, k, r, sz)                                                \
	do {                                                                   \
		struct loc l_;                                                 \
		CHECK_INT(x86_sysv_result_loc((t), &l_), 0);                   \
		CHECK_INT(l_.npieces, 1);                                      \
		CHECK(piece_is(&l_, 0, (k), (r), (sz)));                       \
		free(l_.pieces);                                               \
	} while (0)

#define CHECK_LOC2(t, r0, sz0, r1, sz1)                                        \
	do {                                                                   \
		struct loc l_;                                                 \
		CHECK_INT(x86_sysv_result_loc((t), &l_), 0);                   \
		CHECK_INT(l_.npieces, 2);                                      \
		CHECK(piece_is(&l_, 0, LOC_REG, (r0), (sz0)));                 \
		CHECK(piece_is(&l_, 1, LOC_REG, (r1), (sz1)));                 \
		free(l_.pieces);                                               \
	} while (0)

static void test_sysv(void)
{
	struct loc l;

	CHECK_INT(x86_sysv_result_loc(NULL, &l), 0);
	CHECK_INT(l.npieces, 0);
	CHECK_INT(x86_sysv_result_loc(&t_void, &l), 0);
	CHECK_INT(l.npieces, 0);

	CHECK_LOC1(&t_int, LOC_REG, RAX, 4);
	CHECK_LOC1(&t_uint, LOC_REG, RAX, 4);
	CHECK_LOC1(&t_long, LOC_REG, RAX, 8);
	CHECK_LOC1(&t_char, LOC_REG, RAX, 1);
	CHECK_LOC1(&t_short, LOC_REG, RAX, 2);
	CHECK_LOC1(&t_bool, LOC_REG, RAX, 1);
	CHECK_LOC1(&t_color, LOC_REG, RAX, 4);
	CHECK_LOC1(&t_myint, LOC_REG, RAX, 4);
	CHECK_LOC1(&t_voidp, LOC_REG, RAX, 8);
	CHECK_LOC1(&t_charp, LOC_REG, RAX, 8);
	CHECK_LOC1(&t_fnp, LOC_REG, RAX, 8);
	CHECK_LOC2(&t_i128, RAX, 8, RDX, 8);
	CHECK_LOC1(&t_float, LOC_REG, XMM0, 4);
	CHECK_LOC1(&t_double, LOC_REG, XMM0, 8);
	CHECK_LOC1(&t_ldouble, LOC_REG, ST0, 10);
	CHECK_LOC1(&t_f128, LOC_REG, XMM0, 16);
	CHECK_LOC1(&t_cfloat, LOC_REG, XMM0, 8);
	CHECK_LOC2(&t_cdouble, XMM0, 8, XMM1, 8);
	CHECK_INT(x86_sysv_result_loc(&t_cldouble, &l), 0);
	CHECK_INT(l.npieces, 2);
	CHECK(piece_is(&l, 0, LOC_REG, ST0, 16));
	CHECK(piece_is(&l, 1, LOC_REG, ST1, 10));
	free(l.pieces);

	CHECK_LOC1(&t_ii, LOC_REG, RAX, 8);
	CHECK_LOC1(&t_point_t, LOC_REG, RAX, 8);
	CHECK_LOC2(&t_iii, RAX, 8, RDX, 4);
	CHECK_LOC2(&t_dd, XMM0, 8, XMM1, 8);
	CHECK_LOC2(&t_dd_t, XMM0, 8, XMM1, 8);
	CHECK_LOC2(&t_ffi, XMM0, 8, RAX, 4);
	CHECK_LOC2(&t_fff, XMM0, 8, XMM1, 4);
	CHECK_LOC2(&t_cd, RAX, 8, XMM0, 8);
	CHECK_LOC2(&t_dl, XMM0, 8, RAX, 8);
	CHECK_LOC1(&t_union, LOC_REG, RAX, 4); /* INTEGER + SSE → INTEGER */
	CHECK_LOC1(&t_uid, LOC_REG, RAX, 8);
	CHECK_LOC1(&t_ufd, LOC_REG, XMM0, 8);
	CHECK_LOC1(&t_sld, LOC_REG, ST0, 10);
	CHECK_LOC2(&t_arr, RAX, 8, RDX, 4); /* int[3]: 12 bytes */
	CHECK_LOC2(&t_name, RAX, 8, RDX, 4);
	CHECK_LOC1(&t_bits, LOC_REG, RAX, 4);

	/* MEMORY: too big, unaligned, non-trivial C++ class */
	CHECK_LOC1(&t_lll, LOC_MEM, RAX, 0);
	CHECK_LOC1(&t_big, LOC_MEM, RAX, 0);
	CHECK_LOC1(&t_withp, LOC_MEM, RAX, 0);
	CHECK_LOC1(&t_packed, LOC_MEM, RAX, 0);
	CHECK_LOC1(&t_klass, LOC_MEM, RAX, 0);
	CHECK_INT(x86_sysv_result_loc(&t_lll, &l), 0);
	CHECK_INT(l.pieces[0].off, 0);
	free(l.pieces);

	{
		/* INTEGER + X87 → INTEGER, then X87UP alone → MEMORY */
		static struct ctype_member m[] = {{"ld", 0, &t_ldouble, 0, 0},
						  {"i", 0, &t_int, 0, 0}};
		static struct ctype uli = {.kind = CT_UNION, .name = "union uli",
					   .size = 16, .members = m, .nmembers = 2};
		/* a struct of one float */
		static struct ctype_member fm[] = {{"f", 0, &t_float, 0, 0}};
		static struct ctype sf = {.kind = CT_STRUCT, .name = "struct sf",
					  .size = 4, .members = fm, .nmembers = 1};
		/* an array of two doubles in a struct: SSE, SSE */
		static struct ctype d2 = {.kind = CT_ARRAY, .name = "double [2]",
					  .size = 16, .target = &t_double, .count = 2};
		static struct ctype_member dm[] = {{"v", 0, &d2, 0, 0}};
		static struct ctype sd2 = {.kind = CT_STRUCT, .name = "struct sd2",
					   .size = 16, .members = dm, .nmembers = 1};
		CHECK_LOC1(&uli, LOC_MEM, RAX, 0);
		CHECK_LOC1(&sf, LOC_REG, XMM0, 4);
		CHECK_LOC2(&sd2, XMM0, 8, XMM1, 8);
	}

	/* what cannot be a result */
	CHECK_INT(x86_sysv_result_loc(&t_decl, &l), -ENOTSUP);
	CHECK_INT(l.npieces, 0);
	CHECK_INT(x86_sysv_result_loc(&t_fn, &l), -ENOTSUP);
}

/* The ABI's locs feed the loader: results as the user sees them. */
static void test_sysv_load(void)
{
	struct loc l;
	double d[2] = {1.25, -0.5};
	float ff[3] = {1, 2, 3.5f};
	int64_t big[4] = {10, 11, 12, 13};

	set_reg(XMM0, &d[0], 8);
	set_gpr(RAX, 99);
	CHECK_INT(x86_sysv_result_loc(&t_dl, &l), 0);
	CHECK_STR(show(&t_dl, &l), "struct dl {d: 1.25, l: 99}");
	free(l.pieces);

	set_reg(XMM0, &d[0], 8);
	set_reg(XMM1, &d[1], 8);
	CHECK_INT(x86_sysv_result_loc(&t_dd_t, &l), 0);
	CHECK_STR(show(&t_dd_t, &l), "dd_t {a: 1.25, b: -0.5}");
	free(l.pieces);

	set_reg(XMM0, ff, 8);
	set_reg(XMM1, &ff[2], 4);
	CHECK_INT(x86_sysv_result_loc(&t_fff, &l), 0);
	CHECK_STR(show(&t_fff, &l), "struct ff {a: 1, b: 2, c: 3.5}");
	free(l.pieces);

	set_reg(XMM0, ff, 8);
	set_gpr(RAX, 7);
	CHECK_INT(x86_sysv_result_loc(&t_ffi, &l), 0);
	CHECK_STR(show(&t_ffi, &l), "struct ffi {a: 1, b: 2, c: 7}");
	free(l.pieces);

	set_gpr(RAX, 'z');
	set_reg(XMM0, &d[0], 8);
	CHECK_INT(x86_sysv_result_loc(&t_cd, &l), 0);
	CHECK_STR(show(&t_cd, &l), "struct cd {c: 122 'z', d: 1.25}");
	free(l.pieces);

	poke(FAKE_BASE + 0xa00, big, sizeof(big));
	set_gpr(RAX, FAKE_BASE + 0xa00);
	CHECK_INT(x86_sysv_result_loc(&t_big, &l), 0);
	CHECK_STR(show(&t_big, &l), "struct big {a: 10, b: 11, c: 12, ...}");
	free(l.pieces);

	{
		long double ld = 3.5L;
		set_reg(ST0, &ld, 10);
		CHECK_INT(x86_sysv_result_loc(&t_ldouble, &l), 0);
		CHECK_STR(show(&t_ldouble, &l), "3.5");
		free(l.pieces);
		CHECK_INT(x86_sysv_result_loc(&t_sld, &l), 0);
		CHECK_STR(show(&t_sld, &l), "struct sld {x: 3.5}");
		free(l.pieces);
	}
	{
		float f = 1.5f;
		set_reg(XMM0, &f, 4);
		CHECK_INT(x86_sysv_result_loc(&t_float, &l), 0);
		CHECK_STR(show(&t_float, &l), "1.5");
		free(l.pieces);
	}
}

/* ---- DWARF expressions (LOC_EXPR) ---- */

#define OP(a, ...) {.atom = (a), __VA_ARGS__}
#define EXPR(sz, ...)                                                          \
	{.kind = LOC_EXPR, .reg = -1, .size = (sz),                            \
	 .ops = (const struct loc_op[]){__VA_ARGS__},                          \
	 .nops = sizeof((struct loc_op[]){__VA_ARGS__}) /                      \
		 sizeof(struct loc_op)}

/* Evaluates ops[0..n) straight; returns the error, *r the result. */
static int eval(const struct loc_op *ops, size_t n, uint64_t *r, bool *val)
{
	uint64_t where;

	*r = 0;
	return dwexpr_eval(ops, n, &acc, r, val, &where);
}

#define EVAL(r, val, ...)                                                      \
	eval((const struct loc_op[]){__VA_ARGS__},                             \
	     sizeof((struct loc_op[]){__VA_ARGS__}) / sizeof(struct loc_op),   \
	     (r), (val))

static void test_dwexpr(void)
{
	uint64_t r, where;
	bool val;
	int32_t n = 1234;

	/* clang -O2's struct point {3, 4} in rdi: y is rdi >> 32. */
	set_gpr(RDI, 0x0000000400000003ull);
	CHECK_STR(show(&t_point,
		       LOC(EXPR(4, OP(DW_OP_bregx, .n1 = RDI),
				OP(DW_OP_constu, .n1 = 0xffffffff),
				OP(DW_OP_and), OP(DW_OP_stack_value)),
			   EXPR(4, OP(DW_OP_bregx, .n1 = RDI),
				OP(DW_OP_constu, .n1 = 32), OP(DW_OP_shr),
				OP(DW_OP_stack_value)))),
		  "struct point {x: 3, y: 4}");
	/* _Bool from a masked register, through integer conversions */
	set_gpr(RDI, 0xffffff00ull);
	CHECK_STR(show(&t_bool,
		       LOC(EXPR(0, OP(DW_OP_bregx, .n1 = RDI),
				OP(DW_OP_convert, .n1 = 1),
				OP(DW_OP_stack_value)))),
		  "false");
	/* DW_OP_entry_value(reg) at the first instruction: the register */
	set_gpr(RSI, 41);
	CHECK_STR(show(&t_int, LOC(EXPR(0, OP(DW_OP_regx, .n1 = RSI),
					OP(DW_OP_plus_uconst, .n1 = 1),
					OP(DW_OP_stack_value)))),
		  "42");
	/* no stack_value: the result is the value's address */
	poke(FAKE_BASE + 0x300, &n, 4);
	set_gpr(RSP, FAKE_BASE + 0x2f8);
	CHECK_STR(show(&t_int, LOC(EXPR(0, OP(DW_OP_bregx, .n1 = RSP, .n2 = 8)))),
		  "1234");
	/* deref, deref_size, and a link-time address plus the bias */
	{
		uint64_t p = FAKE_BASE + 0x300;

		poke(FAKE_BASE + 0x310, &p, 8);
		CHECK_STR(show(&t_int,
			       LOC(EXPR(0, OP(DW_OP_addr,
					      .n1 = FAKE_BASE + 0x310 - 0x1000),
					OP(DW_OP_deref),
					OP(DW_OP_deref_size, .n1 = 2),
					OP(DW_OP_stack_value)))),
			  "1234");
	}
	/* a struct whose address an expression computes: read whole */
	{
		int64_t big[4] = {1, 2, 3, 4};

		poke(FAKE_BASE + 0x400, big, sizeof(big));
		set_gpr(RDX, FAKE_BASE + 0x3f0);
		CHECK_STR(show(&t_big,
			       LOC(EXPR(0, OP(DW_OP_bregx, .n1 = RDX),
					OP(DW_OP_constu, .n1 = 16),
					OP(DW_OP_plus)))),
			  "struct big {a: 1, b: 2, c: 3, ...}");
	}

	/* arithmetic and stack ops, DWARF's operand order */
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 10),
		       OP(DW_OP_constu, .n1 = 3), OP(DW_OP_minus),
		       OP(DW_OP_stack_value)), 0);
	CHECK(val && r == 7);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = (uint64_t)-7),
		       OP(DW_OP_constu, .n1 = 2), OP(DW_OP_div)), 0);
	CHECK(!val && (int64_t)r == -3);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 0x8000000000000000ull),
		       OP(DW_OP_constu, .n1 = 4), OP(DW_OP_shra)), 0);
	CHECK(r == 0xf800000000000000ull);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_constu, .n1 = 200), OP(DW_OP_shl)), 0);
	CHECK(r == 0);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_constu, .n1 = 2), OP(DW_OP_constu, .n1 = 3),
		       OP(DW_OP_rot), OP(DW_OP_drop), OP(DW_OP_swap),
		       OP(DW_OP_over), OP(DW_OP_pick, .n1 = 2), OP(DW_OP_mul),
		       OP(DW_OP_xor), OP(DW_OP_neg), OP(DW_OP_abs), OP(DW_OP_not),
		       OP(DW_OP_not)), 0);
	/* rot: 1 2 3 → 3 1 2; drop → 3 1; swap → 1 3; over → 1 3 1;
	 * pick 2 → 1 3 1 1; mul → 1 3 1; xor → 1 2; neg, abs → 1 2 */
	CHECK_INT(r, 2);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 0x1ff),
		       OP(DW_OP_convert, .n1 = 1, .n2 = 1)), 0);
	CHECK_INT((int64_t)r, -1);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 17),
		       OP(DW_OP_constu, .n1 = 5), OP(DW_OP_mod),
		       OP(DW_OP_constu, .n1 = 8), OP(DW_OP_or),
		       OP(DW_OP_constu, .n1 = 6), OP(DW_OP_and)), 0);
	CHECK_INT(r, 2);

	/* malformed: every case is "optimized out", never a crash */
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_plus)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_constu, .n1 = 0), OP(DW_OP_div)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_constu, .n1 = 0), OP(DW_OP_mod)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_pick, .n1 = 1)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_pick, .n1 = UINT64_MAX)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_stack_value)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_stack_value), OP(DW_OP_dup)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_GNU_push_tls_address)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = FAKE_BASE),
		       OP(DW_OP_deref_size, .n1 = 9)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu, .n1 = 1),
		       OP(DW_OP_convert, .n1 = 0)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_swap)), -ENODATA);
	CHECK_INT(EVAL(&r, &val, OP(DW_OP_constu), OP(DW_OP_constu),
		       OP(DW_OP_rot)), -ENODATA);
	CHECK_INT(dwexpr_eval(NULL, 0, &acc, &r, &val, &where), -ENODATA);
	{
		/* more pushes than the stack holds */
		struct loc_op many[200];

		for (size_t i = 0; i < 200; i++)
			many[i] = (struct loc_op){.atom = DW_OP_constu};
		CHECK_INT(eval(many, 200, &r, &val), -ENODATA);
	}
	/* a failed read is the read's error, with where it failed */
	CHECK_INT(dwexpr_eval((const struct loc_op[]){
				      OP(DW_OP_constu, .n1 = 0x10),
				      OP(DW_OP_deref)},
			      2, &acc, &r, &val, &where), -EIO);
	CHECK(where == 0x10);
	CHECK_STR(show(&t_int, LOC(EXPR(0, OP(DW_OP_constu, .n1 = 0x10),
					OP(DW_OP_deref),
					OP(DW_OP_stack_value)))),
		  "0x10 <unreadable>");
	/* an unevaluable piece leaves only itself optimized out */
	set_gpr(RDI, 5);
	CHECK_STR(show(&t_point, LOC(REG(RDI, 4),
				     EXPR(4, OP(DW_OP_constu, .n1 = 1),
					  OP(DW_OP_constu, .n1 = 0),
					  OP(DW_OP_div),
					  OP(DW_OP_stack_value)))),
		  "struct point {x: 5, y: <optimized out>}");
}

/* ---- System V argument locations ---- */

static bool arg_is(const struct loc *l, size_t i, enum loc_piece_kind k,
		   int reg, int64_t off, uint32_t size)
{
	return piece_is(l, i, k, reg, size) && l->pieces[i].off == off;
}

#define NARGS(...)                                                             \
	(sizeof((const struct ctype *[]){__VA_ARGS__}) /                       \
	 sizeof(const struct ctype *))
/* Places the arguments of the given types into locs[]. */
#define PLACE(ret_mem, ...)                                                    \
	x86_sysv_param_locs((const struct ctype *const[]){__VA_ARGS__},        \
			    NARGS(__VA_ARGS__), (ret_mem), locs)

static void release_locs(struct loc *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		loc_release(&l[i]);
}

#define R8 8
#define R9 9
#define RCX 2

static void test_sysv_params(void)
{
	struct loc locs[12];
	static const int gpr[] = {RDI, RSI, RDX, RCX, R8, R9};

	/* integers: in order, each its own size */
	CHECK_INT(PLACE(false, &t_int, &t_long, &t_charp, &t_bool), 0);
	CHECK(arg_is(&locs[0], 0, LOC_REG, RDI, 0, 4));
	CHECK(arg_is(&locs[1], 0, LOC_REG, RSI, 0, 8));
	CHECK(arg_is(&locs[2], 0, LOC_REG, RDX, 0, 8));
	CHECK(arg_is(&locs[3], 0, LOC_REG, RCX, 0, 1));
	release_locs(locs, 4);

	/* doubles and integers count separately */
	CHECK_INT(PLACE(false, &t_double, &t_int, &t_float, &t_long), 0);
	CHECK(arg_is(&locs[0], 0, LOC_REG, XMM0, 0, 8));
	CHECK(arg_is(&locs[1], 0, LOC_REG, RDI, 0, 4));
	CHECK(arg_is(&locs[2], 0, LOC_REG, XMM1, 0, 4));
	CHECK(arg_is(&locs[3], 0, LOC_REG, RSI, 0, 8));
	release_locs(locs, 4);

	/* 8 longs: 6 in registers, then the stack past the return address */
	CHECK_INT(PLACE(false, &t_long, &t_long, &t_long, &t_long, &t_long,
			&t_long, &t_long, &t_int), 0);
	for (size_t i = 0; i < 6; i++)
		CHECK(arg_is(&locs[i], 0, LOC_REG, gpr[i], 0, 8));
	CHECK(arg_is(&locs[6], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[7], 0, LOC_MEM, RSP, 16, 0));
	release_locs(locs, 8);

	/* 10 doubles: xmm0-7, then the stack; an int still gets rdi */
	CHECK_INT(PLACE(false, &t_double, &t_double, &t_double, &t_double,
			&t_double, &t_double, &t_double, &t_double, &t_double,
			&t_double, &t_int), 0);
	for (int i = 0; i < 8; i++)
		CHECK(arg_is(&locs[i], 0, LOC_REG, XMM0 + i, 0, 8));
	CHECK(arg_is(&locs[8], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[9], 0, LOC_MEM, RSP, 16, 0));
	CHECK(arg_is(&locs[10], 0, LOC_REG, RDI, 0, 4));
	release_locs(locs, 11);

	/* small structs: one piece per eightbyte */
	CHECK_INT(PLACE(false, &t_arr, &t_fff, &t_name, &t_dl), 0);
	CHECK_INT(locs[0].npieces, 2);
	CHECK(arg_is(&locs[0], 0, LOC_REG, RDI, 0, 8));
	CHECK(arg_is(&locs[0], 1, LOC_REG, RSI, 0, 4));
	CHECK_INT(locs[1].npieces, 2);
	CHECK(arg_is(&locs[1], 0, LOC_REG, XMM0, 0, 8));
	CHECK(arg_is(&locs[1], 1, LOC_REG, XMM1, 0, 4));
	CHECK_INT(locs[2].npieces, 2);
	CHECK(arg_is(&locs[2], 0, LOC_REG, RDX, 0, 8));
	CHECK(arg_is(&locs[2], 1, LOC_REG, RCX, 0, 4));
	CHECK_INT(locs[3].npieces, 2);
	CHECK(arg_is(&locs[3], 0, LOC_REG, XMM2, 0, 8));
	CHECK(arg_is(&locs[3], 1, LOC_REG, R8, 0, 8));
	release_locs(locs, 4);

	/* a 32-byte struct goes whole on the stack, taking no register */
	CHECK_INT(PLACE(false, &t_big, &t_int, &t_big), 0);
	CHECK_INT(locs[0].npieces, 1);
	CHECK(arg_is(&locs[0], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[1], 0, LOC_REG, RDI, 0, 4));
	CHECK(arg_is(&locs[2], 0, LOC_MEM, RSP, 40, 0));
	release_locs(locs, 3);

	/* long double: the stack, 16-aligned in the argument area */
	CHECK_INT(PLACE(false, &t_ldouble, &t_double), 0);
	CHECK(arg_is(&locs[0], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[1], 0, LOC_REG, XMM0, 0, 8));
	release_locs(locs, 2);
	CHECK_INT(PLACE(false, &t_long, &t_long, &t_long, &t_long, &t_long,
			&t_long, &t_long, &t_ldouble, &t_sld, &t_cldouble), 0);
	CHECK(arg_is(&locs[6], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[7], 0, LOC_MEM, RSP, 24, 0));
	CHECK(arg_is(&locs[8], 0, LOC_MEM, RSP, 40, 0));
	CHECK(arg_is(&locs[9], 0, LOC_MEM, RSP, 56, 0));
	release_locs(locs, 10);

	/* registers exhausted: a 16-byte struct needs two, only r9 is left,
	 * so it goes on the stack and r9 goes to the next long */
	CHECK_INT(PLACE(false, &t_long, &t_long, &t_long, &t_long, &t_long,
			&t_dl, &t_cd, &t_i128, &t_long), 0);
	CHECK_INT(locs[5].npieces, 2);
	CHECK(arg_is(&locs[5], 0, LOC_REG, XMM0, 0, 8));
	CHECK(arg_is(&locs[5], 1, LOC_REG, R9, 0, 8));
	CHECK_INT(locs[6].npieces, 1);
	CHECK(arg_is(&locs[6], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[7], 0, LOC_MEM, RSP, 24, 0)); /* 16-aligned */
	CHECK(arg_is(&locs[8], 0, LOC_MEM, RSP, 40, 0));
	release_locs(locs, 9);
	CHECK_INT(PLACE(false, &t_long, &t_long, &t_long, &t_long, &t_long,
			&t_ii, &t_iii, &t_long), 0);
	CHECK(arg_is(&locs[5], 0, LOC_REG, R9, 0, 8));
	CHECK(arg_is(&locs[6], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[7], 0, LOC_MEM, RSP, 24, 0));
	release_locs(locs, 8);

	/* the hidden result pointer takes rdi */
	CHECK(x86_sysv_ret_in_memory(&t_big));
	CHECK(x86_sysv_ret_in_memory(&t_klass));
	CHECK(!x86_sysv_ret_in_memory(&t_dl));
	CHECK(!x86_sysv_ret_in_memory(&t_ldouble));
	CHECK(!x86_sysv_ret_in_memory(NULL));
	CHECK_INT(PLACE(true, &t_long, &t_point, &t_cdouble, &t_f128), 0);
	CHECK(arg_is(&locs[0], 0, LOC_REG, RSI, 0, 8));
	CHECK(arg_is(&locs[1], 0, LOC_REG, RDX, 0, 8));
	CHECK(arg_is(&locs[2], 0, LOC_REG, XMM0, 0, 8));
	CHECK(arg_is(&locs[2], 1, LOC_REG, XMM1, 0, 8));
	CHECK(arg_is(&locs[3], 0, LOC_REG, XMM2, 0, 16));
	release_locs(locs, 4);

	/* a C++ class passed by invisible reference: the register holds
	 * its address; past six, a stack slot does */
	CHECK_INT(PLACE(false, &t_klass, &t_long, &t_long, &t_long, &t_long,
			&t_long, &t_klass), 0);
	CHECK(arg_is(&locs[0], 0, LOC_MEM, RDI, 0, 0));
	CHECK(arg_is(&locs[6], 0, LOC_MEM_DEREF, RSP, 8, 0));
	release_locs(locs, 7);

	/* a packed (unaligned) struct is MEMORY: the stack */
	CHECK_INT(PLACE(false, &t_packed, &t_int), 0);
	CHECK(arg_is(&locs[0], 0, LOC_MEM, RSP, 8, 0));
	CHECK(arg_is(&locs[1], 0, LOC_REG, RDI, 0, 4));
	release_locs(locs, 2);

	/* an unplaceable type: it and all later ones unknown */
	CHECK_INT(PLACE(false, &t_int, &t_decl, &t_int), -ENOTSUP);
	CHECK(arg_is(&locs[0], 0, LOC_REG, RDI, 0, 4));
	CHECK_INT(locs[1].npieces, 0);
	CHECK_INT(locs[2].npieces, 0);
	release_locs(locs, 3);
	CHECK_INT(x86_sysv_param_locs(NULL, 0, false, locs), 0);
}

/* The ABI's argument locs feed the loader: gcc -O2's arrsum, ffsum, nm. */
static void test_sysv_params_load(void)
{
	struct loc locs[3];
	float ff[3] = {1, 2, 3.5f};
	char bob[8] = "bob";
	uint64_t w;

	set_gpr(RDI, 0x0000000200000001ull);
	set_gpr(RSI, 3);
	CHECK_INT(PLACE(false, &t_arr), 0);
	CHECK_STR(show(&t_arr, &locs[0]), "struct arr {v: [1, 2, 3]}");
	release_locs(locs, 1);

	set_reg(XMM0, ff, 8);
	set_reg(XMM1, &ff[2], 4);
	CHECK_INT(PLACE(false, &t_fff), 0);
	CHECK_STR(show(&t_fff, &locs[0]), "struct ff {a: 1, b: 2, c: 3.5}");
	release_locs(locs, 1);

	memcpy(&w, bob, 8);
	set_gpr(RDI, w);
	set_gpr(RSI, 7);
	CHECK_INT(PLACE(false, &t_name), 0);
	CHECK_STR(show(&t_name, &locs[0]), "struct name {s: \"bob\", n: 7}");
	release_locs(locs, 1);
}

/* value_go_param_type: a type parameter (.param1) read through the
 * dictionary whose address a loc holds; its shape when that fails. */
static const struct ctype g_shape = {.kind = CT_INT, .name = "go.shape.int_0",
				     .size = 8, .is_signed = true};
static const struct ctype g_concrete = {.kind = CT_INT, .name = "main.Celsius",
					.size = 8, .is_signed = true};
static const struct ctype g_param = {.kind = CT_TYPEDEF, .name = ".param1",
				     .size = 8, .target = &g_shape,
				     .go_dict_slot = 2};
#define G_RTYPE 0x10800ull

static const struct ctype *g_type_at(void *ctx, uint64_t addr)
{
	return addr == G_RTYPE ? &g_concrete : NULL;
}

static void test_go_param_type(void)
{
	struct target_access ga = acc;
	uint64_t dict[2] = {0x10900, G_RTYPE}, bad = 0x10a00;
	const struct loc empty = {0};

	ga.go_type = g_type_at;
	poke(0x10400, dict, sizeof(dict));
	/* the dictionary's address in a register (at entry), in a frame
	 * slot (at a ret of -N -l code) */
	set_gpr(RAX, 0x10400);
	CHECK(value_go_param_type(&g_param, LOC(REG(RAX, 8)), &ga) ==
	      &g_concrete);
	set_gpr(RSP, 0x10300);
	poke(0x10308, &(uint64_t){0x10400}, 8);
	CHECK(value_go_param_type(&g_param, LOC(MEM(RSP, 8)), &ga) ==
	      &g_concrete);
	/* no dictionary, an unreadable one, one naming no type: the shape */
	CHECK(value_go_param_type(&g_param, &empty, &ga) == &g_shape);
	set_gpr(RAX, 0x900000);
	CHECK(value_go_param_type(&g_param, LOC(REG(RAX, 8)), &ga) == &g_shape);
	poke(0x10400, &bad, 8);
	poke(0x10408, &bad, 8);
	set_gpr(RAX, 0x10400);
	CHECK(value_go_param_type(&g_param, LOC(REG(RAX, 8)), &ga) == &g_shape);
	/* a descriptor of another size than the shape's: not that type */
	{
		static const struct ctype small = {.kind = CT_INT,
						   .name = "int32", .size = 4,
						   .is_signed = true};
		static const struct ctype p4 = {.kind = CT_TYPEDEF,
						.name = ".param0", .size = 4,
						.target = &small,
						.go_dict_slot = 2};

		dict[0] = 0x10900;
		dict[1] = G_RTYPE;
		poke(0x10400, dict, sizeof(dict));
		CHECK(value_go_param_type(&p4, LOC(REG(RAX, 8)), &ga) ==
		      &small);
	}
	/* any other type as it is */
	CHECK(value_go_param_type(&g_shape, LOC(REG(RAX, 8)), &ga) == &g_shape);
	CHECK(value_go_param_type(&t_int, &empty, &ga) == &t_int);
}

/* C++: std names as written, and the containers' text (cxxtypes.c,
 * format.c). */
static void check_cxx_name(const char *bare, const char *want)
{
	char *got = vcxx_type_name(bare);

	CHECK_STR(got, want);
	free(got);
}

static void test_cxx(void)
{
	struct value v = {0}, kids[4] = {{0}};
	struct strbuf sb = STRBUF_INIT;

	check_cxx_name("vector<int, std::allocator<int> >", "std::vector<int>");
	check_cxx_name("map<std::__cxx11::basic_string<char, std::char_traits"
		       "<char>, std::allocator<char> >, int, std::less<std::"
		       "__cxx11::basic_string<char, std::char_traits<char>, "
		       "std::allocator<char> > >, std::allocator<std::pair<"
		       "const std::__cxx11::basic_string<char, std::char_"
		       "traits<char>, std::allocator<char> >, int> > >",
		       "std::map<std::string, int>");
	check_cxx_name("const unique_ptr<int, std::default_delete<int> >",
		       "std::unique_ptr<int>");
	check_cxx_name("pair<int, int>", "std::pair<int, int>");

	/* A map's children alternate key and value; two of three shown. */
	strbuf_init(&sb);
	v.flags = VF_C | VF_CXX;
	v.kind = VK_MAP;
	v.value = "std::map with 3 elements";
	v.len = 3;
	v.children = kids;
	v.nchildren = 4;
	for (int i = 0; i < 4; i++) {
		kids[i].flags = VF_C;
		kids[i].kind = i % 2 ? VK_INT32 : VK_STRING;
		kids[i].value = i % 2 ? (i == 1 ? "1" : "3") : (i ? "three" : "one");
	}
	value_format(&v, &sb);
	CHECK_STR(sb.buf, "std::map with 3 elements = {[\"one\"] = 1, "
			  "[\"three\"] = 3, ...+1 more}");
	strbuf_release(&sb);

	/* Nothing loaded below max_recurse: the summary alone. */
	strbuf_init(&sb);
	v.nchildren = 0;
	v.kind = VK_SLICE;
	v.value = "std::vector of length 3, capacity 4";
	value_format(&v, &sb);
	CHECK_STR(sb.buf, "std::vector of length 3, capacity 4");
	strbuf_release(&sb);
}

/* std::list and std::variant from libstdc++'s member names (cxxstd.c). */
static struct ctype t_lbase;
static struct ctype t_lbasep = {.kind = CT_PTR, .name = "_List_node_base *", .size = 8, .target = &t_lbase};
static struct ctype_member lbase_m[] = {
	{"_M_next", 0, &t_lbasep, 0, 0, false},
	{"_M_prev", 8, &t_lbasep, 0, 0, false},
};
static struct ctype t_lbase = {.kind = CT_STRUCT, .name = "_List_node_base", .size = 16,
			       .members = lbase_m, .nmembers = 2};
static struct ctype_member limpl_m[] = {{"_M_node", 0, &t_lbase, 0, 0, false}};
static struct ctype t_limpl = {.kind = CT_STRUCT, .name = "_List_impl", .size = 16,
			       .members = limpl_m, .nmembers = 1};
static struct ctype_member list_m[] = {{"_M_impl", 0, &t_limpl, 0, 0, false}};
static const struct ctype *list_targs[] = {&t_int};
/* The old ABI's: no _M_size, counted round the ring. */
static struct ctype t_list = {.kind = CT_STRUCT, .name = "list<int, std::allocator<int> >",
			      .size = 16, .members = list_m, .nmembers = 1,
			      .targs = list_targs, .ntargs = 1};

static struct ctype_member ui_m[] = {{"_M_storage", 0, &t_int, 0, 0, false}};
static struct ctype t_ui = {.kind = CT_STRUCT, .name = "_Uninitialized<int, true>", .size = 4,
			    .members = ui_m, .nmembers = 1};
static struct ctype_member ul_m[] = {{"_M_storage", 0, &t_long, 0, 0, false}};
static struct ctype t_ul = {.kind = CT_STRUCT, .name = "_Uninitialized<long, true>", .size = 8,
			    .members = ul_m, .nmembers = 1};
static struct ctype t_vu0 = {.kind = CT_UNION, .name = "_Variadic_union<>", .size = 1};
static struct ctype_member vu1_m[] = {
	{"_M_first", 0, &t_ul, 0, 0, false},
	{"_M_rest", 0, &t_vu0, 0, 0, false},
};
static struct ctype t_vu1 = {.kind = CT_UNION, .name = "_Variadic_union<long>", .size = 8,
			     .members = vu1_m, .nmembers = 2};
static struct ctype_member vu2_m[] = {
	{"_M_first", 0, &t_ui, 0, 0, false},
	{"_M_rest", 0, &t_vu1, 0, 0, false},
};
static struct ctype t_vu2 = {.kind = CT_UNION, .name = "_Variadic_union<int, long>", .size = 8,
			     .members = vu2_m, .nmembers = 2};
static struct ctype_member var_m[] = {
	{"_M_u", 0, &t_vu2, 0, 0, false},
	{"_M_index", 8, &t_uchar, 0, 0, false},
};
static struct ctype t_variant = {.kind = CT_STRUCT, .name = "variant<int, long>", .size = 16,
				 .members = var_m, .nmembers = 2};

static void test_cxx_list_variant(void)
{
	const uint64_t h = FAKE_BASE + 0xb00, n1 = h + 0x40, n2 = h + 0x80;
	uint64_t w[2];
	int x;

	/* A ring of two: header, 5, 6, header. */
	w[0] = n1, w[1] = n2;
	poke(h, w, 16);
	w[0] = n2, w[1] = h;
	poke(n1, w, 16);
	x = 5;
	poke(n1 + 16, &x, 4);
	w[0] = h, w[1] = n1;
	poke(n2, w, 16);
	x = 6;
	poke(n2 + 16, &x, 4);
	set_gpr(RDI, h);
	CHECK_STR(show(&t_list, LOC(MEM(RDI, 0))),
		  "std::list with 2 elements = {5, 6}");
	/* Corrupt: the last node points to itself. The count stops at its
	 * bound, the elements at max_array. */
	w[0] = n2;
	poke(n2, w, 8);
	CHECK_STR(show(&t_list, LOC(MEM(RDI, 0))),
		  "std::list with 100000 elements = {5, 6, 6, 6, 6, 6, 6, 6, "
		  "...+99992 more}");
	/* Empty: the header points to itself. */
	w[0] = h, w[1] = h;
	poke(h, w, 16);
	CHECK_STR(show(&t_list, LOC(MEM(RDI, 0))), "std::list with 0 elements");

	{
		uint8_t v[16] = {7, 0, 0, 0, 0, 0, 0, 0, 1};

		poke(h, v, 16);
		CHECK_STR(show(&t_variant, LOC(MEM(RDI, 0))),
			  "std::variant<int, long> [index 1] = {7}");
		v[8] = 0, v[1] = 1;
		poke(h, v, 16);
		CHECK_STR(show(&t_variant, LOC(MEM(RDI, 0))),
			  "std::variant<int, long> [index 0] = {263}");
		v[8] = 0xff;
		poke(h, v, 16);
		CHECK_STR(show(&t_variant, LOC(MEM(RDI, 0))),
			  "std::variant<int, long> [no contained value]");
		v[8] = 5; /* past its alternatives: no value to show */
		poke(h, v, 16);
		CHECK_STR(show(&t_variant, LOC(MEM(RDI, 0))),
			  "std::variant<int, long> [index 5]");
	}
}

int main(void)
{
	test_ints();
	test_chars();
	test_bool_enum();
	test_floats();
	test_complex();
	test_pointers();
	test_strings();
	test_structs();
	test_arrays();
	test_locs();
	test_format();
	test_sysv();
	test_sysv_load();
	test_dwexpr();
	test_sysv_params();
	test_sysv_params_load();
	test_go_param_type();
	test_cxx();
	test_cxx_list_variant();
	return check_report();
}
