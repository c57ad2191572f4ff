/*
** tests/fuzz/fuzz_target.c: the libFuzzer targets, built by tests/fuzz/run.
**
** One input is one script. TARGET=frontend: preprocess, parse (and dump
** the AST), type-check against the host's kernel BTF and kernel facts
** (tracefs, the function list: read once, kept across inputs, as
** frontend/kernel.c caches them). TARGET=compiler (-DFUZZ_COMPILER): the
** same, then on to a BPF ELF object as `minibt --dry-run` does it (LLVM IR,
** LLVM's BPF backend, the -d ir/bpf dumps every 8th input), so a crash, a
** leak or an LLVM abort anywhere on the way is found. Diagnostics are
** printed to /dev/null so the caret code runs too; everything a run
** allocates is freed before the next, so leaks show up as such.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ast.h"
#ifdef FUZZ_COMPILER
#include "codegen.h"
#endif

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

/* the stages after parsing, for one program */
static void compile(struct program *p, struct diags *d, size_t size)
{
	char *pos[] = { "1", "str" };
	char *named[] = { "flag", "n=3" };
	struct sema_opts o = { .btf = btf, .pos = pos, .npos = 2, .named = named, .nnamed = 2, .kernel = kern };
	ast_dump(p, devnull);
	if (sema_check(p, &o, d) != 0 || d->nerrors)
		return;
#ifdef FUZZ_COMPILER
	struct cg_opts co = { .opt_level = 2, .dump = (size & 7) ? 0 : CG_DUMP_IR | CG_DUMP_BPF };
	struct image img;
	cg_compile(p, &co, &img, d);
	cg_image_free(&img);
#else
	(void)size;
#endif
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
		if (p)
			compile(p, &d, size);
	}
	diag_print(&d, devnull);
	diag_fini(&d);
	pp_free(&pp);
	arena_free(a);
	source_fini(&src);
	free(text);
	return 0;
}
