/*
** codegen/cg_emit.c: verify, optimize and emit the module as a BPF ELF
** object in memory ("bpfel", cpu v3: 32-bit jumps and ALU32, kernel 5.1+).
** For `-d ir` the textual IR is kept; for `-d bpf` the assembly printer's
** output is kept with each `.loc` replaced by the script line it names,
** so a reader sees which source line produced which instructions.
*/
#include <stdarg.h>
#include <stdio.h>
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

/* ------------------------------------------------------------ -d bpf */

/* helper names for `call N` (include/uapi/linux/bpf.h) */
static const char *helper_name(int id)
{
	switch (id) {
	case H_MAP_LOOKUP: return "bpf_map_lookup_elem";
	case H_MAP_UPDATE: return "bpf_map_update_elem";
	case H_MAP_DELETE: return "bpf_map_delete_elem";
	case H_PROBE_READ: return "bpf_probe_read";
	case H_KTIME_NS: return "bpf_ktime_get_ns";
	case H_PRANDOM: return "bpf_get_prandom_u32";
	case H_SMP_ID: return "bpf_get_smp_processor_id";
	case H_PID_TGID: return "bpf_get_current_pid_tgid";
	case H_UID_GID: return "bpf_get_current_uid_gid";
	case H_COMM: return "bpf_get_current_comm";
	case H_STACKID: return "bpf_get_stackid";
	case H_CUR_TASK: return "bpf_get_current_task";
	case H_NUMA_ID: return "bpf_get_numa_node_id";
	case H_D_PATH: return "bpf_d_path";
	case H_SKB_OUTPUT: return "bpf_skb_output";
	case H_KTIME_BOOT_NS: return "bpf_ktime_get_boot_ns";
	case H_TRACE_PRINTK: return "bpf_trace_printk";
	case H_PROBE_READ_STR: return "bpf_probe_read_str";
	case H_CGROUP_ID: return "bpf_get_current_cgroup_id";
	case H_PROBE_READ_USER: return "bpf_probe_read_user";
	case H_PROBE_READ_USER_STR: return "bpf_probe_read_user_str";
	case H_PROBE_READ_KERNEL: return "bpf_probe_read_kernel";
	case H_PROBE_READ_KERNEL_STR: return "bpf_probe_read_kernel_str";
	case H_RINGBUF_OUTPUT: return "bpf_ringbuf_output";
	case H_RINGBUF_RESERVE: return "bpf_ringbuf_reserve";
	case H_RINGBUF_SUBMIT: return "bpf_ringbuf_submit";
	case H_FUNC_IP: return "bpf_get_func_ip";
	case H_ATTACH_COOKIE: return "bpf_get_attach_cookie";
	default: return NULL;
	}
}

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (b->n + (size_t)k + 1 > b->cap) {
		b->cap = (b->n + (size_t)k + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

/*
** The assembly printer's text made readable: per program a header naming
** the probe, then instructions numbered as the verifier log numbers them
** (ld_imm64 takes two slots), jump labels kept, helper calls by name, and
** before each run of instructions from a new script location the line
** and column with the source text from that column.
*/
static char *annotate_asm(struct cg *g, const char *as, size_t len)
{
	const struct source *src = g->p->src;
	struct sbuf out = { 0 };
	int last_line = -1, last_col = -1, insn = 0;
	const char *p = as, *end = as + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		char line[512];
		size_t ll = (size_t)(e - p);
		snprintf(line, sizeof(line), "%.*s", (int)(ll < 511 ? ll : 511), p);
		p = e + 1;
		char *t = line;
		while (*t == ' ' || *t == '\t')
			t++;
		char *hash = strstr(t, "#");
		if (hash && t[0] != '#')
			*hash = 0; /* trailing "# %bb.1" comments */
		size_t tl = strlen(t);
		while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
			t[--tl] = 0;
		int fno, lno, col = 0;
		if (sscanf(t, ".loc %d %d %d", &fno, &lno, &col) >= 2) {
			if (lno <= 0 || lno > src->nlines || (lno == last_line && col == last_col))
				continue;
			const char *sl = src->text + src->line_start[lno - 1];
			size_t sn = strcspn(sl, "\n");
			size_t c0 = col > 0 && (size_t)col <= sn ? (size_t)col - 1 : 0;
			size_t lead = strspn(sl, " \t");
			/* a new line: all of it; then, unless the statement starts
			** the line, the text from the column */
			if (lno != last_line)
				sb_printf(&out, "; %d: %.*s\n", lno, (int)(sn > 200 ? 200 : sn), sl);
			if (col > 0 && (lno == last_line || c0 > lead))
				sb_printf(&out, "; %d:%d: %.*s\n", lno, col, (int)(sn - c0 > 72 ? 72 : sn - c0), sl + c0);
			last_line = lno;
			last_col = col;
			continue;
		}
		if (!*t || *t == '#' || *t == '.')
			continue; /* directives, comments */
		if (t[tl - 1] == ':') {
			if (!strncmp(t, "probe", 5)) {
				int idx = atoi(t + 5);
				const struct probe *pr = idx >= 0 && idx < g->p->nprobes ? g->p->probes[idx] : NULL;
				sb_printf(&out, "%s%s", out.n ? "\n" : "", t);
				for (int i = 0; pr && i < pr->naps; i++)
					sb_printf(&out, "%s%s", i ? ", " : " ", pr->aps[i].raw);
				sb_printf(&out, "\n");
				insn = 0;
				last_line = last_col = -1;
			} else if (!strncmp(t, "LBB", 3)) {
				sb_printf(&out, "%s\n", t);
			}
			continue;
		}
		int hid;
		const char *hn;
		if (sscanf(t, "call %d", &hid) == 1 && (hn = helper_name(hid)))
			sb_printf(&out, "%4d:\tcall %s\n", insn, hn);
		else
			sb_printf(&out, "%4d:\t%s\n", insn, t);
		insn += tl > 3 && !strcmp(t + tl - 3, " ll") ? 2 : 1;
	}
	if (!out.s)
		sb_printf(&out, "%s", "");
	return out.s;
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
			g->img->asm_ = annotate_asm(g, LLVMGetBufferStart(ab), LLVMGetBufferSize(ab));
			LLVMDisposeMemoryBuffer(ab);
		} else {
			LLVMDisposeMessage(err);
		}
	}
	LLVMDisposeTargetMachine(tm);
	return 0;
}
