/*
** codegen/codegen.h: typed AST in, BPF ELF object out.
**
** `struct image` is the one struct crossing compile -> run: the ELF
** bytes, one entry per BPF program (probe) with its attach points, each
** user map's BPF layout, the events and the BPF names of the internal
** maps. It points at sema's types, events and attach points, never at
** AST nodes (expressions, statements, probes).
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
	enum probe_type type;
	const struct attach_point *aps; /* the probe's (expanded at attach time) */
	int naps;
	struct loc loc;      /* the probe's, for verifier reports */
	struct cg_line *lines; /* sorted by insn */
	int nlines;
	int ninsns;
};

/* script location of instruction insn of program p, or NULL */
const struct cg_line *cg_line_of(const struct image_prog *p, uint32_t insn);

/* BPF map types (include/uapi/linux/bpf.h) */
enum {
	MT_HASH = 1, MT_ARRAY = 2, MT_PERCPU_HASH = 5, MT_PERCPU_ARRAY = 6,
	MT_PERF_EVENT_ARRAY = 4, MT_STACK_TRACE = 7, MT_RINGBUF = 27,
};

/*
** A user map as codegen declares it, laid out by cg_map_layout (bytes
** in runtime/output.h). The runtime and the unit tests read maps by it.
*/
struct image_map {
	char bpf_name[64];    /* its name in the ELF: m<id>_<name> */
	const char *name;     /* script name without '@' ("" for @) */
	int id;               /* index in image.maps and prog->maps */
	uint32_t type;        /* MT_HASH, or MT_PERCPU_HASH for aggregations */
	uint32_t max_entries;
	uint32_t key_size;    /* BPF key bytes, hist bucket included */
	uint32_t value_size;  /* one CPU's slot */
	bool percpu;
	enum ty_kind kind;    /* value kind: how slots merge, sort and print */
	const struct type *key; /* NULL: no key */
	const struct type *val;
};

/* the layout of user map m (codegen/cg_layout.c) */
void cg_map_layout(const struct mapinfo *m, uint32_t max_entries, struct image_map *l);

struct image {
	void *elf;
	size_t elf_len;
	struct image_prog *progs; /* progs[i]: probe i (its static probe-name index) */
	int nprogs;
	struct image_map *maps;   /* by mapinfo id */
	int nmaps;
	const struct event *const *events; /* by ring buffer record id */
	int nevents;
	const char *ringbuf_name;
	/* one STACK_TRACE map per frame count: the kernel hashes only the
	** frames a map keeps, so kstack(2) ids of equal 2-frame stacks are
	** equal only in a 2-frame map. A kstack value of type t is an id in
	** the map whose stackmap_frames[i] == t->nframes. */
	int nstackmaps;
	char **stackmap_names;
	int *stackmap_frames;
	const char *lost_name;     /* per-CPU count of events lost */
	const char *elapsed_name;  /* array[1] holding the start time */
	const char *skb_name;      /* skboutput()'s perf event array, NULL when unused */
	char *ir;   /* textual IR when requested (-d ir) */
	char *asm_; /* annotated disassembly when requested (-d bpf) */
};

enum cg_dump { CG_DUMP_NONE = 0, CG_DUMP_IR = 1, CG_DUMP_BPF = 2 };

struct cg_opts {
	int dump;             /* CG_DUMP_* bits */
	const char *src_path; /* file named in line info (for verifier logs) */
	int opt_level;        /* 0 or 2 */
	uint32_t map_keys_max; /* entries of each user map (0: 4096) */
	int fatal_line;       /* tests: the first statement on this line also
			       * does an atomic nand, which the BPF backend
			       * cannot select: LLVM's fatal error
			       * (MINIBT_DEBUG_LLVM_FATAL_LINE) */
	int bad_line;         /* tests: the first statement on this script line
			       * also loads through a scalar, which the verifier
			       * rejects (MINIBT_DEBUG_VERIFIER_LINE) */
};

int cg_compile(const struct program *p, const struct cg_opts *o, struct image *img,
	       struct diags *d);
void cg_image_free(struct image *img);

#endif
