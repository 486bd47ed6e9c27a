/*
 * test_num.c - Redis-exact number conversions.  The expected values in the
 * tables were taken from a Redis 7.0.15 server (INCRBY, INCRBYFLOAT, ZADD,
 * ZSCORE replies); boundaries are driven from both sides, and randomized
 * checks compare against an independent oracle (strtoll plus "prints back
 * the same", "%.17g").
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "testutil.h"

/* A string literal with its length, so that embedded NULs count. */
#define S(lit) lit, sizeof(lit) - 1

struct ll_case {
	const char *s;
	size_t len;
	bool ok;
	long long v;
};

static const struct ll_case ll_cases[] = {
	{ S("0"), true, 0 },
	{ S("1"), true, 1 },
	{ S("-1"), true, -1 },
	{ S("10"), true, 10 },
	{ S("-10"), true, -10 },
	{ S("9223372036854775807"), true, LLONG_MAX },
	{ S("9223372036854775806"), true, LLONG_MAX - 1 },
	{ S("9223372036854775808"), false, 0 },
	{ S("9223372036854775810"), false, 0 },
	{ S("-9223372036854775808"), true, LLONG_MIN },
	{ S("-9223372036854775807"), true, LLONG_MIN + 1 },
	{ S("-9223372036854775809"), false, 0 },
	{ S("18446744073709551615"), false, 0 },
	{ S("18446744073709551616"), false, 0 },
	{ S("99999999999999999999"), false, 0 },
	{ S("12345678901234567890"), false, 0 },
	{ S("-00000000000000000001"), false, 0 },
	{ S("000000000000000000001"), false, 0 },
	{ S(""), false, 0 },
	{ S("00"), false, 0 },
	{ S("01"), false, 0 },
	{ S("-01"), false, 0 },
	{ S("-0"), false, 0 },
	{ S("-"), false, 0 },
	{ S("--1"), false, 0 },
	{ S("+1"), false, 0 },
	{ S("+0"), false, 0 },
	{ S(" 1"), false, 0 },
	{ S("1 "), false, 0 },
	{ S("1\n"), false, 0 },
	{ S("1e5"), false, 0 },
	{ S("1.0"), false, 0 },
	{ S("0x10"), false, 0 },
	{ S("a"), false, 0 },
	{ S("1a"), false, 0 },
	{ S("1\0"), false, 0 },
	{ S("\0"), false, 0 },
	{ S("1\0002"), false, 0 },
};

static void test_str2ll_table(void)
{
	for (size_t i = 0; i < sizeof(ll_cases) / sizeof(ll_cases[0]); i++) {
		const struct ll_case *c = &ll_cases[i];
		long long v = 42;
		bool ok = num_str2ll(c->s, c->len, &v);

		CU_ASSERT(ok == c->ok);
		CU_ASSERT(v == (c->ok ? c->v : 42)); /* untouched on failure */
		CU_ASSERT(num_str2ll(c->s, c->len, NULL) == c->ok);
		if (ok != c->ok)
			fprintf(stderr, "str2ll case %zu (\"%s\") wrong\n", i,
				c->s);
	}
	/* The length bounds what is read: "12" seen as "1". */
	{
		long long v;

		CU_ASSERT(num_str2ll("12", 1, &v) && v == 1);
		CU_ASSERT(!num_str2ll("12", 0, &v));
	}
}

/* The oracle: Redis accepts exactly the strings that strtoll reads whole
 * and that print back as themselves. */
static bool ll_oracle(const char *s, size_t len, long long *v)
{
	char buf[64], back[64], *end;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	snprintf(back, sizeof(back), "%lld", *v);
	return strcmp(back, buf) == 0;
}

static void test_str2ll_random(void)
{
	static const char alpha[] = "0123456789-+ .e\0x";
	uint64_t rs = tu_seed();
	int mismatches = 0;

	for (int i = 0; i < 200000; i++) {
		char s[24];
		size_t len = tu_rand(&rs) % 22;
		long long got = 0, want = 0;
		bool ok, wok;

		for (size_t j = 0; j < len; j++) {
			/* Mostly digits, so that long valid numbers occur. */
			if (tu_rand(&rs) % 8)
				s[j] = (char)('0' + tu_rand(&rs) % 10);
			else
				s[j] = alpha[tu_rand(&rs) %
					     (sizeof(alpha) - 1)];
		}
		if (len && tu_rand(&rs) % 3 == 0)
			s[0] = '-';
		ok = num_str2ll(s, len, &got);
		wok = ll_oracle(s, len, &want);
		if (ok != wok || (ok && got != want))
			mismatches++;
	}
	CU_ASSERT(mismatches == 0);
}

static void test_ll2str(void)
{
	static const struct {
		long long v;
		const char *s;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ -1, "-1" },
		{ 9, "9" },
		{ 10, "10" },
		{ -10, "-10" },
		{ LLONG_MAX, "9223372036854775807" },
		{ LLONG_MIN, "-9223372036854775808" },
		{ LLONG_MIN + 1, "-9223372036854775807" },
	};
	char buf[NUM_LL_STR_MAX];
	uint64_t rs = tu_seed();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		CU_ASSERT(num_ll2str(buf, sizeof(buf), cases[i].v) == (int)n);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
		/* Exactly enough room, then one byte short. */
		CU_ASSERT(num_ll2str(buf, n + 1, cases[i].v) == (int)n);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
		CU_ASSERT(num_ll2str(buf, n, cases[i].v) == 0);
		CU_ASSERT(buf[0] == '\0');
	}
	CU_ASSERT(num_ll2str(buf, 0, 5) == 0);
	/* Round trip through the parser. */
	for (int i = 0; i < 100000; i++) {
		long long v = (long long)tu_rand(&rs), back;
		int n;

		if (i % 3 == 0)
			v >>= tu_rand(&rs) % 64;
		n = num_ll2str(buf, sizeof(buf), v);
		if (!num_str2ll(buf, (size_t)n, &back) || back != v) {
			CU_FAIL("ll2str/str2ll round trip");
			break;
		}
	}
}

struct ld_case {
	const char *s;
	size_t len;
	bool ok;
};

static const struct ld_case ld_cases[] = {
	{ S("0"), true },
	{ S("0.1"), true },
	{ S("-1.5"), true },
	{ S("1e5"), true },
	{ S("1E5"), true },
	{ S("+1"), true },
	{ S(".5"), true },
	{ S("5."), true },
	{ S("0x10"), true },
	{ S("inf"), true },
	{ S("-inf"), true },
	{ S("Infinity"), true },
	{ S("3.6e-4951"), true }, /* subnormal: ERANGE, but not zero */
	{ S("1e4000"), true },
	{ S("1e5000"), false },	  /* overflow */
	{ S("-1e5000"), false },
	{ S("1e-5000"), false },  /* underflow to zero */
	{ S("nan"), false },
	{ S("NaN"), false },
	{ S("-nan"), false },
	{ S(""), false },
	{ S(" 1"), false },
	{ S("\t1"), false },
	{ S("1 "), false },
	{ S("1\n"), false },
	{ S("abc"), false },
	{ S("1e"), false },
	{ S("."), false },
	{ S("-"), false },
	{ S("1\0"), false },
	{ S("1\0002"), false },
};

static void test_str2ld_table(void)
{
	char *big = malloc(NUM_LD_STR_MAX + 1);
	long double v;

	for (size_t i = 0; i < sizeof(ld_cases) / sizeof(ld_cases[0]); i++) {
		bool ok = num_str2ld(ld_cases[i].s, ld_cases[i].len, &v);

		CU_ASSERT(ok == ld_cases[i].ok);
		if (ok != ld_cases[i].ok)
			fprintf(stderr, "str2ld case \"%s\" wrong\n",
				ld_cases[i].s);
	}
	CU_ASSERT(num_str2ld("0x10", 4, &v) && v == 16);
	CU_ASSERT(num_str2ld("-1.5", 4, &v) && v == -1.5L);
	CU_ASSERT(num_str2ld("inf", 3, &v) && isinf(v) && v > 0);
	CU_ASSERT(num_str2ld("12", 1, &v) && v == 1);
	/* Length limit: "1.000...0" of 5119 bytes is taken, of 5120 not. */
	CU_ASSERT_FATAL(big != NULL);
	memset(big, '0', NUM_LD_STR_MAX);
	big[0] = '1';
	big[1] = '.';
	CU_ASSERT(num_str2ld(big, NUM_LD_STR_MAX - 1, &v) && v == 1);
	CU_ASSERT(!num_str2ld(big, NUM_LD_STR_MAX, &v));
	free(big);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/* INCRBYFLOAT key=a by b, the way incrbyfloatCommand() computes it. */
static void incrbyfloat(const char *a, const char *b, char *out, size_t cap)
{
	long double x, y;

	if (!num_str2ld(a, strlen(a), &x) || !num_str2ld(b, strlen(b), &y)) {
		snprintf(out, cap, "%s", NUM_ERR_NOT_FLOAT);
		return;
	}
	x += y;
	if (isnan(x) || isinf(x)) {
		snprintf(out, cap, "%s",
			 "ERR increment would produce NaN or Infinity");
		return;
	}
	CU_ASSERT(num_ld2str(out, cap, x, true) > 0);
}

static void test_incrbyfloat_table(void)
{
	/* Replies of redis-server 7.0.15 to SET k a; INCRBYFLOAT k b. */
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{ "0.1", "0.2", "0.3" },
		{ "10.5", "0.1", "10.6" },
		{ "5.0e3", "2.0e2", "5200" },
		{ "0", "3.0e3", "3000" },
		{ "1", "1e-20", "1" },
		{ "0", "-1e-20", "0" },
		{ "0", "1e17", "100000000000000000" },
		{ "0", "1e18", "1000000000000000000" },
		{ "0", "1e20", "100000000000000000000" },
		{ "0", "12345678901234567890", "12345678901234567890" },
		{ "0", "1.5", "1.5" },
		{ "0", "-1.5", "-1.5" },
		{ "0", "0.1", "0.1" },
		{ "0", "0x10", "16" },
		{ "0", "+1", "1" },
		{ "0", "3.6e-4951", "0" },
		{ "0", "1e-17", "0.00000000000000001" },
		{ "0", "123.456", "123.456" },
		{ "0", "-0", "0" },
		{ "-0", "0", "0" },
		{ "0", "9223372036854775807", "9223372036854775807" },
		{ "1", "0.0000000000000000001", "1" },
		{ "0", ".5", "0.5" },
		{ "0", "5.", "5" },
		{ "0", "1.23456789012345678901234", "1.23456789012345679" },
		{ "0", "1e5000", "ERR value is not a valid float" },
		{ "0", "inf", "ERR increment would produce NaN or Infinity" },
		{ "0", "-inf", "ERR increment would produce NaN or Infinity" },
		{ "0", "nan", "ERR value is not a valid float" },
		{ "0", " 1", "ERR value is not a valid float" },
		{ "0", "1 ", "ERR value is not a valid float" },
		{ "0", "", "ERR value is not a valid float" },
		{ "0", "1e-5000", "ERR value is not a valid float" },
	};
	char out[NUM_LD_STR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		incrbyfloat(cases[i].a, cases[i].b, out, sizeof(out));
		CU_ASSERT_STRING_EQUAL(out, cases[i].want);
	}
	/* Huge results print every digit; compared with Redis's replies by
	 * length and FNV-1a hash rather than as 4000-digit literals. */
	incrbyfloat("0", "1e4000", out, sizeof(out));
	CU_ASSERT(strlen(out) == 4000);
	CU_ASSERT(fnv1a(out) == 0x6c79f17f22471934ull);
	incrbyfloat("0", "1.7976931348623157e308", out, sizeof(out));
	CU_ASSERT(strlen(out) == 309);
	CU_ASSERT(fnv1a(out) == 0x15c1e277a9c028f1ull);
}

static void test_ld2str(void)
{
	/* LD_STR_AUTO: "%.17Lg" of the long double the string parses to. */
	static const struct {
		const char *in, *want;
	} autos[] = {
		{ "0.1", "0.1" },
		{ "123.456", "123.456" },
		{ "1e20", "1e+20" },
		{ "1e-20", "1e-20" },
		{ "-2.5", "-2.5" },
		{ "100", "100" },
		{ "0.30000000000000004", "0.30000000000000004" },
		{ "12345678901234567890", "1.2345678901234568e+19" },
		{ "inf", "inf" },
		{ "-inf", "-inf" },
	};
	char buf[NUM_LD_STR_MAX];
	long double v;

	for (size_t i = 0; i < sizeof(autos) / sizeof(autos[0]); i++) {
		const char *in = autos[i].in;

		CU_ASSERT_FATAL(num_str2ld(in, strlen(in), &v));
		CU_ASSERT(num_ld2str(buf, sizeof(buf), v, false) ==
			  (int)strlen(autos[i].want));
		CU_ASSERT_STRING_EQUAL(buf, autos[i].want);
	}
	CU_ASSERT(num_ld2str(buf, sizeof(buf), 1.0L / 3, false) == 19);
	CU_ASSERT_STRING_EQUAL(buf, "0.33333333333333333");
	/* Human: -0 and tiny negatives print as "0"; infinities by name. */
	CU_ASSERT(num_ld2str(buf, sizeof(buf), -0.0L, true) == 1);
	CU_ASSERT_STRING_EQUAL(buf, "0");
	CU_ASSERT(num_ld2str(buf, sizeof(buf), -1e-30L, true) == 1);
	CU_ASSERT_STRING_EQUAL(buf, "0");
	CU_ASSERT(num_ld2str(buf, sizeof(buf), -HUGE_VALL, true) == 4);
	CU_ASSERT_STRING_EQUAL(buf, "-inf");
	CU_ASSERT(num_ld2str(buf, sizeof(buf), 100.0L, true) == 3);
	CU_ASSERT_STRING_EQUAL(buf, "100");
	/* The largest long doubles fit in NUM_LD_STR_MAX. */
	CU_ASSERT(num_ld2str(buf, sizeof(buf), LDBL_MAX, true) > 4900);
	CU_ASSERT(num_ld2str(buf, sizeof(buf), -LDBL_MAX, true) > 4900);
	CU_ASSERT(buf[0] == '-');
	/* No room: exactly enough, then one short, both modes.  Like Redis,
	 * human mode needs room for the "%.17Lf" text before trimming. */
	CU_ASSERT(num_ld2str(buf, 20, 1.5L, true) == 3);
	CU_ASSERT_STRING_EQUAL(buf, "1.5");
	CU_ASSERT(num_ld2str(buf, 19, 1.5L, true) == 0 && buf[0] == '\0');
	CU_ASSERT(num_ld2str(buf, 4, 1.5L, false) == 3);
	CU_ASSERT(num_ld2str(buf, 3, 1.5L, false) == 0 && buf[0] == '\0');
	CU_ASSERT(num_ld2str(buf, 4, -HUGE_VALL, true) == 0);
	CU_ASSERT(num_ld2str(buf, 5, -HUGE_VALL, true) == 4);
	CU_ASSERT(num_ld2str(buf, 0, 1.5L, true) == 0);
}

struct d_case {
	const char *s;
	size_t len;
	bool ok;
	const char *reply; /* ZSCORE after ZADD z <s> m, when ok */
};

static const struct d_case d_cases[] = {
	{ S("0.1"), true, "0.10000000000000001" },
	{ S("1"), true, "1" },
	{ S("0"), true, "0" },
	{ S("-0"), true, "-0" }, /* as a skiplist zset replies it */
	{ S("inf"), true, "inf" },
	{ S("+inf"), true, "inf" },
	{ S("-inf"), true, "-inf" },
	{ S("Infinity"), true, "inf" },
	{ S("INF"), true, "inf" },
	{ S("0x10"), true, "16" },
	{ S("+1"), true, "1" },
	{ S("4.9e-324"), true, "4.9406564584124654e-324" },
	{ S("1e-320"), true, "9.9998886718268301e-321" },
	{ S("4503599627370495"), true, "4503599627370495" },
	{ S("4503599627370496"), true, "4503599627370496" },
	{ S("9007199254740993"), true, "9007199254740992" },
	{ S("1e20"), true, "1e+20" },
	{ S("123.456"), true, "123.456" },
	{ S("-1.5"), true, "-1.5" },
	{ S(".5"), true, "0.5" },
	{ S("5."), true, "5" },
	{ S("1e5"), true, "100000" },
	{ S("0.3"), true, "0.29999999999999999" },
	{ S("nan"), false, NULL },
	{ S("-nan"), false, NULL },
	{ S(" 1"), false, NULL },
	{ S("\n1"), false, NULL },
	{ S("1 "), false, NULL },
	{ S(""), false, NULL },
	{ S("1e309"), false, NULL },
	{ S("-1e309"), false, NULL },
	{ S("1e-400"), false, NULL },
	{ S("abc"), false, NULL },
	{ S("1\0"), false, NULL },
	{ S("(1"), false, NULL },
};

static void test_str2d_d2str_table(void)
{
	char buf[NUM_D_STR_MAX];

	for (size_t i = 0; i < sizeof(d_cases) / sizeof(d_cases[0]); i++) {
		const struct d_case *c = &d_cases[i];
		double v = 42;
		bool ok = num_str2d(c->s, c->len, &v);

		CU_ASSERT(ok == c->ok);
		CU_ASSERT(num_str2d(c->s, c->len, NULL) == c->ok);
		if (ok != c->ok) {
			fprintf(stderr, "str2d case \"%s\" wrong\n", c->s);
			continue;
		}
		if (!ok) {
			CU_ASSERT(v == 42);
			continue;
		}
		CU_ASSERT(num_d2str(buf, sizeof(buf), v) ==
			  (int)strlen(c->reply));
		CU_ASSERT_STRING_EQUAL(buf, c->reply);
	}
}

static void test_str2d_long(void)
{
	size_t n = 3000;
	char *s = malloc(n);
	double v;

	CU_ASSERT_FATAL(s != NULL);
	/* Longer than any stack copy: "1.000...0", then "0.000...01". */
	memset(s, '0', n);
	s[0] = '1';
	s[1] = '.';
	CU_ASSERT(num_str2d(s, n, &v) && v == 1);
	s[0] = '0';
	s[n - 1] = '1';
	CU_ASSERT(!num_str2d(s, n, &v)); /* 1e-2998 underflows to zero */
	s[n - 1] = 'x';
	CU_ASSERT(!num_str2d(s, n, &v));
	free(s);
}

static void test_d2str(void)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0.0, "0" },
		{ -0.0, "-0" },
		{ 1.0, "1" },
		{ -1.0, "-1" },
		{ 1.5, "1.5" },
		{ 1e17, "1e+17" },
		{ 1e16, "10000000000000000" },
		{ 4503599627370495.0, "4503599627370495" },
		{ -4503599627370495.0, "-4503599627370495" },
		{ 4503599627370496.0, "4503599627370496" },
		{ -4503599627370496.0, "-4503599627370496" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ -DBL_MIN, "-2.2250738585072014e-308" },
		{ 0.1, "0.10000000000000001" },
		{ HUGE_VAL, "inf" },
		{ -HUGE_VAL, "-inf" },
		{ NAN, "nan" },
		{ -NAN, "nan" },
	};
	char buf[NUM_D_STR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		CU_ASSERT(num_d2str(buf, sizeof(buf), cases[i].v) == (int)n);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
		CU_ASSERT(num_d2str(buf, n + 1, cases[i].v) == (int)n);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
		CU_ASSERT(num_d2str(buf, n, cases[i].v) == 0);
		CU_ASSERT(buf[0] == '\0');
	}
}

/* d2string equals "%.17g" for every value but NaN, and reads back exactly. */
static void test_d2str_random(void)
{
	uint64_t rs = tu_seed();
	int bad = 0;

	for (int i = 0; i < 200000; i++) {
		uint64_t bits = tu_rand(&rs);
		char got[NUM_D_STR_MAX], want[NUM_D_STR_MAX];
		double v, back;
		int n;

		if (i % 2) /* small integers and halves too */
			v = (double)((int64_t)bits >> (tu_rand(&rs) % 64)) / 2;
		else
			memcpy(&v, &bits, sizeof(v));
		if (isnan(v))
			continue;
		n = num_d2str(got, sizeof(got), v);
		snprintf(want, sizeof(want), "%.17g", v);
		if (strcmp(got, want))
			bad++;
		else if (!num_str2d(got, (size_t)n, &back) || back != v ||
			 signbit(back) != signbit(v))
			bad++;
	}
	CU_ASSERT(bad == 0);
}

static CU_TestInfo tests[] = {
	{ "str2ll_table", test_str2ll_table },
	{ "str2ll_random", test_str2ll_random },
	{ "ll2str", test_ll2str },
	{ "str2ld_table", test_str2ld_table },
	{ "incrbyfloat_table", test_incrbyfloat_table },
	{ "ld2str", test_ld2str },
	{ "str2d_d2str_table", test_str2d_d2str_table },
	{ "str2d_long", test_str2d_long },
	{ "d2str", test_d2str },
	{ "d2str_random", test_d2str_random },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	const struct tu_suite suites[] = { { "num", tests }, { NULL, NULL } };

	return tu_main(argc, argv, suites);
}
