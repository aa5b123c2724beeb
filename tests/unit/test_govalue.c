/* Unit tests of Go values: the loader (goload.c, goiface.c) against a fake
 * target and hand-made types in the shape of Go's DWARF, and the text of
 * Go scalars (gotext.c). What each expects is what Delve 1.20 prints;
 * tests/e2e/govalues.sh checks the same against Delve itself. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "check.h"
#include "value/internal.h"
#include "value/value.h"

/* ---- the fake target ---- */

#define MEM_BASE 0xc000000000ull
#define MEM_SIZE 8192
#define FN_DOUBLE 0x401000ull
#define RT_INT 0x4b0000ull   /* runtime type descriptors */
#define RT_PTR_T 0x4b0100ull

static uint8_t mem[MEM_SIZE];
static uint8_t rodata[0x200];
static uint64_t regs[64];

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	if (addr >= MEM_BASE && addr - MEM_BASE <= MEM_SIZE &&
	    len <= MEM_SIZE - (addr - MEM_BASE)) {
		memcpy(buf, mem + (addr - MEM_BASE), len);
		return 0;
	}
	if (addr >= RT_INT && addr - RT_INT <= sizeof(rodata) &&
	    len <= sizeof(rodata) - (addr - RT_INT)) {
		memcpy(buf, rodata + (addr - RT_INT), len);
		return 0;
	}
	return -EIO;
}

static int read_reg(void *ctx, int reg, void *buf, size_t len)
{
	if (reg < 0 || reg >= 64 || len > 16)
		return -EINVAL;
	memset(buf, 0, len);
	memcpy(buf, &regs[reg], len < 8 ? len : 8);
	return 0;
}

static const char *name_at(void *ctx, uint64_t addr)
{
	return addr == FN_DOUBLE ? "main.double" : NULL;
}

static void poke(uint64_t addr, const void *p, size_t n)
{
	memcpy(mem + (addr - MEM_BASE), p, n);
}

static void poke64(uint64_t addr, uint64_t x)
{
	poke(addr, &x, 8);
}

/* ---- Go's types, as its DWARF has them ---- */

static struct ctype t_int = {.kind = CT_INT, .name = "int", .size = 8,
			     .is_signed = true, .go_kind = VK_INT};
static struct ctype t_uint = {.kind = CT_INT, .name = "uint", .size = 8,
			      .go_kind = VK_UINT};
static struct ctype t_u8 = {.kind = CT_INT, .name = "uint8", .size = 1,
			    .go_kind = VK_UINT8};
static struct ctype t_color = {.kind = CT_INT, .name = "main.Color",
			       .size = 8, .is_signed = true, .go_kind = VK_INT};
static struct ctype t_u8p = {.kind = CT_PTR, .name = "*uint8", .size = 8,
			     .target = &t_u8, .go_kind = VK_PTR};
static struct ctype_member string_m[] = {
	{"str", 0, &t_u8p, 0, 0},
	{"len", 8, &t_int, 0, 0},
};
static struct ctype t_string = {.kind = CT_STRUCT, .name = "string",
				.size = 16, .members = string_m,
				.nmembers = 2, .go_kind = VK_STRING};
static struct ctype t_intp = {.kind = CT_PTR, .name = "*int", .size = 8,
			      .target = &t_int};
static struct ctype_member slice_m[] = {
	{"array", 0, &t_intp, 0, 0},
	{"len", 8, &t_int, 0, 0},
	{"cap", 16, &t_int, 0, 0},
};
static struct ctype t_slice = {.kind = CT_STRUCT, .name = "[]int",
			       .size = 24, .members = slice_m, .nmembers = 3,
			       .go_kind = VK_SLICE};

/* struct main.T {A int; S string}, and *main.T */
static struct ctype_member tstruct_m[] = {
	{"A", 0, &t_int, 0, 0},
	{"S", 8, &t_string, 0, 0},
};
static struct ctype t_tstruct = {.kind = CT_STRUCT, .name = "main.T",
				 .size = 24, .members = tstruct_m,
				 .nmembers = 2, .go_kind = VK_STRUCT};
static struct ctype t_tptr = {.kind = CT_PTR, .name = "*main.T", .size = 8,
			      .target = &t_tstruct, .go_kind = VK_PTR};
static struct ctype t_tpp = {.kind = CT_PTR, .name = "**main.T", .size = 8,
			     .target = &t_tptr, .go_kind = VK_PTR};

/* struct main.O {In main.T; P *main.T; PP **main.T}: nesting for -v */
static struct ctype_member ostruct_m[] = {
	{"In", 0, &t_tstruct, 0, 0},
	{"P", 24, &t_tptr, 0, 0},
	{"PP", 32, &t_tpp, 0, 0},
};
static struct ctype t_ostruct = {.kind = CT_STRUCT, .name = "main.O",
				 .size = 40, .members = ostruct_m,
				 .nmembers = 3, .go_kind = VK_STRUCT};

/* interface {}: a typedef Go marks, of runtime.eface */
static struct ctype t_voidp = {.kind = CT_PTR, .name = "unsafe.Pointer",
			       .size = 8};
static struct ctype_member eface_m[] = {
	{"_type", 0, &t_voidp, 0, 0},
	{"data", 8, &t_voidp, 0, 0},
};
static struct ctype t_eface_s = {.kind = CT_STRUCT, .name = "runtime.eface",
				 .size = 16, .members = eface_m, .nmembers = 2,
				 .go_kind = VK_STRUCT};
static struct ctype t_eface = {.kind = CT_TYPEDEF, .name = "interface {}",
			       .target = &t_eface_s, .go_kind = VK_INTERFACE};

/* func(int) int: a typedef of a subroutine type */
static struct ctype t_fn_s = {.kind = CT_FUNC, .name = "func(int) int",
			      .size = 8, .go_kind = VK_FUNC};
static struct ctype t_fn = {.kind = CT_TYPEDEF, .name = "func(int) int",
			    .target = &t_fn_s};

/* chan int: a typedef Go marks, of *hchan<int> */
static struct ctype_member hchan_m[] = {
	{"qcount", 0, &t_uint, 0, 0},
	{"dataqsiz", 8, &t_uint, 0, 0},
};
static struct ctype t_hchan = {.kind = CT_STRUCT, .name = "hchan<int>",
			       .size = 16, .members = hchan_m, .nmembers = 2};
static struct ctype t_hchanp = {.kind = CT_PTR, .name = "*hchan<int>",
				.size = 8, .target = &t_hchan};
static struct ctype t_chan = {.kind = CT_TYPEDEF, .name = "chan int",
			      .target = &t_hchanp, .go_kind = VK_CHAN};

/* map[string]int: a typedef Go marks, of *hash<string,int> */
static struct ctype t_top = {.kind = CT_ARRAY, .name = "[8]uint8", .size = 8,
			     .target = &t_u8, .count = 8};
static struct ctype t_keys = {.kind = CT_ARRAY, .name = "[8]string",
			      .size = 128, .target = &t_string, .count = 8};
static struct ctype t_vals = {.kind = CT_ARRAY, .name = "[8]int", .size = 64,
			      .target = &t_int, .count = 8};
static struct ctype t_bucketp;
static struct ctype_member bucket_m[] = {
	{"tophash", 0, &t_top, 0, 0},
	{"keys", 8, &t_keys, 0, 0},
	{"values", 136, &t_vals, 0, 0},
	{"overflow", 200, &t_bucketp, 0, 0},
};
static struct ctype t_bucket = {.kind = CT_STRUCT,
				.name = "bucket<string,int>", .size = 208,
				.members = bucket_m, .nmembers = 4};
static struct ctype t_bucketp = {.kind = CT_PTR,
				 .name = "*bucket<string,int>", .size = 8,
				 .target = &t_bucket};
static struct ctype_member hmap_m[] = {
	{"count", 0, &t_int, 0, 0},
	{"flags", 8, &t_u8, 0, 0},
	{"B", 9, &t_u8, 0, 0},
	{"buckets", 16, &t_bucketp, 0, 0},
	{"oldbuckets", 24, &t_bucketp, 0, 0},
};
static struct ctype t_hmap = {.kind = CT_STRUCT, .name = "hash<string,int>",
			      .size = 48, .members = hmap_m, .nmembers = 5};
static struct ctype t_hmapp = {.kind = CT_PTR, .name = "*hash<string,int>",
			       .size = 8, .target = &t_hmap};
static struct ctype t_map = {.kind = CT_TYPEDEF, .name = "map[string]int",
			     .target = &t_hmapp, .go_kind = VK_MAP};

static const struct ctype *go_type(void *ctx, uint64_t addr)
{
	return addr == RT_INT ? &t_int : addr == RT_PTR_T ? &t_tptr : NULL;
}

static struct ctype_enumerator color_consts[] = {
	{"Red", 0}, {"Green", 1}, {"Blue", 2}, {"Big", 4},
};

static size_t go_consts(void *ctx, const struct ctype *t,
			const struct ctype_enumerator **out)
{
	*out = t == &t_color ? color_consts : NULL;
	return t == &t_color ? 4 : 0;
}

static unsigned fake_n;

static const struct target_access acc = {
	.read_mem = read_mem,
	.read_reg = read_reg,
	.name_at = name_at,
	.go_type = go_type,
	.go_consts = go_consts,
	.go_fake_n = &fake_n,
};

#define LOC(...)                                                               \
	(&(struct loc){                                                        \
		.pieces = (struct loc_piece[]){__VA_ARGS__},                   \
		.npieces = sizeof((struct loc_piece[]){__VA_ARGS__}) /         \
			   sizeof(struct loc_piece)})
#define REG(r, sz) {.kind = LOC_REG, .reg = (r), .size = (sz)}
#define AT(a) {.kind = LOC_MEM_ADDR, .off = (int64_t)(a)}

/* Loads a value of type t from loc with cfg and gives its text. */
static const char *load_cfg(const struct ctype *t, const struct loc *l,
			    const struct load_config *cfg)
{
	static struct strbuf sb;
	struct value v;

	value_load(&v, "x", t, l, &acc, cfg);
	strbuf_release(&sb);
	strbuf_init(&sb);
	value_format(&v, &sb);
	value_release(&v);
	return sb.buf;
}

static const char *load(const struct ctype *t, const struct loc *l)
{
	return load_cfg(t, l, &LOAD_SHORT);
}

static const char *ftext(double x, int bits)
{
	static char buf[400];

	gofloat_format(buf, sizeof(buf), x, bits);
	return buf;
}

static void test_floats(void)
{
	CHECK_STR(ftext(1.5, 64), "1.5");
	CHECK_STR(ftext(0.1, 32), "0.1");
	CHECK_STR(ftext(0.1, 64), "0.1");
	CHECK_STR(ftext(1e21, 64), "1000000000000000000000");
	CHECK_STR(ftext(-2.5e-7, 32), "-0.00000025");
	CHECK_STR(ftext(100, 64), "100");
	CHECK_STR(ftext(123.456, 64), "123.456");
	CHECK_STR(ftext(-0.0, 64), "0");
	CHECK_STR(ftext(INFINITY, 64), "+Inf");
	CHECK_STR(ftext(-INFINITY, 32), "-Inf");
	CHECK_STR(ftext(NAN, 64), "NaN");
	CHECK_STR(ftext(3.141592653589793, 64), "3.141592653589793");
	CHECK_STR(ftext((float)3.14159274, 32), "3.1415927");
}

static void test_text(void)
{
	char *s;

	s = gostring_text((const uint8_t *)"a\xff" "b\0c\xe6\x97", 7);
	CHECK_STR(s, "a\xef\xbf\xbd" "b\xc0\x80" "c\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = gotime_text(0, 63393490800, NULL);
	CHECK_STR(s, "2009-11-10T23:00:00Z");
	free(s);
	s = gotime_text(0, 0, "UTC");
	CHECK_STR(s, "0001-01-01T00:00:00Z");
	free(s);
	/* a wall clock with a monotonic reading: seconds since 1885 */
	s = gotime_text(1ull << 63 | (uint64_t)(2682288000LL + 1000000000) << 30,
			42, NULL);
	CHECK_STR(s, "2001-09-09T01:46:40Z, +42");
	free(s);
	CHECK(!gotime_text(0, 0, "Europe/Paris"));
}

static void test_scalars(void)
{
	regs[0] = 2;
	CHECK_STR(load(&t_color, LOC(REG(0, 8))), "Blue (2)");
	regs[0] = 5;
	CHECK_STR(load(&t_color, LOC(REG(0, 8))), "Green|Big (5)");
	regs[0] = 3;
	CHECK_STR(load(&t_color, LOC(REG(0, 8))), "Green|Blue (3)");
	regs[0] = 8;
	CHECK_STR(load(&t_color, LOC(REG(0, 8))), "8");
	regs[0] = (uint64_t)-7;
	CHECK_STR(load(&t_int, LOC(REG(0, 8))), "-7");
}

static void test_strings(void)
{
	uint64_t p = MEM_BASE + 0x100;
	char big[100], want[80];

	poke(p, "hello", 5);
	regs[3] = p;
	regs[2] = 5;
	CHECK_STR(load(&t_string, LOC(REG(3, 8), REG(2, 8))), "\"hello\"");
	memset(big, 'z', sizeof(big));
	poke(p, big, sizeof(big));
	regs[2] = 100;
	snprintf(want, sizeof(want), "\"%.64s...+36 more\"", big);
	CHECK_STR(load(&t_string, LOC(REG(3, 8), REG(2, 8))), want);
	poke(p, "a\0\x01\xc2\xa0\xff", 6);
	regs[2] = 6;
	CHECK_STR(load(&t_string, LOC(REG(3, 8), REG(2, 8))),
		  "\"a\\x00\\x01\\u00a0\xef\xbf\xbd\"");
	regs[3] = 0;
	CHECK_STR(load(&t_string, LOC(REG(3, 8), REG(2, 8))), "\"\"");
}

static void test_slices(void)
{
	uint64_t hdr = MEM_BASE + 0x200, arr = MEM_BASE + 0x300;

	for (int i = 0; i < 10; i++)
		poke64(arr + 8 * (uint64_t)i, (uint64_t)(i * i));
	poke64(hdr, arr);
	poke64(hdr + 8, 10);
	poke64(hdr + 16, 12);
	CHECK_STR(load(&t_slice, LOC(AT(hdr))),
		  "[]int len: 10, cap: 12, [0,1,4,9,16,25,36,49,...+2 more]");
	poke64(hdr + 8, 0);
	CHECK_STR(load(&t_slice, LOC(AT(hdr))), "[]int len: 0, cap: 12, []");
	poke64(hdr, 0);
	poke64(hdr + 16, 0);
	CHECK_STR(load(&t_slice, LOC(AT(hdr))), "[]int len: 0, cap: 0, nil");
	poke64(hdr + 8, 2);
	CHECK_STR(load(&t_slice, LOC(AT(hdr))),
		  "(unreadable non-zero length array with nil base)");
}

static void test_pointers_structs(void)
{
	uint64_t t = MEM_BASE + 0x400, s = MEM_BASE + 0x500;

	poke64(t, 7);
	poke64(t + 8, s);
	poke64(t + 16, 2);
	poke(s, "hi", 2);
	CHECK_STR(load(&t_tstruct, LOC(AT(t))), "main.T {A: 7, S: \"hi\"}");
	regs[0] = t;
	CHECK_STR(load(&t_tptr, LOC(REG(0, 8))), "(*main.T)(0xc000000400)");
	regs[0] = 0;
	CHECK_STR(load(&t_tptr, LOC(REG(0, 8))), "*main.T nil");
	regs[0] = 0;
	CHECK_STR(load(&t_voidp, LOC(REG(0, 8))), "unsafe.Pointer(0x0)");
}

/* -v's LoadConfigs: aggregates down to MaxVariableRecurse (max_recurse
 * - 1), pointers followed when asked, as Delve's loadValueInternal. */
static void test_recurse_follow(void)
{
	uint64_t t = MEM_BASE + 0x400, o = MEM_BASE + 0xa00,
		 pp = MEM_BASE + 0xa80;
	struct load_config c = LOAD_SHORT;

	/* t as test_pointers_structs left it: {A: 7, S: "hi"} */
	poke64(o, 8);
	poke64(o + 8, MEM_BASE + 0x500);
	poke64(o + 16, 2);
	poke64(o + 24, t);
	poke64(o + 32, pp);
	poke64(pp, t);
	CHECK_STR(load(&t_ostruct, LOC(AT(o))),
		  "main.O {In: (*main.T)(0xc000000a00), "
		  "P: (*main.T)(0xc000000400), PP: (**main.T)(0xc000000a80)}");
	/* -v 2: MaxVariableRecurse 1, the nested struct loaded */
	c.max_recurse = 2;
	CHECK_STR(load_cfg(&t_ostruct, LOC(AT(o)), &c),
		  "main.O {In: main.T {A: 8, S: \"hi\"}, "
		  "P: (*main.T)(0xc000000400), PP: (**main.T)(0xc000000a80)}");
	/* followed: a pointer's target at the pointer's level; a pointer
	 * to a pointer is a level more, its struct then too deep */
	c.follow_pointers = true;
	CHECK_STR(load_cfg(&t_ostruct, LOC(AT(o)), &c),
		  "main.O {In: main.T {A: 8, S: \"hi\"}, "
		  "P: *main.T {A: 7, S: \"hi\"}, PP: **(*main.T)(0xc000000400)}");
	/* MaxVariableRecurse 0 (-v 0's), followed: the target of P is too
	 * deep, and PP's is not even read (its address only) */
	c.max_recurse = 1;
	CHECK_STR(load_cfg(&t_ostruct, LOC(AT(o)), &c),
		  "main.O {In: (*main.T)(0xc000000a00), "
		  "P: *(*main.T)(0xc000000400), PP: (**main.T)(0xc000000a80)}");
	c.max_recurse = 3;
	CHECK_STR(load_cfg(&t_ostruct, LOC(AT(o)), &c),
		  "main.O {In: main.T {A: 8, S: \"hi\"}, "
		  "P: *main.T {A: 7, S: \"hi\"}, PP: **main.T {A: 7, S: \"hi\"}}");
	/* at the top, a pointer to a pointer is followed at level 0 */
	regs[0] = pp;
	CHECK_STR(load_cfg(&t_tpp, LOC(REG(0, 8)), &c),
		  "**main.T {A: 7, S: \"hi\"}");
	regs[0] = 0;
	CHECK_STR(load_cfg(&t_tpp, LOC(REG(0, 8)), &c), "**main.T nil");
	/* nil on the way: Delve's "*main.T nil" one level in */
	poke64(pp, 0);
	regs[0] = pp;
	CHECK_STR(load_cfg(&t_tpp, LOC(REG(0, 8)), &c), "**main.T nil");
	/* a client's huge MaxVariableRecurse: capped, still fine */
	c.max_recurse = 1 << 30;
	CHECK_STR(load_cfg(&t_tptr, LOC(AT(o + 24)), &c),
		  "*main.T {A: 7, S: \"hi\"}");
}

static void test_interfaces(void)
{
	uint64_t box = MEM_BASE + 0x600;

	/* in registers, as Delve places them: fake addresses, one slot of
	 * 0x100 per value of the stop */
	fake_n = 0;
	regs[0] = 0;
	regs[3] = 0;
	CHECK_STR(load(&t_eface, LOC(REG(0, 8), REG(3, 8))), "interface {} nil");
	regs[0] = RT_PTR_T;
	regs[3] = MEM_BASE + 0x400;
	rodata[RT_PTR_T - RT_INT + 23] = 32 | 22; /* direct, ptr */
	/* the pointer itself, not where its word is (Delve's fake 0xbeef
	 * address for a register): see README.md, Go values */
	CHECK_STR(load(&t_eface, LOC(REG(0, 8), REG(3, 8))),
		  "interface {}(*main.T) 0xc000000400");
	regs[3] = 0;
	CHECK_STR(load(&t_eface, LOC(REG(0, 8), REG(3, 8))),
		  "interface {}(*main.T) nil");
	poke64(box, 5);
	regs[0] = RT_INT;
	regs[3] = box;
	rodata[23] = 2;
	CHECK_STR(load(&t_eface, LOC(REG(0, 8), REG(3, 8))),
		  "interface {}(int) 5");
	regs[0] = RT_INT + 8; /* not a type we know */
	CHECK_STR(load(&t_eface, LOC(REG(0, 8), REG(3, 8))),
		  "(unreadable could not resolve interface type)");
	CHECK_INT(fake_n, 5);
}

static void test_funcs_chans(void)
{
	uint64_t fv = MEM_BASE + 0x700, h = MEM_BASE + 0x710;

	poke64(fv, FN_DOUBLE);
	regs[0] = fv;
	/* Delve reads the closure through the registers: "read out of
	 * bounds"; it is in memory */
	CHECK_STR(load(&t_fn, LOC(REG(0, 8))), "main.double");
	regs[0] = 0;
	CHECK_STR(load(&t_fn, LOC(REG(0, 8))), "nil");
	poke64(fv, FN_DOUBLE + 1);
	regs[0] = fv;
	CHECK_STR(load(&t_fn, LOC(REG(0, 8))),
		  "(unreadable could not find function for 0x401001)");
	poke64(h, 1);
	poke64(h + 8, 3);
	regs[0] = h;
	CHECK_STR(load(&t_chan, LOC(REG(0, 8))), "chan int 1/3");
	regs[0] = 0;
	CHECK_STR(load(&t_chan, LOC(REG(0, 8))), "chan int nil");
}

/* A key ("k0"...) and value in slot i of the bucket at b. */
static void put_pair(uint64_t b, int i, uint8_t top, const char *k, int64_t v)
{
	uint64_t s = b + 0x1000 + 4 * (uint64_t)i;

	mem[b - MEM_BASE + (uint64_t)i] = top;
	poke(s, k, strlen(k));
	poke64(b + 8 + 16 * (uint64_t)i, s);
	poke64(b + 16 + 16 * (uint64_t)i, strlen(k));
	poke64(b + 136 + 8 * (uint64_t)i, (uint64_t)v);
}

static void test_maps(void)
{
	uint64_t hm = MEM_BASE + 0x800, b0 = MEM_BASE + 0x900,
		 b1 = b0 + 208, ov = MEM_BASE + 0xc00;

	memset(mem + 0x800, 0, 0x1000);
	poke64(hm, 0);
	regs[0] = hm;
	poke64(hm + 16, b0);
	CHECK_STR(load(&t_map, LOC(REG(0, 8))), "map[string]int []");
	regs[0] = 0;
	CHECK_STR(load(&t_map, LOC(REG(0, 8))), "map[string]int nil");
	/* two buckets (B = 1), the first with an overflow bucket: Delve's
	 * order is bucket 0, its overflow, bucket 1; empty slots skipped */
	regs[0] = hm;
	mem[hm + 9 - MEM_BASE] = 1;
	put_pair(b0, 0, 9, "a", 1);
	put_pair(b0, 2, 9, "b", 2);
	poke64(b0 + 200, ov);
	put_pair(ov, 0, 9, "c", 3);
	put_pair(b1, 7, 9, "d", 4);
	poke64(hm, 4);
	CHECK_STR(load(&t_map, LOC(REG(0, 8))),
		  "map[string]int [\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, ]");
	poke64(hm, 12);
	CHECK_STR(load(&t_map, LOC(REG(0, 8))),
		  "map[string]int [\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, "
		  ",...+8 more]");
}

int main(void)
{
	test_floats();
	test_text();
	test_scalars();
	test_strings();
	test_slices();
	test_pointers_structs();
	test_recurse_follow();
	test_interfaces();
	test_funcs_chans();
	test_maps();
	return check_report();
}
