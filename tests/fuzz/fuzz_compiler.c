/*
** tests/fuzz/fuzz_compiler.c: libFuzzer target over the whole compiler.
**
** One input is one script, taken from text to a BPF ELF object as
** `minibt --dry-run` does it: preprocess, parse, type-check against the
** host's kernel BTF (loaded once, kept across inputs), generate LLVM IR and
** emit the object with LLVM's BPF backend, then free everything, so a
** crash, a leak or an LLVM abort anywhere on the way is found. Built and
** run by tests/fuzz/run (TARGET=compiler).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ast.h"
#include "codegen.h"

static struct arena *btf_arena;
static struct btf_ctx *btf;
static struct kernel *kern; /* kernel facts, read once, kept across inputs */
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
		char *pos[] = { "1", "str" };
		char *named[] = { "flag", "n=3" };
		struct sema_opts o = { .btf = btf, .pos = pos, .npos = 2, .named = named, .nnamed = 2,
					       .kernel = kern };
		if (p && sema_check(p, &o, &d) == 0 && d.nerrors == 0) {
			/* -d ir and -d bpf every 8th input: the dumps walk the object too */
			struct cg_opts co = { .opt_level = 2, .dump = (size & 7) ? 0 : CG_DUMP_IR | CG_DUMP_BPF };
			struct image img;
			cg_compile(p, &co, &img, &d);
			cg_image_free(&img);
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
