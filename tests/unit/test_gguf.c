/*
 * test_gguf.c - the GGUF header reader (placement/pl_gguf.c) on small
 * generated files: exact figures for a tiny llama and a tied qwen2, a
 * clear error for each kind of bad file (unknown architecture, nested
 * arrays, 2^60 tensors, lying offsets, truncation, huge strings and
 * arrays, version 1), every prefix of a good file and every single-byte
 * corruption of its header rejected or parsed without harm, and the
 * agent's file reader (ag_planio_read_gguf).
 *
 * The files in tests/fixtures/placement and tests/fuzz/corpus/fuzz_gguf
 * were written by a small generator from GGUF's published layout; the
 * numbers below are worked out by hand from their shapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ag_planio.h"
#include "pl_gguf.h"

#define FIX	EXOGPU_SOURCE_DIR "/tests/fixtures/placement/"
#define CORPUS	EXOGPU_SOURCE_DIR "/tests/fuzz/corpus/fuzz_gguf/"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;
	long	 n;

	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) > 0);
	rewind(f);
	assert_non_null(buf = malloc((size_t)n));
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	(void)fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * tiny-llama: 2 layers, hidden 32, ffn 64, 4 heads / 2 KV heads (head
 * dim 8), vocabulary 64, matrices q8_0 (34 bytes per 32), norms f32.
 * Layer: q 1024 w -> 1088 B, k and v 512 -> 544, o 1088, gate/up/down
 * 2048 -> 2176 each, two norms 128: 10048 B, 9280 weights.
 */
static void
test_tiny_llama(void **state)
{
	struct pl_model		m;
	struct pl_gguf_info	info;
	uint8_t			*buf;
	size_t			 len;
	char			 err[256];

	(void)state;
	buf = slurp(FIX "tiny-llama.gguf", &len);
	if (pl_gguf_parse(buf, len, len, "tiny-llama.gguf", &m, &info, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(m.name, "tiny-llama");
	assert_string_equal(info.arch, "llama");
	assert_int_equal(info.version, 3);
	assert_int_equal(info.ntensors, 21);
	assert_string_equal(pl_gguf_type_name(info.weight_type), "q8_0");
	assert_int_equal(m.layers, 2);
	assert_int_equal(m.layer_bytes, 10048);
	assert_true(m.flops_per_token_per_layer == 2 * 9280.0);
	/* KV: 2 heads * (8 + 8) * 2 bytes. */
	assert_int_equal(m.kv_bytes_per_token_per_layer, 64);
	assert_int_equal(m.activation_bytes, 64);
	/* token_embd 32 x 64 q8_0; head = output + output_norm (128). */
	assert_int_equal(m.embed_bytes, 2176);
	assert_int_equal(m.head_bytes, 2176 + 128);
	assert_true(m.head_flops_per_token == 2 * 2048.0);
	assert_int_equal(m.vocab, 64);
	assert_int_equal(m.dtype, PL_DT_Q8_0);
	assert_int_equal(info.total_bytes, 2 * 10048 + 2176 + 2176 + 128);
	free(buf);
}

/* Tied embeddings (no output.weight): the head is token_embd again. */
static void
test_tied(void **state)
{
	struct pl_model	m;
	uint8_t		*buf;
	size_t		 len;
	char		 err[256];

	(void)state;
	buf = slurp(FIX "tied-qwen2.gguf", &len);
	if (pl_gguf_parse(buf, len, len, "t", &m, NULL, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(m.layers, 1);
	assert_int_equal(m.dtype, PL_DT_FP16);
	assert_int_equal(m.embed_bytes, 32 * 32 * 2);
	assert_int_equal(m.head_bytes, 32 * 32 * 2 + 128);
	assert_true(m.head_flops_per_token == 2 * 1024.0);
	free(buf);
}

static void
test_bad_files(void **state)
{
	static const struct {
		const char	*file;
		const char	*want;
	} cases[] = {
		{ "unknown-arch.gguf", "unknown architecture \"mamba\"" },
		{ "nested-array.gguf", "nested arrays are not accepted" },
		{ "many-tensors.gguf", "1152921504606846976 tensors" },
		{ "lying-offset.gguf", "past the end of the file" },
		{ "truncated.gguf", "more than the file" },
		{ "long-string.gguf", "over the limit" },
		{ "huge-array.gguf", "does not fit" },
		{ "v1.gguf", "GGUF version 1" },
	};
	struct pl_model	m;
	uint8_t		*buf;
	size_t		 len, i;
	char		 err[256];

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[512];

		(void)snprintf(path, sizeof path, "%s%s", CORPUS,
		    cases[i].file);
		buf = slurp(path, &len);
		err[0] = '\0';
		assert_int_equal(pl_gguf_parse(buf, len, len, cases[i].file,
		    &m, NULL, err, sizeof err), -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].file, err,
			    cases[i].want);
		assert_non_null(strstr(err, cases[i].file));
		free(buf);
	}
}

/* Every prefix fails cleanly, as a whole file or as a cut-short one. */
static void
test_truncation(void **state)
{
	struct pl_model		m;
	struct pl_gguf_info	info;
	uint8_t			*buf;
	size_t			 len, n;
	char			 err[256];
	int			 rc;

	(void)state;
	buf = slurp(FIX "tiny-llama.gguf", &len);
	assert_int_equal(pl_gguf_parse(buf, len, len, "t", &m, &info, err,
	    sizeof err), 0);
	for (n = 0; n < len; n += n < 2048 ? 1 : 509) {
		err[0] = '\0';
		assert_int_equal(pl_gguf_parse(buf, n, n, "t", &m, NULL, err,
		    sizeof err), -1);
		assert_true(strlen(err) > 3);
		/* The header alone is enough when the file is whole (the
		 * padding before the data is not read). */
		rc = pl_gguf_parse(buf, n, len, "t", &m, NULL, err, sizeof err);
		if (n >= info.data_offset)
			assert_int_equal(rc, 0);
		else if (n + 32 <= info.data_offset)
			assert_int_equal(rc, -1);
	}
	free(buf);
}

/* Every single-byte change of the header: parsed or refused, no harm. */
static void
test_corruption(void **state)
{
	struct pl_model		m;
	struct pl_gguf_info	info;
	uint8_t			*buf;
	size_t			 len, i;
	unsigned		 ok = 0, bad = 0, x;
	char			 err[256];

	(void)state;
	buf = slurp(FIX "tiny-llama.gguf", &len);
	assert_int_equal(pl_gguf_parse(buf, len, len, "t", &m, &info, err,
	    sizeof err), 0);
	for (i = 0; i < info.data_offset; i++) {
		for (x = 1; x < 256; x <<= 3) {
			buf[i] ^= (uint8_t)x;
			if (pl_gguf_parse(buf, len, len, "t", &m, NULL, err,
			    sizeof err) == 0) {
				ok++;
				assert_true(m.layers >= 1);
			} else
				bad++;
			buf[i] ^= (uint8_t)x;
		}
	}
	/* Both outcomes occur: names and values that do not matter. */
	assert_true(ok > 0 && bad > 0);
	free(buf);
}

static void
test_read_file(void **state)
{
	struct pl_model	m;
	char		err[256];

	(void)state;
	if (ag_planio_read_gguf(FIX "tiny-llama.gguf", &m, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(m.layer_bytes, 10048);
	assert_int_equal(ag_planio_read_gguf(FIX "no-such.gguf", &m, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "no-such.gguf"));
	assert_int_equal(ag_planio_read_gguf(FIX, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(ag_planio_read_gguf(CORPUS "unknown-arch.gguf", &m,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown-arch.gguf: unknown architecture"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiny_llama),
		cmocka_unit_test(test_tied),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
