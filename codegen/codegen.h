/*
** codegen/codegen.h: typed AST in, BPF ELF object out.
**
** `struct image` is all the runtime needs to load, attach and decode:
** the ELF bytes, one entry per BPF program (probe x attach point group),
** the BPF names of the maps, and the static probe names. It points into
** the program (events, map infos, types) but never at AST nodes.
*/
#ifndef MINIBT_CODEGEN_H
#define MINIBT_CODEGEN_H

#include "ast.h"

/* where an instruction came from: .BTF.ext line info of the program */
struct cg_line {
	uint32_t insn; /* instruction index in the program (ld_imm64 counts 2) */
	int line, col; /* script location */
};

struct image_prog {
	char *name;          /* BPF program (function) name */
	const struct probe *probe;
	enum probe_type type;
	struct cg_line *lines; /* sorted by insn */
	int nlines;
	int ninsns;
};

/* script location of instruction insn of program p, or NULL */
const struct cg_line *cg_line_of(const struct image_prog *p, uint32_t insn);

struct image {
	void *elf;
	size_t elf_len;
	struct image_prog *progs;
	int nprogs;
	char **map_names;     /* BPF name of prog->maps[i] */
	int nmaps;
	const char *ringbuf_name;
	const char *stackmap_name; /* NULL when no stacks are taken */
	/* one STACK_TRACE map per frame count: the kernel hashes only the
	** frames a map keeps, so kstack(2) ids of equal 2-frame stacks are
	** equal only in a 2-frame map. A kstack value of type t is an id in
	** the map whose stackmap_frames[i] == t->nframes. */
	int nstackmaps;
	char **stackmap_names;
	int *stackmap_frames;
	const char *lost_name;     /* per-CPU count of events lost */
	const char *elapsed_name;  /* array[1] holding the start time */
	const struct program *prog;
	int stack_frames;
	char *ir;   /* textual IR when requested (-d ir) */
	char *asm_; /* annotated disassembly when requested (-d bpf) */
};

enum cg_dump { CG_DUMP_NONE = 0, CG_DUMP_IR = 1, CG_DUMP_BPF = 2 };

struct cg_opts {
	int dump;             /* CG_DUMP_* bits */
	const char *src_path; /* file named in line info (for verifier logs) */
	int opt_level;        /* 0 or 2 */
	int bad_line;         /* tests: the first statement on this script line
			       * also loads through a scalar, which the verifier
			       * rejects (MINIBT_DEBUG_VERIFIER_LINE) */
};

int cg_compile(const struct program *p, const struct cg_opts *o, struct image *img,
	       struct diags *d);
void cg_image_free(struct image *img);

#endif
