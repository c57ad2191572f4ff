/*
** codegen/cg_emit.c: verify, optimize and emit the module as a BPF ELF
** object in memory ("bpfel", cpu v3: 32-bit jumps and ALU32, kernel 5.1+).
** For `-d ir` the textual IR is kept; for `-d bpf` the assembly printer's
** output is kept with each `.loc` replaced by the script line it names,
** so a reader sees which source line produced which instructions.
*/
#include <stdlib.h>
#include <string.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include "cg_internal.h"

void LLVMInitializeBPFTargetInfo(void);
void LLVMInitializeBPFTarget(void);
void LLVMInitializeBPFTargetMC(void);
void LLVMInitializeBPFAsmPrinter(void);

static LLVMTargetMachineRef target_machine(struct diags *d)
{
	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTarget();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFAsmPrinter();
	LLVMTargetRef t;
	char *err = NULL;
	if (LLVMGetTargetFromTriple("bpfel", &t, &err)) {
		diag_error(d, NULL, NULL, "LLVM has no BPF target: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		return NULL;
	}
	return LLVMCreateTargetMachine(t, "bpfel", "v3", "", LLVMCodeGenLevelDefault,
				       LLVMRelocDefault, LLVMCodeModelDefault);
}

static char *annotate_asm(const char *as, size_t len, const struct source *src)
{
	size_t cap = len * 2 + 1024, n = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	int last = -1;
	const char *p = as, *end = as + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		size_t ll = (size_t)(e - p);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(ll < 511 ? ll : 511), p);
		int fileno, lno, col;
		const char *t = line;
		while (*t == ' ' || *t == '\t')
			t++;
		char add[1024];
		add[0] = 0;
		if (sscanf(t, ".loc %d %d %d", &fileno, &lno, &col) >= 2) {
			if (lno != last && lno > 0 && lno <= src->nlines) {
				const char *sl = src->text + src->line_start[lno - 1];
				size_t sn = strcspn(sl, "\n");
				snprintf(add, sizeof(add), "; %d: %.*s\n", lno, (int)(sn < 400 ? sn : 400), sl);
				last = lno;
			}
		} else if (*t == '.' && strncmp(t, ".Ltmp", 5) && strncmp(t, ".LBB", 4)) {
			/* assembler directives: not instructions */
		} else if (!strncmp(t, ".Ltmp", 5) || !strncmp(t, ".Lfunc", 6) || !strncmp(t, ".Lsec", 5) ||
			   !strncmp(t, ".Linfo", 6) || !strncmp(t, ".Ldebug", 7) || *t == '#' || !*t) {
		} else if (t[strlen(t) - 1] == ':' && strncmp(t, "probe", 5) && strncmp(t, ".LBB", 4)) {
		} else {
			snprintf(add, sizeof(add), "%s\n", line);
		}
		size_t al = strlen(add);
		if (n + al + 1 > cap) {
			cap = (n + al + 1) * 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		memcpy(out + n, add, al);
		n += al;
		p = e + 1;
	}
	out[n] = 0;
	return out;
}

int cg_emit(struct cg *g)
{
	char *err = NULL;
	if (LLVMVerifyModule(g->M, LLVMReturnStatusAction, &err)) {
		diag_error(g->d, NULL, "this is a minibt bug: please report it with the script",
			   "internal error: invalid LLVM IR: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		return -1;
	}
	LLVMDisposeMessage(err);
	LLVMTargetMachineRef tm = target_machine(g->d);
	if (!tm)
		return -1;
	LLVMSetTarget(g->M, "bpfel");
	LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
	LLVMSetModuleDataLayout(g->M, td);
	LLVMDisposeTargetData(td);

	if (g->o->opt_level > 0) {
		LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
		LLVMErrorRef e = LLVMRunPasses(g->M, "default<O2>", tm, po);
		LLVMDisposePassBuilderOptions(po);
		if (e) {
			char *m = LLVMGetErrorMessage(e);
			diag_error(g->d, NULL, NULL, "internal error: LLVM passes failed: %s", m);
			LLVMDisposeErrorMessage(m);
			LLVMDisposeTargetMachine(tm);
			return -1;
		}
	}
	if (g->o->dump & CG_DUMP_IR) {
		char *ir = LLVMPrintModuleToString(g->M);
		g->img->ir = strdup(ir);
		LLVMDisposeMessage(ir);
	}

	LLVMMemoryBufferRef mb = NULL;
	if (LLVMTargetMachineEmitToMemoryBuffer(tm, g->M, LLVMObjectFile, &err, &mb)) {
		diag_error(g->d, NULL, "this is a minibt bug: please report it with the script",
			   "internal error: BPF code generation failed: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		LLVMDisposeTargetMachine(tm);
		return -1;
	}
	size_t len = LLVMGetBufferSize(mb);
	g->img->elf = malloc(len);
	memcpy(g->img->elf, LLVMGetBufferStart(mb), len);
	g->img->elf_len = len;
	LLVMDisposeMemoryBuffer(mb);

	if (g->o->dump & CG_DUMP_BPF) {
		LLVMMemoryBufferRef ab = NULL;
		if (!LLVMTargetMachineEmitToMemoryBuffer(tm, g->M, LLVMAssemblyFile, &err, &ab)) {
			g->img->asm_ = annotate_asm(LLVMGetBufferStart(ab), LLVMGetBufferSize(ab), g->p->src);
			LLVMDisposeMemoryBuffer(ab);
		} else {
			LLVMDisposeMessage(err);
		}
	}
	LLVMDisposeTargetMachine(tm);
	return 0;
}
