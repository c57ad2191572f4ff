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

/* ------------------------------------------------------- line info */

/*
** The instruction -> script location table of each program, read back
** from the ELF LLVM emitted: .BTF.ext line info records are per ELF
** section, with byte offsets into it; .symtab says where each program
** function starts in its section. The runtime uses the table to point a
** verifier rejection at a script line and column.
*/
struct elf_view {
	const uint8_t *b;
	size_t n;
};

static bool ev_ok(const struct elf_view *e, uint64_t off, uint64_t len)
{
	return off <= e->n && len <= e->n - off;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* section header i: offset, size, name offset, type */
static bool shdr(const struct elf_view *e, unsigned i, uint64_t *off, uint64_t *size, uint32_t *name,
		 uint32_t *link)
{
	uint64_t shoff = rd64(e->b + 0x28);
	uint16_t shentsize = rd16(e->b + 0x3a), shnum = rd16(e->b + 0x3c);
	if (i >= shnum || shentsize < 64 || !ev_ok(e, shoff + (uint64_t)i * shentsize, 64))
		return false;
	const uint8_t *h = e->b + shoff + (uint64_t)i * shentsize;
	*name = rd32(h);
	*off = rd64(h + 0x18);
	*size = rd64(h + 0x20);
	*link = rd32(h + 0x28);
	return ev_ok(e, *off, *size);
}

static const char *elf_str(const struct elf_view *e, uint64_t soff, uint64_t ssize, uint32_t at)
{
	if (at >= ssize || !memchr(e->b + soff + at, 0, ssize - at))
		return NULL;
	return (const char *)e->b + soff + at;
}

static int find_section(const struct elf_view *e, const char *want, uint64_t *off, uint64_t *size,
			uint32_t *link)
{
	uint16_t shnum = rd16(e->b + 0x3c), shstrndx = rd16(e->b + 0x3e);
	uint64_t so, ss;
	uint32_t sn, sl;
	if (!shdr(e, shstrndx, &so, &ss, &sn, &sl))
		return -1;
	for (unsigned i = 0; i < shnum; i++) {
		uint32_t nm;
		if (!shdr(e, i, off, size, &nm, link))
			continue;
		const char *n = elf_str(e, so, ss, nm);
		if (n && !strcmp(n, want))
			return (int)i;
	}
	return -1;
}

static const char *section_name(const struct elf_view *e, unsigned idx)
{
	uint16_t shstrndx = rd16(e->b + 0x3e);
	uint64_t so, ss, o, z;
	uint32_t sn, sl, nm, l;
	if (!shdr(e, shstrndx, &so, &ss, &sn, &sl) || !shdr(e, idx, &o, &z, &nm, &l))
		return NULL;
	return elf_str(e, so, ss, nm);
}

static int cmp_line(const void *a, const void *b)
{
	const struct cg_line *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static void read_line_info(struct image *img)
{
	struct elf_view e = { img->elf, img->elf_len };
	if (e.n < 64 || memcmp(e.b, "\177ELF", 4) || e.b[4] != 2 /* 64-bit */ || e.b[5] != 1 /* LE */)
		return;
	uint64_t xo, xs, bo, bs, yo, ys, to, ts;
	uint32_t xl, bl, yl, tl, nm;
	if (find_section(&e, ".BTF.ext", &xo, &xs, &xl) < 0 || find_section(&e, ".BTF", &bo, &bs, &bl) < 0 ||
	    find_section(&e, ".symtab", &yo, &ys, &yl) < 0 || !shdr(&e, yl, &to, &ts, &nm, &tl))
		return;
	/* .BTF header: magic, version, flags, hdr_len, type_off/len, str_off/len */
	if (bs < 24 || rd16(e.b + bo) != 0xeb9f)
		return;
	uint64_t bstr = bo + rd32(e.b + bo + 4) + rd32(e.b + bo + 16), bstrn = rd32(e.b + bo + 20);
	if (!ev_ok(&e, bstr, bstrn))
		return;
	/* .BTF.ext header: ..., hdr_len, func_info off/len, line_info off/len */
	if (xs < 24 || rd16(e.b + xo) != 0xeb9f)
		return;
	uint32_t hlen = rd32(e.b + xo + 4);
	uint64_t lo = xo + hlen + rd32(e.b + xo + 16), ln = rd32(e.b + xo + 20);
	if (!ev_ok(&e, lo, ln) || ln < 4)
		return;
	uint32_t rec = rd32(e.b + lo);
	if (rec < 16)
		return;
	for (int pi = 0; pi < img->nprogs; pi++) {
		struct image_prog *ip = &img->progs[pi];
		/* the program's symbol: section and start */
		uint64_t start = 0, size = 0;
		const char *sec = NULL;
		for (uint64_t s = 0; s + 24 <= ys; s += 24) {
			const uint8_t *sym = e.b + yo + s;
			const char *n = elf_str(&e, to, ts, rd32(sym));
			if (n && !strcmp(n, ip->name) && (sym[4] & 0xf) == 2 /* STT_FUNC */) {
				sec = section_name(&e, rd16(sym + 6));
				start = rd64(sym + 8);
				size = rd64(sym + 16);
			}
		}
		if (!sec)
			continue;
		ip->ninsns = (int)(size / 8);
		uint64_t p = lo + 4, end = lo + ln;
		while (p + 8 <= end) {
			const char *sn = elf_str(&e, bstr, bstrn, rd32(e.b + p));
			uint32_t num = rd32(e.b + p + 4);
			p += 8;
			if ((uint64_t)num * rec > end - p)
				break;
			for (uint32_t k = 0; sn && !strcmp(sn, sec) && k < num; k++) {
				const uint8_t *r = e.b + p + (uint64_t)k * rec;
				uint32_t off = rd32(r), lc = rd32(r + 12);
				if (off < start || off >= start + size || !(lc >> 10))
					continue;
				ip->lines = realloc(ip->lines, sizeof(*ip->lines) * (size_t)(ip->nlines + 1));
				if (!ip->lines)
					abort();
				ip->lines[ip->nlines++] = (struct cg_line){ (uint32_t)((off - start) / 8), (int)(lc >> 10),
									    (int)(lc & 0x3ff) };
			}
			p += (uint64_t)num * rec;
		}
		if (ip->nlines)
			qsort(ip->lines, (size_t)ip->nlines, sizeof(*ip->lines), cmp_line);
	}
}

const struct cg_line *cg_line_of(const struct image_prog *p, uint32_t insn)
{
	const struct cg_line *best = NULL;
	for (int i = 0; i < p->nlines && p->lines[i].insn <= insn; i++)
		best = &p->lines[i];
	return best;
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
	if (g->llvm_errors) {
		LLVMDisposeMemoryBuffer(mb);
		LLVMDisposeTargetMachine(tm);
		return -1;
	}
	size_t len = LLVMGetBufferSize(mb);
	g->img->elf = malloc(len);
	memcpy(g->img->elf, LLVMGetBufferStart(mb), len);
	g->img->elf_len = len;
	LLVMDisposeMemoryBuffer(mb);
	read_line_info(g->img);

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
