/*
** tests/fuzz/fuzz_frontend.c: libFuzzer target over the whole front end.
**
** One input is one script: preprocess, parse, type-check against the
** host's kernel BTF and kernel facts (tracefs, the function list, read
** once, kept across inputs, as frontend/kernel.c caches them), print the
** diagnostics to /dev/null so the caret code runs too. Everything a run
** allocates is freed before the next, so leaks show up as such.
** Built and run by tests/fuzz/run.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ast.h"

static struct arena *btf_arena;
static struct btf_ctx *btf;
static struct kernel *kern;
static bool have_btf;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	have_btf = access(VMLINUX_BTF, R_OK) == 0;
	btf_arena = arena_new();
	kern = kernel_open();
	if (have_btf)
		btf = btfc_open(btf_arena, NULL, kern);
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024 || memchr(data, 0, size))
		return 0; /* main refuses NUL bytes before the front end sees them */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;

	struct source src;
	source_init(&src, "fuzz", text, size);
	struct diags d = { .src = &src };
	struct pp_result pp;
	struct arena *a = arena_new();
	if (pp_run(&src, have_btf, &pp, &d) == 0) {
		struct program *p = parse_program(a, &src, &pp, &d);
		if (p) {
			ast_dump(p, devnull);
			char *pos[] = { "1", "str" };
			char *named[] = { "flag", "n=3" };
			struct sema_opts o = { .btf = btf, .pos = pos, .npos = 2,
					       .named = named, .nnamed = 2, .kernel = kern };
			sema_check(p, &o, &d);
		}
	}
	diag_print(&d, devnull);
	diag_fini(&d);
	pp_free(&pp);
	arena_free(a);
	source_fini(&src);
	free(text);
	return 0;
}
